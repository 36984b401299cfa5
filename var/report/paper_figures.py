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

The example finders return small records, which the notebooks draw with :mod:`var.viz.figures`; the
``*_reading`` functions return a sentence about them for the class-sets page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..core import class_sets
from ..core.explanation import Explanation, explain
from ..core.relevance import Relevance, kept_share, relevance

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


def close_pair_reading(pair: ClosePair, candidates: int) -> str:
    """One Markdown sentence on a :func:`close_pair`: the image, the pair with its probabilities, its rank, and how
    alike the two classes' maps are before and after VAR (cosine of |map|, the sweep's class cosine).
    """
    from pathlib import Path

    from .anatomy import pair_similarity

    e = pair.explanation
    return (f"**{Path(pair.path).name}**: {e.class_names[0]} (p = {e.probabilities[0]:.3f}) and {e.class_names[1]} "
            f"(p = {e.probabilities[1]:.3f}); the closest pair of the {candidates} candidates is rank 1, this is rank "
            f"{pair.rank} ({pair.skipped} closer pair(s) skipped because a VAR map kept less than 1%). "
            + pair_similarity(e))


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


def pair_settings_reading(settings: pd.DataFrame, min_kept: float = 0.01) -> str:
    """One Markdown sentence on :func:`pair_settings`: the cosine at the paper's setting, and the setting whose
    maps are least alike while both keep at least ``min_kept`` of the elements.
    """
    from ..core.protocol import TAU, TEMPERATURE

    paper = settings[(settings["t"] == TEMPERATURE) & (settings["τ"] == TAU)].iloc[0]
    kept = [c for c in settings.columns if c.startswith("kept: ")]
    live = settings[(settings[kept] >= min_kept).all(axis=1)].dropna(subset=["cosine"])
    best = live.loc[live["cosine"].idxmin()]
    both = paper["kept by both"] / max(paper[kept].min(), 1e-12)

    def own(column: str) -> float:
        share = (live[column] - live["kept by both"]) / live[column]
        return float(share.max()) if len(share) else float("nan")
    return (f"At the paper's setting (t = {TEMPERATURE:g}, τ = {TAU:g}) the two VAR maps have cosine "
            f"{paper['cosine']:.2f}, and {both:.0%} of the smaller map's elements are kept by both. The least alike "
            f"maps in this grid with both keeping ≥ {min_kept:.0%}: t = {best['t']:g}, τ = {best['τ']:g} (cosine "
            f"{best['cosine']:.2f}; kept " + ", ".join(f"{best[c]:.1%}" for c in kept) + "). "
            + "The largest share of a map's kept elements that the other class does not keep, over the grid: "
            + ", ".join(f"{c.removeprefix('kept: ')} {own(c):.0%}" for c in kept) + "".join(
                f"; {c.removeprefix('kept: ')} keeps no element of its own at any of these settings"
                for c in kept if own(c) == 0) + ".")


def grid_example(model, grid_run: dict, method: str = "guided_backprop"):
    """Figure 3 on the :func:`typical_grid` of a grid reference run: the explanation of its four classes (K =
    the grid's classes) and a Markdown sentence with each class's RA, vanilla → VAR, from the run's table.

    Args:
        model: a :class:`~var.core.model.VarModel`.
        grid_run: :func:`var.report.reference.load` of a grid run.
        method: the attribution method drawn.

    Returns:
        (``Explanation``, sentence).
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
    return e, (f"Grid {unit} of the reference run (the median gain). The share of each class's map in its own "
               "quadrant (RA, the grid benchmark's measure; 0.25 if the map ignored the quadrants): "
               + ", ".join(f"{name} {ra.loc[q, False]:.2f} → {ra.loc[q, True]:.2f}"
                           for q, name in enumerate(e.class_names)) + " (vanilla → VAR).")


def typical_grid(grid_table: pd.DataFrame, methods) -> int:
    """The unit of a grid run whose VAR - vanilla RA (averaged over quadrants and ``methods``) is the median."""
    ra = grid_table[(grid_table["metric"] == "ra") & grid_table["method"].isin(methods)]
    per_unit = ra.pivot_table(index="unit", columns="var", values="value", aggfunc="mean")
    gain = (per_unit[True] - per_unit[False]).sort_values()
    return int(gain.index[(len(gain) - 1) // 2])
