"""Images that work offline: files, arrays, and the photos shipped inside Python wheels."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

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


def load_image(source, *, exif_orientation: bool = True) -> Image.Image:
    """Return an 8-bit RGB PIL image from a path, PIL image, array or an example name.

    Example names are ``"skimage:<function>"`` (e.g. ``skimage:chelsea``),
    ``"matplotlib:grace_hopper"`` and ``"sklearn:china.jpg"``/``"sklearn:flower.jpg"``.

    Value ranges are taken from the data type, never guessed from the values:
    uint8 is 0..255, uint16 (and 16-bit PNGs) 0..65535, floats 0..1 (a float
    array with values above 1 is an error naming the fix), other integers
    (PIL's 32-bit mode ``I`` too) 0..255. Grey, palette, CMYK, YCbCr, LAB and HSV
    images become RGB; transparent images (RGBA, LA, premultiplied, palettes with
    transparency) are composited on white. An EXIF orientation (phone photos) is
    applied, so the image is attributed the way up it is shown; pass
    ``exif_orientation=False`` for data sets read as stored (ImageNet and COCO
    are: torchvision's ``ImageFolder`` and the models' training ignore EXIF, and
    one of the 1,000 ImageNet sample images carries a rotation). NaN, Inf and
    out-of-range values are errors, and so is a damaged file, naming it.
    """
    if isinstance(source, Image.Image):
        return _from_pil(source, exif_orientation)
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
            return _from_pil(img, exif_orientation)
    except UnidentifiedImageError:
        raise ValueError(f"load_image: {path} is not an image Pillow can read (JPEG, PNG, WebP, TIFF, ...).") from None
    except (OSError, SyntaxError) as err:  # Pillow's "image file is truncated", broken chunks, ...
        raise ValueError(f"load_image: {path} is damaged ({err}); replace the file (truncated downloads and "
                         "copies are the usual cause).") from None


def _from_pil(img: Image.Image, exif_orientation: bool = True) -> Image.Image:
    if exif_orientation:  # phone photos store their rotation in EXIF, not in the pixels
        img = ImageOps.exif_transpose(img)
    if img.mode.startswith("I;16"):  # 16-bit greys are 0..65535 (PIL's convert would clip them to white)
        return Image.fromarray(_to_uint8(np.asarray(img).astype(np.float64) / 65535.0))
    if img.mode in ("I", "F"):  # 32-bit integers or floats: the array rules (0..255, or 0..1)
        return Image.fromarray(_to_uint8(np.asarray(img)))
    if img.mode == "La":  # premultiplied grey + alpha: Pillow converts it to LA only
        img = img.convert("LA")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array -> uint8 (H, W, 3) by the rules of ``load_image``."""
    a = _check_shape(np.asarray(array))
    a = _values_uint8(a)
    if a.ndim == 2:
        return np.repeat(a[..., None], 3, axis=2)
    if a.shape[2] == 4:  # composite on white, as for transparent files
        alpha = a[..., 3:].astype(np.float64) / 255.0
        return (a[..., :3] * alpha + 255.0 * (1 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(a)


def _check_shape(a: np.ndarray) -> np.ndarray:
    """The array as (H, W) or (H, W, 3 or 4), or one error naming the fix (channels-first data, say)."""
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise ValueError(f"load_image: expected an (H, W), (H, W, 3) or (H, W, 4) array, got shape {a.shape}"
                         + ("; for channels-first data use array.transpose(1, 2, 0)." if a.ndim == 3 and
                            a.shape[0] in (1, 3, 4) else "."))
    return a


def _values_uint8(a: np.ndarray) -> np.ndarray:
    """Values as uint8, the range taken from the dtype: bool 0/1, uint16 0..65535, other integers 0..255,
    floats 0..1 (anything else is an error naming the fix).
    """
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * 255
    if a.dtype == np.uint16:
        a = a.astype(np.float64) / 65535.0
    elif np.issubdtype(a.dtype, np.integer) and a.dtype != np.uint8:
        if a.min() < 0 or a.max() > 255:
            raise ValueError(f"load_image: {a.dtype} values span {a.min()}..{a.max()}; integer images must lie in "
                             "0..255 (or be uint16 for 0..65535).")
        return a.astype(np.uint8)
    if a.dtype == np.uint8:
        return a
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"load_image: unsupported array dtype {a.dtype}.")
    if not np.isfinite(a).all():
        raise ValueError("load_image: the array contains NaN or Inf.")
    lo, hi = float(a.min()), float(a.max())
    if lo < 0 or hi > 1:
        hint = " (use array / 255 for 0..255 data)" if hi <= 255 and lo >= 0 else ""
        raise ValueError(f"load_image: float arrays must lie in [0, 1], got {lo:g}..{hi:g}{hint}.")
    return (a * 255).round().astype(np.uint8)


def _example(name: str) -> Image.Image:
    package, item = name.split(":", 1)
    needs = {"skimage": "skimage", "matplotlib": "matplotlib", "sklearn": "sklearn"}.get(package)
    if needs is not None and importlib.util.find_spec(needs) is None:
        raise ModuleNotFoundError(f"load_image: the example photo {name} ships with {package}, which is not "
                                  "installed: pip install 'var-saliency[examples]' (or pass a path).", name=needs)
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
