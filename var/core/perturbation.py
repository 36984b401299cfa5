"""var's own perturbation methods, every class from one set of perturbed forward passes: occlusion
(Zeiler & Fergus 2014) and Score-CAM (Wang et al. 2020). The registry names them ``occlusion`` and ``scorecam``.
"""

from __future__ import annotations

import threading

import torch
import torch.nn.functional as F

from .maps import layer_of, to_input_size
from .model import VarModel, logits_of

__all__ = ["occlusion", "scorecam"]


def occlusion(model, x, classes, options):
    """Occlusion for all classes from one set of occluded forward passes (Captum's rule, all channels at once)."""
    window, stride, baseline = int(options.pop("window")), int(options.pop("stride")), options.pop("baseline")
    batch = int(options.pop("batch", 32))
    if options:
        raise TypeError(f"occlusion takes window, stride, baseline and batch, not {sorted(options)}.")
    net = model.module if isinstance(model, VarModel) else model
    h, w = x.shape[-2:]
    if window > min(h, w) or not 0 < stride <= window:
        raise ValueError(f"occlusion needs 0 < stride <= window <= the image side ({min(h, w)}); got window "
                         f"{window}, stride {stride}.")
    tops = range(0, h - window + 1, stride)
    lefts = range(0, w - window + 1, stride)
    if (h - window) % stride or (w - window) % stride:
        raise ValueError(f"windows of {window} at stride {stride} leave the image's last rows/columns uncovered "
                         f"({h} x {w}); choose stride and window with (side - window) % stride == 0.")
    boxes = [(t, left) for t in tops for left in lefts]
    k = torch.as_tensor(classes)
    with torch.no_grad():
        base = logits_of(net(x))[0, k]
        total = torch.zeros(len(classes), 1, h, w, dtype=x.dtype)
        for start in range(0, len(boxes), batch):
            chunk = boxes[start:start + batch]
            occluded = x.repeat(len(chunk), 1, 1, 1)
            for i, (t, left) in enumerate(chunk):
                occluded[i, :, t:t + window, left:left + window] = baseline
            drop = base - logits_of(net(occluded))[:, k]  # (windows, |K|): every class from one pass
            for i, (t, left) in enumerate(chunk):
                total[:, 0, t:t + window, left:left + window] += drop[i].view(-1, 1, 1)
        count = torch.zeros(1, 1, h, w, dtype=x.dtype)
        for t, left in boxes:
            count[..., t:t + window, left:left + window] += 1
    return (total / count).expand(-1, x.shape[1], -1, -1).clone()


def scorecam(model, x, classes, options):
    """Score-CAM of all classes from one set of masked passes (pytorch-grad-cam's rule, before its scaling)."""
    batch = int(options.pop("batch"))
    layer = layer_of(model, options.pop("layer", None), "scorecam")
    if options:
        raise TypeError(f"scorecam takes layer and batch, not {sorted(options)}.")
    net = model.module if isinstance(model, VarModel) else model
    reshape = getattr(model, "reshape", None)
    store, me = [], threading.get_ident()
    # the hook is module-wide: another thread's pass through this network must not land in this call's store
    hook = layer.register_forward_hook(
        lambda module, args, out: store.append(out.detach()) if threading.get_ident() == me else None)
    try:
        with torch.no_grad():
            net(x)
    finally:
        hook.remove()
    acts = reshape(store[0]) if reshape is not None else store[0]  # (1, channels, h, w)
    k = torch.as_tensor(classes)
    scores = []
    with torch.no_grad():
        for start in range(0, acts.shape[1], batch):  # masks made per chunk: memory bounded by batch, not channels
            chunk = _masks(acts[:, start:start + batch], x.shape[-2:])
            scores.append(logits_of(net(x * chunk[:, None]))[:, k])  # (channels, |K|): every class at once
    weights = torch.cat(scores).T.softmax(dim=1)  # (|K|, channels)
    cam = torch.einsum("kc,chw->khw", weights.to(acts.dtype), acts[0]).clamp(min=0).unsqueeze(1)
    return to_input_size(cam, x)


def _masks(acts: torch.Tensor, size) -> torch.Tensor:
    """Score-CAM's masks of some channels (1, c, h, w): the library's, bilinear with aligned corners
    (nn.UpsamplingBilinear2d), scaled to [0, 1] per channel; (c, H, W).
    """
    up = F.interpolate(acts, size=size, mode="bilinear", align_corners=True)[0]
    low, high = up.amin(dim=(1, 2), keepdim=True), up.amax(dim=(1, 2), keepdim=True)
    return (up - low) / (high - low + 1e-8)
