"""Map figures: vanilla vs VAR maps per class, the gallery, the intervention figure.

Maps are drawn over a grey copy of the image by default (``overlay``), signed methods (Input x Gradient,
Integrated Gradients) with a diverging colour map centred at 0. The defaults, :data:`~var.viz.heatmap.CMAP` and
:data:`~var.viz.heatmap.CMAP_SIGNED`, are colour-blind safe; every function takes ``cmap=`` for another
matplotlib colour map. The maps of one row (the classes) share one colour scale, named by the row's colour bar.
VAR's row has its own scale by default: its maps keep few locations and would come out faint on the vanilla
scale (``var_scale="vanilla"`` shows them so, to see what VAR removes).
"""

from __future__ import annotations

import numpy as np
import torch

from .heatmap import NOTHING_KEPT, colour_bar, colour_map, display_max, label_empty, to_heatmap

__all__ = ["show_image", "show_explanation", "show_vanilla_var", "show_maps", "show_gallery", "grey",
           "show_intervention"]


def show_image(ax, inputs: torch.Tensor, unnormalize) -> None:
    """Draw a preprocessed (1, 3, H, W) or (3, H, W) input as RGB."""
    img = unnormalize(inputs.detach().cpu().reshape(-1, *inputs.shape[-3:])[0])
    ax.imshow(img.permute(1, 2, 0).numpy())
    ax.axis("off")


def show_maps(axes, maps: torch.Tensor, titles=None, signed: bool = False, shared_scale: bool = True,
              vmax: float | None = None, background: np.ndarray | None = None, empty_label: str = NOTHING_KEPT,
              min_alpha: float = 0.0, cmap: str | None = None):
    """Draw one heatmap per class on ``axes``; one colour scale across classes by default.

    A shared scale keeps class maps comparable: VAR moves attribution between classes.
    The scale tops out at the 99.5th percentile of the non-zero magnitudes, or
    at ``vmax`` (to share it with another row). With a ``background`` (a grey
    (H, W) image) the map is drawn over it, transparent where it is zero. An
    all-zero map carries ``empty_label``; ``min_alpha`` is the least opacity of a
    non-zero location over the background (VAR's sparse maps: every kept location
    visible). ``cmap``: a matplotlib colour map (default :func:`~var.viz.heatmap.colour_map`'s by sign). Returns
    the last ``imshow`` image when the scale is shared (for
    :func:`colour_bar`), else None.
    """
    heat = [to_heatmap(m, signed) for m in maps]
    peak = vmax or display_max(heat)
    image = None
    for i, (ax, h) in enumerate(zip(axes, heat)):
        top = peak if shared_scale else display_max([h])
        vmin = -top if signed else 0
        if background is not None:
            ax.imshow(background, cmap="gray", vmin=0, vmax=1)
            alpha = np.clip(np.abs(h) / top, 0, 1) ** 0.5 * 0.9  # faint where the map is weak
            alpha = np.where(h != 0, np.maximum(alpha, min_alpha), alpha)
            image = ax.imshow(h, cmap=colour_map(signed, cmap), vmin=vmin, vmax=top, alpha=alpha)
        else:
            image = ax.imshow(h, cmap=colour_map(signed, cmap), vmin=vmin, vmax=top)
        ax.axis("off")
        label_empty(ax, h, empty_label)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return image if shared_scale else None


def grey(inputs: torch.Tensor, unnormalize) -> np.ndarray:
    """The input as a light grey (H, W) image, the background of overlaid maps."""
    img = unnormalize(inputs.detach().cpu().reshape(-1, *inputs.shape[-3:])[0]).mean(0).numpy()
    return 0.35 + 0.5 * img


def show_vanilla_var(inputs: torch.Tensor, attributions: torch.Tensor, var_maps: torch.Tensor, titles, unnormalize,
                     note: str = "", signed: bool = False, figsize_per_cell: float = 2.4, overlay: bool = True,
                     var_scale: str = "own", cmap: str | None = None):
    """The paper's Figure 1/2 layout: classes in columns, vanilla (top) and VAR (bottom) in rows.

    Each row shares one colour scale across its classes (VAR moves attribution between classes), named by
    its colour bar. ``var_scale="own"`` gives the VAR row its own scale, so that its few kept locations are
    visible; ``"vanilla"`` draws it on the vanilla row's scale, so that what VAR removes shows as lost
    colour. Every kept location is drawn at least 70% opaque over the image, so that sparse maps are seen. Each
    VAR map's title gives the share of locations it keeps; an empty one says "nothing kept".

    Args:
        inputs: the preprocessed image, (1, 3, H, W).
        attributions, var_maps: vanilla H and VAR maps, (|K|, C, H, W).
        titles: one title per class (column).
        unnormalize: the model's inverse normalisation, to draw the image.
        note: text drawn under the image (method, t, tau).
        signed: draw the channel sum signed (diverging colours) rather than its magnitude.
        figsize_per_cell: inches per map.
        overlay: draw the maps over a grey copy of the image.
        var_scale: ``"own"`` or ``"vanilla"``.
        cmap: a matplotlib colour map; default ``inferno`` (magnitudes) or ``RdBu_r`` (signed), both colour-blind
            safe (:data:`var.viz.heatmap.CMAP`).

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt  # a pyplot figure, so notebooks show it with plt.show()

    from ..core.checks import check_choice
    from ..core.relevance import kept_share

    check_choice("var_scale", var_scale, ("own", "vanilla"))
    n = attributions.shape[0]
    fig, axes = plt.subplots(2, n + 1, figsize=(figsize_per_cell * (n + 1.4), figsize_per_cell * 2.1), squeeze=False,
                             layout="constrained")
    show_image(axes[0, 0], inputs, unnormalize)
    axes[1, 0].axis("off")
    axes[1, 0].text(0.5, 0.5, note, ha="center", va="center")
    background = grey(inputs, unnormalize) if overlay else None
    vmax = display_max([to_heatmap(a, signed) for a in attributions])
    what = "H (channel sum)" if signed else "|H| (channel sum)"
    vanilla = show_maps(axes[0, 1:], attributions, titles, signed, vmax=vmax, background=background,
                        empty_label="all zero", cmap=cmap)
    colour_bar(fig, axes[0, 1:], vanilla, f"vanilla {what}")
    kept = [f"VAR · kept {share:.1%}" for share in kept_share(var_maps).tolist()]
    own = var_scale == "own" and bool(var_maps.abs().sum())
    var_image = show_maps(axes[1, 1:], var_maps, kept, signed, vmax=None if own else vmax, background=background,
                          min_alpha=0.7, cmap=cmap)
    colour_bar(fig, axes[1, 1:], var_image, f"VAR {what}, " + ("its own scale" if own else "vanilla's scale"))
    axes[0, 1].text(-0.08, 0.5, "vanilla", transform=axes[0, 1].transAxes, rotation=90, va="center", ha="right")
    axes[1, 1].text(-0.08, 0.5, "VAR", transform=axes[1, 1].transAxes, rotation=90, va="center", ha="right")
    return fig


def show_gallery(explanations: dict, unnormalize, cell: float = 1.7, cmap: str | None = None):
    """Many methods on one image: a row per method (vanilla and VAR per class), labelled with its family.

    Each map has its own colour scale (methods differ by orders of magnitude); signed methods are
    drawn signed (each explanation's ``signed``, the method's fact); a VAR map's title gives the share it keeps, and an
    empty one says "nothing kept".

    Args:
        explanations: ``{registry method name: Explanation}``, all of one image and one class set,
            in the order of the rows.
        unnormalize: the model's inverse normalisation, to draw the image.
        cell: inches per map.
        cmap: a matplotlib colour map (default by sign, :func:`var.viz.heatmap.colour_map`).

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    from ..core.registry import get
    from ..core.relevance import kept_share

    names = list(explanations)
    first = explanations[names[0]]
    k = len(first.classes)
    fig, axes = plt.subplots(len(names), 2 * k + 1, figsize=(cell * (2 * k + 1), cell * 1.1 * len(names)),
                             squeeze=False)
    for row, name in zip(axes, names):
        e = explanations[name]
        show_image(row[0], e.inputs, unnormalize)
        row[0].set_title(f"{get(name).family}\n{name}", fontsize=8)
        signed = e.signed if e.signed is not None else get(name).signed
        shares = kept_share(e.maps).tolist()
        for c in range(k):
            show_maps([row[1 + 2 * c]], e.attributions[c:c + 1], [f"{e.class_names[c][:14]}"], signed,
                      empty_label="all zero", cmap=cmap)
            show_maps([row[2 + 2 * c]], e.maps[c:c + 1], [f"VAR · kept {shares[c]:.0%}"], signed, cmap=cmap)
    fig.tight_layout()
    return fig


def show_explanation(explanation, unnormalize, signed: bool | None = None, figsize_per_cell: float = 2.4,
                     overlay: bool = True, var_scale: str = "own", cmap: str | None = None):
    """:func:`show_vanilla_var` of an :class:`~var.core.explanation.Explanation`, with class names and probabilities.

    ``signed`` defaults to the explanation's (the method's own fact, with its options); ``cmap``: a
    matplotlib colour map (default by sign, :func:`var.viz.heatmap.colour_map`).
    """
    from ..core.registry import is_signed

    e = explanation
    if signed is None:
        signed = e.signed if e.signed is not None else is_signed(e.method)
    titles = [f"{name[:18]}\np = {p:.2f}" for name, p in zip(e.class_names, e.probabilities.tolist())]
    note = f"{e.method}\nt = {e.temperature:g}\nτ = {e.tau:g}"
    return show_vanilla_var(e.inputs, e.attributions, e.maps, titles, unnormalize, note, signed, figsize_per_cell,
                            overlay, var_scale, cmap)


def show_intervention(x: torch.Tensor, results: dict, maps: dict, names, unnormalize, cmap: str | None = None):
    """Paper Figure 4: per row (vanilla, VAR) the image, each class's map, and each class's deletion.

    Args:
        x: the input (1, 3, H, W).
        results: ``{"vanilla": intervene(...), "VAR": intervene(...)}``
            (:func:`var.benchmarks.intervention.intervene`).
        maps: the same keys, the two classes' maps (2, C, H, W).
        names: the two class names.
        unnormalize: the model's inverse normalisation.
        cmap: a matplotlib colour map (default :data:`var.viz.heatmap.CMAP`).

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(results), 5, figsize=(12.5, 2.8 * len(results)), squeeze=False)
    for row, (label, res) in zip(axes, results.items()):
        p = res["probabilities"]
        show_image(row[0], x, unnormalize)
        row[0].set_title(f"{label}\n{names[0][:14]} {p[0, 0]:.2f} · {names[1][:14]} {p[0, 1]:.2f}", fontsize=8)
        show_maps(row[1:3], maps[label], [f"map: {n[:18]}" for n in names], cmap=cmap)
        for i in range(2):
            show_image(row[3 + i], res["deleted"][i], unnormalize)
            row[3 + i].set_title(f"without {names[i][:14]}'s pixels\n{names[0][:10]} {p[1 + i, 0]:.2f} · "
                                 f"{names[1][:10]} {p[1 + i, 1]:.2f}", fontsize=8)
    fig.tight_layout()
    return fig
