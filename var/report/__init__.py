"""Reports over the results table (the ``bench`` extra; :mod:`~var.report.anatomy` needs only ``plot``).

* :mod:`~var.report.reference` — the committed reference runs, their provenance and reproduction;
* :mod:`~var.report.paper` — the paper's Tables 1-4, "paper vs ours";
* :mod:`~var.report.claims` — the paper's claims, each tied to a metric, with a verdict;
* :mod:`~var.report.study` — beyond the table: the 18-method study, overhead, largest effects, repeated rows;
* :mod:`~var.report.sweep` — the sweep of VAR's settings and the controls' claims;
* :mod:`~var.report.choices` — choices the paper leaves open, each with its effect (upsampling, ties, networks);
* :mod:`~var.report.examples` — one drawn example of each benchmark's metric (localisation, PIC, sanity);
* :mod:`~var.report.anatomy` — VAR's steps taken apart (the steps page);
* :mod:`~var.report.charts` — metric bars, dumbbells, sanity curves, the claims forest;
* :mod:`~var.report.pages` — what a benchmark page shows, as calls (paper vs ours, a reference run's section);
* :mod:`~var.report.paper_figures` — the paper's Figures 3 and 6 re-made (the class-sets page);
* :mod:`~var.report.catalogue` — ``var-bench methods``: every registry method with its cost.

Each module loads on first use.
"""

__all__ = ["anatomy", "catalogue", "charts", "choices", "claims", "examples", "pages", "paper", "paper_figures",
           "reference", "study", "sweep"]


def __getattr__(name: str):
    # Each module loads on first use: the tutorial pages' (anatomy) need only the plot extra, the benchmark
    # reports the bench extra (SciPy, pandas, pyarrow, Captum).
    if name in __all__:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
