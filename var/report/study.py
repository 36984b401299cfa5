"""Beyond the claims table: does each claim hold for the 18 study methods, what VAR costs over one map, which
methods' effects are largest, which methods repeat another's rows, and the COCO claims by kind of image.
"""

from __future__ import annotations

import pandas as pd

from ..benchmarks.table import NO_RULE
from ..core.protocol import PAPER_FIVE
from .claims import CLAIMS, OURS, VERDICTS, Claim, by_method, check, interval, paired_differences, verdict

__all__ = ["generalise", "generalise_grid", "overhead", "largest_effects", "same_results", "coco_by_objects"]


def generalise(tables: dict[str, pd.DataFrame | None], claims=CLAIMS) -> pd.DataFrame:
    """Does it generalise? Each claim per method of the 18-method study runs, with the method's family.

    Args:
        tables: reference-run name -> results table; the study runs are ``methods-<benchmark>``
            (:data:`var.benchmarks.reference.REFERENCE`). Claims whose benchmark has no study run are left out.
        claims: the claims to check.

    Returns:
        One row per claim and method (and per value, for a claim made ``per`` value: the sanity claim has a test
        per fraction): claim, test (benchmark, metric, rule or fraction), method, family, mean VAR - vanilla,
        95% interval, n and the method's verdict (the interval on the claimed side: ``holds``; on the other
        side: ``does not hold``; else ``cannot tell``).
    """
    from ..core import registry

    frames = []
    for claim in claims:
        table = tables.get(f"methods-{claim.benchmark}")
        if table is None or not len(table):
            continue
        per = by_method(paired_differences(table, claim.metric, claim.binarize, claim.per), claim.direction)
        if not len(per):
            continue
        name = _test_name(claim)
        tests = [f"{name} at {claim.per} {v:g}" for v in per[claim.per]] if claim.per else name
        frames.append(per.assign(claim=claim.claim, test=tests, verdict=per["interval"].map(VERDICTS)))
    columns = ["claim", "test", "method", "family", "mean", "ci95_low", "ci95_high", "n", "verdict"]
    if not frames:
        return pd.DataFrame(columns=columns)
    result = pd.concat(frames, ignore_index=True)
    result["family"] = [registry.get(m).family for m in result["method"]]
    return result[columns]


def _test_name(claim: Claim) -> str:
    """A short column name for a claim: benchmark, metric and, for binarised metrics, the rule."""
    rule = f" ({claim.binarize})" if claim.binarize not in (None, NO_RULE) else ""
    return f"{claim.benchmark} {claim.metric}{rule}"


def generalise_grid(result: pd.DataFrame) -> pd.DataFrame:
    """:func:`generalise` as a grid: one row per method (by family), one column per test, the verdict in
    each cell, and a last row counting, per test, the methods for which the claim holds.
    """
    from ..core.registry import FAMILIES

    grid = result.pivot(index=["family", "method"], columns="test", values="verdict")
    grid = grid.reindex(columns=list(dict.fromkeys(result["test"])))  # the claims' order
    order = sorted(grid.index, key=lambda key: (FAMILIES.index(key[0]), key[1]))
    grid = grid.loc[order].fillna("no pairs")  # no pairs: every map of the method empty (no rank correlation)
    counts = {test: f"{(grid[test] == 'holds').sum()} of {len(grid)}" for test in grid.columns}
    return pd.concat([grid, pd.DataFrame(counts, index=pd.MultiIndex.from_tuples([("all", "holds for")]))])


def overhead(scaling: pd.DataFrame, k: int = 4) -> pd.DataFrame:
    """"Little computational overhead", measured: what VAR costs beyond one class's vanilla map.

    VAR needs the maps of all |K| classes, then its own steps (softmax across classes, the keep mask).

    Args:
        scaling: a cost folder's ``scaling.csv`` (``python -m var.bench cost``) with |K| = 1 and ``k`` rows and
            the VAR steps' row (:data:`var.perf.cost.VAR_STEPS`).
        k: the class-set size to compare.

    Returns:
        One row per method: seconds of one map, of ``k`` maps, of the VAR steps, and the ratio
        (``k`` maps + VAR steps) / one map; empty if the table lacks the rows.
    """
    from ..perf.cost import VAR_STEPS

    steps = scaling.loc[scaling["method"] == VAR_STEPS, "seconds"]
    maps = scaling[(scaling["method"] != VAR_STEPS) & (scaling["steps"].isna() | (scaling["steps"] == 16))]
    rows = []
    for method, part in maps.groupby("method"):
        seconds = part.groupby("K")["seconds"].median()  # IG at |K| = 4, 16 steps is timed in both sweeps
        if len(steps) and {1, k} <= set(seconds.index):
            label = method + (" (16 steps)" if part["steps"].notna().any() else "")
            rows.append({"method": label, "s, one map": seconds[1], f"s, {k} maps": seconds[k],
                         "s, VAR steps": float(steps.iloc[0]),
                         "VAR / one map": (seconds[k] + float(steps.iloc[0])) / seconds[1]})
    return pd.DataFrame(rows)


def largest_effects(table: pd.DataFrame, named, metric: str, direction: int, methods=PAPER_FIVE,
                    binarize: str | None = None) -> pd.DataFrame:
    """"VAR's effect is most pronounced for <named>", tested: each named method's effect against each other's.

    The effect of a method is VAR - vanilla per unit (:func:`paired_differences`, fractions averaged); per
    unit the effect of a named method minus that of another, times ``direction`` (the side VAR improves),
    is positive where the named method gains more.

    Args:
        table: a results table.
        named: the methods the claim says gain most.
        metric: the metric; direction: +1 if VAR's improvement raises it, -1 if it lowers it.
        methods: the methods compared.
        binarize: the binarisation rule (localisation metrics).

    Returns:
        One row per (named, other) pair: mean, 95% interval, n units and the verdict of "named gains more".
    """
    diffs = paired_differences(table[table["method"].isin(methods)], metric, binarize)
    wide = diffs.pivot(index="unit", columns="method", values="diff")
    rows = []
    for a in named:
        for b in (m for m in wide.columns if m not in named):
            values = (direction * (wide[a] - wide[b])).dropna().to_numpy()
            mean, low, high, n = interval(values)
            rows.append({"named": a, "other": b, "mean": mean, "ci95_low": low, "ci95_high": high, "n": n,
                         "verdict": verdict(low, high, +1)})
    return pd.DataFrame(rows)


def same_results(table: pd.DataFrame, tol: float = 1e-4) -> dict[str, str]:
    """Methods whose every row equals an earlier method's (to ``tol``): method -> the method it repeats.

    Binarised rows are left out (a last-digit difference can switch a pixel there). On a network whose
    attributed layer feeds a global average pool and a linear layer (EfficientNet-Lite's GradCAM layer), the
    class gradient is constant across the layer's positions, so HiResCAM's and XGradCAM's maps equal GradCAM's;
    and Captum's DeepLift applies its rescale rule to modules of exactly the types it lists, so on a network
    without them (Lite's ReLU6) it is Input x Gradient. Such methods are one method there, not independent
    evidence.
    """
    if "binarize" in table.columns:  # a float difference can switch a binarised pixel: compare the rest
        table = table[table["binarize"].isna() | (table["binarize"] == NO_RULE)]
    keys = [c for c in ("unit", "item", "target", "var", "metric", "fraction") if c in table.columns]
    wide = table.pivot_table(index=keys, columns="method", values="value", aggfunc="first")
    repeats = {}
    for i, method in enumerate(wide.columns):
        for earlier in wide.columns[:i]:
            if earlier not in repeats and ((wide[method] - wide[earlier]).abs().max() <= tol):
                repeats[method] = earlier
                break
    return repeats


def coco_by_objects(table: pd.DataFrame) -> pd.DataFrame:
    """The COCO claims on single-object images (K gains the least probable class) and on several-object images
    (K = the targets) apart: where the verdicts differ, they rest on the added class.

    Args:
        table: a COCO run's results table.

    Returns:
        One row per (claim, kind of image): our estimate, n and the verdict.
    """
    objects = table.groupby("unit")["item"].transform("nunique")
    coco_claims = [c for c in CLAIMS if c.benchmark == "coco"]
    kinds = {"one object (+ least probable class)": objects == 1, "several objects (K = the targets)": objects > 1}
    split = pd.concat([check({"coco": table[rows]}, claims=coco_claims)
                       .assign(images=kind)[["images", "claim", OURS, "n", "verdict"]]
                       for kind, rows in kinds.items()])
    return split.sort_values(["claim", "images"]).reset_index(drop=True)
