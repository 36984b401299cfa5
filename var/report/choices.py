"""Choices the paper leaves open, each shown with its effect on VAR - vanilla (the pages that use them call these).

* :func:`upsampling`: Guided GradCAM's CAM upsampled bilinearly (ours, as pytorch-grad-cam) or by nearest
  neighbour (Captum's default, which the paper says it uses), from the sweep runs;
* :func:`ties`: PIC insertion with ties broken in a seeded random order (ours) or PAIR's untouched
  ">= the quantile" rule, on the images both runs scored;
* :func:`networks`: the sanity check per independently re-initialised network, so the variance between random
  networks is visible (one network shared by all images cannot show it).

Each returns a small table of paired differences VAR - vanilla per unit with 95% intervals
(:func:`var.report.claims.interval`), so the same statistic as the claims page.
"""

from __future__ import annotations

import pandas as pd

from ..benchmarks.table import NO_RULE
from ..core.protocol import VERDICT_RULE
from .claims import interval, paired_differences, verdict
from .sweep import is_paper

__all__ = ["upsampling", "ties", "networks"]


def _row(values, direction: int = 1, **keys) -> dict:
    mean, low, high, n = interval(values)
    return {**keys, "VAR - vanilla": mean, "ci95_low": low, "ci95_high": high, "n": n,
            "verdict": verdict(low, high, direction)}


def upsampling(sweep: pd.DataFrame, metric: str = "ra") -> pd.DataFrame:
    """Guided GradCAM under each CAM upsampling: vanilla mean and VAR - vanilla (paper's setting) per unit."""
    rule = NO_RULE if metric in ("ra", "class_cosine") else VERDICT_RULE
    ggc = sweep[(sweep["method"] == "guided_gradcam") & (sweep["metric"] == metric) & (sweep["binarize"] == rule)]
    rows = []
    for mode, vanilla, var in (("bilinear (ours)", ggc[ggc["variant"] == "vanilla"], ggc[is_paper(ggc)]),
                               ("nearest (Captum)", ggc[(ggc["variant"] == "nearest") & ~ggc["var"]],
                                ggc[(ggc["variant"] == "nearest") & ggc["var"]])):
        pair = pd.concat([vanilla.assign(var=False), var.assign(var=True)])
        diffs = paired_differences(pair, metric)
        rows.append(_row(diffs["diff"].to_numpy(), upsampling=mode,
                         vanilla=vanilla.groupby("unit")["value"].mean().mean()))
    return pd.DataFrame(rows)


def ties(insertion: pd.DataFrame, quantile: pd.DataFrame, methods) -> pd.DataFrame:
    """SIC and AIC VAR - vanilla per method under each tie rule, on the images both runs scored."""
    rows = []
    for metric in ("sic", "aic"):
        units = set(insertion[insertion["metric"] == metric]["unit"]) & set(quantile[quantile["metric"] == metric]
                                                                            ["unit"])
        for rule, table in (("random order (ours)", insertion), (">= quantile (PAIR)", quantile)):
            shared = table[table["unit"].isin(units) & table["method"].isin(methods)]
            diffs = paired_differences(shared, metric)
            for method, group in diffs.groupby("method"):
                rows.append(_row(group["diff"].to_numpy(), metric=metric, ties=rule, method=method))
    return pd.DataFrame(rows)


def networks(sanity: pd.DataFrame, methods, metric: str = "spearman_abs") -> pd.DataFrame:
    """Per random network, method and fraction: VAR - vanilla of the similarity to the trained maps (lower:
    VAR passes better), so a verdict can be read per network.
    """
    rows = []
    table = sanity[sanity["method"].isin(methods)]
    for network, group in table.groupby("network"):
        diffs = paired_differences(group, metric, per="fraction")
        for (method, fraction), g in diffs.groupby(["method", "fraction"]):
            rows.append(_row(g["diff"].to_numpy(), -1, network=int(network), method=method, fraction=fraction))
    return pd.DataFrame(rows)
