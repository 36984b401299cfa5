"""Grid pointing game (Rao et al. 2022; paper Section 5.1, Appendix 7.1).

A quad grid is a 2 x 2 mosaic of four images of four distinct classes. The
class set K is the four grid classes; the map of the class in quadrant q is
scored against quadrant q with :func:`var.benchmarks.metrics.localisation`.

How grids are composed (option ``grids``):

* ``"random"`` (default, the paper's Quad-ImageNet): the images in a seeded
  random order, cut into disjoint grids of four distinct classes; no image is
  used twice and none is filtered (the paper: "a 2 x 2 grid of random images").
* ``"confident"`` (Rao et al. 2022): each grid draws four images of distinct
  classes from those the model classifies correctly with probability >=
  ``confidence``; grids may share images.

Cells are the model's input resolution (a 448 x 448 grid for a 224 model), or
with ``cell="half"`` half of it (the 224 x 224 grid the paper's authors used,
and the only choice for ViT's fixed input size).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..core.checks import check_choice, check_float, check_int
from ..core.images import load_image
from ..core.protocol import PAPER_BINARIZATION
from . import table
from .base import Benchmark
from .data import imagenet_items, seeded_order
from .metrics import LocalisationOptions, blur_positive, is_empty, localisation_rows


@dataclass(frozen=True)
class GridOptions(LocalisationOptions):
    """See :class:`GridBenchmark`."""

    grids: str = "random"
    confidence: float = 0.8
    cell: str = "full"
    scan: int | None = None

    def check(self):
        super().check()
        check_choice("grids", self.grids, ("random", "confident"))
        check_float("confidence", self.confidence, low=0.0, high=1.0)
        check_choice("cell", self.cell, ("full", "half"))
        if self.scan is not None:
            check_int("scan", self.scan, 4)


class GridBenchmark(Benchmark):
    """Grid pointing game: the map of each quadrant's class scored against its quadrant.

    Options: ``grids`` (``random`` or ``confident``), ``confidence`` (for
    ``confident`` grids; Rao et al. use 0.99; with the 1,000-image sample set 0.8
    keeps 529 images for Lite0), ``cell`` (``full`` or ``half``), ``binarize``
    (rules, see :mod:`var.benchmarks.metrics`), ``dataset`` and ``scan`` (limit
    the candidates to the first N files, for quick runs; None: all).
    """

    name = "grid"
    Options = GridOptions
    metrics = ("ra", "iou", "precision", "recall", "f1", "empty")
    #: The rule that reproduces the paper's vanilla rows (:data:`~var.core.protocol.PAPER_BINARIZATION`).
    paper_rule = PAPER_BINARIZATION["grid"]

    def setup(self):
        super().setup()
        items = [(str(p), y) for p, y in imagenet_items(self.data_folder())[:self.options.scan]]
        if self.options.grids == "random":
            self.grids = disjoint_grids(seeded_order(items, self.config.seed))
            return
        self.pool = eligible(self.model, items, self.options.confidence)
        if len(pool_classes := {label for _, label in self.pool}) < 4:
            raise ValueError(f"Only {len(pool_classes)} classes have images that pass confidence "
                             f"{self.options['confidence']}; lower it.")

    def units(self):
        if self.options.grids == "random":
            return list(range(min(self.config.n, len(self.grids))))
        return list(range(self.config.n))

    def grid_spec(self, unit: int) -> list[tuple[str, int]]:
        """The four (path, label) of grid ``unit``, four distinct classes."""
        if self.options.grids == "random":
            return self.grids[unit]
        rng = np.random.default_rng([self.config.seed, unit])  # confident grids: seeded by (seed, unit)
        chosen = []
        for i in rng.permutation(len(self.pool)):
            if self.pool[i][1] not in {c for _, c in chosen}:
                chosen.append(self.pool[i])
            if len(chosen) == 4:
                break
        return chosen

    def run_unit(self, unit):
        spec = self.grid_spec(unit)
        x, quadrants = make_grid(self.model, spec, self.options.cell)
        classes = [label for _, label in spec]
        rows = []
        for method, is_var, maps in self.maps(x, classes, unit):
            blurred = blur_positive(maps)
            for q in range(4):
                keys = dict(unit=unit, item=q, model=self.config.model, method=method, var=is_var, target=classes[q])
                rows += localisation_rows(blurred[q], quadrants[q], self.options.binarize, **keys)
                rows += table.rows({"empty": is_empty(maps[q])}, binarize=table.NO_RULE, **keys)
        return rows


def disjoint_grids(items: list) -> list[list]:
    """Consecutive groups of four items with distinct labels; an item whose class the open group has waits."""
    grids, group, waiting = [], [], []
    for item in items:
        waiting.append(item)
        for candidate in list(waiting):
            if candidate[1] not in {label for _, label in group}:
                group.append(candidate)
                waiting.remove(candidate)
            if len(group) == 4:
                grids.append(group)
                group = []
    return grids


def eligible(model, items, confidence: float) -> list[tuple[str, int]]:
    """(path, label) of the images the model classifies correctly with p >= confidence, in file order."""
    keep = []
    for start in range(0, len(items), 50):
        chunk = items[start:start + 50]
        prob = model.predict(torch.stack([model.preprocess(load_image(p, exif_orientation=False)) for p, _ in chunk]))
        for (path, label), p in zip(chunk, prob):
            if int(p.argmax()) == label and float(p[label]) >= confidence:
                keep.append((str(path), label))
    return keep


def make_grid(model, spec, cell: str = "full") -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(1, 3, 2S, 2S) grid input (S = cell side) and the four boolean quadrant masks, row-major."""
    check_choice("cell", cell, ("full", "half"))
    cells = [model.preprocess(load_image(p, exif_orientation=False)) for p, _ in spec]
    if cell == "half":
        side = model.input_size // 2
        cells = [F.interpolate(c[None], size=(side, side), mode="bilinear", antialias=True)[0] for c in cells]
    top, bottom = torch.cat(cells[:2], dim=2), torch.cat(cells[2:], dim=2)
    grid = torch.cat([top, bottom], dim=1)[None]
    s = grid.shape[-1] // 2
    quadrants = []
    for q in range(4):
        m = torch.zeros(grid.shape[-2:], dtype=torch.bool)
        r, c = divmod(q, 2)
        m[r * s:(r + 1) * s, c * s:(c + 1) * s] = True
        quadrants.append(m)
    return grid, quadrants
