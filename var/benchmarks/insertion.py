"""Insertion: Softmax and Accuracy Information Curves (paper Section 5.2, Table 2).

Per image: the model's centre crop as uint8, the target = the image's label;
K = the top-k classes plus the least probable one, with the target always in
(``k`` option, default 3). Each method's vanilla and VAR map for the target is
reduced to pixel importance (sum of |H| over channels), ties broken by a
seeded random permutation (:func:`var.benchmarks.pic.strict_ranking`; option ``ties``), and
scored with :func:`var.benchmarks.pic.pic_curves_many` (all maps of an
image at once: per-image work done once, model calls batched). Images PIC filters out
(low confidence, blurred image still classified) give no rows; the run's
``skipped`` rows count them.

Two aggregates (:func:`aggregate`): the mean of the per-image AUCs (with a 95%
CI) and PAIR's, the area under the pointwise median of the images' curves,
which is what the paper's SIC/AIC tables report (XRAI's evaluation code).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..core import class_sets
from ..core.checks import check_choice, check_float, check_int
from ..core.images import load_image
from . import table
from .base import BenchmarkOptions, ImageNetBenchmark, check_shares
from .metrics import is_empty
from .pic import THRESHOLDS, pic_curves_many, pic_filters, random_mask, strict_ranking
from .reproduce import Tolerance

#: How pixels of equal saliency enter PIC's restored image: ``random`` (ours: a seeded random order, so each
#: threshold restores its share of pixels even where a sparse VAR map ties at zero) or ``quantile`` (PAIR's
#: ``compute_pic_metric`` untouched: every pixel >= the threshold's quantile, so a tie restores all its pixels at once).
TIES = ("random", "quantile")


@dataclass(frozen=True)
class InsertionOptions(BenchmarkOptions):
    """``k`` (|K|: top-k with the label), ``min_pred_sic`` / ``min_pred_aic`` (PIC skips an image predicted below
    them), ``thresholds`` (the shares of pixels PIC restores), ``ties`` (:data:`TIES`), ``dataset``.
    """

    k: int = 3
    min_pred_sic: float = 0.8
    min_pred_aic: float = 0.5
    thresholds: tuple[float, ...] = THRESHOLDS
    ties: str = "random"

    def check(self):
        check_int("k", self.k, 1)
        check_choice("ties", self.ties, TIES)
        check_float("min_pred_sic", self.min_pred_sic, low=0.0, high=1.0)
        check_float("min_pred_aic", self.min_pred_aic, low=0.0, high=1.0)
        check_shares("thresholds", self.thresholds, low_open=True)


class InsertionBenchmark(ImageNetBenchmark):
    """SIC/AIC insertion. Options: ``k``, ``dataset``, ``min_pred_sic``, ``min_pred_aic``, ``thresholds``."""

    name = "insertion"
    Options = InsertionOptions
    metrics = ("sic", "aic", "empty", "sic_skipped", "aic_skipped")
    #: SIC and AIC rest on softmax thresholds, argmax flips and compressed sizes at 13 thresholds:
    #: rounding moved a group median (2 rows: SIC, AIC) by up to 1.7e-3 (ATen's default kernels);
    #: one IG step fewer moved the IG medians by 6.9e-3 and more
    reproduction = Tolerance(group_median=5e-3)

    def run_unit(self, unit):
        scene = self.scene(unit)
        keys = dict(unit=unit, item=0, model=self.config.model, target=scene.label, image=scene.image)
        names, targets = [], []
        for method, is_var, maps in self.maps(scene.x, scene.classes, unit):
            names.append((method, is_var))
            targets.append(maps[scene.classes.index(scene.label)])
        rows = []
        for (method, is_var), (curves, skipped), target in zip(names, self.curves(scene, targets), targets):
            rows += table.rows({"empty": is_empty(target)}, **keys, method=method, var=is_var)
            for metric, res in curves.items():  # the points let PAIR's median-curve aggregate be computed later
                rows += table.rows({metric: res.auc}, **keys, method=method, var=is_var, curve=json.dumps(res.points))
            rows += table.rows({f"{metric}_skipped": 1.0 for metric in skipped}, **keys, method=method, var=is_var)
        return rows

    def scene(self, unit: int) -> Scene:
        """The unit's image (the model's crop, uint8), input, label, class set K and PIC's blurring mask."""
        path, label = self.order[unit]
        img = uint8_crop(self.model, path)
        x = self.model.from_rgb(img)
        logits = self.model.logits(x)[0]
        classes = class_sets.top_k(logits, self.options.k, target=label)
        mask = random_mask(*img.shape[:2], seed=self.config.seed * 100_003 + unit)
        return Scene(unit, path.name, img, x, logits, label, classes, mask, predictor(self.model, label))

    def skipped(self, scene: Scene) -> dict[str, str]:
        """The curves PIC's filters skip on the unit's image, whatever the map (:func:`.pic.pic_filters`)."""
        return pic_filters(scene.img, scene.mask, scene.predict, self._min_pred())

    def curves(self, scene: Scene, targets: list[torch.Tensor]) -> list[tuple[dict, dict]]:
        """PIC's ``(curves, skipped)`` of each map of the label, (C, H, W), ranked as the ``ties`` option says."""
        ranked = [m.abs().sum(0).numpy() for m in targets]
        if self.options.ties == "random":
            ranked = [strict_ranking(r, seed=scene.unit) for r in ranked]
        return pic_curves_many(scene.img, ranked, scene.mask, scene.predict, self.options.thresholds,
                               self._min_pred())

    def _min_pred(self) -> dict[str, float]:
        return {"sic": self.options.min_pred_sic, "aic": self.options.min_pred_aic}


@dataclass(frozen=True)
class Scene:
    """What one insertion unit scores maps on (:meth:`InsertionBenchmark.scene`)."""

    unit: int
    image: str  # the file's name
    img: np.ndarray  # uint8 (S, S, 3), the model's crop
    x: torch.Tensor  # the model's input for it
    logits: torch.Tensor
    label: int
    classes: list[int]  # K
    mask: np.ndarray  # the random 1% of the fully blurred image
    predict: Callable


def aggregate(table) -> pd.DataFrame:
    """Per model x method x var x curve: mean per-image AUC (95% CI within [0, 1], n) and PAIR's median-curve AUC."""
    from .pic import median_curve_auc
    from .runner import summarize
    from .table import within_bounds

    scores = table[table.metric.isin(["sic", "aic"])]
    summary = within_bounds(summarize(scores))
    median = (scores.groupby(["model", "method", "var", "metric"])["curve"]
              .apply(lambda c: median_curve_auc([json.loads(v) for v in c])).rename("median_curve_auc"))
    return summary.merge(median.reset_index(), on=["model", "method", "var", "metric"])


def uint8_crop(model, image) -> np.ndarray:
    """The model's preprocessing geometry, as a uint8 (S, S, 3) image."""
    x = model.unnormalize(model.preprocess(load_image(image, exif_orientation=False)))
    return (x.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def predictor(model, target: int):
    """uint8 (B, H, W, 3) -> (softmax of ``target``, 1.0 where ``target`` is the top class else 0.0)."""
    def predict(batch: np.ndarray):
        prob = model.predict(model.from_rgb(batch))
        return prob[:, target].tolist(), (prob.argmax(-1) == target).float().tolist()
    return predict
