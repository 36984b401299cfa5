"""Images that work offline: files, arrays, and the photos shipped inside Python wheels."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

__all__ = ["load_image", "EXAMPLE_IMAGES"]

#: Named example photos that ship with installed packages (no download).
EXAMPLE_IMAGES = {
    "skimage:chelsea": "a tabby cat",
    "skimage:coffee": "an espresso cup on a saucer",
    "skimage:astronaut": "Eileen Collins",
    "skimage:rocket": "a rocket on its launch pad",
    "skimage:motorcycle_left": "a motorcycle (stereo pair, left)",
    "matplotlib:grace_hopper": "Grace Hopper in uniform",
    "sklearn:china.jpg": "a Chinese temple",
    "sklearn:flower.jpg": "a flower with a bee",
}


def load_image(source) -> Image.Image:
    """Return an 8-bit RGB PIL image from a path, PIL image, array or an example name.

    Example names are ``"skimage:<function>"`` (e.g. ``skimage:chelsea``),
    ``"matplotlib:grace_hopper"`` and ``"sklearn:china.jpg"``/``"sklearn:flower.jpg"``.

    Value ranges are taken from the data type, never guessed from the values:
    uint8 is 0..255, uint16 (and 16-bit PNGs) 0..65535, floats 0..1 (a float
    array with values above 1 is an error naming the fix), other integers
    0..255. Grey images become RGB; transparent images (RGBA, LA, palettes with
    transparency) are composited on white. NaN, Inf and out-of-range values are
    errors.
    """
    if isinstance(source, Image.Image):
        return _from_pil(source)
    if isinstance(source, np.ndarray):
        return Image.fromarray(_to_uint8(source))
    if isinstance(source, str) and ":" in source and not os.path.exists(source):
        return _example(source)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"load_image: expected a path, PIL image, numpy array or example name, "
                        f"not {type(source).__name__}.")
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"load_image: no file {path}; pass a path, a PIL image, an array, "
                                f"or one of {sorted(EXAMPLE_IMAGES)}.")
    try:
        with Image.open(path) as img:
            return _from_pil(img)
    except UnidentifiedImageError:
        raise ValueError(f"load_image: {path} is not an image Pillow can read (JPEG, PNG, WebP, TIFF, ...).") from None


def _from_pil(img: Image.Image) -> Image.Image:
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit/float greys: PIL's convert would clip to white
        values = np.asarray(img)
        scale = 65535.0 if img.mode != "F" else 1.0
        return Image.fromarray(_to_uint8(values.astype(np.float64) / scale))
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array -> uint8 (H, W, 3) by the rules of ``load_image``."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise ValueError(f"load_image: expected an (H, W), (H, W, 3) or (H, W, 4) array, got shape {a.shape}"
                         + ("; for channels-first data use array.transpose(1, 2, 0)." if a.ndim == 3 and
                            a.shape[0] in (1, 3, 4) else "."))
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        a = a.astype(np.float64) / 65535.0
    elif np.issubdtype(a.dtype, np.integer) and a.dtype != np.uint8:
        if a.min() < 0 or a.max() > 255:
            raise ValueError(f"load_image: {a.dtype} values span {a.min()}..{a.max()}; integer images must lie in "
                             "0..255 (or be uint16 for 0..65535).")
        a = a.astype(np.uint8)
    if np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise ValueError("load_image: the array contains NaN or Inf.")
        lo, hi = float(a.min()), float(a.max())
        if lo < 0 or hi > 1:
            hint = " (use array / 255 for 0..255 data)" if hi <= 255 and lo >= 0 else ""
            raise ValueError(f"load_image: float arrays must lie in [0, 1], got {lo:g}..{hi:g}{hint}.")
        a = (a * 255).round().astype(np.uint8)
    elif a.dtype != np.uint8:
        raise TypeError(f"load_image: unsupported array dtype {a.dtype}.")
    if a.ndim == 2:
        return np.repeat(a[..., None], 3, axis=2)
    if a.shape[2] == 4:  # composite on white, as for transparent files
        alpha = a[..., 3:].astype(np.float64) / 255.0
        return (a[..., :3] * alpha + 255.0 * (1 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(a)


def _example(name: str) -> Image.Image:
    package, item = name.split(":", 1)
    if package == "skimage":
        import skimage.data

        if not hasattr(skimage.data, item):
            raise ValueError(f"load_image: skimage.data has no image {item!r}.")
        return load_image(getattr(skimage.data, item)())
    if package == "matplotlib":
        import matplotlib.cbook

        return load_image(matplotlib.cbook.get_sample_data(f"{item}.jpg", asfileobj=False))
    if package == "sklearn":
        from sklearn.datasets import load_sample_image

        return load_image(load_sample_image(item))
    raise ValueError(f"load_image: unknown example source {name!r}; known: {sorted(EXAMPLE_IMAGES)}.")
