"""Build the Jupyter Book: execute the notebooks with papermill, fetch the JS, render.

    python book/build.py            # full book (book parameters below)
    python book/build.py --small    # tiny parameters, for tests
    python book/build.py --execute-only / --render-only

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


def chapters(small: bool) -> list[tuple[str, str, dict]]:
    """(source script, destination notebook, papermill parameters) for every page."""
    def out(name: str) -> dict:  # small runs cache apart from the book's (whose default is ../results/book)
        return {"out": str(RESULTS / "small")} if small else {}

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
        ("08_your_method", "08_your_method", {**out("your_method"), **({"n_grids": 1} if small else {})}),
        ("09_grid_pointing", "09_grid_pointing",
         {**out("grid"), **({"n_grids": 1, "ig_steps": 2, "scan": 40} if small else {"n_grids": 6})}),
        ("10_coco_masks", "10_coco_masks", {**out("coco"), **({"n_images": 2, "ig_steps": 2} if small else {})}),
        ("11_insertion", "11_insertion",
         {**out("insertion"), **({"n_images": 2, "methods": ["gradcam"]} if small else {"n_images": 4})}),
        ("12_sanity", "12_sanity",
         {**out("sanity"), **({"n_images": 1, "ig_steps": 2, "fractions": [0.0, 1.0]} if small else {})}),
        ("13_intervention", "13_intervention",
         {**out("intervention"), **({"images": ["skimage:coffee"], "n_images": 1, "ig_steps": 2,
                                     "methods": ["gradcam", "guided_backprop"]} if small else {})}),
        ("14_architectures", "14_architectures",
         {**out("architectures"), **({"models": ["efficientnet_lite0", "efficientnet_lite1"], "n_grids": 1,
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
    config["repository"] = {"url": url, "path_to_book": "book", "branch": "main"}
    config["html"]["use_repository_button"] = True
    config["launch_buttons"] = {"notebook_interface": "classic", "binderhub_url": "https://mybinder.org",
                                "colab_url": "https://colab.research.google.com", "thebe": False}
    path = BOOK / "_build" / "_config_launch.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return ["--config", str(path)]


def to_notebook(source: Path, title: str | None):
    import jupytext

    nb = jupytext.read(source)
    if title:  # the per-method page gets the method's name in its title (run alone, it says it in its first output)
        nb.cells[0].source = nb.cells[0].source.replace("# Attribution method\n", f"# Attribution method: {title}\n", 1)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


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


def render() -> Path:
    import subprocess

    from fetch_vendor import fetch

    fetch(BOOK / "_vendor")
    import yaml

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
    parser.add_argument("--only", nargs="*", help="execute only these pages")
    args = parser.parse_args(argv)
    start = time.perf_counter()
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
