"""The paper's reported numbers, for "paper vs ours" tables.

Transcribed from Walter, Vreeken & Fischer, "Now you see me!", Table 1
(localisation, ResNet50, Quad-ImageNet and COCO), Table 2 (insertion SIC and
AIC, ResNet50 and ViT-B/16) and Tables 3-4 (SIC and AIC of all six
architectures). Method names follow ``var.METHODS``. (Table 5, localisation on
the other architectures, is not transcribed: in the text we have, its rows
are not reliably aligned with their architectures.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..benchmarks.table import METRICS, NO_RULE

__all__ = ["localisation_table", "insertion_table", "architectures_table", "architecture_gains", "avg_change_check",
           "compact"]

_METRICS = ("ra", "iou", "precision", "recall", "f1")
# method: (vanilla Quad-ImageNet, VAR Quad-ImageNet, vanilla COCO, VAR COCO), each RA IoU Prec Recall F1
_TABLE1_RESNET50 = {
    "gradcam": ((0.72, 0.41, 0.42, 0.98, 0.57), (0.91, 0.71, 0.81, 0.86, 0.81),
                (0.15, 0.09, 0.09, 1.00, 0.15), (0.18, 0.11, 0.12, 0.76, 0.17)),
    "guided_backprop": ((0.35, 0.20, 0.25, 0.47, 0.32), (0.89, 0.31, 0.83, 0.33, 0.46),
                        (0.15, 0.09, 0.09, 1.00, 0.15), (0.22, 0.12, 0.17, 0.45, 0.18)),
    "guided_gradcam": ((0.75, 0.26, 0.39, 0.45, 0.41), (0.92, 0.28, 0.84, 0.29, 0.42),
                       (0.20, 0.09, 0.09, 0.99, 0.15), (0.26, 0.13, 0.20, 0.42, 0.20)),
    "input_x_gradient": ((0.40, 0.20, 0.25, 0.50, 0.33), (0.56, 0.22, 0.29, 0.49, 0.36),
                         (0.12, 0.09, 0.09, 1.0, 0.15), (0.14, 0.09, 0.09, 0.99, 0.15)),
    "integrated_gradients": ((0.42, 0.21, 0.26, 0.51, 0.34), (0.58, 0.22, 0.28, 0.50, 0.36),
                             (0.13, 0.09, 0.09, 1.00, 0.15), (0.15, 0.09, 0.09, 1.00, 0.15)),
}
# Table 1's "avg. change" row (RA IoU Prec Recall F1), Quad-ImageNet then COCO
_TABLE1_AVG_CHANGE = {"grid": (0.24, 0.13, 0.31, -0.09, 0.11), "coco": (0.04, 0.02, 0.04, -0.12, 0.02)}
# method: (SIC ResNet50, SIC ViT, AIC ResNet50, AIC ViT) for vanilla, then VAR
_TABLE2 = {
    "gradcam": ((0.73, 0.54, 0.76, 0.56), (0.74, 0.51, 0.78, 0.52)),
    "guided_backprop": ((0.63, 0.46, 0.68, 0.48), (0.65, 0.46, 0.70, 0.48)),
    "guided_gradcam": ((0.69, 0.58, 0.73, 0.62), (0.70, 0.52, 0.74, 0.54)),
    "input_x_gradient": ((0.52, 0.56, 0.56, 0.59), (0.53, 0.51, 0.57, 0.53)),
    "integrated_gradients": ((0.56, 0.55, 0.60, 0.57), (0.57, 0.55, 0.61, 0.57)),
}


_ARCHS = ("resnet50", "vit_b_16", "vgg16", "wide_resnet50_2", "densenet121", "convnext_tiny")
# Tables 3 (SIC) and 4 (AIC): method -> (vanilla, VAR), each over _ARCHS
_TABLE3 = {
    "integrated_gradients": ((0.56, 0.55, 0.55, 0.57, 0.55, 0.47), (0.57, 0.55, 0.54, 0.57, 0.56, 0.47)),
    "guided_backprop": ((0.63, 0.46, 0.56, 0.64, 0.62, 0.46), (0.65, 0.46, 0.57, 0.66, 0.64, 0.44)),
    "input_x_gradient": ((0.52, 0.56, 0.51, 0.53, 0.51, 0.46), (0.53, 0.51, 0.51, 0.53, 0.51, 0.44)),
    "guided_gradcam": ((0.69, 0.58, 0.54, 0.69, 0.65, 0.62), (0.70, 0.52, 0.54, 0.70, 0.62, 0.51)),
    "gradcam": ((0.73, 0.54, 0.52, 0.72, 0.64, 0.65), (0.74, 0.51, 0.52, 0.72, 0.62, 0.64)),
}
_TABLE4 = {
    "integrated_gradients": ((0.60, 0.57, 0.58, 0.61, 0.61, 0.64), (0.61, 0.57, 0.58, 0.62, 0.61, 0.64)),
    "guided_backprop": ((0.68, 0.48, 0.59, 0.70, 0.67, 0.62), (0.70, 0.48, 0.59, 0.71, 0.70, 0.52)),
    "input_x_gradient": ((0.56, 0.59, 0.54, 0.57, 0.57, 0.61), (0.57, 0.53, 0.55, 0.57, 0.57, 0.53)),
    "guided_gradcam": ((0.73, 0.62, 0.57, 0.74, 0.70, 0.81), (0.74, 0.54, 0.57, 0.74, 0.66, 0.53)),
    "gradcam": ((0.76, 0.56, 0.54, 0.77, 0.69, 0.85), (0.78, 0.52, 0.54, 0.77, 0.67, 0.84)),
}


def architectures_table(metric: str = "sic") -> pd.DataFrame:
    """Tables 3 (``sic``) and 4 (``aic``): columns method, var, then one column per architecture."""
    table = {"sic": _TABLE3, "aic": _TABLE4}[metric]
    rows = [{"method": method, "var": bool(is_var), **dict(zip(_ARCHS, values))}
            for method, pair in table.items() for is_var, values in enumerate(pair)]
    return pd.DataFrame(rows)


def architecture_gains() -> pd.DataFrame:
    """The range of VAR - vanilla over the five methods in Tables 3-4, per architecture and metric (``arch``,
    ``metric``, ``low``, ``high``, rounded as the tables are), so a page can say where the paper itself shows an
    insertion gain.
    """
    rows = []
    for arch in _ARCHS:
        for metric in ("sic", "aic"):
            table = architectures_table(metric).pivot_table(index="method", columns="var", values=arch)
            change = (table[True] - table[False]).round(2) + 0.0  # + 0.0: no "-0.00"
            rows.append({"arch": arch, "metric": metric, "low": change.min(), "high": change.max()})
    return pd.DataFrame(rows)


def localisation_table(dataset: str = "grid") -> pd.DataFrame:
    """Table 1, ResNet50: columns method, var, metric, paper (dataset ``grid`` or ``coco``)."""
    offset = {"grid": 0, "coco": 2}[dataset]
    rows = []
    for method, blocks in _TABLE1_RESNET50.items():
        for is_var in (False, True):
            for metric, value in zip(_METRICS, blocks[offset + is_var]):
                rows.append({"method": method, "var": is_var, "metric": metric, "paper_resnet50": value})
    return pd.DataFrame(rows)


def avg_change_check(tolerance: float = 0.015) -> pd.DataFrame:
    """Table 1's "avg. change" row against the mean VAR - vanilla of its own ResNet50 rows.

    The rows are given to two decimals (each VAR - vanilla difference off by up to 0.01 from rounding) and the
    average too (up to 0.005), so rounding alone moves stated - mean by at most 0.015.

    Args:
        tolerance: how far the stated average may be from the rows' mean before it is marked.

    Returns:
        One row per data set and metric: stated, rows' mean, stated - mean, and ``consistent``.
    """
    rows = []
    for dataset, stated in _TABLE1_AVG_CHANGE.items():
        table = localisation_table(dataset).pivot_table(index=["method", "metric"], columns="var",
                                                          values="paper_resnet50")
        change = (table[True] - table[False]).groupby("metric").mean()
        for metric, value in zip(_METRICS, stated):
            rows.append({"dataset": dataset, "metric": metric, "stated avg. change": value,
                         "mean of the rows": round(float(change[metric]), 3),
                         "stated - mean": round(value - float(change[metric]), 3) + 0.0,  # no -0.000
                         "consistent": abs(value - float(change[metric])) <= tolerance + 1e-9})
    return pd.DataFrame(rows)


def insertion_table() -> pd.DataFrame:
    """Table 2: columns method, var, metric (sic/aic), paper_resnet50, paper_vit."""
    rows = []
    for method, blocks in _TABLE2.items():
        for is_var, (sic_r, sic_v, aic_r, aic_v) in zip((False, True), blocks):
            rows.append({"method": method, "var": is_var, "metric": "sic", "paper_resnet50": sic_r, "paper_vit": sic_v})
            rows.append({"method": method, "var": is_var, "metric": "aic", "paper_resnet50": aic_r, "paper_vit": aic_v})
    return pd.DataFrame(rows)


def compact(summary: pd.DataFrame, paper: pd.DataFrame, metrics, paper_column: str = "paper_resnet50",
            digits: int = 2) -> pd.DataFrame:
    """One row per method; per metric the paper's "vanilla → VAR" and ours with 95% CIs and n.

    Args:
        summary: our summary (``var.benchmarks.summarize``) of one model, one binarisation rule.
        paper: a table of this module (``localisation_table``, ``insertion_table``).
        metrics: the metrics to show, in order.
        paper_column: which of the paper's columns to show.
        digits: rounding.
    """
    def cell(frame, method, metric, value="mean", ci=False):
        rows = frame[(frame["method"] == method) & (frame["metric"] == metric)].set_index("var")
        if len(rows) < 2:
            return "–"
        a, b = (rows.loc[v, value] for v in (False, True))
        text = f"{a:.{digits}f} → {b:.{digits}f}"
        if ci:
            n, low, high = int(rows.loc[True, "n"]), rows.loc[True, "ci95_low"], rows.loc[True, "ci95_high"]
            lower, upper = METRICS[metric].bounds if metric in METRICS else (-np.inf, np.inf)
            if n < 2 or not np.isfinite(high - low):
                text += f" (n={n}, no interval)"
            elif low <= lower or high >= upper:  # a few units: the t-interval reaches the range's end (or past it)
                text += f" ([{max(low, lower):.{digits}f}, {min(high, upper):.{digits}f}], clipped to the range, n={n})"
            else:
                text += f" (±{(high - low) / 2:.{digits}f}, n={n})"
        return text

    methods = [m for m in paper["method"].unique() if m in set(summary["method"])] + sorted(
        set(summary["method"]) - set(paper["method"]))
    table = {}
    for metric in metrics:
        table[(metric, "paper")] = [cell(paper, m, metric, paper_column) for m in methods]
        table[(metric, "ours")] = [cell(summary, m, metric, ci=True) for m in methods]
    return pd.DataFrame(table, index=pd.Index(methods, name="method"))


def binarization_fit(summary: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Which binarisation rule reproduces the paper's *vanilla* rows of Table 1.

    For each rule: our vanilla IoU, precision, recall, F1 (mean over the methods
    the paper reports) beside the paper's, and the mean absolute difference over
    methods and metrics (lower: the rule fits the paper better).
    """
    paper = localisation_table(dataset)
    paper = paper[~paper["var"] & (paper["metric"] != "ra")]
    ours = summary[~summary["var"].astype(bool) & summary["method"].isin(paper["method"])]
    rows = []
    for rule, group in ours[ours["binarize"] != NO_RULE].groupby("binarize"):
        merged = paper.merge(group, on=["method", "metric"])
        row = {"rule": rule}
        for metric, part in merged.groupby("metric", sort=False):
            row[f"{metric} ours"] = part["mean"].mean()
            row[f"{metric} paper"] = part["paper_resnet50"].mean()
        row["mean |ours - paper|"] = (merged["mean"] - merged["paper_resnet50"]).abs().mean()
        rows.append(row)
    return pd.DataFrame(rows).set_index("rule").sort_values("mean |ours - paper|")


def by_architecture(summary: pd.DataFrame, metric: str, paper: pd.DataFrame | None = None) -> pd.DataFrame:
    """One benchmark's metric per method x var, one column per model of ours, the paper's beside (Tables 3-5).

    Args:
        summary: our summary over several models (``var.benchmarks.summarize``).
        metric: the metric to tabulate.
        paper: the paper's table for it, with one column per architecture and no
            ``metric`` column (``architectures_table``), or with one (``localisation_table``).
    """
    ours = summary[summary["metric"] == metric].pivot_table(index=["method", "var"], columns="model",
                                                            values="mean")
    ours.columns = pd.MultiIndex.from_tuples([("ours", _short(c)) for c in ours.columns])
    if paper is None:
        return ours
    if "metric" in paper.columns:
        paper = paper[paper["metric"] == metric].drop(columns="metric")
    paper = paper.set_index(["method", "var"])
    paper.columns = pd.MultiIndex.from_tuples([("paper", _short(c.removeprefix("paper_"))) for c in paper.columns])
    return ours.join(paper, how="left")


def _short(model: str) -> str:
    """A model's name as a narrow column header (nine of them fit the page)."""
    return {"wide_resnet50_2": "wrn50-2", "convnext_tiny": "convnext-t", "vit_b_16": "vit-b/16"}.get(
        model, model.removeprefix("efficientnet_"))
