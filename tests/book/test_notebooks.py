"""Every book page executes under papermill with small parameters."""

import sys
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[2] / "book"
sys.path.insert(0, str(BOOK))
import build  # noqa: E402

PAGES = [dest for _, dest, _ in build.chapters(small=True)]


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("page", PAGES)
def test_notebook_executes(page, tmp_path, imagenet_sample):
    pytest.importorskip("papermill")
    build.execute(small=True, only=[page], chapters_dir=tmp_path)  # papermill raises on a failing cell
    import nbformat

    nb = nbformat.read(tmp_path / f"{page}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) or "text/html" in o.get("data", {}) for o in outputs)
    tags = [tag for c in nb.cells for tag in c.metadata.get("tags", [])]
    assert "injected-parameters" not in tags and tags.count("parameters") == 1  # one parameter cell per page
    parameters = next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params = next(p for _, dest, p in build.chapters(small=True) if dest == page)
    assert all(f"\n{name} = " in f"\n{parameters}" for name in params), "a run value is missing from the page"
    # what a reader sees names no file of the machine that built it (a library warning's path, say)
    text = [str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs]
    assert not [t for t in text if str(BOOK.parent) in t or "site-packages" in t]

    if page in ("01_quickstart", "03_var_steps"):  # the t/tau explorer is saved for the static book
        state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        models = {m["model_name"] for m in state.values()}
        assert {"StackModel", "SelectionSliderModel", "LinkModel", "ImageModel"} <= models


def test_merged_parameters_writes_the_run_values_in_place():
    defaults = 'model = "lite0"\nn = 4  # grids\nts = [0.1,\n      0.2]\nout = "x"'
    merged = build.merged_parameters(defaults, "# Parameters\nn = 6\nts = [1.0]\nout = \"x\"\n")
    assert merged.splitlines() == ['model = "lite0"', "n = 6  # the book's value; default 4",
                                   "ts = [1.0]  # the book's value; default [0.1, 0.2]", 'out = "x"']
