"""Mask localisation on COCO (paper Section 5.1): VAR maps against instance masks.

Per image: each COCO category present that maps to ImageNet
(:mod:`var.benchmarks.coco_imagenet`) becomes one object whose region is the
union of its instance masks and whose target is its most probable ImageNet
class. As in the paper, objects under 1% of the image and objects the model
gives confidence < 1e-4 are dropped. K = the targets of the remaining objects;
where only one remains, the least probable class joins K (as in the top-k
strategy) so that VAR has something to compare against.

Geometry: the short side is resized to the model's input size and the centre
cropped, for image and masks alike.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from ..datasets import coco_items, find_data
from .coco_imagenet import COCO_TO_IMAGENET
from ..datasets import COCO_NAMES
from .common import check_options, get_model, maps_for, rows_from
from .metrics import blur_positive, localisation
from .runner import BenchConfig

DEFAULTS = {"min_area": 0.01, "min_confidence": 1e-4, "binarize": "mean", "dataset": "coco128-seg"}


def options(config: BenchConfig) -> dict:
    return check_options(config, DEFAULTS)


def _items(config: BenchConfig):
    return coco_items(find_data(options(config)["dataset"], config.data))


def square_crop(image: Image.Image, size: int) -> tuple[Image.Image, tuple]:
    """Resize the short side to ``size`` and centre-crop; returns the crop and (new_w, new_h, left, top)."""
    w, h = image.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    left, top = (nw - size) // 2, (nh - size) // 2
    resized = image.resize((nw, nh), Image.BICUBIC)
    return resized.crop((left, top, left + size, top + size)), (nw, nh, left, top)


def prepare(model, item) -> tuple[torch.Tensor, list[tuple[int, np.ndarray]]]:
    """Model input (1, 3, S, S) and [(COCO category, boolean (S, S) mask)] for mapped categories."""
    size = model.input_size
    crop, (nw, nh, left, top) = square_crop(Image.open(item.path).convert("RGB"), size)
    x = model.normalize(torch.from_numpy(np.array(crop)).permute(2, 0, 1).float() / 255.0)[None]
    objects = []
    for cat in sorted({c for c, _ in item.instances}):
        if COCO_NAMES[cat] not in COCO_TO_IMAGENET:
            continue
        mask = item.category_mask(cat, (nw, nh))[top:top + size, left:left + size]
        objects.append((cat, mask))
    return x, objects


def run_unit(config: BenchConfig, unit: int) -> list[dict]:
    opts = options(config)
    model = get_model(config.model)
    item = _items(config)[unit]
    x, objects = prepare(model, item)
    with torch.no_grad():
        prob = model.module(x).softmax(-1)[0]
    kept = []
    for cat, mask in objects:
        ids = COCO_TO_IMAGENET[COCO_NAMES[cat]]
        target = ids[int(prob[ids].argmax())]
        if mask.mean() >= opts["min_area"] and float(prob[target]) >= opts["min_confidence"] and target not in [
                t for _, t, _ in kept]:
            kept.append((cat, target, torch.from_numpy(mask)))
    if not kept:
        return []
    classes = [t for _, t, _ in kept]
    if len(classes) == 1:
        classes.append(int(prob.argmin()))
    rows = []
    for method, is_var, maps in maps_for(model, x, classes, config):
        blurred = blur_positive(maps)
        for i, (cat, target, mask) in enumerate(kept):
            rows += rows_from(localisation(blurred[i], mask, opts["binarize"]), unit=unit, item=cat,
                              model=config.model, method=method, var=is_var, target=target,
                              image=item.path.name, k=len(classes))
    return rows


def units(config: BenchConfig) -> list[int]:
    return list(range(min(config.n, len(_items(config)))))


def multi_object_images(data=None, n: int = 2, dataset: str = "coco128-seg") -> list:
    """The n images with the most distinct ImageNet-mappable categories (ties: file order)."""
    items = coco_items(find_data(dataset, data))

    def mapped(item):
        return len({c for c, _ in item.instances if COCO_NAMES[c] in COCO_TO_IMAGENET})

    return sorted(items, key=lambda it: -mapped(it))[:n]
