"""Images that work offline: files, arrays, and the photos shipped inside Python wheels."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

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
    """Return an RGB PIL image from a path, PIL image, (H, W, 3) array or an example name.

    Example names are ``"skimage:<function>"`` (e.g. ``skimage:chelsea``),
    ``"matplotlib:grace_hopper"`` and ``"sklearn:china.jpg"``/``"sklearn:flower.jpg"``.
    """
    if isinstance(source, Image.Image):
        return source.convert("RGB")
    if isinstance(source, np.ndarray):
        if source.ndim != 3 or source.shape[2] != 3:
            raise ValueError(f"load_image: expected an (H, W, 3) array, got shape {source.shape}.")
        if source.dtype != np.uint8:
            source = (np.clip(source, 0, 1) * 255).round().astype(np.uint8)
        return Image.fromarray(source)
    if isinstance(source, str) and ":" in source and not os.path.exists(source):
        return _example(source)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"load_image: no file {path}; pass a path, a PIL image, an array, "
                                f"or one of {sorted(EXAMPLE_IMAGES)}.")
    return Image.open(path).convert("RGB")


def _example(name: str) -> Image.Image:
    package, item = name.split(":", 1)
    if package == "skimage":
        import skimage.data

        if not hasattr(skimage.data, item):
            raise ValueError(f"load_image: skimage.data has no image {item!r}.")
        return load_image(getattr(skimage.data, item)())
    if package == "matplotlib":
        import matplotlib.cbook

        return Image.open(matplotlib.cbook.get_sample_data(f"{item}.jpg")).convert("RGB")
    if package == "sklearn":
        from sklearn.datasets import load_sample_image

        return load_image(load_sample_image(item))
    raise ValueError(f"load_image: unknown example source {name!r}; known: {sorted(EXAMPLE_IMAGES)}.")
