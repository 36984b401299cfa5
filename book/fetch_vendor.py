"""Fetch the widget manager and MathJax from the npm registry into book/_vendor (not committed).

``npm pack`` downloads only the two package tarballs (no dependency tree):
``@jupyter-widgets/html-manager`` (``dist/embed.js`` renders saved widget state
without a kernel) and ``mathjax`` (``es5/``). Sphinx copies ``_vendor`` into the
site's ``_static/``; it is kept out of the book's own ``_static`` source folder,
whose scripts Jupyter Book 1 would load on every page.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGES = {"html-manager": "@jupyter-widgets/html-manager@1.0.15", "mathjax": "mathjax@3.2.2"}


def fetch(vendor: Path) -> None:
    if (vendor / "html-manager" / "embed.js").exists() and (vendor / "mathjax" / "tex-chtml.js").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js (e.g. `apt-get install nodejs npm` or conda's nodejs).")
    vendor.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in PACKAGES.items():
            out = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", tmp], check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / out) as tar:
                tar.extractall(Path(tmp) / name, filter="data")
            src = Path(tmp) / name / "package"
            dest = vendor / name
            shutil.rmtree(dest, ignore_errors=True)
            if name == "html-manager":
                shutil.copytree(src / "dist", dest, ignore=shutil.ignore_patterns("*.map", "*amd*"))
            else:
                shutil.copytree(src / "es5", dest, ignore=shutil.ignore_patterns("sre", "*.map"))
    print(f"fetched {', '.join(PACKAGES.values())} into {vendor}")


if __name__ == "__main__":
    fetch(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "_vendor")
