"""Reports over the results table (the ``bench`` extra): facts for the pages, never their sentences.

* :mod:`~var.report.reference` — the committed reference runs, their provenance and reproduction;
* :mod:`~var.report.paper` — the paper's Tables 1-4, "paper vs ours";
* :mod:`~var.report.claims` — the paper's claims, each tied to a metric, with a verdict;
* :mod:`~var.report.study` — beyond the table: the 18-method study, overhead, largest effects, repeated rows;
* :mod:`~var.report.sweep` — the sweep of VAR's settings and the controls' claims;
* :mod:`~var.report.choices` — choices the paper leaves open, each with its effect (upsampling, ties, networks);
* :mod:`~var.report.charts` — metric bars, dumbbells, sanity curves, the claims forest;
* :mod:`~var.report.catalogue` — ``var-bench methods``: every registry method with its cost.

Each module loads on first use. The page helpers built on these are :mod:`var.pages` (not API).
"""

__all__ = ["catalogue", "charts", "choices", "claims", "paper", "reference", "study", "sweep"]


def __getattr__(name: str):
    # Each module loads on first use, so that importing one loads none of the others' dependencies.
    if name in __all__:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
