"""Intervention ablation (paper Figure 4): delete what one class's map marks and watch both classes.

Per image, the two most probable classes a and b (K = top-2 plus the least
probable class, the top-k strategy). For each method, vanilla and VAR, and
each of the two classes c: the ``fraction`` of pixels with the largest |map of
c| (channels summed; ties broken in a seeded random order, so vanilla and VAR
delete exactly the same number of pixels) are replaced by a blurred copy of the
image (Gaussian, ``blur_sigma`` pixels), and the model's softmax of both
classes is measured again. Rows per class c (``item`` 0 for a, 1 for b):

* ``own_drop``: p_c(original) - p_c(deleted), how much c loses;
* ``other_drop``: the same for the other class of the pair;
* ``selectivity`` = own_drop - other_drop: higher means the map marks what is
  specific to c. The paper's claim (Section 5.2, Figure 4) is that VAR's
  deletions "surgically" remove one class's evidence: selectivity should be
  higher with VAR than vanilla.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core import class_sets
from ..core.checks import check_float
from ..core.methods import make_baseline
from ..core.protocol import BLUR_SIGMA, DELETED_FRACTION
from . import table
from .base import BenchmarkOptions, ImageNetBenchmark
from .metrics import is_empty
from .pic import strict_ranking
from .reproduce import Tolerance


@dataclass(frozen=True)
class InterventionOptions(BenchmarkOptions):
    """``fraction`` (share of pixels deleted), ``blur_sigma`` (of the image that replaces them), ``dataset``."""

    fraction: float = DELETED_FRACTION
    blur_sigma: float = BLUR_SIGMA

    def check(self):
        check_float("fraction", self.fraction, low=0.0, high=1.0, low_open=True, high_open=True)
        check_float("blur_sigma", self.blur_sigma, low=0.0, low_open=True)


class InterventionBenchmark(ImageNetBenchmark):
    """Figure 4 as a benchmark. Options: ``fraction`` (share of pixels deleted), ``blur_sigma``, ``dataset``."""

    name = "intervention"
    Options = InterventionOptions
    metrics = ("own_drop", "other_drop", "selectivity", "empty")
    #: deleting a map's top 10% of pixels is a threshold: rounding moved a row by up to 5.8e-3 and a
    #: group median by up to 5.7e-4; one IG step fewer moved the IG medians by 1.2e-2
    reproduction = Tolerance(group_median=4e-3)

    def run_unit(self, unit):
        path, label = self.order[unit]
        x = self.model.prepare(path, exif_orientation=False)
        classes = class_sets.top_k(self.model.logits(x)[0], 2)
        blurred = make_baseline(x, "blur", self.options.blur_sigma)
        rows = []
        for method, is_var, maps in self.maps(x, classes, unit):
            result = intervene(self.model, x, blurred, maps[:2], classes[:2], self.options.fraction, seed=unit)
            for i, scores in enumerate(result["scores"]):
                rows += table.rows({**scores, "empty": is_empty(maps[i])}, unit=unit, item=i, model=self.config.model,
                                   method=method, var=is_var, target=classes[i], other=classes[1 - i], label=label)
        return rows


def intervene(model, x: torch.Tensor, blurred: torch.Tensor, maps: torch.Tensor, pair: list[int],
              fraction: float, seed: int = 0) -> dict:
    """Delete the top ``fraction`` of each class's map from ``x`` and score both classes of ``pair``.

    Args:
        model: the :class:`~var.core.model.VarModel`.
        x, blurred: the input (1, C, H, W) and what replaces deleted pixels.
        maps: the two classes' maps, (2, C, H, W).
        pair: the two class indices.
        fraction: share of pixels deleted per class.
        seed: tie-break order of equal map values.

    Returns:
        ``{"masks": (2, H, W) bool, "deleted": (2, C, H, W), "probabilities": (3, 2)
        (original, after deleting a's pixels, after deleting b's), "scores":
        [own_drop/other_drop/selectivity per class]}``.
    """
    n = int(round(fraction * x.shape[-1] * x.shape[-2]))
    masks = []
    for m in maps:
        ranks = strict_ranking(m.abs().sum(0).numpy(), seed=seed)
        masks.append(torch.from_numpy(ranks >= ranks.size - n))
    masks = torch.stack(masks)
    deleted = torch.where(masks[:, None], blurred, x)
    prob = model.predict(torch.cat([x, deleted]))[:, pair]  # (3, 2): original, minus a, minus b
    scores = []
    for i in range(2):
        own, other = prob[0, i] - prob[1 + i, i], prob[0, 1 - i] - prob[1 + i, 1 - i]
        scores.append({"own_drop": float(own), "other_drop": float(other), "selectivity": float(own - other)})
    return {"masks": masks, "deleted": deleted, "probabilities": prob, "scores": scores}
