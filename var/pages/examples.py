"""One drawn example of each benchmark's metric, for the pages that teach it.

* :func:`localisation_example`: one class's map blurred, its region outlined, the binarised map beside it, with
  RA, precision, recall and IoU in the titles (grid quadrant or COCO mask), vanilla and VAR;
* :func:`pic_example`: the softmax information curve (SIC) of a vanilla and a VAR map, with the images PIC
  restores at three thresholds and the model's probability of the target on each;
* :func:`sanity_example`: one class's map on the trained network and after randomising more and more layers;
* :func:`intervention_selectivity`: the numbers an intervention example's figure shows, and how VAR changes them.

The first three draw a pyplot figure (shown by the notebook's ``plt.show()``) and return it; the numbers come
from the benchmarks' own functions.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..benchmarks.insertion import predictor, uint8_crop
from ..benchmarks.metrics import binarize, blur_positive, localisation
from ..benchmarks.pic import blurred_image, pic_curves, random_mask, strict_ranking
from ..benchmarks.sanity import randomised
from ..core import class_sets
from ..core.attribution import attribute
from ..core.protocol import VERDICT_RULE
from ..core.relevance import Relevance, relevance
from ..viz.figures import grey, show_image, show_maps
from ..viz.heatmap import colour_bar

__all__ = ["localisation_example", "pic_example", "sanity_example", "intervention_selectivity", "NEGLIGIBLE"]

#: Below this, a selectivity (or a change of it) is read as none: a few hundredths of probability.
NEGLIGIBLE = 0.02


def _outline(ax, region: torch.Tensor) -> None:
    ax.contour(region.float().numpy(), levels=[0.5], colors="#00d0ff", linewidths=1.5)


def localisation_example(x: torch.Tensor, h: torch.Tensor, index: int, region: torch.Tensor, name: str,
                         unnormalize, rule: str = VERDICT_RULE) -> plt.Figure:
    """How a localisation metric scores one class's map: rows vanilla and VAR (paper's t, tau).

    Args:
        x: the input (1, 3, H, W).
        h: the class set's vanilla maps (|K|, C, H, W).
        index: the class's index in K.
        region: boolean (H, W), the quadrant or the object's mask.
        name: the class's name.
        unnormalize: the model's input -> [0, 1] image function.
        rule: the binarisation rule of precision, recall, IoU.
    """
    fig = plt.figure(figsize=(11, 5.6), layout="constrained")
    axes = fig.subplots(2, 3)
    background = grey(x, unnormalize)
    for row, (label, maps) in enumerate((("vanilla", h), ("VAR", relevance(h, Relevance(warn_below=None))))):
        blurred = blur_positive(maps)[index]
        scores = localisation(blurred, region, rule)
        show_image(axes[row, 0], x, unnormalize)
        _outline(axes[row, 0], region)
        axes[row, 0].set_title(f"{name}: the region (outlined)", fontsize=10)
        image = show_maps([axes[row, 1]], blurred[None], background=background, min_alpha=0.7 if row else 0.0)
        _outline(axes[row, 1], region)
        axes[row, 1].set_title(f"{label} map, blurred: RA = {scores['ra']:.2f}\n(share of its mass inside)",
                               fontsize=10)
        colour_bar(fig, [axes[row, 1]], image, f"{label} (blurred positive part)")
        hit = binarize(blurred, rule) if blurred.sum() > 0 else torch.zeros_like(region)
        axes[row, 2].imshow(hit.numpy(), cmap="Greys", vmin=0, vmax=1)
        _outline(axes[row, 2], region)
        axes[row, 2].axis("off")
        axes[row, 2].set_title(f"binarised ({rule} rule): precision {scores['precision']:.2f},\n"
                               f"recall {scores['recall']:.2f}, IoU {scores['iou']:.2f}", fontsize=10)
    return fig


def pic_example(model, image, label: int, method: str = "guided_backprop", k: int = 3,
                shown=(0.02, 0.1, 0.34), **options) -> plt.Figure:
    """SIC of one image for a vanilla and a VAR map, with the images PIC restores at ``shown`` thresholds.

    Args:
        model: a :class:`~var.core.model.VarModel`.
        image: a path or example name; ``label`` its ImageNet class (the target).
        method: the attribution method.
        k: K = the top-k classes and the least probable one, with the label (the insertion benchmark's rule).
        shown: the shares of pixels restored in the example images.
        **options: the method's options.
    """
    img = uint8_crop(model, image)
    x = model.from_rgb(img)
    classes = class_sets.top_k(model.logits(x)[0], k, target=label)
    h = attribute(model, x, classes, method, **options)
    mask = random_mask(*img.shape[:2], seed=0)
    predict = predictor(model, label)
    fig = plt.figure(figsize=(12, 6.2), layout="constrained")
    grid = fig.add_gridspec(2, 1 + len(shown), width_ratios=[1.6] + [1] * len(shown))
    curve_ax = fig.add_subplot(grid[:, 0])
    for row, (name, maps) in enumerate((("vanilla", h), ("VAR", relevance(h, Relevance(warn_below=None))))):
        saliency = maps[classes.index(label)].abs().sum(0).numpy()
        ranked = strict_ranking(saliency, seed=0)
        curves, skipped = pic_curves(img, ranked, mask, predict)
        if "sic" in curves:
            sic = curves["sic"]
            curve_ax.plot(sic.curve_x, sic.curve_y, label=f"{name}: SIC = {sic.auc:.3f}")
            curve_ax.scatter(*zip(*sic.points), s=12)
        else:
            curve_ax.plot([], [], label=f"{name}: skipped ({skipped.get('sic', '')})")
        for col, share in enumerate(shown, start=1):
            keep = ranked >= np.quantile(ranked, 1 - share)
            restored = blurred_image(img, keep | mask)
            p = predict(restored[None])[0][0]
            ax = fig.add_subplot(grid[row, col])
            ax.imshow(restored)
            ax.axis("off")
            ax.set_title(f"{name}: top {share:.0%} of pixels\np(target) = {p:.2f}", fontsize=9)
    curve_ax.set_xlabel("information restored (normalised compressed size)")
    curve_ax.set_ylabel("softmax of the target (normalised)")
    curve_ax.set_title(f"SIC of {model.class_names[label]}, {method}", fontsize=10)
    curve_ax.legend(fontsize=9)
    return fig


def sanity_example(model, x: torch.Tensor, classes: list[int], target: int, method: str = "guided_backprop",
                   fractions=(0.0, 0.1, 0.5, 1.0), seed: int = 0, **options) -> plt.Figure:
    """The target's map on the trained network and after randomising a growing share of its layers
    (output side first, the benchmark's ``gaussian`` rule): vanilla row and VAR row, each on its own scale.
    """
    fig = plt.figure(figsize=(3 * len(fractions) + 1, 6), layout="constrained")
    axes = fig.subplots(2, len(fractions))
    background = grey(x, model.unnormalize)
    index = classes.index(target)
    for col, fraction in enumerate(fractions):
        net = randomised(model, fraction, seed)
        h = attribute(net, x, classes, method, **options)
        for row, (name, maps) in enumerate((("vanilla", h), ("VAR", relevance(h, Relevance(warn_below=None))))):
            image = show_maps([axes[row, col]], maps[index:index + 1], background=background,
                              min_alpha=0.7 if row else 0.0)
            what = "trained" if fraction == 0 else f"{fraction:.0%} of layers random"
            axes[row, col].set_title(f"{name}, {what}", fontsize=10)
            if image is not None:
                colour_bar(fig, [axes[row, col]], image, f"|{name}|")
    return fig


def intervention_selectivity(results: dict) -> dict:
    """An intervention example's selectivity (:func:`~var.benchmarks.intervention.intervene` per map kind),
    averaged over the two classes, and how VAR changes it.

    Args:
        results: ``{"vanilla": intervene(...), "VAR": intervene(...)}``.

    Returns:
        ``{"vanilla": ..., "VAR": ..., "change": ...}``; ``change`` is ``"neither selective"`` (both below
        :data:`NEGLIGIBLE`), ``"negligible"`` (VAR moves it by less than :data:`NEGLIGIBLE`), ``"more selective"``
        or ``"less selective"``.
    """
    sel = {kind: float(np.mean([s["selectivity"] for s in r["scores"]])) for kind, r in results.items()}
    vanilla, var = sel["vanilla"], sel["VAR"]
    if max(vanilla, var) < NEGLIGIBLE:
        change = "neither selective"
    elif abs(var - vanilla) < NEGLIGIBLE:
        change = "negligible"
    else:
        change = "more selective" if var > vanilla else "less selective"
    return {"vanilla": vanilla, "VAR": var, "change": change}
