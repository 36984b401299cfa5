"""Figures: vanilla vs VAR maps per class, benchmark plots, and the helpers that turn maps into images.

Maps are drawn over a grey copy of the image by default (``overlay``), signed
methods (Input x Gradient, Integrated Gradients) with a diverging colormap
centred at 0. The maps of one row (the classes) share one colour scale, named by
the row's colour bar. VAR's row has its own scale by default: its maps keep few
locations and would come out faint on the vanilla scale (``var_scale="vanilla"``
shows them so, to see what VAR removes).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["NOTHING_KEPT", "label_empty", "to_heatmap", "display_max", "show_image", "show_explanation",
           "show_vanilla_var", "show_maps", "colour_bar", "show_gallery", "grey", "metric_bars", "dumbbell",
           "sanity_curves", "show_intervention", "claims_forest"]


#: What figures write on a map that keeps nothing (see "Empty maps" in :mod:`var.class_relevance`).
NOTHING_KEPT = "nothing kept"


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


def show_maps(axes, maps: torch.Tensor, titles=None, signed: bool = False, shared_scale: bool = True,
              vmax: float | None = None, background: np.ndarray | None = None, empty_label: str = NOTHING_KEPT,
              min_alpha: float = 0.0):
    """Draw one heatmap per class on ``axes``; one colour scale across classes by default.

    A shared scale keeps class maps comparable: VAR moves attribution between classes.
    The scale tops out at the 99.5th percentile of the non-zero magnitudes, or
    at ``vmax`` (to share it with another row). With a ``background`` (a grey
    (H, W) image) the map is drawn over it, transparent where it is zero. An
    all-zero map carries ``empty_label``; ``min_alpha`` is the least opacity of a
    non-zero location over the background (VAR's sparse maps: every kept location
    visible). Returns the last ``imshow`` image when the scale is shared (for
    :func:`colour_bar`), else None.
    """
    heat = [to_heatmap(m, signed) for m in maps]
    peak = vmax or display_max(heat)
    image = None
    for i, (ax, h) in enumerate(zip(axes, heat)):
        top = peak if shared_scale else display_max([h])
        cmap, vmin = ("RdBu_r", -top) if signed else ("inferno", 0)
        if background is not None:
            ax.imshow(background, cmap="gray", vmin=0, vmax=1)
            alpha = np.clip(np.abs(h) / top, 0, 1) ** 0.5 * 0.9  # faint where the map is weak
            alpha = np.where(h != 0, np.maximum(alpha, min_alpha), alpha)
            image = ax.imshow(h, cmap=cmap, vmin=vmin, vmax=top, alpha=alpha)
        else:
            image = ax.imshow(h, cmap=cmap, vmin=vmin, vmax=top)
        ax.axis("off")
        label_empty(ax, h, empty_label)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return image if shared_scale else None


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


def grey(inputs: torch.Tensor, unnormalize) -> np.ndarray:
    """The input as a light grey (H, W) image, the background of overlaid maps."""
    img = unnormalize(inputs.detach().cpu().reshape(-1, *inputs.shape[-3:])[0]).mean(0).numpy()
    return 0.35 + 0.5 * img


def show_vanilla_var(inputs: torch.Tensor, attributions: torch.Tensor, var_maps: torch.Tensor, titles, unnormalize,
                     note: str = "", signed: bool = False, figsize_per_cell: float = 2.4, overlay: bool = True,
                     var_scale: str = "own"):
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

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt  # a pyplot figure, so notebooks show it with plt.show()

    from .checks import check_choice
    from .class_relevance import kept_share

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
                        empty_label="all zero")
    colour_bar(fig, axes[0, 1:], vanilla, f"vanilla {what}")
    kept = [f"VAR · kept {share:.1%}" for share in kept_share(var_maps).tolist()]
    own = var_scale == "own" and bool(var_maps.abs().sum())
    var_image = show_maps(axes[1, 1:], var_maps, kept, signed, vmax=None if own else vmax, background=background,
                          min_alpha=0.7)
    colour_bar(fig, axes[1, 1:], var_image, f"VAR {what}, " + ("its own scale" if own else "vanilla's scale"))
    axes[0, 1].text(-0.08, 0.5, "vanilla", transform=axes[0, 1].transAxes, rotation=90, va="center", ha="right")
    axes[1, 1].text(-0.08, 0.5, "VAR", transform=axes[1, 1].transAxes, rotation=90, va="center", ha="right")
    return fig


def show_gallery(explanations: dict, unnormalize, cell: float = 1.7):
    """Many methods on one image: a row per method (vanilla and VAR per class), labelled with its family.

    Each map has its own colour scale (methods differ by orders of magnitude); signed methods are
    drawn signed (as the registry declares them); a VAR map's title gives the share it keeps, and an
    empty one says "nothing kept".

    Args:
        explanations: ``{registry method name: Explanation}``, all of one image and one class set,
            in the order of the rows.
        unnormalize: the model's inverse normalisation, to draw the image.
        cell: inches per map.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    from .class_relevance import kept_share
    from .registry import get

    names = list(explanations)
    first = explanations[names[0]]
    k = len(first.classes)
    fig, axes = plt.subplots(len(names), 2 * k + 1, figsize=(cell * (2 * k + 1), cell * 1.1 * len(names)),
                             squeeze=False)
    for row, name in zip(axes, names):
        e = explanations[name]
        show_image(row[0], e.inputs, unnormalize)
        row[0].set_title(f"{get(name).family}\n{name}", fontsize=8)
        signed = get(name).signed
        shares = kept_share(e.maps).tolist()
        for c in range(k):
            show_maps([row[1 + 2 * c]], e.attributions[c:c + 1], [f"{e.class_names[c][:14]}"], signed,
                      empty_label="all zero")
            show_maps([row[2 + 2 * c]], e.maps[c:c + 1], [f"VAR · kept {shares[c]:.0%}"], signed)
    fig.tight_layout()
    return fig


def show_explanation(explanation, unnormalize, signed: bool | None = None, figsize_per_cell: float = 2.4,
                     overlay: bool = True, var_scale: str = "own"):
    """:func:`show_vanilla_var` of an :class:`~var.explanation.Explanation`, with class names and probabilities.

    ``signed`` defaults to the method's own convention (what :mod:`var.registry` declares).
    """
    from .registry import is_signed

    e = explanation
    signed = is_signed(e.method) if signed is None else signed
    titles = [f"{name[:18]}\np = {p:.2f}" for name, p in zip(e.class_names, e.probabilities.tolist())]
    note = f"{e.method}\nt = {e.temperature:g}\nτ = {e.tau:g}"
    return show_vanilla_var(e.inputs, e.attributions, e.maps, titles, unnormalize, note, signed, figsize_per_cell,
                            overlay, var_scale)


def metric_bars(table, metrics=None, col_wrap: int = 3, col: str = "metric"):
    """Bar plot of a benchmark's tidy table: mean per method, vanilla vs VAR, one panel per ``col`` value.

    The bars and their 95% intervals are :func:`var.benchmarks.summarize`'s, the numbers of the run's
    ``summary.csv`` (clustered by unit), not a separate bootstrap. ``col`` picks what the panels
    separate (e.g. ``"model"`` for one metric across models).

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    from .benchmarks.runner import summarize

    if metrics is not None:
        table = table[table.metric.isin(metrics)]
    summary = summarize(table, by=[c for c in ("model", "method", "var", "binarize", "metric") if c in table])
    panels = [m for m in metrics if m in set(summary[col])] if metrics is not None and col == "metric" else sorted(
        summary[col].unique())
    methods = sorted(summary["method"].unique())
    ncols = min(col_wrap, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(0.55 * len(methods) * ncols + 1.5 * ncols, 3.2 * nrows),
                             squeeze=False)
    width = 0.4
    for ax, panel in zip(axes.flat, panels):
        part = summary[summary[col] == panel]
        for offset, is_var, color, label in ((-0.5, False, "tab:blue", "vanilla"), (0.5, True, "tab:red", "VAR")):
            bars = part[part["var"] == is_var].set_index("method").reindex(methods)
            error = np.nan_to_num([bars["mean"] - bars["ci95_low"], bars["ci95_high"] - bars["mean"]])
            ax.bar(np.arange(len(methods)) + offset * width, bars["mean"], width, yerr=error, capsize=2,
                   color=color, label=label)
        ax.set_title(f"{col} = {panel}")
        ax.set_xticks(range(len(methods)), methods, rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    axes.flat[0].legend(title="95% CI: as summary.csv", fontsize=8, title_fontsize=8)
    fig.tight_layout()
    return fig


def dumbbell(summary, metrics, paper=None, paper_column: str = "paper_resnet50"):
    """Vanilla → VAR per method, one panel per metric: ours as filled dots joined by a line, the paper's hollow.

    Args:
        summary: our summary (``var.benchmarks.summarize``), one model and one binarisation rule.
        metrics: the metrics (panels) to draw.
        paper: optionally a table from :mod:`var.paper` drawn beside ours.
        paper_column: the paper's column to draw.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    methods = sorted(summary["method"].unique())
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 0.5 * len(methods) + 1.2),
                             sharey=True, squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for y, method in enumerate(methods):
            for frame, column, style, offset in ((summary, "mean", dict(), 0.12),
                                                 (paper, paper_column, dict(mfc="none"), -0.12)):
                if frame is None:
                    continue
                rows = frame[(frame["method"] == method) & (frame["metric"] == metric)].set_index("var")
                if len(rows) < 2:
                    continue
                a, b = rows.loc[False, column], rows.loc[True, column]
                ax.plot([a, b], [y + offset] * 2, color="0.6", lw=1)
                ax.plot([a], [y + offset], "o", color="tab:blue", **style)
                ax.plot([b], [y + offset], "o", color="tab:red", **style)
        ax.set_title(metric)
        ax.set_yticks(range(len(methods)), methods)
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].plot([], [], "o", color="tab:blue", label="vanilla")
    axes[0, 0].plot([], [], "o", color="tab:red", label="VAR")
    if paper is not None:
        axes[0, 0].plot([], [], "o", color="0.3", mfc="none", label="paper (hollow, below)")
    fig.legend(loc="upper center", ncol=3, bbox_to_anchor=(0.5, 1.08), frameon=False)
    fig.tight_layout()
    return fig


def sanity_curves(table, metric: str = "spearman_abs"):
    """Similarity vs fraction of layers randomised: one line per method, dashed vanilla, solid VAR.

    One panel per value of a ``reinit`` column when the table has one.

    Returns:
        The seaborn ``FacetGrid``.
    """
    import seaborn as sns

    data = table[table.metric == metric].assign(VAR=table["var"].map({False: "vanilla", True: "VAR"}))
    g = sns.relplot(data, x="fraction", y="value", hue="method", style="VAR", style_order=["VAR", "vanilla"],
                    col="reinit" if "reinit" in data.columns else None, kind="line", marker="o", height=3.6,
                    aspect=1.3, errorbar=None, dashes={"VAR": "", "vanilla": (4, 2)})
    g.set_axis_labels("fraction of layers randomised (output first)", f"{metric} (lower is better)")
    return g


def show_intervention(x: torch.Tensor, results: dict, maps: dict, names, unnormalize):
    """Paper Figure 4: per row (vanilla, VAR) the image, each class's map, and each class's deletion.

    Args:
        x: the input (1, 3, H, W).
        results: ``{"vanilla": intervene(...), "VAR": intervene(...)}``
            (:func:`var.benchmarks.intervention.intervene`).
        maps: the same keys, the two classes' maps (2, C, H, W).
        names: the two class names.
        unnormalize: the model's inverse normalisation.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(results), 5, figsize=(12.5, 2.8 * len(results)), squeeze=False)
    for row, (label, res) in zip(axes, results.items()):
        p = res["probabilities"]
        show_image(row[0], x, unnormalize)
        row[0].set_title(f"{label}\n{names[0][:14]} {p[0, 0]:.2f} · {names[1][:14]} {p[0, 1]:.2f}", fontsize=8)
        show_maps(row[1:3], maps[label], [f"map: {n[:18]}" for n in names])
        for i in range(2):
            show_image(row[3 + i], res["deleted"][i], unnormalize)
            row[3 + i].set_title(f"without {names[i][:14]}'s pixels\n{names[0][:10]} {p[1 + i, 0]:.2f} · "
                                 f"{names[1][:10]} {p[1 + i, 1]:.2f}", fontsize=8)
    fig.tight_layout()
    return fig


def claims_forest(details, col_wrap: int = 4):
    """One panel per claim: each method's VAR - vanilla with its 95% interval; green shade = the claimed side.

    Args:
        details: :func:`var.claims.details`.
        col_wrap: panels per row.

    Returns:
        The matplotlib ``Figure``.
    """
    import textwrap

    import matplotlib.pyplot as plt
    import pandas as pd

    from .methods import METHOD_TITLES

    claims = list(dict.fromkeys(details["claim"]))
    rows = -(-len(claims) // col_wrap)
    fig, axes = plt.subplots(rows, col_wrap, figsize=(3.6 * col_wrap, 2.6 * rows), squeeze=False)
    for ax, claim in zip(axes.flat, claims):
        part = details[details["claim"] == claim].reset_index(drop=True)
        y = range(len(part))
        ax.errorbar(part["mean"], y, xerr=[part["mean"] - part["ci95_low"], part["ci95_high"] - part["mean"]],
                    fmt="o", color="k", ms=4, capsize=2)
        ax.axvline(0, color="grey", lw=0.8)
        low, high = ax.get_xlim()
        span = max(abs(low), abs(high))
        side = (0, span) if part["direction"].iloc[0] > 0 else (-span, 0)
        ax.axvspan(*side, color="tab:green", alpha=0.12, lw=0)
        ax.set_xlim(-span, span)
        labels = [METHOD_TITLES.get(m, m) + (f" at {f:g}" if pd.notna(f) else "")
                  for m, f in zip(part["method"], part["fraction"])]
        ax.set_yticks(list(y), labels, fontsize=8 if len(part) < 10 else 6)
        ax.set_title(textwrap.fill(claim, 38), fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes.flat[len(claims):]:
        ax.axis("off")
    fig.supxlabel("VAR − vanilla (paired, 95% interval)", fontsize=9)
    fig.tight_layout()
    return fig
