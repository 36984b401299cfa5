"""The book's pipeline beyond execution: the setup cell every page opens with, the generated CLI page, the
table of contents' reference part."""

import os
import sys
from pathlib import Path
from unittest import mock

BOOK = Path(__file__).resolve().parents[2] / "book"
sys.path.insert(0, str(BOOK))
import build  # noqa: E402


def _run_setup(code: str, environ: dict, modules: dict | None = None):
    """Execute the setup cell with subprocess, chdir, isdir and sys.path watched; returns what it did."""
    calls, chdirs = [], []
    path = list(sys.path)
    env = {k: v for k, v in os.environ.items() if k != "VAR_INSTALL"} | environ
    with mock.patch.dict(os.environ, env, clear=True), \
            mock.patch.dict(sys.modules, modules or {}), \
            mock.patch("subprocess.run", side_effect=lambda cmd, **kw: calls.append((cmd, kw.get("cwd")))), \
            mock.patch("os.chdir", side_effect=chdirs.append), mock.patch("os.path.isdir", return_value=False):
        try:
            exec(compile(code, "colab_setup", "exec"), {})
            added = [p for p in sys.path if p not in path]
        finally:
            sys.path[:] = path
    return calls, chdirs, added


def test_every_page_opens_with_the_hidden_setup_cell(tmp_path):
    import nbformat

    written = build.write_notebooks(small=True, chapters_dir=tmp_path)
    assert len(written) == len(build.chapters(small=True))
    for path in written:
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert first.metadata["tags"] == ["remove-cell"] and "google.colab" in first.source, path
        assert nb.metadata["kernelspec"]["name"] == "python3" and nb.metadata["language_info"]["name"] == "python"
        parameters = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(parameters) == 1 and nb.cells.index(parameters[0]) > nb.cells.index(first)


def test_the_setup_cell_does_nothing_outside_colab():
    code = build.setup_cell("09_grid_pointing").source
    assert _run_setup(code, {}) == ([], [], [])


def test_the_setup_cell_installs_what_var_install_names():
    code = build.setup_cell("01_quickstart").source
    calls, chdirs, added = _run_setup(code, {"VAR_INSTALL": "/dist/var.whl[plot,examples]"})
    assert [cmd[-1] for cmd, _ in calls] == ["/dist/var.whl[plot,examples]"] and chdirs == added == []


def test_the_setup_cell_in_colab_installs_the_checkout_with_the_page_data(monkeypatch):
    monkeypatch.setenv("VAR_REPOSITORY_URL", "https://example.org/var.git")
    code = build.setup_cell("09_grid_pointing").source
    calls, chdirs, added = _run_setup(code, {}, {"google.colab": mock.MagicMock()})
    commands = [" ".join(cmd[1:] if cmd[0] == sys.executable else cmd) for cmd, _ in calls]
    checkout = "/content/var-saliency"
    assert commands == ["git clone -q --depth 1 https://example.org/var.git " + checkout,
                        f"-m pip install -q {checkout}[all]", *build.DATA_SCRIPTS]
    assert [cwd for _, cwd in calls[2:]] == [checkout] * len(build.DATA_SCRIPTS)
    assert added == [checkout] and chdirs == [f"{checkout}/notebooks"]
    lean = build.setup_cell("01_quickstart").source
    assert "EXTRAS = 'plot,examples'" in lean and "DATA_SCRIPTS = []" in lean


def test_the_cli_page_has_every_subcommand():
    from var import bench
    from var.benchmarks import BENCHMARKS

    page = build.cli_reference()
    for name in [*BENCHMARKS, *bench._TOOLS]:
        assert f"## `var-bench {name}`" in page
        assert f"usage: var-bench {name}" in page or "usage: var-bench " in page.split(f"## `var-bench {name}`")[1]


def test_the_reference_part_lists_pages_that_exist():
    pages = build.page_paths()
    for name in ("api/index", "api/core", "api/cli", "references", "licences"):
        assert name in pages
    for name in pages:
        if not name.startswith("chapters/") and name != "api/cli":  # cli.md is written by render()
            assert (BOOK / f"{name}.md").exists(), name


def test_lean_pages_ask_only_for_the_plot_and_examples_extras():
    for source in build.LEAN_PAGES:
        assert "EXTRAS = 'plot,examples'" in build.setup_cell(source).source
