"""Preprocessing: one geometry step (bounded aspect, resize, centre crop) and the normalisations.

ImageNet's mean/std pipeline (torchvision) and TF EfficientNet's (x - 127) / 128 pipeline; the ImageNet class
names; the ViT token -> grid reshape GradCAM needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import torch
from PIL import Image
from torchvision.transforms import v2 as T

__all__ = ["MAX_ASPECT", "IMAGENET_MEAN", "IMAGENET_STD", "bounded_aspect", "normalization", "imagenet_transforms",
           "tf_transforms", "imagenet_classes", "vit_token_grid"]

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

#: The longest side a preprocessing resizes is at most this many times the shorter one (see ``bounded_aspect``).
MAX_ASPECT = 4.0


def bounded_aspect(image):
    """Centre-crop the long side of a (C, H, W) tensor or a PIL image to ``MAX_ASPECT`` x its short side.

    Applied before a resize that a square centre crop follows: that crop keeps only the middle
    anyway, and without this a 10,000 x 1 strip would first be resized to 2,560,000 x 256 pixels
    (GBs). Photos (ImageNet's and COCO's reach 3.4 : 1) are untouched, so their preprocessing stays
    torchvision's (or timm's).
    """
    w, h = image.size if isinstance(image, Image.Image) else image.shape[:-3:-1]
    long = math.ceil(MAX_ASPECT * min(h, w))
    if max(h, w) <= long:
        return image
    top, left = max(0, (h - long) // 2), max(0, (w - long) // 2)
    bottom, right = top + min(h, long), left + min(w, long)
    if isinstance(image, Image.Image):
        return image.crop((left, top, right, bottom))
    return image[..., top:bottom, left:right]


def normalization(mean, std) -> tuple[Callable, Callable]:
    """(normalize, unnormalize) for per-channel ``mean``/``std``, between [0, 1] RGB and model input (…, 3, H, W)."""
    mean = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return (lambda x: (x - mean) / std), (lambda x: (x * std + mean).clamp(0, 1))


def imagenet_transforms(size: int, resize: int | None = None):
    """(preprocess, normalize, unnormalize) of torchvision's ImageNet eval: resize the short side, centre crop."""
    resize = resize or round(size / 0.875)
    normalize, unnormalize = normalization(IMAGENET_MEAN, IMAGENET_STD)
    pre = T.Compose([T.PILToTensor(), T.Lambda(bounded_aspect), T.Resize(resize, antialias=True), T.CenterCrop(size),
                     T.ToDtype(torch.float32, scale=True), T.Lambda(normalize)])
    return pre, normalize, unnormalize


def tf_transforms(size: int):
    """(preprocess, normalize, unnormalize) of TF EfficientNet's eval: bicubic resize of the short side to
    size + 32, centre crop, (x - 127) / 128.
    """
    normalize = lambda x: (x * 255.0 - 127.0) / 128.0
    pre = T.Compose([T.PILToTensor(), T.Lambda(bounded_aspect),
                     T.Resize(size + 32, interpolation=T.InterpolationMode.BICUBIC, antialias=True),
                     T.CenterCrop(size), T.ToDtype(torch.float32), T.Lambda(lambda x: (x - 127.0) / 128.0)])
    return pre, normalize, lambda x: ((x * 128.0 + 127.0) / 255.0).clamp(0, 1)


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[str, ...]:
    """The 1,000 ImageNet class names (shipped with torchvision, no download)."""
    from torchvision.models import ResNet50_Weights

    return tuple(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])


def vit_token_grid(tokens: torch.Tensor) -> torch.Tensor:
    """(B, 1 + h*w, D) ViT tokens -> (B, D, h, w) grid, dropping the class token."""
    patches = tokens[:, 1:, :]
    side = int(round(patches.shape[1] ** 0.5))
    if side * side != patches.shape[1]:
        raise ValueError(f"vit_token_grid: {patches.shape[1]} patch tokens do not form a square grid.")
    return patches.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], side, side)
