"""The paper's illustrative figures re-made on our model, each example chosen by a stated rule (not by eye).

* :func:`close_pair`: Figure 6 (coffee mug vs beer glass): two closely related classes whose vanilla maps look
  alike and whose VAR maps split the image. Rule: among the first ``candidates`` sample images in the benchmarks'
  seeded order, the ones whose two most probable classes are closest in probability come first; the first whose
  two VAR maps (K = the pair plus the least probable class, the top-k strategy) both keep at least ``min_kept``
  of the elements is taken.
* :func:`shared_concepts`: Figure 1's fourth property on that example: the elements both classes' VAR maps keep.
  With K = the pair alone no element can be kept by both (M_a + M_b = 1, and each needs M > 1/2 + tau), which is
  why the rule adds a third class.
* :func:`typical_grid`: Figure 3 / Figure 1's "object-specific" property: the grid of the grid reference run
  whose VAR - vanilla RA gain (the methods' average) is the median one: a typical grid, not the best.

Each returns a small record; the notebooks draw it with :mod:`var.viz.figures`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..core import class_sets
from ..core.explanation import Explanation, explain
from ..core.relevance import kept_share

__all__ = ["ClosePair", "close_pair", "shared_concepts", "typical_grid"]


@dataclass
class ClosePair:
    """The chosen image and its explanation; ``rank``: its place in the candidates' order (1: the closest pair),
    ``ratio``: p(second) / p(first), ``skipped``: closer pairs passed over because a VAR map kept too little.
    """

    path: str
    explanation: Explanation
    rank: int
    ratio: float
    skipped: int


def close_pair(model, items, method: str = "guided_backprop", candidates: int = 100,
               min_kept: float = 0.01) -> ClosePair:
    """Figure 6 by the rule of the module docstring.

    Args:
        model: a :class:`~var.core.model.VarModel`.
        items: ``[(path, label)]`` in the order to draw candidates from (the benchmarks' seeded order).
        method: the attribution method (the paper's figure: Guided Backprop).
        candidates: how many images to rank.
        min_kept: the share of elements each VAR map must keep.

    Returns:
        A :class:`ClosePair`.
    """
    xs = [(path, model.prepare(path, exif_orientation=False)) for path, _ in items[:candidates]]
    probs = [model.predict(x)[0] for _, x in xs]
    ratios = [float(p.topk(2).values[1] / p.topk(2).values[0]) for p in probs]
    order = np.argsort(ratios)[::-1]
    for rank, i in enumerate(order, start=1):
        path, x = xs[i]
        pair = class_sets.top_k(model.logits(x)[0], 2)
        e = explain(model, x, method, "predefined", classes=pair, warn_below=None)
        if bool((kept_share(e.maps)[:2] >= min_kept).all()):
            return ClosePair(str(path), e, rank, ratios[i], rank - 1)
    raise ValueError(f"No image among the first {candidates} has two VAR maps keeping >= {min_kept:.0%}; "
                     "raise candidates or lower min_kept.")


def shared_concepts(var_maps: torch.Tensor) -> torch.Tensor:
    """The (H, W) locations with an element (a channel there) that the first two classes' VAR maps (of
    (|K|, C, H, W)) both keep.
    """
    kept = var_maps[:2] != 0
    return (kept[0] & kept[1]).any(0)


def shared_reading(var_maps: torch.Tensor, class_names) -> str:
    """One Markdown sentence on what the first two classes' VAR maps (of (|K|, C, H, W)) share, per element
    (channel and pixel) and as a share of what each keeps, so the per-pixel figure is not over-read.
    """
    kept = var_maps[:2] != 0
    both = kept[0] & kept[1]
    own = ", ".join(f"{both.sum() / max(int(k.sum()), 1):.0%} of what {name} keeps"
                    for k, name in zip(kept, class_names[:2]))
    return (f"Both classes keep {both.float().mean():.1%} of the elements (channel and pixel): {own}. The figure "
            "marks a pixel when any of its channels is kept by both, so it shows more than the elements do.")


def typical_grid(grid_table: pd.DataFrame, methods) -> int:
    """The unit of a grid run whose VAR - vanilla RA (averaged over quadrants and ``methods``) is the median."""
    ra = grid_table[(grid_table["metric"] == "ra") & grid_table["method"].isin(methods)]
    per_unit = ra.pivot_table(index="unit", columns="var", values="value", aggfunc="mean")
    gain = (per_unit[True] - per_unit[False]).sort_values()
    return int(gain.index[(len(gain) - 1) // 2])
