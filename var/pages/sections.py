"""What the book's benchmark pages show, as calls: a page holds narrative, parameters and these calls.

* :func:`paper_vs_ours` — the compact "vanilla → VAR" table beside the paper's and its dumbbell plot;
* :func:`reference_section` — a committed reference run: where it came from, paper vs ours, the binarisation fit;
* :func:`provenance` — the caption over a reference run, the same on every page;
* :func:`run_models` — one benchmark on several models, stacked into one table (the architectures page);
* :func:`reference_gains`, :func:`gain_ratios`, :func:`by_model_gains` — the facts of the pages' summaries (VAR
  - vanilla per method or model with its interval), which each page writes its own sentence about.

The first two return a :class:`Section` (``section.show()`` displays it): the parts several pages show alike,
their captions included (the one place outside a notebook where the book's sentences are written).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..benchmarks import BENCHMARKS
from ..benchmarks import table as results
from ..benchmarks.config import BenchConfig
from ..benchmarks.runner import run, run_key
from ..core.protocol import PAPER_FIVE
from ..report import charts, claims, paper, reference

__all__ = ["Section", "paper_vs_ours", "reference_section", "provenance", "run_models", "Gains", "reference_gains",
           "gain_ratios", "similarity_table", "by_model_gains"]


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
        name: a reference run (``grid``, ``coco``, ``insertion``; see :data:`var.benchmarks.reference.REFERENCE`).
        rule: the binarisation rule of the localisation metrics.
    """
    ref = reference.load(name)
    if ref is None:
        return Section([f"No reference run under `results/reference/{name}`: run `make reference`."])
    benchmark = ref["config"].benchmark
    section = Section([provenance(ref)])
    section.parts += paper_vs_ours(ref["table"] if benchmark == "insertion" else ref["summary"], benchmark,
                                   rule).parts
    if benchmark != "insertion":
        section.parts += ["Which binarisation rule reproduces the paper's vanilla rows (mean absolute difference):",
                          paper.binarization_fit(ref["summary"], benchmark).round(3)]
    return section


def provenance(ref: dict) -> str:
    """The caption every page puts over a reference run: what it is and where it came from (Markdown)."""
    config, prov = ref["config"], ref["provenance"]
    first, last = prov["sessions"][0], prov["sessions"][-1]
    commits = sorted({s["commit"][:8] for s in prov["sessions"]})
    return (f"**Reference run** (`results/reference/{prov['benchmark']}`): {ref['table']['unit'].nunique()} units "
            f"of `{config.model}`, IG with {config.ig_steps} steps, t = {config.temperature}, tau = {config.tau}; "
            f"made by `{last['command']}` at commit {', '.join(commits)} ({first['date'][:10]}), "
            f"{prov['wall_s_total'] / 60:.0f} min on {last['machine']} with {last['threads']} torch threads, "
            f"torch {last['torch']}.")


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


@dataclass
class Gains:
    """VAR - vanilla of one metric per method on a reference run, paired per unit (:func:`reference_gains`).

    Attributes:
        rows: one row per method: ``method``, ``mean``, ``ci95_low``, ``ci95_high``, ``interval`` (the claims'
            reading of the interval: "claimed side", "other side" or "contains 0").
        units: units of the run; ``scored``: units with a score (insertion skips some).
        good: methods whose whole interval lies on the better side of 0 (``direction``).
    """

    rows: pd.DataFrame
    units: int
    scored: int
    good: int


def reference_gains(name: str, metric: str, binarize: str | None = None, direction: int = 1,
                    methods=PAPER_FIVE) -> Gains:
    """VAR - vanilla of ``metric`` per method on reference run ``name``, paired per unit with its 95% interval.

    ``direction``: +1 if higher is better, -1 if lower is better.
    """
    table = _reference(name)["table"]
    diffs = claims.paired_differences(table[table["method"].isin(methods)], metric, binarize)
    rows = claims.by_method(diffs, direction)
    return Gains(rows, table["unit"].nunique(), diffs["unit"].nunique(),
                 int((rows["interval"] == "claimed side").sum()))


def gain_ratios(name: str, than: str, metric: str, methods=PAPER_FIVE) -> pd.DataFrame:
    """Per method, the VAR - vanilla gain in ``metric`` on reference run ``name`` and on ``than`` (means paired
    per unit, as in :func:`reference_gains`) and ``ratio`` = gain on ``than`` / gain on ``name`` (how many times
    smaller it is on ``name``; NaN where the gain on ``name`` is 0).
    """
    gains = {n: reference_gains(n, metric, None, 1, methods).rows.set_index("method")["mean"] for n in (name, than)}
    out = pd.DataFrame({name: gains[name], than: gains[than]})
    return out.assign(ratio=(out[than] / out[name].where(out[name] != 0))).rename_axis("method").reset_index()


def _reference(name: str) -> dict:
    ref = reference.load(name)
    if ref is None:
        raise FileNotFoundError(f"No `{name}` reference run under results/reference: "
                                f"python -m var.bench reference {name}.")
    return ref


def similarity_table(summary: pd.DataFrame, index=("method", "var")) -> pd.DataFrame:
    """The sanity check's mean similarity per metric (columns) and, once, how many maps had none (empty maps:
    ``n_nan`` is the same for every similarity metric), from a :func:`~var.benchmarks.summarize` table.
    """
    index = list(index)
    table = summary.pivot_table(index=index, columns="metric", values="mean", dropna=False).round(3) + 0.0  # no -0.000
    table.columns.name = "mean similarity"
    empty = summary.pivot_table(index=index, columns="metric", values="n_nan").max(axis=1)
    return table.assign(**{"empty maps": empty.astype(int)})


def by_model_gains(table: pd.DataFrame, metric: str, methods=PAPER_FIVE) -> pd.DataFrame:
    """Per model of a multi-model results table: VAR - vanilla of ``metric`` averaged over ``methods`` per unit,
    with its 95% interval over units (``model``, ``mean``, ``ci95_low``, ``ci95_high``, ``n``).
    """
    rows = []
    for model, part in table[table["method"].isin(methods)].groupby("model"):
        diffs = claims.paired_differences(part, metric, None)
        mean, low, high, n = claims.interval(diffs.groupby("unit")["diff"].mean().to_numpy())
        rows.append({"model": model, "mean": mean, "ci95_low": low, "ci95_high": high, "n": n})
    return pd.DataFrame(rows)
