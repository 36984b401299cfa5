"""What the sweep runs show: how VAR's gain moves with its settings, and whether VAR beats its controls.

Reads the tables of :mod:`var.benchmarks.sweep` (``results/reference/sweep-grid`` and ``sweep-coco``):

* :func:`settings_summary`: per setting (t, tau, scale, softmax) and method, VAR's mean, its paired difference
  from vanilla per unit with a 95% interval, and the share of elements kept; :func:`sensitivity` says where the
  paper's setting sits among them;
* :func:`controls`: the claims table of the controls ("does VAR beat a matched control?"), with the same
  verdicts and Holm correction as :func:`var.report.claims.check`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..benchmarks.sweep import PAPER_SETTING
from ..benchmarks.table import NO_RULE
from ..core.protocol import PAPER_FIVE, VERDICT_RULE
from .claims import ALPHA, OURS, Claim, check

__all__ = ["VERSUS", "SETTING", "settings_summary", "sensitivity", "sensitivity_text", "control_tables",
           "CONTROL_CLAIMS", "controls", "is_paper"]

#: The column of :func:`controls` with the estimate (VAR - control averaged over methods, 95% interval).
VERSUS = "VAR - control, avg over methods [95% CI]"
#: The columns that name a setting of the sweep.
SETTING = list(PAPER_SETTING)
#: The metrics the sweep pages show, with the binarisation each is read under.
_RULE = {"ra": NO_RULE, "class_cosine": NO_RULE, "kept": NO_RULE}


def _rows(table: pd.DataFrame, metric: str, rule: str = VERDICT_RULE) -> pd.DataFrame:
    rows = table[table["metric"] == metric]
    return rows[rows["binarize"] == _RULE.get(metric, rule)]


def is_paper(rows: pd.DataFrame) -> pd.Series:
    """Which rows are VAR at the paper's setting."""
    keep = rows["variant"] == "var"
    for column, value in PAPER_SETTING.items():
        keep &= rows[column] == value
    return keep


def _per_unit(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    return rows.groupby(keys + ["unit"], dropna=False)["value"].mean()


def settings_summary(table: pd.DataFrame, metric: str, methods=PAPER_FIVE) -> pd.DataFrame:
    """Per setting and method: VAR's mean, mean VAR - vanilla per unit with its 95% interval, n, and kept share.

    Items of a unit are averaged first (they share an image); the row ``method == "average"`` averages the
    methods per unit before the interval.
    """
    rows = _rows(table, metric)
    rows = rows[rows["method"].isin(methods)]
    var = _per_unit(rows[rows["variant"] == "var"], ["method", *SETTING]).rename("var")
    vanilla = _per_unit(rows[rows["variant"] == "vanilla"], ["method"]).rename("vanilla")
    kept = _per_unit(_rows(table, "kept")[lambda r: (r["variant"] == "var") & r["method"].isin(methods)],
                     ["method", *SETTING]).rename("kept")
    units = var.reset_index().merge(vanilla.reset_index(), on=["method", "unit"]).merge(
        kept.reset_index(), on=["method", *SETTING, "unit"])
    units["diff"] = units["var"] - units["vanilla"]
    average = units.groupby([*SETTING, "unit"], as_index=False)[["var", "vanilla", "diff", "kept"]].mean()
    units = pd.concat([units, average.assign(method="average")], ignore_index=True)
    out = units.groupby(["method", *SETTING]).agg(var=("var", "mean"), vanilla=("vanilla", "mean"),
                                                 diff=("diff", "mean"), sd=("diff", "std"), n=("diff", "size"),
                                                 kept=("kept", "mean")).reset_index()
    half = stats.t.ppf(1 - ALPHA / 2, (out["n"] - 1).clip(lower=1)) * out["sd"] / np.sqrt(out["n"])
    out["ci95_low"], out["ci95_high"] = out["diff"] - half, out["diff"] + half
    return out.drop(columns="sd")


def sensitivity(summary: pd.DataFrame, higher_is_better: bool = True) -> dict:
    """Where the paper's setting sits among the sweep's settings, on the methods' average.

    Returns a record: ``paper`` (its mean VAR - vanilla and kept share), ``rank`` (1 = best) of ``settings``,
    ``best`` (the best setting and its numbers), and ``better`` (how many settings have an interval wholly above
    the paper's mean, i.e. beat it clearly).
    """
    avg = summary[summary["method"] == "average"].copy()
    sign = 1 if higher_is_better else -1
    avg["score"] = sign * avg["diff"]
    avg = avg.sort_values("score", ascending=False).reset_index(drop=True)
    paper = avg[is_paper(avg.assign(variant="var"))].iloc[0]
    best = avg.iloc[0]
    bound = avg["ci95_low"] if higher_is_better else -avg["ci95_high"]
    return {"paper": {"diff": paper["diff"], "kept": paper["kept"]},
            "rank": int(avg.index[is_paper(avg.assign(variant="var"))][0]) + 1, "settings": len(avg),
            "best": {**{c: best[c] for c in SETTING}, "diff": best["diff"], "kept": best["kept"]},
            "better": int((bound > sign * paper["diff"]).sum())}


def sensitivity_text(summary: pd.DataFrame, label: str, on: str, higher_is_better: bool = True) -> str:
    """One Markdown bullet saying where the paper's setting sits (:func:`sensitivity`), for the sweep page."""
    s = sensitivity(summary, higher_is_better)
    best = s["best"]
    return (f"* **{label}** ({on}): at the paper's setting VAR − vanilla averages {s['paper']['diff']:+.3f} over the "
            f"methods, keeping {s['paper']['kept']:.1%} of the elements; it ranks {s['rank']} of {s['settings']} "
            f"settings. The best is t = {best['temperature']:g}, τ = {best['tau']:g}, {best['scale']}, "
            f"{best['softmax']} ({best['diff']:+.3f}, keeping {best['kept']:.1%}); {s['better']} setting(s) beat "
            f"the paper's mean with their whole interval.")


def control_tables(sweep: pd.DataFrame, on: str) -> dict[str, pd.DataFrame]:
    """Each control as a VAR-vs-control table (``var`` True: VAR at the paper's setting, False: the control),
    keyed ``"{on}: {control}"``, so that :func:`var.report.claims.check` tests "VAR beats the control".
    """
    paper = sweep[is_paper(sweep)]
    tables = {}
    for control in ("matched", "random_k"):
        tables[f"{on}: {control}"] = pd.concat([paper, sweep[sweep["variant"] == control].assign(var=False)])
    cgi = sweep[sweep["method"] == "cgi"].assign(method="input_x_gradient", var=False)
    tables[f"{on}: cgi"] = pd.concat([paper[paper["method"] == "input_x_gradient"], cgi])
    contrastive = sweep[(sweep["method"] == "contrastive_gradient") & (sweep["variant"] == "vanilla")]
    tables[f"{on}: contrastive"] = pd.concat(
        [paper] + [contrastive.assign(method=m) for m in paper["method"].unique()])
    tables[f"{on}: vanilla"] = pd.concat([paper, sweep[sweep["variant"] == "vanilla"]])
    return tables


def _control_claims(on: str) -> tuple[Claim, ...]:
    ra, cos = ("ra", NO_RULE), ("class_cosine", NO_RULE)
    spec = [
        ("matched", "VAR localises better than the vanilla map kept to VAR's sparsity (its largest |H|)", ra, +1,
         "every method", "the gain is plain sparsification: the top of the vanilla map localises as well"),
        ("matched", "VAR's maps are more class-specific than the sparsity-matched vanilla maps", cos, -1,
         "every method", "the sparse top of the vanilla map is as class-specific"),
        ("random_k", "VAR localises better with the relevant classes in K than with random ones", ra, +1,
         "every method", "random competitors work as well: the effect is not about the relevant classes"),
        ("cgi", "VAR on input x gradient localises better than CGI (competition among labels)", ra, +1,
         "every method", "winner-takes-all among labels does as well"),
        ("contrastive", "VAR localises better than the contrastive gradient", ra, +1, "every method",
         "the contrastive gradient's class contrast does as well"),
        ("vanilla", "VAR's maps are more class-specific than vanilla maps (lower similarity between classes)",
         cos, -1, "every method", "the classes' VAR maps overlap as much as the vanilla maps"),
    ]
    where = "ours (issue 21)"
    return tuple(Claim(claim, where, "not in the paper", f"{on}: {control}", metric, direction, scope,
                       binarize, why_not)
                 for control, claim, (metric, binarize), direction, scope, why_not in spec)


#: The control claims per sweep run (``grid``, ``coco``).
CONTROL_CLAIMS = {on: _control_claims(on) for on in ("grid", "coco")}


def controls(sweeps: dict[str, pd.DataFrame | None], methods=PAPER_FIVE) -> pd.DataFrame:
    """The controls' claims table: each control claim per sweep run, with verdicts (and Holm across them).

    Args:
        sweeps: ``"grid"`` / ``"coco"`` -> the sweep run's table (None: not run).
        methods: the methods compared (CGI is compared with input x gradient only).
    """
    tables, claims = {}, []
    for on, table in sweeps.items():
        if table is not None:
            tables.update(control_tables(table, on))
            claims += CONTROL_CLAIMS[on]
    if not claims:
        return pd.DataFrame(columns=["claim", VERSUS, "methods with the claimed sign", "n", "verdict",
                                     "verdict, Holm", "likely reason", "on"])
    out = check(tables, methods=methods, claims=claims).rename(columns={OURS: VERSUS})
    return out.drop(columns=["where", "paper", "under other rules"]).assign(
        on=[c.benchmark.split(":")[0] for c in claims])
