"""What the book's benchmark pages show, as calls: a page holds narrative, parameters and these calls.

* :func:`paper_vs_ours` — the compact "vanilla → VAR" table beside the paper's and its dumbbell plot;
* :func:`reference_section` — a committed reference run: where it came from, paper vs ours, the binarisation fit;
* :func:`run_models` — one benchmark on several models, stacked into one table (the architectures page).

Each returns a :class:`Section`; ``section.show()`` displays it in a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..benchmarks import BENCHMARKS
from ..benchmarks import table as results
from ..benchmarks.config import BenchConfig
from ..benchmarks.runner import run, run_key
from ..core.protocol import PAPER_FIVE
from . import charts, claims, paper, reference

__all__ = ["Section", "paper_vs_ours", "reference_section", "run_models", "reference_summary"]


@dataclass
class Section:
    """A part of a page, in order: Markdown strings, tables (DataFrame or Styler) and matplotlib figures."""

    parts: list = field(default_factory=list)

    def show(self) -> None:
        """Display every part in a notebook (Markdown as Markdown, figures once)."""
        import matplotlib.pyplot as plt
        from IPython.display import Markdown, display

        for part in self.parts:
            if isinstance(part, str):
                display(Markdown(part))
            elif isinstance(part, plt.Figure):
                display(part)
                plt.close(part)
            else:
                display(part)


def _paper_table(benchmark: str) -> pd.DataFrame:
    return paper.insertion_table() if benchmark == "insertion" else paper.localisation_table(benchmark)


def _ours(summary_or_table: pd.DataFrame, benchmark: str, rule: str | None) -> pd.DataFrame:
    """The rows to set beside the paper: a localisation rule's rows, or insertion's median-curve aggregate."""
    if benchmark == "insertion":
        from ..benchmarks.insertion import aggregate

        agg = aggregate(summary_or_table)
        return agg.assign(mean=agg["median_curve_auc"])
    return results.localisation(summary_or_table, rule)


def paper_vs_ours(summary_or_table: pd.DataFrame, benchmark: str, rule: str | None = None) -> Section:
    """The paper's Table 1 (grid, COCO) or Table 2 (insertion) beside ours, as a table and a dumbbell plot.

    Args:
        summary_or_table: a localisation run's summary, or an insertion run's table (its curves are aggregated
            as PAIR does: the area under the median curve).
        benchmark: ``grid``, ``coco`` or ``insertion``.
        rule: the binarisation rule of the localisation metrics (e.g. the benchmark's ``paper_rule``).

    Returns:
        A :class:`Section` with the compact table and the dumbbell figure.
    """
    metrics = [m for m in BENCHMARKS[benchmark].metrics if not results.METRICS[m].status]  # what it scores
    ours, theirs = _ours(summary_or_table, benchmark, rule), _paper_table(benchmark)
    if ours.empty:
        return Section(["No rows to compare (every image was skipped or filtered out)."])
    return Section([paper.compact(ours, theirs, metrics), charts.dumbbell(ours, metrics, theirs)])


def reference_section(name: str, rule: str | None = None) -> Section:
    """A committed reference run: its provenance paragraph, paper vs ours and, for localisation, the rule fit.

    Args:
        name: a reference run (``grid``, ``coco``, ``insertion``; see :data:`var.benchmarks.config.REFERENCE`).
        rule: the binarisation rule of the localisation metrics.
    """
    ref = reference.load(name)
    if ref is None:
        return Section([f"No reference run under `results/reference/{name}`: run `make reference`."])
    benchmark = ref["config"].benchmark
    section = Section([reference.describe(ref)])
    section.parts += paper_vs_ours(ref["table"] if benchmark == "insertion" else ref["summary"], benchmark,
                                   rule).parts
    if benchmark != "insertion":
        section.parts += ["Which binarisation rule reproduces the paper's vanilla rows (mean absolute difference):",
                          paper.binarization_fit(ref["summary"], benchmark).round(3)]
    return section


def run_models(benchmark: str, models, n: int, out: str, **config) -> pd.DataFrame:
    """One benchmark on each model (same methods, options and seed), stacked into one results table.

    Args:
        benchmark: a benchmark name.
        models: model names.
        n: units per model.
        out: the folder the runs go under (one sub-folder per configuration, resumable).
        **config: the other :class:`~var.benchmarks.config.BenchConfig` fields (methods, ig_steps, options).
    """
    config["methods"] = tuple(config.get("methods", BenchConfig.methods))
    tables = []
    for model in models:
        cfg = BenchConfig(benchmark, model=model, n=n, **config)
        tables.append(run(cfg, f"{out}/{run_key(cfg)}"))
    return pd.concat(tables, ignore_index=True)


def reference_summary(name: str, metric: str, binarize: str | None = None, direction: int = 1,
                      methods=PAPER_FIVE) -> str:
    """One Markdown sentence for a page's summary: VAR - vanilla of ``metric`` per method on a reference run,
    paired per unit with its 95% interval, and how many methods have their interval on the good side of 0.

    ``direction``: +1 if higher is better, -1 if lower is better.
    """
    ref = reference.load(name)
    if ref is None:
        return f"(No `{name}` reference run: `python -m var.bench reference {name}`.)"
    table = ref["table"]
    diffs = claims.paired_differences(table[table["method"].isin(methods)], metric, binarize)
    rows = claims.by_method(diffs, direction)
    good = int((rows["interval"] == "claimed side").sum())
    units, scored = table["unit"].nunique(), diffs["unit"].nunique()
    counted = f"{units} units" if scored == units else f"{units} units, {scored} of them scored"
    parts = ", ".join(f"{r.method} {r.mean:+.3f} [{r.ci95_low:+.3f}, {r.ci95_high:+.3f}]" for r in rows.itertuples())
    return (f"On the `{name}` reference run ({counted}; intervals over units, not items), VAR − vanilla "
            f"{metric}{f' ({binarize} rule)' if binarize not in (None, results.NO_RULE) else ''}: {parts}. "
            f"{good} of {len(rows)} methods have their whole interval on the "
            f"{'higher' if direction > 0 else 'lower'} (better) side of 0.")


def gain_ratio(name: str, than: str, metric: str, methods=PAPER_FIVE) -> str:
    """One Markdown sentence: how many times smaller (or larger) the VAR - vanilla gain in ``metric`` is on
    reference run ``name`` than on ``than``, per method (means paired per unit, as in :func:`reference_summary`).
    """
    runs = {n: reference.load(n) for n in (name, than)}
    missing = [n for n, ref in runs.items() if ref is None]
    if missing:
        return f"(No `{missing[0]}` reference run: `python -m var.bench reference {missing[0]}`.)"
    gains = {n: claims.by_method(claims.paired_differences(ref["table"][ref["table"]["method"].isin(methods)],
                                                           metric, None), 1).set_index("method")["mean"]
             for n, ref in runs.items()}
    ratio = (gains[than] / gains[name]).dropna()
    if (ratio <= 0).any():  # a gain of opposite sign: "times smaller" would mislead
        return f"VAR − vanilla {metric} per method on `{name}` vs `{than}`: " + ", ".join(
            f"{m} {gains[name][m]:+.3f} vs {gains[than][m]:+.3f}" for m in ratio.index) + "."
    return (f"VAR − vanilla {metric} is {ratio.min():.1f}–{ratio.max():.1f}× smaller on `{name}` than on "
            f"`{than}` (per method: " + ", ".join(f"{m} {r:.1f}×" for m, r in ratio.items()) + ").")


def similarity_table(summary: pd.DataFrame, index=("method", "var")) -> pd.DataFrame:
    """The sanity check's mean similarity per metric (columns) and, once, how many maps had none (empty maps:
    ``n_nan`` is the same for every similarity metric), from a :func:`~var.benchmarks.summarize` table.
    """
    index = list(index)
    table = summary.pivot_table(index=index, columns="metric", values="mean", dropna=False).round(3) + 0.0  # no -0.000
    table.columns.name = "mean similarity"
    empty = summary.pivot_table(index=index, columns="metric", values="n_nan").max(axis=1)
    return table.assign(**{"empty maps": empty.astype(int)})


def by_model_reading(table: pd.DataFrame, benchmark: str, metric: str, methods=PAPER_FIVE) -> str:
    """One Markdown sentence: per model of a multi-model results table, VAR - vanilla of ``metric`` averaged over
    ``methods`` per unit, with its 95% interval over units, and how many models have it above 0.
    """
    parts, above = [], 0
    for model, part in table[table["method"].isin(methods)].groupby("model"):
        diffs = claims.paired_differences(part, metric, None)
        mean, low, high, n = claims.interval(diffs.groupby("unit")["diff"].mean().to_numpy())
        above += low > 0
        parts.append(f"`{model}` {mean:+.3f} [{low:+.3f}, {high:+.3f}] (n = {n})")
    return (f"{benchmark}: VAR − vanilla {metric}, averaged over the methods per unit (95% interval over units): "
            + ", ".join(parts) + f"; {above} of {len(parts)} models have the whole interval above 0.")
