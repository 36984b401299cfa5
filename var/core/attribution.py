"""VAR step 1: ``attribute``, the maps H_c of every class c in the class set K.

The front door of the package's attribution: it checks the inputs and the
class set, builds the method from its name and options (:mod:`var.core.methods`)
and lets the :class:`~var.core.engine.Engine` compute all |K| maps from shared
forward passes. Any other name is looked up in :mod:`var.core.registry` (library
methods, var's occlusion, the user's own), and a Captum attribution object
also works; both run their library's own passes, image by image.

The maps equal Captum's per-class results (``Saliency(abs=False)``,
``InputXGradient``, ``IntegratedGradients``, ``GuidedBackprop``,
``LayerGradCam`` + upsampling, ``GuidedGradCam``, ``NoiseTunnel``); the tests
check it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from . import registry
from .checks import check_classes
from .methods import Method
from .model import VarModel

__all__ = ["attribute"]


def attribute(
    model: VarModel | nn.Module,
    inputs: torch.Tensor,
    classes: Sequence[int] | torch.Tensor,
    method: str | Method = "gradient",
    *,
    internal_batch_size: int | None = None,
    backward: str | None = None,
    **options,
) -> torch.Tensor:
    """Attribution maps H_c for every class c in K (VAR step 1).

    Args:
        model: a :class:`~var.core.model.VarModel` (from ``load_model``/``wrap_model``)
            or any ``nn.Module`` mapping (B, C, H, W) to logits (or to an output
            :func:`~var.core.model.logits_of` understands).
        inputs: one preprocessed image, shape (1, C, H, W) or (C, H, W), float; or
            a batch (B, C, H, W).
        classes: the class set K, a list of distinct class indices. For a batch:
            one class set per image (B lists of the same length |K|, or a
            (B, |K|) tensor), or one list shared by all images.
        method: a name from :data:`var.METHODS` or of :mod:`var.core.registry`
            (``"occlusion"``, ``"captum:DeepLift"``, ``"gradcam:LayerCAM"``,
            ``"zennit:EpsilonPlusFlat"``, a registered name, ``"module:function"``;
            ``var-bench methods`` lists them), a :class:`~var.methods.Method`
            object, or a Captum attribution object built on this model's network
            (|K| copies with a target list in one call where its class allows,
            else per class; ``options`` go to its ``attribute`` unchanged).
        internal_batch_size: how many (point, class) gradient maps are held at
            once (default 64): points go through in chunks of
            ``max(1, internal_batch_size // |K|)``, so a chunk holds at most this
            many maps, or |K| when |K| exceeds it; bounds memory for IG and
            SmoothGrad, whose points are built chunk by chunk. A Captum object gets it as its own
            ``internal_batch_size`` where its ``attribute`` takes one.
        backward: how the |K| backward passes share the forward: ``"loop"`` (one
            retained graph, |K| vector-Jacobian products; fastest on CPU),
            ``"vmap"`` (one vectorised backward; fastest on GPU) or ``"auto"``
            (the default: vmap on CUDA inputs, loop otherwise). Engine methods only.
        **options: the method's options, e.g. ``steps=16`` for Integrated
            Gradients or ``base="guided_backprop", n_samples=16`` for SmoothGrad
            (see each class in :mod:`var.core.methods`); an option the method does
            not take is an error.

    Returns:
        Tensor of shape (|K|, C, H, W); C = 1 for GradCAM. For a batch, or
        whenever the class sets are given per image (also for B = 1, so a data
        loader's last batch keeps its axis): (B, |K|, C, H, W), equal to the
        images' separate results, computed in shared forward passes
        (internal_batch_size (point, class) maps at a time), so that a GPU is
        filled with several images. :func:`var.relevance` takes either shape.

    Notes:
        The model runs in eval mode with gradients enabled, also inside
        ``torch.no_grad()`` and ``torch.inference_mode()``; a model in training mode is switched to eval mode
        for the call and restored (with a warning). Guided Backprop clamps
        negative gradients at every ``nn.ReLU`` module (EfficientNet-Lite's
        ReLU6 included); like Captum it leaves other activations alone, so on a
        ViT it equals the gradient.

    Example:
        >>> model = var.load_model("efficientnet_lite0")
        >>> x = model.prepare("skimage:chelsea")
        >>> maps = var.attribute(model, x, [281, 282, 285], "integrated_gradients", steps=4)
        >>> maps.shape
        torch.Size([3, 3, 224, 224])
    """
    if torch.is_inference_mode_enabled():  # torch.enable_grad() cannot leave inference mode; this can
        with torch.inference_mode(False):
            return attribute(model, inputs, classes, method, internal_batch_size=internal_batch_size,
                             backward=backward, **options)
    net = model.module if isinstance(model, VarModel) else model
    if not isinstance(net, nn.Module):
        raise TypeError(f"model must be a VarModel or a torch.nn.Module, not {type(model).__name__}.")
    x = check_inputs(inputs)
    k = class_sets_of_batch(classes, x.shape[0], len(model.class_names) if isinstance(model, VarModel) else None)
    if x.shape[0] == 1 and per_image(classes):  # a data loader's last batch of one keeps its batch axis
        return attribute(model, x, k[0].tolist(), method, internal_batch_size=internal_batch_size,
                         backward=backward, **options).unsqueeze(0)
    entry = registry.resolve(method)  # the one lookup: a name, a Method object or a library's object
    if entry.library == "captum" and not isinstance(method, str):
        _check_captum_object(method, net)
    maps = entry.run(model, x, k, options, internal_batch_size, backward)  # (B, |K|, C, H, W)
    return maps[0] if x.shape[0] == 1 else maps


def _check_captum_object(method, net: nn.Module) -> None:
    forward = getattr(method, "forward_func", None)
    # another network is refused; a function (``lambda x: net(x).logits`` for Hugging Face) cannot be checked
    if isinstance(forward, nn.Module) and forward is not net and getattr(forward, "net", None) is not net:
        raise ValueError("The Captum object was built on another network; build it on this model's module, "
                         "e.g. IntegratedGradients(model.module).")


def per_image(classes) -> bool:
    """Whether ``classes`` gives one class set per image: a 2-D tensor or array, or a sequence of sequences
    (lists, tuples, 1-d tensors or arrays).
    """
    if hasattr(classes, "shape") and hasattr(classes, "tolist"):
        return len(classes.shape) == 2
    return (isinstance(classes, (list, tuple)) and bool(classes)
            and all(isinstance(r, (list, tuple, range)) or getattr(r, "ndim", 0) == 1 for r in classes))


def class_sets_of_batch(classes, batch: int, n_classes: int | None) -> torch.Tensor:
    """(B, |K|) class sets of a batch: one shared list, or one list per image, all of one size."""
    if per_image(classes):
        rows = list(classes)
        if len(rows) != batch:
            raise ValueError(f"Got {len(rows)} class sets for {batch} images; give one per image.")
        sets = [check_classes(r, n_classes) for r in rows]
        if len({len(r) for r in sets}) > 1:
            raise ValueError(f"The class sets of a batch must have one size |K|; got sizes {[len(r) for r in sets]}. "
                             "Explain images with different |K| in separate calls.")
        return torch.tensor(sets)
    return torch.tensor(check_classes(classes, n_classes)).expand(batch, -1).clone()


def check_inputs(inputs) -> torch.Tensor:
    """Preprocessed images as a detached (B, C, H, W) float tensor, or a clear error."""
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor of shape (B, C, H, W), not {type(inputs).__name__}; "
                        "use model.prepare(image) to load and preprocess an image.")
    if inputs.dim() == 3:
        inputs = inputs.unsqueeze(0)
    if inputs.dim() != 4 or inputs.shape[0] == 0:
        raise ValueError(f"inputs must have shape (B, C, H, W) or (C, H, W), got {tuple(inputs.shape)}.")
    if inputs.shape[-1] in (1, 3, 4) and inputs.shape[1] not in (1, 3, 4):
        raise ValueError(f"inputs of shape {tuple(inputs.shape)} look channels-last (B, H, W, C); "
                         "use inputs.permute(0, 3, 1, 2), or model.prepare(image).")
    if not inputs.is_floating_point():
        raise TypeError(f"inputs must be a float tensor, got {inputs.dtype}; use model.prepare(image).")
    if not torch.isfinite(inputs).all():
        raise ValueError("inputs contain NaN or Inf.")
    if inputs.is_inference():  # made under torch.inference_mode(): a copy that autograd may use
        with torch.inference_mode(False):
            inputs = inputs.clone()
    return inputs.detach()
