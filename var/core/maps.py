"""What the methods that make maps outside var's engine share: the layer a layer method reads, layer maps
upsampled to the input, a library's class looked up with one clear error.
"""

from __future__ import annotations

import importlib
import inspect

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["layer_of", "to_input_size", "first", "library_class"]


def layer_of(model, layer: nn.Module | None, method: str) -> nn.Module:
    """The layer a layer method reads: ``layer`` if given, else the model's GradCAM layer."""
    layer = layer or getattr(model, "gradcam_layer", None)
    if layer is None:
        raise ValueError(f"{method} needs a layer: pass layer=<module> or use a VarModel with gradcam_layer.")
    return layer


def to_input_size(maps: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Layer-resolution maps upsampled to the input, bilinearly (as var's GradCAM)."""
    if maps.dim() == 4 and maps.shape[-2:] != x.shape[-2:]:
        maps = F.interpolate(maps, size=x.shape[-2:], mode="bilinear", align_corners=False)
    return maps


def first(a):
    """A library's result without its tuple (Captum returns one for tuple inputs)."""
    return a[0] if isinstance(a, tuple) else a


def library_class(prefix: str, module: str, name: str, library: str, extra: str, kind: str, accept) -> type:
    """The class ``name`` of a library's ``module``: one error naming the extra if it is not installed, one
    naming the module if it has no such class (``accept(module, cls)`` says what counts).
    """
    try:
        lib = importlib.import_module(module)
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(f"{prefix}: methods need {library}: pip install 'var-saliency[{extra}]'.",
                                  name=err.name) from err
    cls = getattr(lib, name, None)
    if not (inspect.isclass(cls) and accept(lib, cls)):
        raise ValueError(f"{prefix}:{name}: {module} has no {kind} {name!r}.")
    return cls
