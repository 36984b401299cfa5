"""The guards on maps from outside var's engine: each with one message naming the fix (shape, non-finite
values, maps scaled per class, exploding or vanishing relevance, constant maps).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from .model import logits_of

__all__ = ["MethodWarning", "check_maps", "EXPLODED", "VANISHED"]


class MethodWarning(UserWarning):
    """A library method's output that VAR can use but probably not as the user meant (the message says why)."""


#: |H| above this many times the largest |logit| of K: relevance has exploded (LRP without a canonizer).
EXPLODED = 1e4
#: A map's total relevance below this share of the largest |logit| of K: relevance has vanished.
VANISHED = 1e-2


def check_conservation(entry, maps, x, net, classes) -> None:
    """Relevance propagation should roughly conserve the logit: refuse an explosion, warn about a vanishing."""
    with torch.no_grad():
        scale = max(float(logits_of(net(x))[0, torch.as_tensor(classes)].abs().max()), 1e-12)
    largest, total = float(maps.abs().max()), float(maps.flatten(1).sum(1).abs().max())
    if largest > EXPLODED * scale:
        raise ValueError(f"{entry.name}: the relevance exploded (largest |H| {largest:.3g} vs largest |logit| "
                         f"{scale:.3g}), as LRP does on skip connections without a canonizer; pass canonizers= "
                         "(e.g. zennit.torchvision.ResNetCanonizer()) or use zennit:EpsilonPlusFlat, which adds "
                         "the network's canonizers.")
    if total < VANISHED * scale:
        warnings.warn(f"{entry.name}: the relevance vanished (largest |sum of H| {total:.3g} vs largest |logit| "
                      f"{scale:.3g}): its rules do not conserve relevance through some of this network's layers "
                      "(activations other than ReLU, depthwise convolutions, padding modules), so VAR compares "
                      "numerical noise. Check the composite and canonizers for this architecture.", MethodWarning,
                      stacklevel=4)


def check_maps(entry, maps: torch.Tensor, x: torch.Tensor, net: nn.Module, classes) -> torch.Tensor:
    """The maps of ``entry`` if VAR can compare them; else one error naming the fix."""
    k = len(classes)
    if maps.dim() != 4 or maps.shape[0] != k or maps.shape[-2:] != x.shape[-2:] or maps.shape[1] not in (1, x.shape[1]):
        raise ValueError(f"{entry.name} returned maps of shape {tuple(maps.shape)} for {k} classes of an input "
                         f"{tuple(x.shape)}; VAR needs (|K|, C or 1, H, W) at the input's size.")
    if not torch.isfinite(maps).all():
        raise ValueError(f"{entry.name} returned NaN or Inf; check the method's options and the model.")
    flat = maps.flatten(1)
    if k >= 2 and torch.all(flat.amax(1) == 1) and torch.all(flat.amin(1) == 0):
        raise ValueError(f"{entry.name} returned maps scaled to [0, 1] per class, which erases the magnitudes VAR "
                         "compares across classes; return the raw maps (before per-class normalisation).")
    if entry.family == "propagation":
        check_conservation(entry, maps, x, net, classes)
    constant = (flat.amax(1) == flat.amin(1)).nonzero().flatten().tolist()
    if constant:
        warnings.warn(f"{entry.name} returned a constant map for K[{', '.join(map(str, constant))}]: VAR has nothing "
                      "to compare there, and its map will be empty. Check the method's options (a baseline equal "
                      "to the input, a dead layer).", MethodWarning, stacklevel=4)
    return maps
