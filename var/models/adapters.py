"""Bring your own model: timm, Hugging Face ``transformers`` and torchvision classifiers as VarModels.

Each adapter finds what VAR needs and other libraries make users write by hand:

* the **GradCAM layer**: the last spatial stage of a CNN (timm ``feature_info``,
  torchvision's final feature block), the input norm of the last transformer
  block of a ViT (its patch tokens still carry gradient there; after the final
  norm only the class token does);
* the **token→grid reshape** for transformers: drop the prefix tokens (class,
  distillation and register tokens; timm's ``num_prefix_tokens``) and fold the
  patch tokens into their square grid; channels-last stages (timm's Swin) are
  permuted to channels-first;
* **preprocessing** as the hub does it: timm's own eval transform
  (``resolve_model_data_config`` + ``create_transform``: interpolation, crop
  fraction, crop mode), a Hugging Face image processor (given, or the model's own
  when it is on this machine); and the **class names** (``id2label`` for Hugging Face, ImageNet's for 1,000-class
  models, ``class i`` otherwise).

Every automatic choice can be overridden (``gradcam_layer=``, ``reshape=``,
``class_names=``). Hugging Face outputs (an object with ``.logits``) are
unwrapped by :func:`var.core.model.logits_of`.

Example:
    >>> import timm
    >>> net = timm.create_model("vit_small_patch16_224", pretrained=False).eval()  # pretrained=True downloads
    >>> model = var.from_timm(net)
    >>> maps = var.attribute(model, model.prepare("skimage:chelsea"), [281, 285], "gradcam")
    >>> maps.shape  # GradCAM on the 14 x 14 patch grid, upsampled to the input
    torch.Size([2, 1, 224, 224])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import partial

import torch
from PIL import Image
from torch import nn
from torchvision.transforms import v2 as T

from ..core.model import VarModel, check_classifier, eval_mode, probe_input
from .preprocessing import bounded_aspect, imagenet_classes, imagenet_transforms, normalization
from .zoo import wrap_model

__all__ = ["from_timm", "from_hf", "from_torchvision", "token_grid", "channels_last_grid", "find_gradcam_layer"]


def token_grid(tokens: torch.Tensor, prefix: int = 1) -> torch.Tensor:
    """(B, prefix + h*w, D) transformer tokens -> (B, D, h, w), dropping the ``prefix`` tokens (class, registers)."""
    patches = tokens[:, prefix:, :]
    side = math.isqrt(patches.shape[1])
    if side * side != patches.shape[1]:
        raise ValueError(f"token_grid: {patches.shape[1]} tokens after {prefix} prefix token(s) do not form a "
                         "square grid; pass reshape= for this model.")
    return patches.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], side, side)


def channels_last_grid(features: torch.Tensor) -> torch.Tensor:
    """(B, h, w, C) channels-last features (timm's Swin stages) -> (B, C, h, w)."""
    return features.permute(0, 3, 1, 2)


def from_timm(model: nn.Module, *, class_names=None, gradcam_layer: nn.Module | None = None,
              reshape: Callable | None = None, name: str | None = None) -> VarModel:
    """A timm classifier as a :class:`~var.core.model.VarModel` (CNNs, ViT/DeiT/DINOv2 with registers, Swin, ConvNeXt).

    Args:
        model: a model from ``timm.create_model``.
        class_names: one per output; default ImageNet's for 1,000 outputs, else ``class i``.
        gradcam_layer, reshape: override the automatic choice.
        name: for tables and plots; default the timm architecture name.

    Returns:
        The wrapped model.
    """
    import timm.data

    data = timm.data.resolve_model_data_config(model)
    img_size = getattr(getattr(model, "patch_embed", None), "img_size", None)  # set by create_model(img_size=)
    if img_size:  # the data config keeps the pretrained size
        data["input_size"] = (data["input_size"][0], *(int(v) for v in img_size))
    size = int(data["input_size"][-1])
    if getattr(model, "num_classes", None) == 0:  # its "logits" would be the pooled features
        raise ValueError("This timm model is headless (num_classes=0): its output is pooled features, not class "
                         "scores. Create it with its classifier, e.g. timm.create_model(name, num_classes=N).")
    outputs = check_classifier(model, size)  # before the layer search: a backbone fails with its reason
    layer, reshape = _choice(lambda: _timm_layer(model, size), gradcam_layer, reshape)
    # timm's own eval transform (interpolation, crop_pct, crop_mode), so predictions and class sets are the hub's
    pre = timm.data.create_transform(**data, is_training=False)
    if data.get("crop_mode", "center") == "center":  # a strip is cropped first, as for var's own transforms
        pre = T.Compose([T.Lambda(bounded_aspect), pre])
    norm, unnorm = normalization(data["mean"], data["std"])
    cfg = getattr(model, "pretrained_cfg", None) or {}
    return wrap_model(model, name=name or cfg.get("architecture", type(model).__name__), preprocess=pre,
                      normalize=norm, unnormalize=unnorm, class_names=class_names or _default_names(outputs),
                      gradcam_layer=layer, reshape=reshape, input_size=size)


def _timm_layer(model: nn.Module, size: int):
    prefix = getattr(model, "num_prefix_tokens", None)
    if prefix is not None and hasattr(model, "blocks"):  # ViT family: tokens before the last attention
        return model.blocks[-1].norm1, partial(token_grid, prefix=prefix)
    info = getattr(model, "feature_info", None)
    if info:
        layer = model.get_submodule(info[-1]["module"])
        return layer, _layout(_output_shape(model, layer, size))
    return find_gradcam_layer(model, size)


def from_hf(model: nn.Module, *, processor=None, class_names=None, gradcam_layer: nn.Module | None = None,
            reshape: Callable | None = None, image_mean=(0.5, 0.5, 0.5), image_std=(0.5, 0.5, 0.5),
            name: str | None = None) -> VarModel:
    """A Hugging Face ``transformers`` image classifier (``*ForImageClassification``) as a VarModel.

    ViT-style models (ViT, DeiT, BEiT, DINOv2) get the input norm of the last layer and a token
    grid, Swin its final norm's tokens, CNNs the last spatial stage found by a forward pass.
    Images are preprocessed by the model's image processor, as the hub does.

    Args:
        model: e.g. ``ViTForImageClassification``.
        processor: its image processor (``AutoImageProcessor.from_pretrained(checkpoint)``). Default:
            the model's own when its checkpoint is in this machine's Hugging Face cache; else
            ViT's processor rule (squash to the model's square size, ``image_mean``/``image_std``),
            with a warning when the config names a checkpoint that was not found.
        class_names: default ``config.id2label``.
        gradcam_layer, reshape: override the automatic choice.
        image_mean, image_std: the normalisation of the fallback processor (ViT's are 0.5).
        name: for tables and plots; default the config's model type.

    Returns:
        The wrapped model.
    """
    config = model.config
    processor = processor or _own_processor(config, image_mean, image_std)
    size = int(processor(images=Image.new("RGB", (97, 61)), return_tensors="pt")["pixel_values"].shape[-1])
    if class_names is None and getattr(config, "id2label", None):
        class_names = [config.id2label[i] for i in range(len(config.id2label))]
    check_classifier(model, size)
    layer, reshape = _choice(lambda: _hf_layer(model, size), gradcam_layer, reshape)
    normalized = getattr(processor, "do_normalize", True)
    norm, unnorm = normalization(processor.image_mean if normalized else (0.0,) * 3,
                                 processor.image_std if normalized else (1.0,) * 3)
    return wrap_model(model, name=name or getattr(config, "model_type", "hf-model"),
                      preprocess=lambda image: processor(images=image, return_tensors="pt")["pixel_values"][0],
                      normalize=norm, unnormalize=unnorm, class_names=class_names, gradcam_layer=layer,
                      reshape=reshape, input_size=size)


def _own_processor(config, image_mean, image_std):
    """The checkpoint's image processor from the local cache, else ViT's rule at the model's image size."""
    import transformers

    checkpoint = getattr(config, "_name_or_path", "") or getattr(config, "name_or_path", "")
    if checkpoint:
        try:
            return transformers.AutoImageProcessor.from_pretrained(checkpoint, local_files_only=True)
        except (OSError, ValueError):
            warnings.warn(f"The image processor of {checkpoint} is not on this machine; using ViT's rule (resize to "
                          "the model's square size, image_mean/image_std). Pass processor=AutoImageProcessor."
                          "from_pretrained(...) for the hub's preprocessing.", stacklevel=3)
    size = int(getattr(config, "image_size", 224))
    return transformers.ViTImageProcessor(size={"height": size, "width": size}, image_mean=list(image_mean),
                                          image_std=list(image_std))


def _hf_layer(model: nn.Module, size: int):
    base = getattr(model, model.base_model_prefix, None) if hasattr(model, "base_model_prefix") else None
    encoder = getattr(base, "encoder", None)
    # transformers 4: base.encoder.layer; 5: base.layers
    layers = getattr(encoder, "layer", None) or getattr(base, "layers", None)
    norm = next((getattr(layers[-1], n) for n in ("layernorm_before", "norm1") if hasattr(layers[-1], n)), None
                ) if layers is not None else None
    if norm is not None:  # ViT, DeiT, BEiT (layernorm_before), DINOv2 with or without registers (norm1)
        grid = size // model.config.patch_size
        tokens = _output_shape(model, norm, size)[1]
        return norm, partial(token_grid, prefix=tokens - grid * grid)
    stages = getattr(encoder, "layers", None)
    if stages is not None and hasattr(stages[-1], "blocks") and isinstance(getattr(base, "layernorm", None),
                                                                           nn.LayerNorm):
        return base.layernorm, partial(token_grid, prefix=0)  # Swin: the final norm of the last stage's tokens
    return find_gradcam_layer(model, size)


def from_torchvision(model: nn.Module, *, class_names=None, gradcam_layer: nn.Module | None = None,
                     reshape: Callable | None = None, input_size: int = 224, name: str | None = None) -> VarModel:
    """Any torchvision classifier (or a CNN like one) as a VarModel with ImageNet preprocessing.

    The GradCAM layer is the last module with a spatial output (ViT: the input
    norm of the last encoder block, with the class token dropped).

    Args:
        model: e.g. ``torchvision.models.mobilenet_v3_small(weights=...)``.
        class_names: default ImageNet's for 1,000 outputs, else ``class i``.
        gradcam_layer, reshape: override the automatic choice.
        input_size: side of the square input.
        name: for tables and plots.

    Returns:
        The wrapped model.
    """
    outputs = check_classifier(model, input_size)
    if hasattr(model, "encoder") and hasattr(model, "class_token"):  # torchvision ViT
        found = lambda: (model.encoder.layers[-1].ln_1, partial(token_grid, prefix=1))
    else:
        found = lambda: find_gradcam_layer(model, input_size)
    layer, reshape = _choice(found, gradcam_layer, reshape)
    pre, norm, unnorm = imagenet_transforms(input_size, resize=round(input_size / 0.875))
    return wrap_model(model, name=name or type(model).__name__.lower(), preprocess=pre, normalize=norm,
                      unnormalize=unnorm, class_names=class_names or _default_names(outputs),
                      gradcam_layer=layer, reshape=reshape, input_size=input_size)


def _choice(find: Callable[[], tuple], gradcam_layer: nn.Module | None, reshape: Callable | None) -> tuple:
    """The user's layer and reshape win, and then nothing is searched.

    The automatic reshape only goes with the automatic layer ``find()``.
    """
    if gradcam_layer is not None:
        return gradcam_layer, reshape
    layer, auto_reshape = find()
    return layer, reshape or auto_reshape


def find_gradcam_layer(model: nn.Module, input_size: int = 224):
    """(layer, reshape): the last module whose output is a spatial map, found with one forward pass on zeros.

    A (B, C, h, w) output with h, w > 1 qualifies as it is; a (B, h, w, C)
    output (channels last) with the reshape :func:`channels_last_grid`. It must be the
    last stage: a spatial output followed by token outputs (B, tokens, D) is a
    transformer's patch embedding or attention map, which GradCAM cannot read, so
    such a model is refused (pass ``gradcam_layer=`` and ``reshape=``, e.g. :func:`token_grid`).
    """
    shapes = [(m, s) for m, s in _output_shapes(model, input_size) if m is not model]
    for i in range(len(shapes) - 1, -1, -1):
        module, shape = shapes[i]
        if len(shape) != 4:
            continue
        reshape = _layout(shape)
        if min(shape[1:3] if reshape is not None else shape[2:]) <= 1:
            continue
        later = [type(m).__name__ for m, s in shapes[i + 1:] if len(s) == 3 and s[0] == 1 and s[1] > 1]
        if later:
            raise ValueError(f"The last spatial output of {type(model).__name__} ({type(module).__name__}, shape "
                             f"{shape}) is followed by token outputs ({later[-1]}): it is not the last stage. Pass "
                             "gradcam_layer= (a module giving the last stage's tokens, e.g. the last block's "
                             "input norm) and reshape= (e.g. var.models.adapters.token_grid).")
        return module, reshape
    raise ValueError("No module with a spatial output found; pass gradcam_layer= (and reshape=) yourself.")


def _layout(shape) -> Callable | None:
    """None for (B, C, h, w); the channels-last permute for (B, h, w, C) (square h = w, C different)."""
    _, a, b, c = shape
    return channels_last_grid if a == b and c != a else None


def _output_shape(model: nn.Module, layer: nn.Module, size: int):
    return _output_shapes(model, size, only=layer)[-1][1]


def _output_shapes(model: nn.Module, size: int, only: nn.Module | None = None) -> list:
    """(module, output shape) of every module (or ``only``) in the order the forward pass calls them."""
    seen = []

    def hook(module, _inputs, output):
        if isinstance(output, torch.Tensor):
            seen.append((module, tuple(output.shape)))

    modules = [only] if only is not None else list(model.modules())
    handles = [m.register_forward_hook(hook) for m in modules]
    try:
        with torch.no_grad(), eval_mode(model):
            model(probe_input(model, size))
    finally:
        for h in handles:
            h.remove()
    return seen


def _default_names(outputs: int) -> list[str] | None:
    """ImageNet's class names for a model with 1,000 outputs; None (``class i``) otherwise."""
    return list(imagenet_classes()) if outputs == 1000 else None
