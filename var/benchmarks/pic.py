"""Performance Information Curves (Kapishnikov et al. 2019, XRAI; PAIR ``saliency.metrics.pic``).

The insertion benchmark of the paper (Section 5.2). Starting from a "fully
blurred" image (1% random pixels kept, the rest filled by linear interpolation),
the most salient pixels are restored for each saliency threshold; the x-axis
is the image's information (lossless-WebP size, normalised between the blurred
and the original image), the y-axis the model's normalised softmax for the
target (SIC) or its accuracy (AIC), kept monotone. The AUC over 1,001 evenly
spaced points is the score.

This follows PAIR's definition step by step (same thresholds, filters,
interpolation, rounding and trapezoid rule); a test checks that SIC and AIC
equal PAIR's on the same image, model and map. Two differences in *how*, not
*what*: one Delaunay triangulation serves all colour channels, and SIC and AIC
share the model calls on the same blurred images.

VAR maps are sparse and tie at zero; PAIR keeps every pixel ``>=`` the
quantile, so a tie at zero restores the whole image at once. Use
:func:`strict_ranking` first: ties are broken by a seeded random permutation,
so each threshold restores exactly its share of pixels and no region is
favoured.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy.interpolate import LinearNDInterpolator, interp1d

__all__ = ["THRESHOLDS", "random_mask", "blurred_image", "webp_entropy", "strict_ranking", "pic_curves",
           "pic_curves_many", "pic_filters", "curve", "median_curve_auc", "PicResult"]

THRESHOLDS = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.10, 0.13, 0.21, 0.34, 0.5, 0.75)


@dataclass
class PicResult:
    """One performance information curve and its area."""

    curve_x: np.ndarray
    curve_y: np.ndarray
    auc: float
    points: list[tuple[float, float]]  # the measured (information, performance) points the curve interpolates


def random_mask(height: int, width: int, fraction: float = 0.01, seed: int = 0) -> np.ndarray:
    """Boolean mask with ``int(H * W * fraction)`` random pixels set, seeded."""
    mask = np.zeros((height, width), dtype=bool)
    idx = np.random.default_rng(seed).choice(mask.size, replace=False, size=int(mask.size * fraction))
    mask[np.unravel_index(idx, mask.shape)] = True
    return mask


def blurred_image(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Keep ``mask`` pixels of a uint8 (H, W, C) image and fill the rest by linear interpolation."""
    mask = mask.copy()
    h, w = mask.shape
    mask[[0, 0, h - 1, h - 1], [0, w - 1, 0, w - 1]] = True  # corners: the hull covers the image
    if mask.all():
        return img
    known, unknown = np.argwhere(mask), np.argwhere(~mask)
    values = img[mask].astype(np.float64)
    filled = LinearNDInterpolator(known, values, fill_value=np.nan)(unknown)
    mean = img.mean(axis=(0, 1))
    filled = np.where(np.isnan(filled), mean, filled)
    out = img * mask[..., None].astype(np.float32)
    out[~mask] = filled  # float32, as PAIR; then round to integers
    return np.round(out).astype(img.dtype)


def webp_entropy(img: np.ndarray) -> int:
    """Information in an image: its lossless-WebP size in bytes."""
    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, format="webp", lossless=True, quality=100)
    return buffer.tell()


def strict_ranking(saliency: np.ndarray, seed: int = 0) -> np.ndarray:
    """Ranks 0..N-1 of the map's pixels (higher = more salient), ties in seeded random order."""
    flat = saliency.ravel()
    tiebreak = np.random.default_rng(seed).permutation(flat.size)
    order = np.lexsort((tiebreak, flat))  # by value, then by the random key
    ranks = np.empty(flat.size, dtype=np.float64)
    ranks[order] = np.arange(flat.size)
    return ranks.reshape(saliency.shape)


def curve(points: list[tuple[float, float]], num_points: int = 1000) -> PicResult:
    """PAIR's curve through the measured points (plus (0, 0) and (1, 1)), sampled at ``num_points`` + 1 x values."""
    points = [tuple(p) for p in points]
    x, y = zip(*(points + [(0.0, 0.0), (1.0, 1.0)]))
    f = interp1d(x=x, y=y)
    curve_x = np.linspace(0.0, 1.0, num=num_points, endpoint=False)
    curve_y = np.asarray([f(v) for v in curve_x])
    curve_x, curve_y = np.append(curve_x, 1.0), np.append(curve_y, 1.0)
    return PicResult(curve_x, curve_y, float(np.trapezoid(curve_y, curve_x)), points)


def median_curve_auc(curves: Sequence[list[tuple[float, float]]], num_points: int = 1000) -> float:
    """PAIR's aggregate (``aggregate_individual_pic_results(method="median")``): the area under the
    pointwise median of the images' curves, the number the paper's SIC/AIC tables report.
    """
    if not curves:
        return float("nan")
    sampled = [curve(points, num_points) for points in curves]
    median = np.median(np.stack([c.curve_y for c in sampled]), axis=0)
    return float(np.trapezoid(median, sampled[0].curve_x))


def pic_curves(
    img: np.ndarray,
    saliency: np.ndarray,
    mask: np.ndarray,
    predict: Callable[[np.ndarray], tuple[Sequence[float], Sequence[float]]],
    thresholds: Sequence[float] = THRESHOLDS,
    min_pred: dict[str, float] | None = None,
    num_points: int = 1000,
) -> tuple[dict[str, PicResult], dict[str, str]]:
    """SIC and AIC of one image and map (:func:`pic_curves_many` with one map).

    Args:
        img: uint8 (H, W, 3) image.
        saliency: (H, W) map, higher = more important (pass :func:`strict_ranking` of it to break ties).
        mask: the random 1% mask of the fully blurred image.
        predict: uint8 (B, H, W, 3) -> (softmax of the target, 1.0 if the target is the top class else 0.0).
        thresholds: shares of the most salient pixels restored, one curve point each.
        min_pred: per curve, the lowest prediction on the original image to keep it
            (PAIR: SIC 0.8 by default; AIC needs a correct prediction, 0.5).
        num_points: the curve is sampled at this many points (+1) for its area.

    Returns:
        ``(curves, skipped)``: ``{"sic": PicResult, "aic": ...}`` for the curves
        computed and ``{name: reason}`` for those PIC's filters skipped.
    """
    return pic_curves_many(img, [saliency], mask, predict, thresholds, min_pred, num_points)[0]


def pic_curves_many(
    img: np.ndarray,
    saliencies: Sequence[np.ndarray],
    mask: np.ndarray,
    predict: Callable[[np.ndarray], tuple[Sequence[float], Sequence[float]]],
    thresholds: Sequence[float] = THRESHOLDS,
    min_pred: dict[str, float] | None = None,
    num_points: int = 1000,
    batch_size: int = 32,
) -> list[tuple[dict[str, PicResult], dict[str, str]]]:
    """SIC and AIC of one image for several maps, as :func:`pic_curves` per map but faster.

    What depends only on the image (the fully blurred image, both entropies,
    the predictions on the original and the blurred image, and so PAIR's
    filters) is computed once, not once per map; the model sees the partially
    restored images of all maps and thresholds in batches of ``batch_size``.
    The points and areas are PAIR's (a test compares them).

    Returns:
        One ``(curves, skipped)`` per map, in order.
    """
    if img.dtype != np.uint8 or img.ndim != 3:
        raise ValueError(f"img must be uint8 (H, W, C), got {img.dtype} {img.shape}.")
    for saliency in saliencies:
        if saliency.shape != img.shape[:2]:
            raise ValueError(f"saliency {saliency.shape} must match the image's (H, W) {img.shape[:2]}.")
    entropy_orig, entropy_blur, base, skipped = _image_base(img, mask, predict, min_pred)
    live = [name for name in base if name not in skipped]
    if not live:
        return [({}, dict(skipped)) for _ in saliencies]
    keeps = [(s >= np.quantile(s, 1 - t)) | mask for s in saliencies for t in thresholds]
    filled = [_fill_and_measure(img, keep) for keep in keeps]
    soft, acc = [], []
    for i in range(0, len(filled), batch_size):
        s, a = predict(np.stack([image for image, _ in filled[i:i + batch_size]]))
        soft += [float(v) for v in s]
        acc += [float(v) for v in a]
    results = []
    for m in range(len(saliencies)):
        points: dict[str, list] = {name: [] for name in live}
        best = {name: 0.0 for name in live}
        for j in range(len(thresholds)):
            k = m * len(thresholds) + j
            entropy = np.clip((filled[k][1] - entropy_blur) / (entropy_orig - entropy_blur), 0.0, 1.0)
            for name, value in (("sic", soft[k]), ("aic", acc[k])):
                if name in live:
                    orig, blur = base[name]
                    best[name] = max(best[name], float(np.clip((value - blur) / (orig - blur), 0.0, 1.0)))
                    points[name].append((entropy, best[name]))  # PAIR keeps the curve monotone
        results.append(({name: curve(points[name], num_points) for name in live}, dict(skipped)))
    return results


def pic_filters(img: np.ndarray, mask: np.ndarray, predict: Callable, min_pred: dict[str, float] | None = None
                ) -> dict[str, str]:
    """``{curve: reason}`` of the curves PAIR's filters skip on this image (they do not depend on the map), so a
    caller can skip an image before computing its maps. Arguments as :func:`pic_curves`.
    """
    return _image_base(img, mask, predict, min_pred)[3]


def _image_base(img: np.ndarray, mask: np.ndarray, predict: Callable, min_pred: dict[str, float] | None):
    """The per-image work: both entropies, the predictions on the original and the blurred image, the filters."""
    min_pred = {"sic": 0.8, "aic": 0.5, **(min_pred or {})}
    entropy_orig = webp_entropy(img)
    entropy_blur = webp_entropy(blurred_full := blurred_image(img, mask))
    (p_orig, p_blur), (a_orig, a_blur) = (np.asarray(v, dtype=float) for v in predict(np.stack([img, blurred_full])))
    base = {"sic": (p_orig, p_blur), "aic": (a_orig, a_blur)}
    return entropy_orig, entropy_blur, base, _filters(base, min_pred, entropy_orig, entropy_blur)


def _filters(base: dict, min_pred: dict, entropy_orig: int, entropy_blur: int) -> dict[str, str]:
    """PAIR's reasons to skip a curve for this image (they do not depend on the map)."""
    skipped = {}
    for name, (orig, blur) in base.items():
        if orig < min_pred[name]:
            skipped[name] = f"prediction on the original {orig:.3f} < min_pred {min_pred[name]}"
        elif entropy_blur >= entropy_orig:
            skipped[name] = "blurred image has no less information than the original"
        elif blur >= orig:
            skipped[name] = f"prediction on the blurred image {blur:.3f} >= original {orig:.3f}"
    return skipped


def _fill_and_measure(img: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, int]:
    image = blurred_image(img, keep)
    return image, webp_entropy(image)
