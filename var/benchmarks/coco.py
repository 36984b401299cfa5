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

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from ..core.checks import check_float
from ..core.images import load_image
from ..core.protocol import PAPER_BINARIZATION
from . import table
from .base import Benchmark
from .coco_imagenet import COCO_TO_IMAGENET
from .data import COCO_NAMES, CocoImage, coco_items
from .metrics import LocalisationOptions, blur_positive, is_empty, localisation_rows


@dataclass(frozen=True)
class CocoOptions(LocalisationOptions):
    """``min_area`` (an object's share of the image), ``min_confidence`` (of its ImageNet classes), ``binarize``
    (rules), ``dataset``.
    """

    dataset: str = "coco128-seg"
    min_area: float = 0.01
    min_confidence: float = 1e-4

    def check(self):
        super().check()
        check_float("min_area", self.min_area, low=0.0, high=1.0)
        check_float("min_confidence", self.min_confidence, low=0.0, high=1.0)


class CocoBenchmark(Benchmark):
    """COCO mask localisation. Options: ``min_area``, ``min_confidence``, ``binarize``, ``dataset``."""

    name = "coco"
    Options = CocoOptions
    metrics = ("ra", "iou", "precision", "recall", "f1", "empty")
    #: The rule that reproduces the paper's vanilla rows (:data:`~var.core.protocol.PAPER_BINARIZATION`).
    paper_rule = PAPER_BINARIZATION["coco"]

    def setup(self):
        super().setup()
        self.items = coco_items(self.data_folder())  # parsed once per run, not per image

    def units(self):
        return list(range(min(self.config.n, len(self.items))))

    def run_unit(self, unit):
        item = self.items[unit]
        x, objects = load_item(self.model, item)
        kept, classes = targets(objects, self.model.predict(x)[0], self.options.min_area,
                                self.options.min_confidence)
        rows = []
        if not kept:
            return rows
        for method, is_var, maps in self.maps(x, classes, unit):
            blurred = blur_positive(maps)
            for i, (cat, target, mask) in enumerate(kept):
                keys = dict(unit=unit, item=cat, model=self.config.model, method=method, var=is_var, target=target,
                            image=item.path.name, k=len(classes))
                rows += localisation_rows(blurred[i], mask, self.options.binarize, **keys)
                rows += table.rows({"empty": is_empty(maps[i])}, binarize=table.NO_RULE, **keys)
        return rows


def targets(objects, prob: torch.Tensor, min_area: float = 0.01, min_confidence: float = 1e-4):
    """The scored objects [(category, ImageNet target, mask)] and the class set K of one COCO image.

    Each category's target is its most probable ImageNet class; objects under
    ``min_area`` of the image or with target probability under
    ``min_confidence`` are dropped, as are objects whose target another object
    already took. With one object left, the least probable class joins K.
    """
    kept = []
    for cat, mask in objects:
        ids = COCO_TO_IMAGENET[COCO_NAMES[cat]]
        target = ids[int(prob[ids].argmax())]
        if mask.mean() >= min_area and float(prob[target]) >= min_confidence and target not in [t for _, t, _ in kept]:
            kept.append((cat, target, torch.from_numpy(mask)))
    classes = [t for _, t, _ in kept]
    if len(classes) == 1:
        classes.append(int(prob.argmin()))
    return kept, classes


def square_crop(image: Image.Image, size: int) -> tuple[Image.Image, tuple]:
    """Resize the short side to ``size`` and centre-crop; returns the crop and (new_w, new_h, left, top)."""
    w, h = image.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    left, top = (nw - size) // 2, (nh - size) // 2
    resized = image.resize((nw, nh), Image.BICUBIC)
    return resized.crop((left, top, left + size, top + size)), (nw, nh, left, top)


def load_item(model, item: CocoImage) -> tuple[torch.Tensor, list[tuple[int, np.ndarray]]]:
    """Model input (1, 3, S, S) and [(COCO category, boolean (S, S) mask)] for mapped categories."""
    size = model.input_size
    crop, (nw, nh, left, top) = square_crop(load_image(item.path, exif_orientation=False), size)
    x = model.from_rgb(np.array(crop))
    objects = []
    for cat in sorted({c for c, _ in item.instances}):
        if COCO_NAMES[cat] not in COCO_TO_IMAGENET:
            continue
        mask = item.category_mask(cat, (nw, nh))[top:top + size, left:left + size]
        objects.append((cat, mask))
    return x, objects


def multi_object_images(folder, n: int = 2) -> list[CocoImage]:
    """The n images of a COCO folder with the most distinct ImageNet-mappable categories (ties: file order)."""
    def mapped(item):
        return len({c for c, _ in item.instances if COCO_NAMES[c] in COCO_TO_IMAGENET})

    return sorted(coco_items(folder), key=lambda it: -mapped(it))[:n]
