"""Figures: vanilla vs VAR maps per class, and the helpers that turn maps into images."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["to_heatmap", "display_max", "show_image", "show_explanation", "show_vanilla_var", "show_maps",
           "metric_bars"]


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


def show_image(ax, inputs: torch.Tensor, unnormalize) -> None:
    """Draw a preprocessed (1, 3, H, W) or (3, H, W) input as RGB."""
    img = unnormalize(inputs.detach().cpu().reshape(-1, *inputs.shape[-3:])[0])
    ax.imshow(img.permute(1, 2, 0).numpy())
    ax.axis("off")


def display_max(heats, percentile: float = 99.5) -> float:
    """Colour-scale maximum: a high percentile of |values|, so a few extreme pixels do not darken the rest."""
    values = np.abs(np.concatenate([np.ravel(h) for h in heats]))
    nonzero = values[values > 0]
    return float(np.percentile(nonzero, percentile)) if nonzero.size else 1.0


def show_maps(axes, maps: torch.Tensor, titles=None, signed: bool = False, shared_scale: bool = True):
    """Draw one heatmap per class on ``axes``; one colour scale across classes by default.

    A shared scale keeps class maps comparable: VAR moves attribution between classes.
    The scale tops out at the 99.5th percentile of the non-zero magnitudes.
    """
    heat = [to_heatmap(m, signed) for m in maps]
    peak = display_max(heat)
    for i, (ax, h) in enumerate(zip(axes, heat)):
        vmax = peak if shared_scale else display_max([h])
        cmap, vmin = ("bwr", -vmax) if signed else ("inferno", 0)
        ax.imshow(h, cmap=cmap, vmin=vmin, vmax=vmax)
        ax.axis("off")
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)


def show_vanilla_var(inputs: torch.Tensor, attributions: torch.Tensor, var_maps: torch.Tensor, titles, unnormalize,
                     note: str = "", signed: bool = False, figsize_per_cell: float = 2.2):
    """Image on the left; for each class a column with the vanilla map (top) and the VAR map (bottom).

    Args:
        inputs: the preprocessed image, (1, 3, H, W).
        attributions, var_maps: vanilla H and VAR maps, (|K|, C, H, W).
        titles: one title per class (column).
        unnormalize: the model's inverse normalisation, to draw the image.
        note: text drawn under the image (method, t, tau).

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt  # a pyplot figure, so notebooks show it with plt.show()

    n = attributions.shape[0]
    fig, axes = plt.subplots(2, n + 1, figsize=(figsize_per_cell * (n + 1), figsize_per_cell * 2.1), squeeze=False)
    show_image(axes[0, 0], inputs, unnormalize)
    axes[1, 0].axis("off")
    axes[1, 0].text(0.5, 0.5, note, ha="center", va="center")
    show_maps(axes[0, 1:], attributions, titles, signed)
    show_maps(axes[1, 1:], var_maps, None, signed)
    axes[0, 1].text(-0.08, 0.5, "vanilla", transform=axes[0, 1].transAxes, rotation=90, va="center", ha="right")
    axes[1, 1].text(-0.08, 0.5, "VAR", transform=axes[1, 1].transAxes, rotation=90, va="center", ha="right")
    fig.tight_layout()
    return fig


def show_explanation(explanation, unnormalize, signed: bool = False, figsize_per_cell: float = 2.2):
    """:func:`show_vanilla_var` of an :class:`~var.explanation.Explanation`, with class names and probabilities."""
    e = explanation
    titles = [f"{name[:18]}\np = {p:.2f}" for name, p in zip(e.class_names, e.probabilities.tolist())]
    note = f"{e.method}\nt = {e.temperature:g}\nτ = {e.tau:g}"
    return show_vanilla_var(e.inputs, e.attributions, e.maps, titles, unnormalize, note, signed, figsize_per_cell)


def metric_bars(table, metrics=None, col_wrap: int = 3):
    """Bar plot of a benchmark's tidy table: mean per method, vanilla vs VAR, one panel per metric, 95% CIs.

    Returns:
        The seaborn ``FacetGrid``.
    """
    import seaborn as sns

    if metrics is not None:
        table = table[table.metric.isin(metrics)]
    table = table.assign(VAR=table["var"].map({False: "vanilla", True: "VAR"}))
    g = sns.catplot(table, x="method", y="value", hue="VAR", col="metric", kind="bar", col_wrap=col_wrap,
                    height=3, aspect=1.6, errorbar=("ci", 95))
    g.set_xticklabels(rotation=30, ha="right")
    return g
