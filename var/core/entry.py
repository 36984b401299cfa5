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
from .sharing import network_lock

__all__ = ["Entry", "FAMILIES"]

#: What each run option does, for the error when a method does not take it.
_RUN_OPTIONS = {"internal_batch_size": "it bounds the memory of var's own methods and of Captum's path methods",
                "backward": "it chooses how var's engine shares a forward pass, and this method runs its own passes"}

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
        batched: ``(model, x, k, options, internal_batch_size, backward) -> (B, |K|, C, H, W)`` for a batch x and
            its (B, |K|) class sets, for methods that run on var's engine; None: ``compute`` image by image.
        run_options: which of ``internal_batch_size`` and ``backward`` it takes (var's engine both, Captum's path
            methods ``internal_batch_size``).
        multiplies_by_inputs: whether its maps are multiplied by the input (Captum's fact of the same name).
        signed_by: ``options -> signed`` where the options change the sign (SmoothGrad's ``base``); None: ``signed``.
        changes_network: whether it changes the network while it runs (module-wide hooks, swapped parameters), so
            that it runs alone on it (:mod:`var.core.sharing`); var's own methods do not, a library's or a user's
            function is assumed to.
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
    batched: Callable | None = field(default=None, repr=False, compare=False)
    run_options: tuple[str, ...] = ()
    multiplies_by_inputs: bool = False
    signed_by: Callable | None = field(default=None, repr=False, compare=False)
    changes_network: bool = True

    def __post_init__(self):
        check_choice("family", self.family, FAMILIES)
        check_choice("resolution", self.resolution, ("pixel", "layer"))

    def is_signed(self, options: Mapping) -> bool:
        """Whether maps made with ``options`` are read with their sign."""
        return self.signed if self.signed_by is None else self.signed_by(options)

    def run(self, model, x: torch.Tensor, k: torch.Tensor, options: Mapping, internal_batch_size: int | None = None,
            backward: str | None = None) -> torch.Tensor:
        """The one entry contract: (B, |K|, C, H, W) maps of a checked batch x (B, C, H, W) with its (B, |K|) class
        sets; var's engine takes the batch at once, every other method image by image.
        """
        for name, value in (("internal_batch_size", internal_batch_size), ("backward", backward)):
            if value is not None and name not in self.run_options:
                raise TypeError(f"{self.name} takes no {name}: {_RUN_OPTIONS[name]}. Drop {name}=.")
        lock = network_lock(model.module if isinstance(model, VarModel) else model)
        with lock.exclusive() if self.changes_network else lock.shared():  # threads may share one model
            if self.batched is not None:
                return self.batched(model, x, k, options, internal_batch_size, backward)
            if internal_batch_size is not None:
                options = {**options, "internal_batch_size": internal_batch_size}
            return torch.stack([self.attribute(model, x[b:b + 1], k[b].tolist(), options)
                                for b in range(x.shape[0])])

    def attribute(self, model, x: torch.Tensor, classes: list[int], options: Mapping) -> torch.Tensor:
        """(|K|, C, H, W) maps of one image, checked by :func:`check_maps`."""
        net = model.module if isinstance(model, VarModel) else model
        with torch.enable_grad(), eval_mode(net):
            maps = self.compute(model, x, list(classes), {**self.defaults, **options})
        return check_maps(self, maps.detach(), x, net, classes)
