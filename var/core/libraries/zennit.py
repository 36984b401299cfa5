"""Zennit's LRP composites as registry entries (``zennit:<Composite>``), with the canonizers the network needs."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..entry import Entry
from ..maps import library_class
from ..model import VarModel

__all__ = ["entry", "canonizers_for"]


def entry(_prefix: str, composite: str) -> Entry:
    """The entry of ``zennit:<composite>``, run with the canonizers the network needs."""
    cls = library_class("zennit", "zennit.composites", composite, "Zennit", "methods", "composite",
                         lambda lib, c: issubclass(c, lib.Composite))
    return Entry(f"zennit:{composite}", "zennit", "propagation", True, "pixel", True, _zennit_compute(cls),
                 description=f"Zennit's LRP composite {composite} with the network's canonizers (ResNet, VGG or "
                             "merged BatchNorm), all classes from one pass over |K| copies.")


def canonizers_for(net: nn.Module) -> list:
    """The Zennit canonizers a network needs: ResNet's (skip connections + BatchNorm), VGG's, or merged BatchNorm."""
    import torchvision
    from zennit.canonizers import SequentialMergeBatchNorm
    from zennit.torchvision import ResNetCanonizer, VGGCanonizer

    if isinstance(net, torchvision.models.ResNet):
        return [ResNetCanonizer()]
    if isinstance(net, torchvision.models.VGG):
        return [VGGCanonizer()]
    return [SequentialMergeBatchNorm()]


def _zennit_compute(cls) -> Callable:
    def compute(model, x, classes, options):
        from zennit.attribution import Gradient

        options = dict(options)
        net = model.module if isinstance(model, VarModel) else model
        canonizers = options.pop("canonizers", None)
        composite = cls(canonizers=canonizers_for(net) if canonizers is None else canonizers, **options)
        xs = x.expand(len(classes), *x.shape[1:]).clone().requires_grad_()
        with Gradient(model=net, composite=composite) as attributor:
            out, relevance = attributor(xs, lambda output: _one_hot(output, classes))
        return relevance
    return compute


def _one_hot(output: torch.Tensor, classes) -> torch.Tensor:
    hot = torch.zeros_like(output)
    hot[torch.arange(len(classes)), torch.as_tensor(classes)] = 1
    return hot
