"""What the registry holds for each method: an :class:`Entry` (name, library, facts, how it computes).

Below the registry and the libraries' modules, so that each can make entries without importing the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from .checks import check_choice
from .guards import check_maps
from .model import VarModel, eval_mode

__all__ = ["Entry", "FAMILIES"]

#: The method families (the gallery's rows and the claims' "does it generalise?" column).
FAMILIES = ("gradient", "modified backprop", "path", "perturbation", "cam", "propagation", "user")


@dataclass(frozen=True)
class Entry:
    """A class-specific attribution method as VAR sees it.

    Attributes:
        name: the registry name (``"gradcam"``, ``"captum:DeepLift"``, ``"gradcam:LayerCAM"``, ...).
        library: ``"var"``, ``"captum"``, ``"pytorch-grad-cam"``, ``"zennit"`` or ``"user"``.
        family: one of :data:`FAMILIES`.
        signed: whether its maps are read with their sign (VAR's softmax compares |H| either way).
        resolution: ``"pixel"`` or ``"layer"`` (layer maps are upsampled bilinearly to the input).
        multi_target: whether all |K| maps come from one call (shared or batched passes).
        compute: ``(model, x, classes, options) -> (|K|, C, H, W)`` for one image x (1, C, H, W).
        defaults: options the entry sets unless given (why: see ``description``).
        description: one paragraph for tables and the book.
    """

    name: str
    library: str
    family: str
    signed: bool
    resolution: str
    multi_target: bool
    compute: Callable = field(repr=False, compare=False)
    defaults: Mapping = field(default_factory=dict)
    description: str = ""

    def __post_init__(self):
        check_choice("family", self.family, FAMILIES)
        check_choice("resolution", self.resolution, ("pixel", "layer"))

    def attribute(self, model, x: torch.Tensor, classes: list[int], options: Mapping) -> torch.Tensor:
        """(|K|, C, H, W) maps of one image, checked by :func:`check_maps`."""
        net = model.module if isinstance(model, VarModel) else model
        with torch.enable_grad(), eval_mode(net):
            maps = self.compute(model, x, list(classes), {**self.defaults, **options})
        return check_maps(self, maps.detach(), x, net, classes)
