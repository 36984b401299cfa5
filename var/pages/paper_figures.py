"""The paper's illustrative figures re-made on our model, each example chosen by a stated rule (not by eye).

* :func:`close_pair`: Figure 6 (coffee mug vs beer glass): two closely related classes whose vanilla maps look
  alike and whose VAR maps split the image. Rule: among the first ``candidates`` sample images in the benchmarks'
  seeded order, the ones whose two most probable classes are closest in probability come first; the first whose
  two VAR maps (K = the pair plus the least probable class, the top-k strategy) both keep at least ``min_kept``
  of the elements is taken.
* :func:`shared_concepts`: Figure 1's fourth property on that example: the elements both classes' VAR maps keep.
  With K = the pair alone no element can be kept by both (M_a + M_b = 1, and each needs M > 1/2 + tau), which is
  why the rule adds a third class.
* :func:`typical_grid` (drawn by :func:`grid_example`): Figure 3 / Figure 1's "object-specific" property: the
  grid of the grid reference run whose VAR - vanilla RA gain (the methods' average) is the median one: a typical
  grid, not the best.

The example finders return small records, which the notebooks draw with :mod:`var.viz.figures`; the other
functions return the facts (shares, cosines, RA per class) the class-sets page writes its sentences from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..core import class_sets
from ..core.explanation import Explanation, explain
from ..core.relevance import Relevance, kept_share, relevance

__all__ = ["ClosePair", "close_pair", "shared_concepts", "shared_shares", "pair_settings", "pair_settings_summary",
           "grid_example", "typical_grid"]


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
        e = explain(model, x, method, "predefined", classes=pair, settings=Relevance(warn_below=None))
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


def shared_shares(var_maps: torch.Tensor) -> dict:
    """What the first two classes' VAR maps (of (|K|, C, H, W)) share, per element (channel and pixel): ``both``,
    the share of all elements both keep, and ``of_own``, for each of the two, the share of its kept elements the
    other keeps too (0 where a map keeps nothing). Per element, so the per-pixel figure is not over-read.
    """
    kept = var_maps[:2] != 0
    both = kept[0] & kept[1]
    return {"both": float(both.float().mean()), "of_own": [float(both.sum() / max(int(k.sum()), 1)) for k in kept]}


def pair_settings(explanation, temperatures=(0.01, 0.03, 0.1, 0.3, 1.0), taus=(0.0, 0.01, 0.05)) -> pd.DataFrame:
    """How alike the first two classes' VAR maps are at each (t, tau): their cosine of |map| (1 = the same map),
    the share of elements each keeps and the share both keep, from the explanation's vanilla maps.
    """
    from ..benchmarks.metrics import class_cosine

    a, b = explanation.class_names[:2]
    rows = []
    for t in temperatures:
        for tau in taus:
            maps = relevance(explanation.attributions, Relevance(t, tau, warn_below=None))
            kept = maps[:2] != 0
            rows.append({"t": t, "τ": tau, "cosine": float(class_cosine(maps[None, :2])[0, 0]),
                         f"kept: {a}": float(kept[0].float().mean()), f"kept: {b}": float(kept[1].float().mean()),
                         "kept by both": float((kept[0] & kept[1]).float().mean())})
    return pd.DataFrame(rows)


def pair_settings_summary(settings: pd.DataFrame, min_kept: float = 0.01) -> dict:
    """The facts of a :func:`pair_settings` grid: ``paper`` (its row at the paper's t and tau), ``both_of_smaller``
    (the share of the smaller VAR map's elements both classes keep there), ``least_alike`` (the row with the lowest
    cosine among the settings where both maps keep at least ``min_kept``; None if there is none) and ``own``
    (per class, the largest share of its kept elements the other class does not keep, over those settings; NaN
    if there are none).
    """
    from ..core.protocol import TAU, TEMPERATURE

    paper = settings[(settings["t"] == TEMPERATURE) & (settings["τ"] == TAU)].iloc[0]
    kept = [c for c in settings.columns if c.startswith("kept: ")]
    live = settings[(settings[kept] >= min_kept).all(axis=1)].dropna(subset=["cosine"])
    own = {c.removeprefix("kept: "): float(((live[c] - live["kept by both"]) / live[c]).max()) if len(live)
           else float("nan") for c in kept}
    return {"paper": paper, "both_of_smaller": float(paper["kept by both"] / max(paper[kept].min(), 1e-12)),
            "least_alike": live.loc[live["cosine"].idxmin()] if len(live) else None, "own": own}


def grid_example(model, grid_run: dict, method: str = "guided_backprop"):
    """Figure 3 on the :func:`typical_grid` of a grid reference run: the explanation of its four classes (K =
    the grid's classes), the grid's unit and each class's RA in its own quadrant, from the run's table.

    Args:
        model: a :class:`~var.core.model.VarModel`.
        grid_run: :func:`var.report.reference.load` of a grid run.
        method: the attribution method drawn.

    Returns:
        (``Explanation``, unit, RA): RA has one row per class of K (``class``, ``vanilla``, ``VAR``).
    """
    from ..benchmarks.grid import GridBenchmark, make_grid
    from ..core.protocol import PAPER_FIVE

    table, config = grid_run["table"], grid_run["config"]
    unit = typical_grid(table, PAPER_FIVE)
    bench = GridBenchmark(config)
    bench.setup()
    spec = bench.grid_spec(unit)
    x, _ = make_grid(model, spec, config.options["cell"])
    e = explain(model, x, method, "predefined", classes=[label for _, label in spec],
                settings=Relevance(warn_below=None))
    ra = table[(table["unit"] == unit) & (table["method"] == method) & (table["metric"] == "ra")]
    ra = ra.pivot_table(index="item", columns="var", values="value")  # item: the quadrant of K's class
    return e, unit, pd.DataFrame({"class": e.class_names, "vanilla": [ra.loc[q, False] for q in range(len(ra))],
                                  "VAR": [ra.loc[q, True] for q in range(len(ra))]})


def typical_grid(grid_table: pd.DataFrame, methods) -> int:
    """The unit of a grid run whose VAR - vanilla RA (averaged over quadrants and ``methods``) is the median."""
    ra = grid_table[(grid_table["metric"] == "ra") & grid_table["method"].isin(methods)]
    per_unit = ra.pivot_table(index="unit", columns="var", values="value", aggfunc="mean")
    gain = (per_unit[True] - per_unit[False]).sort_values()
    return int(gain.index[(len(gain) - 1) // 2])
