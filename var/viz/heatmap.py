"""The one heatmap renderer every figure, widget and explorer uses: a map becomes one (H, W) array (the channel
sum; magnitude, or signed for signed methods), its display scale, its colour bar, and the "nothing kept" label of
an empty VAR map.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["NOTHING_KEPT", "CMAP", "CMAP_SIGNED", "colour_map", "label_empty", "to_heatmap", "display_max",
           "colour_bar"]

#: The default colour maps; every figure and explorer takes ``cmap=`` to replace them. Both are colour-blind safe:
#: ``inferno`` (magnitudes, 0 = black) is perceptually uniform and reads by lightness alone, so it survives every
#: colour-vision deficiency and greyscale printing; ``RdBu_r`` (signed maps, 0 = white) opposes blue and red,
#: which deuteranopes and protanopes tell apart (ColorBrewer lists it as colour-blind safe), never red and green.
CMAP = "inferno"
CMAP_SIGNED = "RdBu_r"


#: What figures write on a map that keeps nothing (see "Empty maps" in :mod:`var.core.relevance`).
NOTHING_KEPT = "nothing kept"


def colour_map(signed: bool, cmap: str | None = None) -> str:
    """The colour map to draw with: ``cmap`` when given, else :data:`CMAP_SIGNED` or :data:`CMAP`."""
    return cmap or (CMAP_SIGNED if signed else CMAP)


def label_empty(ax, heat: np.ndarray, label: str = NOTHING_KEPT) -> None:
    """Write ``label`` over an all-zero map, so that an empty map is not read as a faint one."""
    if not np.any(heat):
        ax.text(0.5, 0.5, label, transform=ax.transAxes, ha="center", va="center", fontsize=9,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})


def to_heatmap(attribution: torch.Tensor, signed: bool = False) -> np.ndarray:
    """One (H, W) array from a (C, H, W) or (H, W) map: the channel sum.

    ``signed=False`` shows magnitude (sum of |H| over channels), the usual way
    to display gradient maps; ``signed=True`` keeps the sign of the sum.
    """
    a = attribution.detach().float().cpu()
    if a.dim() == 3:
        a = a.sum(0) if signed else a.abs().sum(0)
    elif not signed:
        a = a.abs()
    return a.numpy()


def display_max(heats, percentile: float = 99.5) -> float:
    """Colour-scale maximum: a high percentile of |values|, so a few extreme pixels do not darken the rest."""
    values = np.abs(np.concatenate([np.ravel(h) for h in heats]))
    nonzero = values[values > 0]
    return float(np.percentile(nonzero, percentile)) if nonzero.size else 1.0


def colour_bar(fig, axes, image, label: str):
    """A colour bar for a row of maps drawn on one scale (``image``: what :func:`show_maps` returns)."""
    import matplotlib as mpl

    if image is None:
        return None
    # the mappable of the scale, not the image: overlays draw the image with per-pixel alpha
    scale = mpl.cm.ScalarMappable(norm=image.norm, cmap=image.cmap)
    bar = fig.colorbar(scale, ax=list(axes), shrink=0.85, pad=0.01, aspect=12)
    bar.set_label(label, fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return bar
