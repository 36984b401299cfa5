"""var's docstrings in the API reference (a Sphinx extension, listed in ``_config.yml``).

The docstrings write set sizes and magnitudes as in the paper, ``|K|`` and ``|H|``; reStructuredText reads a
word between bars as a substitution and fails on it. Outside inline literals and doctest lines, the bars are
escaped before autodoc hands the docstring on.
"""

from __future__ import annotations

import re

_LITERAL = re.compile(r"(``.*?``)")


def escape_bars(line: str) -> str:
    """``line`` with every ``|`` outside ````literals```` escaped (doctest lines are left alone)."""
    if line.lstrip().startswith((">>>", "...")):
        return line
    return "".join(part if part.startswith("``") else part.replace("|", r"\|") for part in _LITERAL.split(line))


def _process(app, what, name, obj, options, lines):
    lines[:] = [escape_bars(line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
