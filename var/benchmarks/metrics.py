"""Metrics shared by the benchmarks: localisation (paper Appendix 7.1) and map similarity.

Localisation follows the paper: sum the class's map over channels, take the
positive part of that sum (in this order: a pixel whose channels cancel counts
as 0; "positive part per element, then sum" would differ for GBP, IxG and IG),
blur it with an 11 x 11 Gaussian, then

* Region Attribution RA = sum of the blurred map inside R / sum over the image;
* IoU, precision, recall and F1 of the binarised blurred map against R.

The paper does not say how the map is binarised. :data:`~var.core.protocol.BINARIZATIONS` offers
the rules that could explain its numbers, each "pixels strictly above a
threshold": ``median`` (the top half of the pixels; on a quad grid a map spread
evenly gives precision 0.25, recall 0.50, IoU 0.20, F1 0.33, the paper's IxG and
IG vanilla rows), ``positive`` (every pixel the blurred map touches; on COCO it
gives recall 1.00 and precision = IoU = the object's share, the paper's vanilla
COCO rows), ``mean`` and ``otsu``. The benchmarks compute all of them and the
book shows which one reproduces the paper.

Every metric declares whether higher is better in :data:`var.benchmarks.table.METRICS`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from ..core.protocol import BINARIZATIONS, MAP_BLUR_KERNEL, MAP_BLUR_SIGMA
from . import table
from .base import BenchmarkOptions

__all__ = ["is_empty", "blur_positive", "binarize", "localisation", "localisation_rows", "check_rules", "similarity",
           "class_cosine", "LocalisationOptions"]


def is_empty(var_map: torch.Tensor) -> float:
    """1.0 if the map keeps nothing (all zero), else 0.0: the ``empty`` row every benchmark records per map.

    See "Empty maps" in :mod:`var.core.relevance` for how the workspace treats them.
    """
    return float(not var_map.any())


def blur_positive(maps: torch.Tensor, kernel: int = MAP_BLUR_KERNEL, sigma: float = MAP_BLUR_SIGMA) -> torch.Tensor:
    """(N, C, H, W) or (N, H, W) maps -> (N, H, W): channel sum, positive part, Gaussian blur.

    The blur is torchvision's ``gaussian_blur`` (reflect padding, the same kernel) computed as two products with
    banded matrices, G_H X G_W^T: the kernel is separable, and on CPU this is 5-20x faster than the 2-D
    convolution (a sweep grid unit's blur: 4.4 s -> 0.9 s), which matters where thousands of maps are scored per
    unit (the sweep). A test holds the two to float rounding.
    """
    if maps.dim() == 4:
        maps = maps.sum(1)
    if maps.dim() != 3:
        raise ValueError(f"maps must have shape (N, C, H, W) or (N, H, W), got {tuple(maps.shape)}.")
    pos = maps.clamp(min=0).float()
    return _blur_matrix(pos.shape[1], kernel, sigma) @ pos @ _blur_matrix(pos.shape[2], kernel, sigma).T


@functools.lru_cache(maxsize=8)
def _blur_matrix(size: int, kernel: int, sigma: float) -> torch.Tensor:
    """(size, size): a 1-D Gaussian blur of ``size`` samples with reflect padding, as a matrix (read-only)."""
    if kernel % 2 != 1 or not kernel // 2 < size:
        raise ValueError(f"the blur kernel must be odd and smaller than twice the map's side, got kernel {kernel} "
                         f"for a side of {size}.")
    half = (kernel - 1) / 2
    weights = torch.exp(-0.5 * (torch.linspace(-half, half, kernel) / sigma) ** 2)  # torchvision's kernel
    weights = weights / weights.sum()
    source = (torch.arange(size)[:, None] + torch.arange(kernel)[None, :] - kernel // 2).abs()  # reflect at 0
    source = torch.where(source >= size, 2 * (size - 1) - source, source)  # and at the far edge
    return torch.zeros(size, size).scatter_add_(1, source, weights.expand(size, kernel))


def binarize(blurred: torch.Tensor, how: str = "median") -> torch.Tensor:
    """Boolean (H, W) mask of the map's "highlighted" pixels (strictly above the rule's threshold)."""
    if how == "positive":
        thr = 0.0
    elif how == "mean":
        thr = blurred.mean()
    elif how == "median":
        thr = blurred.median()
    elif how == "otsu":
        from skimage.filters import threshold_otsu

        values = blurred.detach().cpu().numpy()
        thr = threshold_otsu(values) if values.max() > values.min() else values.max()
    else:
        raise ValueError(f"Unknown binarize rule {how!r}; choose from {', '.join(BINARIZATIONS)}.")
    return blurred > thr


def localisation(blurred: torch.Tensor, region: torch.Tensor, how: str = "median") -> dict[str, float]:
    """RA, IoU, precision, recall, F1 of one blurred (H, W) map against a boolean (H, W) region.

    ``how`` is the binarisation rule (:data:`~var.core.protocol.BINARIZATIONS`). An all-zero map
    has RA, precision and F1 0 (it highlights nothing), never NaN.
    """
    if blurred.shape != region.shape:
        raise ValueError(f"map {tuple(blurred.shape)} and region {tuple(region.shape)} differ in shape.")
    region = region.bool()
    if not region.any():
        raise ValueError("region is empty.")
    total = float(blurred.sum())
    ra = float(blurred[region].sum()) / total if total > 0 else 0.0
    hit = binarize(blurred, how) if total > 0 else torch.zeros_like(region)
    inter = float((hit & region).sum())
    union = float((hit | region).sum())
    precision = inter / float(hit.sum()) if hit.any() else 0.0
    recall = inter / float(region.sum())
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"ra": ra, "iou": inter / union, "precision": precision, "recall": recall, "f1": f1}


def localisation_many(blurred: torch.Tensor, regions: torch.Tensor, how: str = "mean") -> dict[str, torch.Tensor]:
    """:func:`localisation` of N maps at once: (N, H, W) blurred maps against (N, H, W) regions -> metric -> (N,).

    The same numbers as :func:`localisation` map by map (a test holds them to 1e-6), in a few tensor operations,
    for runs that score thousands of maps per unit (the sweep). ``otsu`` is computed map by map.
    """
    if blurred.shape != regions.shape or blurred.dim() != 3:
        raise ValueError(f"maps {tuple(blurred.shape)} and regions {tuple(regions.shape)} must both be (N, H, W).")
    regions = regions.bool()
    if not regions.flatten(1).any(1).all():
        raise ValueError("a region is empty.")
    total = blurred.sum((1, 2), dtype=torch.float64)  # sums in float64, without a float64 copy of the maps
    has_mass = total > 0
    ra = torch.where(has_mass, (blurred * regions).sum((1, 2), dtype=torch.float64) / total.clamp(min=1e-300), 0.0)
    if how == "otsu":
        hit = torch.stack([binarize(b, how) for b in blurred])
    else:
        if how not in BINARIZATIONS:
            raise ValueError(f"Unknown binarize rule {how!r}; choose from {', '.join(BINARIZATIONS)}.")
        flat = blurred.flatten(1)
        thr = {"positive": torch.zeros_like(total), "mean": total / flat.shape[1],
               "median": flat.median(1).values.double()}[how]
        hit = blurred > thr[:, None, None]
    hit &= has_mass[:, None, None]
    def count(mask):  # int32 is exact for any map below 2^31 pixels, and twice as fast as int64 here
        return mask.sum((1, 2), dtype=torch.int32).double()

    inter, union, hits, area = count(hit & regions), count(hit | regions), count(hit), count(regions)
    precision = torch.where(hits > 0, inter / hits.clamp(min=1), 0.0)
    recall = inter / area
    f1 = torch.where(precision + recall > 0, 2 * precision * recall / (precision + recall).clamp(min=1e-300), 0.0)
    return {"ra": ra, "iou": inter / union, "precision": precision, "recall": recall, "f1": f1}


def localisation_rows(blurred: torch.Tensor, region: torch.Tensor, rules, **keys) -> list[dict]:
    """Tidy rows of :func:`localisation` for every rule: RA once (``binarize`` is
    :data:`~var.benchmarks.table.NO_RULE`), the rest per rule.
    """
    rows = []
    for i, rule in enumerate(rules):
        scores = localisation(blurred, region, rule)
        ra = scores.pop("ra")
        if i == 0:
            rows += table.rows({"ra": ra}, binarize=table.NO_RULE, **keys)
        rows += table.rows(scores, binarize=rule, **keys)
    return rows


def check_rules(rules) -> tuple[str, ...]:
    """A binarisation option: one rule name or a sequence of them, as a tuple."""
    rules = (rules,) if isinstance(rules, str) else rules
    if not isinstance(rules, (list, tuple)) or not rules:
        raise TypeError(f"binarize must be a rule or a list of rules from {BINARIZATIONS}, not {rules!r}.")
    for rule in rules:
        if rule not in BINARIZATIONS:
            raise ValueError(f"Unknown binarize rule {rule!r}; choose from {', '.join(BINARIZATIONS)}.")
    return tuple(rules)


def similarity(original: torch.Tensor, other: torch.Tensor) -> dict[str, float]:
    """Similarity of two maps of one class (Adebayo et al. 2018): lower after randomisation is better.

    ``spearman_abs`` ranks channel-summed magnitudes (Adebayo's main measure);
    ``spearman``, ``pearson`` and ``cosine`` use the signed channel sum. A
    constant map has no rank correlation: NaN (reported, not hidden).
    """
    a, b = original.detach().double(), other.detach().double()
    if a.dim() == 3:
        a_abs, b_abs, a, b = a.abs().sum(0), b.abs().sum(0), a.sum(0), b.sum(0)
    else:
        a_abs, b_abs = a.abs(), b.abs()
    a, b, a_abs, b_abs = (t.flatten().numpy() for t in (a, b, a_abs, b_abs))
    out = {"spearman_abs": _corr(stats.spearmanr, a_abs, b_abs), "spearman": _corr(stats.spearmanr, a, b),
           "pearson": _corr(stats.pearsonr, a, b)}
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    out["cosine"] = float(a @ b / norm) if norm > 0 else float("nan")
    return out


def _corr(fn, a, b) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(fn(a, b)[0])


@dataclass(frozen=True)
class LocalisationOptions(BenchmarkOptions):
    """The options grid and COCO share: ``binarize``, one rule or several (:data:`~var.core.protocol.BINARIZATIONS`),
    kept as a tuple.
    """

    binarize: tuple[str, ...] = BINARIZATIONS

    def check(self):
        object.__setattr__(self, "binarize", check_rules(self.binarize))


def class_cosine(maps: torch.Tensor) -> torch.Tensor:
    """How alike each class's map is to the other classes' maps: (S, n, C, H, W) -> (S, n).

    The mean cosine similarity of a map's |H| (summed over channels) with that of every other map of the same
    setting; 1: the same map for every class (nothing class-specific), 0: no shared location. NaN for an empty
    map, which has no direction.
    """
    a = maps.abs().sum(2).flatten(2).double()  # (torch.linalg.vector_norm(ord=1) is ~20x slower here)
    norm = a.norm(dim=2)
    cos = (a @ a.transpose(1, 2)) / (norm[:, :, None] * norm[:, None, :])
    n = maps.shape[1]
    off = ~torch.eye(n, dtype=torch.bool)
    return torch.stack([cos[s][off].view(n, n - 1).nanmean(1) for s in range(len(cos))]).where(norm > 0, torch.nan)
