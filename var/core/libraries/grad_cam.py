"""pytorch-grad-cam's class-specific CAMs as registry entries (``gradcam:<CAM>``), read before the library's
per-class min-max scaling.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..entry import Entry
from ..maps import layer_of, library_class, to_input_size
from ..model import VarModel

__all__ = ["entry", "raw_cams", "CLASS_AGNOSTIC"]


#: pytorch-grad-cam CAMs that are not class-specific, and why VAR cannot use them.
CLASS_AGNOSTIC = {
    "EigenCAM": "it projects the activations on their first principal component: one map for every class",
    "KPCA_CAM": "it projects the activations on a kernel principal component: one map for every class",
    "RandomCAM": "its channel weights are random, not derived from a class",
}


def entry(_prefix: str, cls_name: str) -> Entry:
    """The entry of ``gradcam:<cls_name>``; a CAM that is the same for every class is refused with the reason."""
    cls = library_class("gradcam", "pytorch_grad_cam", cls_name, "pytorch-grad-cam", "methods", "CAM class",
                         lambda lib, c: hasattr(c, "get_cam_image"))
    if cls_name in CLASS_AGNOSTIC:
        raise ValueError(f"gradcam:{cls_name} is not class-specific ({CLASS_AGNOSTIC[cls_name]}), so VAR has no "
                         "classes to compare. Use a class-specific CAM such as gradcam:GradCAMPlusPlus.")
    return Entry(f"gradcam:{cls_name}", "pytorch-grad-cam", "cam", False, "layer", True, _grad_cam_compute(cls),
                 description=f"pytorch-grad-cam's {cls_name}, the raw CAM (after its ReLU, before the library's "
                             "per-class min-max scaling), upsampled bilinearly.")


def _grad_cam_compute(cls) -> Callable:
    def compute(model, x, classes, options):
        raw = raw_cams(cls, model, x, classes, **options)
        return to_input_size(raw, x)
    return compute


def raw_cams(cls, model, x: torch.Tensor, classes, layer: nn.Module | None = None, **options) -> torch.Tensor:
    """pytorch-grad-cam's CAM of every class, (|K|, 1, h, w) at the layer's resolution, before min-max scaling.

    The |K| classes are |K| copies of the image with one target each, in one forward and backward pass
    (the library's own batching); the CAM is what ``get_cam_image`` returns, through the library's ReLU.
    """
    import numpy as np
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    net = model.module if isinstance(model, VarModel) else model
    layer = layer_of(model, layer, f"gradcam:{cls.__name__}")
    reshape = getattr(model, "reshape", None)
    xs = x.expand(len(classes), *x.shape[1:]).clone()
    targets = [ClassifierOutputTarget(int(c)) for c in classes]
    with cls(model=net, target_layers=[layer], reshape_transform=reshape, **options) as cam:
        outputs = cam.activations_and_grads(xs)
        if cam.uses_gradients:
            net.zero_grad()
            sum(target(output) for target, output in zip(targets, outputs)).backward()
        store = cam.activations_and_grads
        grads = store.gradients[0].cpu().numpy() if store.gradients else None
        raw = cam.get_cam_image(xs, layer, targets, store.activations[0].cpu().numpy(), grads, False)
    return torch.from_numpy(np.maximum(raw, 0)).to(x.dtype).unsqueeze(1)
