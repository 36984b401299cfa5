"""What the sweep runs show: how VAR's gain moves with its settings, and whether VAR beats its controls.

Reads the tables of :mod:`var.benchmarks.sweep` (``results/reference/sweep-grid``, ``sweep-coco``,
``sweep-intervention``, ``sweep-sanity``, ``sweep-insertion``):

* :func:`settings_summary`: per setting (t, tau, scale, softmax) and method, VAR's mean, its paired difference
  from vanilla per unit with a 95% interval, and the share of elements kept; :func:`sensitivity` says where the
  paper's setting sits among them;
* :func:`controls`: the claims table of the controls ("does VAR beat a matched control?"), with the same
  verdicts and Holm correction as :func:`var.report.claims.check`;
* :func:`class_set_table`: VAR with the benchmark's class set against other class sets (sanity, intervention,
  insertion).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..benchmarks.sweep import PAPER_SETTING
from ..benchmarks.table import NO_RULE, randomised
from ..core.protocol import PAPER_FIVE, VERDICT_RULE
from .claims import ALPHA, OURS, Claim, check, interval, paired_differences

__all__ = ["VERSUS", "SETTING", "settings_summary", "sensitivity", "control_tables", "control_counts",
           "CONTROL_CLAIMS", "controls", "is_paper", "class_set_table", "SCORE"]

#: The column of :func:`controls` with the estimate (VAR - control averaged over methods, 95% interval).
VERSUS = "VAR - control, avg over methods [95% CI]"
#: The columns that name a setting of the sweep.
SETTING = list(PAPER_SETTING)
#: The metrics the sweep pages show, with the binarisation each is read under.
_RULE = {"ra": NO_RULE, "class_cosine": NO_RULE, "kept": NO_RULE}


#: The metric each sweep run's controls and class sets are judged by, and whether higher is better.
SCORE = {"grid": ("ra", True), "coco": ("ra", True), "intervention": ("selectivity", True),
         "sanity": ("spearman_abs", False), "insertion": ("sic", True)}


def _rows(table: pd.DataFrame, metric: str, rule: str = VERDICT_RULE) -> pd.DataFrame:
    """A metric's rows: under its rule where the table binarises, of randomised networks where it has them."""
    rows = table[table["metric"] == metric]
    if "binarize" in rows.columns:
        rows = rows[rows["binarize"] == _RULE.get(metric, rule)]
    return randomised(rows) if "fraction" in rows.columns else rows


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

    Items of a unit are averaged first (they share an image; on sanity units, the randomised networks' fractions
    too); the row ``method == "average"`` averages the methods per unit before the interval. ``n`` counts the
    units with a value (an empty map has no rank correlation).
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
                                                 diff=("diff", "mean"), sd=("diff", "std"), n=("diff", "count"),
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


def control_tables(sweep: pd.DataFrame, on: str) -> dict[str, pd.DataFrame]:
    """Each control as a VAR-vs-control table (``var`` True: VAR at the paper's setting, False: the control),
    keyed ``"{on}: {control}"``, so that :func:`var.report.claims.check` tests "VAR beats the control".
    """
    paper = sweep[is_paper(sweep)]
    tables = {}
    for control in ("matched", "random_k"):
        tables[f"{on}: {control}"] = pd.concat([paper, sweep[sweep["variant"] == control].assign(var=False)])
    cgi = sweep[sweep["method"] == "cgi"].assign(method="input_x_gradient", var=False)
    if len(cgi):
        tables[f"{on}: cgi"] = pd.concat([paper[paper["method"] == "input_x_gradient"], cgi])
    contrastive = sweep[(sweep["method"] == "contrastive_gradient") & (sweep["variant"] == "vanilla")]
    tables[f"{on}: contrastive"] = pd.concat(
        [paper] + [contrastive.assign(method=m) for m in paper["method"].unique()])
    tables[f"{on}: vanilla"] = pd.concat([paper, sweep[sweep["variant"] == "vanilla"]])
    return tables


def _control_claims(on: str) -> tuple[Claim, ...]:
    metric, higher = SCORE[on]
    score = (metric, NO_RULE if on in ("grid", "coco") else None)  # RA reads the map itself, no rule
    direction = +1 if higher else -1
    cos = ("class_cosine", NO_RULE)
    does = {"grid": "localises better", "coco": "localises better",
            "intervention": "deletes more selectively (own class's drop minus the other's)",
            "sanity": "loses more similarity when the network is randomised (fractions > 0 averaged)",
            "insertion": "restores the label's softmax from fewer bits (SIC)"}[on]
    spec = [
        ("matched", f"VAR {does} than the vanilla map kept to VAR's sparsity (its largest |H|)", score, direction,
         "the gain is plain sparsification: the top of the vanilla map does as well"),
        ("random_k", f"VAR {does} with the relevant classes in K than with random ones", score, direction,
         "random competitors work as well: the effect is not about the relevant classes"),
        ("cgi", f"VAR on input x gradient {does} than CGI (competition among labels)", score, direction,
         "winner-takes-all among labels does as well"),
        ("contrastive", f"VAR {does} than the contrastive gradient", score, direction,
         "the contrastive gradient's class contrast does as well"),
    ]
    if on in ("grid", "coco"):
        spec.insert(1, ("matched", "VAR's maps are more class-specific than the sparsity-matched vanilla maps", cos,
                        -1, "the sparse top of the vanilla map is as class-specific"))
        spec.append(("vanilla", "VAR's maps are more class-specific than vanilla maps (lower similarity between "
                     "classes)", cos, -1, "the classes' VAR maps overlap as much as the vanilla maps"))
    if on == "sanity":
        spec = [c for c in spec if c[0] != "cgi"]  # not in the sanity sweep (100 competitors on every network)
    where = "ours (issue 21)"
    return tuple(Claim(claim, where, "not in the paper", f"{on}: {control}", metric, direction, "every method",
                       binarize, why_not)
                 for control, claim, (metric, binarize), direction, why_not in spec)


#: The control claims per sweep run.
CONTROL_CLAIMS = {on: _control_claims(on) for on in SCORE}


def controls(sweeps: dict[str, pd.DataFrame | None], methods=PAPER_FIVE) -> pd.DataFrame:
    """The controls' claims table: each control claim per sweep run, with verdicts (and Holm across them).

    Args:
        sweeps: an ``on`` of :data:`SCORE` -> the sweep run's table (None: not run).
        methods: the methods compared (CGI is compared with input x gradient only).
    """
    tables, claims = {}, []
    for on, table in sweeps.items():
        if table is not None:
            tables.update(control_tables(table, on))
            claims += [c for c in CONTROL_CLAIMS[on] if c.benchmark in tables]
    if not claims:
        return pd.DataFrame(columns=["claim", VERSUS, "methods with the claimed sign", "n", "verdict",
                                     "verdict, Holm", "likely reason", "on"])
    out = check(tables, methods=methods, claims=claims).rename(columns={OURS: VERSUS})
    return out.drop(columns=["where", "paper", "under other rules"]).assign(
        on=[c.benchmark.split(":")[0] for c in claims])


def class_set_table(sweep: pd.DataFrame, on: str, methods=PAPER_FIVE) -> pd.DataFrame:
    """VAR at the paper's setting with the benchmark's K against each other class set of the run: per set, the
    mean of (other set - benchmark's K) per unit over the methods with its 95% interval, and per method.

    Args:
        sweep: a sweep run's table with ``class_set`` rows (sanity, intervention, insertion).
        on: its ``on`` (says the metric, :data:`SCORE`).
        methods: the methods compared.
    """
    metric, higher = SCORE[on]
    paper = sweep[is_paper(sweep) & sweep["method"].isin(methods)].assign(var=False)
    others = sweep[(sweep["variant"] == "class_set") & sweep["method"].isin(methods)]
    rows = []
    for name, group in others.groupby("class_set"):
        diffs = paired_differences(pd.concat([paper, group.assign(var=True)]), metric)
        average = diffs.groupby("unit")["diff"].mean().to_numpy()
        mean, low, high, n = interval(average)
        row = {"class set": name, f"{metric}: set - the benchmark's K [95% CI]":
               f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]", "n": n, "better than K": _side(low, high, higher)}
        row.update({m: round(float(d["diff"].mean()), 3) for m, d in diffs.groupby("method")})
        rows.append(row)
    return pd.DataFrame(rows)


def _side(low: float, high: float, higher_is_better: bool) -> str:
    if low > 0 or high < 0:
        return "yes" if (low > 0) == higher_is_better else "no"
    return "cannot tell"


def control_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per benchmark of a :func:`controls` table: its units (``n``), how many of its claims hold, do not hold or
    cannot be told, and the claims that hold (``held``, a list).
    """
    rows = []
    for on, part in table.groupby("on", sort=False):
        counts = part["verdict"].value_counts()
        rows.append({"on": on, "n": part["n"].iloc[0],
                     **{v: int(counts.get(v, 0)) for v in ("holds", "does not hold", "cannot tell")},
                     "held": list(part.loc[part["verdict"] == "holds", "claim"])})
    return pd.DataFrame(rows)
