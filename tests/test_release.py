"""What a release carries: one version named everywhere, a citation that validates, BibTeX that agrees."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import var

REPO = Path(__file__).resolve().parents[1]
CFFCONVERT = REPO / ".venv" / "release-tools" / "bin" / "cffconvert"


def _bibtex_entries(text: str) -> dict[str, str]:
    """key -> entry with whitespace collapsed, for every ``@type{key, ...}`` in ``text``."""
    entries = re.findall(r"(@\w+\{([\w]+),.*?\n\})", text, flags=re.DOTALL)
    return {key: " ".join(entry.split()) for entry, key in entries}


def test_one_version_named_everywhere():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "var.core.version.__version__"}
    newest = re.search(r"^## \[(\d+\.\d+\.\d+)\]", (REPO / "CHANGELOG.md").read_text(), flags=re.MULTILINE)
    assert newest and newest.group(1) == var.__version__, "CHANGELOG.md's newest entry is not var.__version__"
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["version"] == var.__version__


def test_citation_names_both_versions_of_the_paper():
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    preferred = citation["preferred-citation"]
    assert preferred["title"].startswith("Hidden in Plain Sight") and preferred["year"] == 2026
    assert [a["family-names"] for a in preferred["authors"]] == ["Walter", "Vreeken", "Fischer"]
    arxiv = citation["references"][0]
    assert arxiv["title"].startswith("Now you see me!") and arxiv["identifiers"][0]["value"] == "arXiv:2503.07346"


@pytest.mark.integration
def test_citation_validates_with_cffconvert():
    if not CFFCONVERT.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CFFCONVERT} missing: make venv installs the release tools")
        pytest.skip("release tools not installed (make venv)")
    done = subprocess.run([str(CFFCONVERT), "--validate", "-i", str(REPO / "CITATION.cff")], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_bibtex_on_the_pages_is_the_bibliography_s():
    bibliography = _bibtex_entries((REPO / "book" / "references.bib").read_text())
    intro = _bibtex_entries((REPO / "book" / "intro.md").read_text())
    readme = _bibtex_entries((REPO / "README.md").read_text())
    for key in ("walter2025now", "walter2026hidden"):
        assert intro[key] == bibliography[key], key
    assert readme["walter2026hidden"] == bibliography["walter2026hidden"]
    assert f"version = {{{var.__version__}}}" in intro["var_saliency"]


def test_every_cited_key_is_in_the_bibliography():
    keys = set(_bibtex_entries((REPO / "book" / "references.bib").read_text()))
    pages = [*(REPO / "notebooks").glob("*.py"), *(REPO / "book").glob("*.md")]
    cited = {key for page in pages for key in re.findall(r"\{cite\}`([^`]+)`", page.read_text())}
    assert cited and cited <= keys, cited - keys


def test_the_wheel_metadata_reads_the_version_without_importing_torch(tmp_path):
    # setuptools reads var.__version__ from the file's syntax tree; an import would need torch at build time.
    code = ("import sys, setuptools.config.expand as e; v = e.read_attr('var.core.version.__version__', "
            "package_dir={'': '.'}); "
            "print(v, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.split() == [var.__version__, "False"]
