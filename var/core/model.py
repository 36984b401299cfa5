"""The model protocol every layer shares: :class:`VarModel` (a classifier plus what attribution needs to
know about it), the rule for reading logits from any output, and the scoped mode changes attribution makes.

The zoo, preprocessing and adapters that *build* a ``VarModel`` live in :mod:`var.models`; the core imports
nothing from them.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from PIL import Image
from torch import nn

__all__ = ["VarModel", "logits_of", "eval_mode", "shared_change", "check_classifier", "probe_input",
           "weights_fingerprint"]


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

    def identity(self) -> dict:
        """What names this model in a saved result: its name, network class, input size, number of classes and
        :func:`weights_fingerprint` (so two results can be told apart even under one name).
        """
        return {"name": self.name, "network": type(self.module).__name__, "input_size": self.input_size,
                "classes": len(self.class_names), "weights_sha256": weights_fingerprint(self.module)}


_FINGERPRINTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # module -> (tensor versions, digest)


def weights_fingerprint(module: nn.Module) -> str:
    """SHA-256 over every parameter's and buffer's name, dtype, shape and bytes: equal iff the weights are.

    Cached per module until a tensor is replaced or changed in place (torch counts in-place changes per
    tensor), so explaining many images hashes the weights once.
    """
    import hashlib

    tensors = [*module.named_parameters(), *module.named_buffers()]
    versions = tuple((id(t), t._version) for _, t in tensors)
    cached = _FINGERPRINTS.get(module)
    if cached is not None and cached[0] == versions:
        return cached[1]
    digest = hashlib.sha256()
    for name, tensor in tensors:
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    _FINGERPRINTS[module] = (versions, digest.hexdigest())
    return _FINGERPRINTS[module][1]


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
