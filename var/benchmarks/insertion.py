"""Insertion: Softmax and Accuracy Information Curves (paper Section 5.2, Table 2).

Per image: the model's centre crop as uint8, the target = the image's label;
K = the top-k classes plus the least probable one, with the target always in
(``k`` option, default 3). Each method's vanilla and VAR map for the target is
reduced to pixel importance (sum of |H| over channels), ties broken by a
seeded random permutation (:func:`var.benchmarks.pic.strict_ranking`), and
scored with :func:`var.benchmarks.pic.pic_curves`. Images PIC filters out
(low confidence, blurred image still classified) give no rows; the run's
``skipped`` rows count them.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import class_sets
from ..images import load_image
from .common import check_options, get_model, seeded_imagenet, maps_for
from .pic import THRESHOLDS, pic_curves, random_mask, strict_ranking
from .runner import BenchConfig

DEFAULTS = {"k": 3, "dataset": "imagenet-sample", "min_pred_sic": 0.8, "min_pred_aic": 0.5,
            "thresholds": list(THRESHOLDS)}


def options(config: BenchConfig) -> dict:
    return check_options(config, DEFAULTS)


def _order(config: BenchConfig) -> list:
    return seeded_imagenet(config, options(config)["dataset"])


def uint8_crop(model, path) -> np.ndarray:
    """The model's preprocessing geometry, as a uint8 (S, S, 3) image."""
    x = model.unnormalize(model.preprocess(load_image(path)))
    return (x.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def predictor(model, target: int):
    def predict(batch: np.ndarray):
        x = model.normalize(torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0)
        with torch.no_grad():
            prob = model.module(x).softmax(-1)
        return prob[:, target].tolist(), (prob.argmax(-1) == target).float().tolist()
    return predict


def run_unit(config: BenchConfig, unit: int) -> list[dict]:
    opts = options(config)
    model = get_model(config.model)
    path, label = _order(config)[unit]
    img = uint8_crop(model, path)
    x = model.normalize(torch.from_numpy(img).permute(2, 0, 1).float() / 255.0)[None]
    with torch.no_grad():
        logits = model.module(x)[0]
    classes = class_sets.top_k(logits, opts["k"], target=label)
    mask = random_mask(*img.shape[:2], seed=config.seed * 100_003 + unit)
    predict = predictor(model, label)
    min_pred = {"sic": opts["min_pred_sic"], "aic": opts["min_pred_aic"]}
    keys = dict(unit=unit, item=0, model=config.model, target=label, image=path.name)
    rows = []
    for method, is_var, maps in maps_for(model, x, classes, config):
        saliency = maps[classes.index(label)].abs().sum(0).numpy()
        ranked = strict_ranking(saliency, seed=unit)
        curves = pic_curves(img, ranked, mask, predict, opts["thresholds"], min_pred)
        for metric, res in curves.items():
            if isinstance(res, str):
                rows.append(dict(keys, method=method, var=is_var, metric=f"{metric}_skipped", value=1.0))
            else:
                rows.append(dict(keys, method=method, var=is_var, metric=metric, value=res.auc))
    return rows


def units(config: BenchConfig) -> list[int]:
    return list(range(min(config.n, len(_order(config)))))
