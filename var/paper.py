"""The paper's reported numbers, for "paper vs ours" tables.

Transcribed from Walter, Vreeken & Fischer, "Now you see me!", Table 1
(localisation, ResNet50, Quad-ImageNet and COCO) and Table 2 (insertion SIC and
AIC, ResNet50 and ViT-B/16). Method names follow ``var.METHODS``.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["localisation_table", "insertion_table"]

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
# method: (SIC ResNet50, SIC ViT, AIC ResNet50, AIC ViT) for vanilla, then VAR
_TABLE2 = {
    "gradcam": ((0.73, 0.54, 0.76, 0.56), (0.74, 0.51, 0.78, 0.52)),
    "guided_backprop": ((0.63, 0.46, 0.68, 0.48), (0.65, 0.46, 0.70, 0.48)),
    "guided_gradcam": ((0.69, 0.58, 0.73, 0.62), (0.70, 0.52, 0.74, 0.54)),
    "input_x_gradient": ((0.52, 0.56, 0.56, 0.59), (0.53, 0.51, 0.57, 0.53)),
    "integrated_gradients": ((0.56, 0.55, 0.60, 0.57), (0.57, 0.55, 0.61, 0.57)),
}


def localisation_table(dataset: str = "grid") -> pd.DataFrame:
    """Table 1, ResNet50: columns method, var, metric, paper (dataset ``grid`` or ``coco``)."""
    offset = {"grid": 0, "coco": 2}[dataset]
    rows = []
    for method, blocks in _TABLE1_RESNET50.items():
        for is_var in (False, True):
            for metric, value in zip(_METRICS, blocks[offset + is_var]):
                rows.append({"method": method, "var": is_var, "metric": metric, "paper_resnet50": value})
    return pd.DataFrame(rows)


def insertion_table() -> pd.DataFrame:
    """Table 2: columns method, var, metric (sic/aic), paper_resnet50, paper_vit."""
    rows = []
    for method, blocks in _TABLE2.items():
        for is_var, (sic_r, sic_v, aic_r, aic_v) in zip((False, True), blocks):
            rows.append({"method": method, "var": is_var, "metric": "sic", "paper_resnet50": sic_r, "paper_vit": sic_v})
            rows.append({"method": method, "var": is_var, "metric": "aic", "paper_resnet50": aic_r, "paper_vit": aic_v})
    return pd.DataFrame(rows)


def side_by_side(summary: pd.DataFrame, paper: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """Our summary (``var.benchmarks.summarize``) next to the paper's numbers, one row per method x var x metric."""
    ours = summary if model is None else summary[summary["model"] == model]
    ours = ours[["method", "var", "metric", "mean", "ci95_low", "ci95_high", "n"]].rename(columns={"mean": "ours"})
    table = paper.merge(ours, on=["method", "var", "metric"], how="outer")
    return table.sort_values(["metric", "method", "var"]).reset_index(drop=True)
