"""Build the Jupyter Book: execute the notebooks with papermill, fetch the JS, render.

    python book/build.py            # full book (book parameters below)
    python book/build.py --small    # tiny parameters, for tests
    python book/build.py --execute-only / --render-only
    python book/build.py --notebooks-only   # the pages as notebooks, not executed (Binder, Colab, CI's wheel check)

Pipeline: notebooks/*.py (jupytext percent scripts, reviewed in git) -> .ipynb ->
papermill with each chapter's parameters -> book/chapters/ (widget state kept)
-> ``jupyter-book build`` with execution off.

The page list lives here only: ``chapters`` says what runs, and the table of
contents (``_toc.yml``, written by ``render``) and the browser test's page list
(``page_paths``) are derived from it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import var

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent
NOTEBOOKS = REPO / "notebooks"
CHAPTERS = BOOK / "chapters"
RESULTS = REPO / "results" / "book"

METHOD_OPTIONS = {"integrated_gradients": {"steps": 32}, "smoothgrad": {"base": "guided_backprop", "n_samples": 16}}
#: One page per method (the contrastive gradient is a benchmark baseline, not a tutorial page).
METHODS = [m for m in var.METHODS if m != "contrastive_gradient"]
#: Pages from this source on are benchmark chapters.
FIRST_BENCHMARK = "09_grid_pointing"
#: The reference part of the book: the API pages (api/cli.md is written by :func:`cli_reference`), the
#: bibliography and the licences.
REFERENCE_PAGES = [{"file": "library"}, {"file": "reproducing"}, {"file": "speed"},
                   {"file": "api/index", "sections": [{"file": f"api/{name}"} for name in
                                                      ("core", "viz", "interop", "benchmarks", "cli")]},
                   {"file": "references"}, {"file": "licences"}]
#: What a page needs where it runs outside the book (Colab, a fresh environment): the extras of its install cell
#: (:data:`COLAB_SETUP`) and the data scripts that fetch the sample data it reads.
LEAN_PAGES = ("01_quickstart", "02_method")  # CI runs these from the wheel with [plot,examples] only
DATA_SCRIPTS = ["data_scripts/imagenet_sample.py", "data_scripts/coco.py --coco128"]
DATA_PAGES = ("04_class_sets", "08_your_method")  # and every benchmark page
COLAB_SETUP = BOOK / "colab_setup.py"


def chapters(small: bool) -> list[tuple[str, str, dict]]:
    """(source script, destination notebook, papermill parameters) for every page."""
    out = {"out": str(RESULTS / "small")} if small else {}  # small runs cache apart from the book's

    pages = [("01_quickstart", "01_quickstart", {})]
    for m in METHODS[:1] if small else METHODS:
        opts = {"steps": 4} if small and m == "integrated_gradients" else METHOD_OPTIONS.get(m, {})
        params = {"method": m, "options": opts}
        if small:
            params["images"] = ["skimage:coffee"]
        pages.append(("02_method", f"methods/{m}", params))
    pages += [
        ("03_var_steps", "03_var_steps", {"temperatures": [0.01, 0.1], "taus": [0.0, 0.1]} if small else {}),
        ("04_class_sets", "04_class_sets", {"n_coco_images": 1, "n_candidates": 20} if small else {}),
        ("05_explorers", "05_explorers",
         {"images": ["skimage:coffee"], "methods": ["gradient", "gradcam"]} if small else {}),
        ("06_your_model", "06_your_model", {"timm_models": ["resnet18"]} if small else {}),
        ("07_gallery", "07_gallery",
         {"methods": ["gradient", "gradcam", "captum:Deconvolution", "gradcam:LayerCAM", "occlusion"]}
         if small else {}),
        ("08_your_method", "08_your_method", {**out, **({"n_grids": 1} if small else {})}),
        ("09_grid_pointing", "09_grid_pointing",
         {**out, **({"n_grids": 1, "ig_steps": 2, "scan": 40} if small else {"n_grids": 6})}),
        ("10_coco_masks", "10_coco_masks", {**out, **({"n_images": 2, "ig_steps": 2} if small else {})}),
        ("11_insertion", "11_insertion",
         {**out, **({"n_images": 2, "methods": ["gradcam"]} if small else {"n_images": 4})}),
        ("12_sanity", "12_sanity",
         {**out, **({"n_images": 1, "ig_steps": 2, "fractions": [0.0, 1.0]} if small else {})}),
        ("13_intervention", "13_intervention",
         {**out, **({"images": ["skimage:coffee"], "n_images": 1, "ig_steps": 2,
                                     "methods": ["gradcam", "guided_backprop"]} if small else {})}),
        ("14_architectures", "14_architectures",
         {**out, **({"models": ["efficientnet_lite0", "efficientnet_lite1"], "n_grids": 1,
                                      "n_coco": 2, "n_insertion": 1, "ig_steps": 2, "methods": ["gradcam"],
                                      "insertion_methods": ["gradcam"]} if small else {})}),
        ("15_claims", "15_claims", {}),
        ("16_sensitivity", "16_sensitivity", {}),
        ("17_speed", "17_speed", {"class_counts": [2], "repeats": 1, "methods": ["gradient", "gradcam"]} if small
         else {"repeats": 2, "methods": ["gradient", "guided_backprop", "gradcam"]}),
    ]
    return pages


def toc() -> dict:
    """Jupyter Book's table of contents, from :func:`chapters`."""
    parts = {"Tutorial": [], "Benchmarks": []}
    for source, dest, _ in chapters(small=False):
        caption = "Benchmarks" if source >= FIRST_BENCHMARK else "Tutorial"
        if source == "02_method":
            if not parts[caption] or parts[caption][-1]["file"] != "methods":
                parts[caption].append({"file": "methods", "sections": []})
            parts[caption][-1]["sections"].append({"file": f"chapters/{dest}"})
        else:
            parts[caption].append({"file": f"chapters/{dest}"})
    parts["Reference"] = REFERENCE_PAGES
    return {"format": "jb-book", "root": "intro",
            "parts": [{"caption": c, "chapters": pages} for c, pages in parts.items()]}


def page_paths() -> list[str]:
    """Every HTML page of the book, relative to its root and without ``.html``."""
    def walk(entries):
        for e in entries:
            yield e["file"]
            yield from walk(e.get("sections", []))

    book = toc()
    return [book["root"]] + [f for part in book["parts"] for f in walk(part["chapters"])]


def launch_config() -> list[str]:
    """``--config`` with Binder/Colab launch buttons when $VAR_REPOSITORY_URL names the public repository."""
    url = os.environ.get("VAR_REPOSITORY_URL")
    if not url:
        return []
    import yaml

    config = yaml.safe_load((BOOK / "_config.yml").read_text())
    # the pages' notebooks are built, not committed: the book workflow pushes them, executed, to this branch
    config["repository"] = {"url": url, "path_to_book": "book",
                            "branch": os.environ.get("VAR_NOTEBOOK_BRANCH", "notebooks")}
    config["html"]["use_repository_button"] = True
    config["launch_buttons"] = {"notebook_interface": "classic", "binderhub_url": "https://mybinder.org",
                                "colab_url": "https://colab.research.google.com", "thebe": False}
    path = BOOK / "_build" / "_config_launch.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return ["--config", str(path)]


def setup_cell(source: str):
    """The page's first code cell: :data:`COLAB_SETUP` with what this page needs, hidden on the rendered page."""
    import re

    import nbformat

    extras = "plot,examples" if source in LEAN_PAGES else "all"
    data = DATA_SCRIPTS if source >= FIRST_BENCHMARK or source in DATA_PAGES else []
    values = {"REPOSITORY": repr(os.environ.get("VAR_REPOSITORY_URL", "")), "EXTRAS": repr(extras),
              "DATA_SCRIPTS": repr(data)}
    code = COLAB_SETUP.read_text().rstrip("\n")
    for name, value in values.items():  # the constants' lines, comments and all: the values speak for themselves
        code = re.sub(rf"^{name} = .*$", f"{name} = {value}", code, count=1, flags=re.MULTILINE)
    return nbformat.v4.new_code_cell(code, metadata={"tags": ["remove-cell"]})


def to_notebook(source: Path, title: str | None):
    import jupytext

    nb = jupytext.read(source)
    if title:  # the per-method page gets the method's name in its title (run alone, it says it in its first output)
        heading, _, rest = nb.cells[0].source.partition("\n")
        if not heading.startswith("# "):
            raise ValueError(f"{source.name}: its first cell must open with the page's '# ' heading.")
        nb.cells[0].source = f"{heading}: {title}\n{rest}"
    first_code = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    nb.cells.insert(first_code, setup_cell(source.stem))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}  # papermill and Colab read the language from here
    return nb


def write_notebooks(small: bool, only: list[str] | None = None, chapters_dir: Path = CHAPTERS) -> list[Path]:
    """The pages as notebooks with their parameters' defaults, not executed: what Binder and Colab open."""
    import nbformat

    written = []
    for source, dest, params in chapters(small):
        if only and dest not in only and source not in only:
            continue
        target = chapters_dir / f"{dest}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(to_notebook(NOTEBOOKS / f"{source}.py", var.METHOD_TITLES.get(params.get("method"))), target)
        written.append(target)
    return written


def merged_parameters(defaults: str, injected: str) -> str:
    """The parameters cell's source with the values papermill injected written in place, each marked with
    its default, so a page shows one parameter cell with the values it ran with.
    """
    import ast

    values = {node.targets[0].id: ast.get_source_segment(injected, node.value)
              for node in ast.parse(injected).body if isinstance(node, ast.Assign)}
    lines = defaults.splitlines()
    for node in reversed(ast.parse(defaults).body):  # bottom up, so earlier line numbers stay valid
        name = node.targets[0].id if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) else None
        if name in values:
            default = " ".join(ast.get_source_segment(defaults, node.value).split())
            if values[name] != default:
                merged = f"{name} = {values[name]}  # the book's value; default {default}"
                lines[node.lineno - 1:node.end_lineno] = [merged]
    return "\n".join(lines)


def merge_parameters(path: Path) -> None:
    """Fold papermill's injected-parameters cell into the page's parameters cell (one cell, not two)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    tagged = {tag: cell for cell in nb.cells for tag in cell.metadata.get("tags", [])}
    if "injected-parameters" not in tagged or "parameters" not in tagged:
        return
    tagged["parameters"].source = merged_parameters(tagged["parameters"].source, tagged["injected-parameters"].source)
    nb.cells.remove(tagged["injected-parameters"])
    nbformat.write(nb, path)


def execute(small: bool, only: list[str] | None = None, chapters_dir: Path = CHAPTERS) -> dict[str, float]:
    import jupytext  # noqa: F401  (fail early with a clear import error)
    import nbformat
    import papermill

    os.environ.pop("MPLBACKEND", None)  # a non-inline backend here would leave the pages without figures
    times = {}
    for source, dest, params in chapters(small):
        if only and dest not in only and source not in only:
            continue
        target = chapters_dir / f"{dest}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        raw = target.with_suffix(".raw.ipynb")
        nbformat.write(to_notebook(NOTEBOOKS / f"{source}.py", var.METHOD_TITLES.get(params.get("method"))), raw)
        start = time.perf_counter()
        papermill.execute_notebook(str(raw), str(target), parameters=params, cwd=str(NOTEBOOKS),
                                   kernel_name="python3", progress_bar=False,
                                   extra_arguments=["--IPKernelApp.log_level=ERROR"])  # no per-page TCP notice
        raw.unlink()
        merge_parameters(target)
        times[dest] = time.perf_counter() - start
        print(f"executed {dest:32s} {times[dest]:6.1f} s", flush=True)
    return times


def cli_help(args: list[str]) -> str:
    """What ``var-bench ARGS`` prints (``--help``: the parser's own text, so the page cannot drift from it)."""
    import contextlib
    import io

    from var import bench

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        bench.main(args)
    return out.getvalue()


def cli_reference() -> str:
    """The API reference's command-line page (``api/cli.md``): every subcommand's ``--help``."""
    from var import bench
    from var.benchmarks import BENCHMARKS

    sections = [f"## `var-bench {name}`\n\n```text\n{cli_help([name, '--help']).rstrip()}\n```\n"
                for name in [*BENCHMARKS, *bench._TOOLS]]
    return ("# Command line: `var-bench`\n\n"
            "`var-bench` (or `python -m var.bench`) runs the benchmarks, the reference runs and the timing tools. "
            "This page is written from each subcommand's own `--help` when the book is built.\n\n"
            + "\n".join(sections))


def render() -> Path:
    import subprocess

    from fetch_vendor import fetch

    fetch(BOOK / "_vendor")
    import yaml

    (BOOK / "api" / "cli.md").write_text(cli_reference())
    (BOOK / "_toc.yml").write_text("# Written by book/build.py from its page list; edit chapters() there.\n"
                                   + yaml.safe_dump(toc(), sort_keys=False))
    cli = Path(sys.executable).with_name("jupyter-book")  # the console script beside this interpreter
    subprocess.run([str(cli), "build", str(BOOK), "--builder", "html", *launch_config()], check=True)
    return BOOK / "_build" / "html" / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="tiny parameters (tests)")
    parser.add_argument("--execute-only", action="store_true")
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--notebooks-only", action="store_true",
                        help="write the pages as notebooks, not executed, and stop (Binder, Colab)")
    parser.add_argument("--only", nargs="*", help="execute (or write) only these pages")
    parser.add_argument("--to", type=Path, default=CHAPTERS, help="where --notebooks-only writes (default: chapters)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.notebooks_only:
        for path in write_notebooks(args.small, args.only, args.to):
            print(f"wrote {path}")
        return 0
    if not args.render_only:
        execute(args.small, args.only)
    if not args.execute_only:
        index = render()
        print(f"\nThe book is at {index} (open it in a browser, or serve {index.parent} with any static server)")
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BOOK))
    sys.exit(main())
