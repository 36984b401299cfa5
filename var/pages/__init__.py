"""The book's page helpers: not API (they change with the pages, without notice or deprecation).

The layer above :mod:`var.report`: the calls a notebook makes to draw a page's figures and gather its facts, kept
out of the library that users import.

Where a sentence lives (the rule): the library (:mod:`var.report` and every layer below it) returns facts
(numbers, small records, DataFrames), tested on tables of known truth; the page writes the sentence, as an
f-string over those facts in its own cell. The one exception is a part several pages show alike (a reference
run's caption, a benchmark section's headings): :mod:`~var.pages.sections` writes it once. No test asserts a
page's wording (the browser tests check what the rendered pages show).

* :mod:`~var.pages.anatomy` — VAR's steps taken apart (the steps and method pages);
* :mod:`~var.pages.examples` — one drawn example of each benchmark's metric (localisation, PIC, sanity,
  intervention);
* :mod:`~var.pages.paper_figures` — the paper's Figures 3 and 6 re-made (the class-sets page);
* :mod:`~var.pages.sections` — what a benchmark page shows (paper vs ours, a reference run's section, gains).

Each module loads on first use.
"""

__all__ = ["anatomy", "examples", "paper_figures", "sections"]


def __getattr__(name: str):
    # anatomy needs only the plot extra; the others the bench extra (SciPy, pandas, Captum)
    if name in __all__:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
