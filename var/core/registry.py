"""One registry of attribution methods: var's own and those of Captum, pytorch-grad-cam, Zennit and the user.

VAR step 1 needs one map per class of K from *any* class-specific method. Every
entry point (:func:`var.attribute`, :func:`var.explain`, :class:`var.VAR`, the
explorers, ``var-bench --methods``, the benchmarks) resolves a method name here:

* var's own engine methods (:data:`var.methods.METHODS`), all |K| maps from shared passes;
* ``"occlusion"``: occlusion (Zeiler & Fergus 2014) with every class's logit read from one
  set of occluded forward passes (equal to Captum's ``Occlusion`` per class);
* ``"cgi"``: Competitive Gradient ⊙ Input (Gupta & Arora 2019; :mod:`var.core.competition`);
* ``"scorecam"``: Score-CAM (Wang et al. 2020) with every class's score read from one set of
  masked forward passes (equal to pytorch-grad-cam's raw ``ScoreCAM`` per class);
* ``"captum:<Class>"``: any ``captum.attr`` class; layer methods get the model's GradCAM
  layer (or ``layer=``) and are upsampled like var's GradCAM; options go to Captum unchanged;
* ``"gradcam:<Class>"``: pytorch-grad-cam's class-specific CAMs, read *before* the
  library's per-class min-max scaling (which erases the cross-class magnitudes VAR compares);
* ``"zennit:<Composite>"``: Zennit LRP composites, with the canonizers the network needs
  (ResNet, VGG, or merged BatchNorm);
* a plain function ``fn(model, x, target) -> map`` registered with :func:`register`, or named
  ``"module:function"`` (imported on first use).

Each :class:`Entry` declares what VAR needs to know: the family, the library, whether its
maps are signed, their resolution (pixel or layer) and whether all |K| maps come from one call.
:func:`check_maps` guards what comes back (shape, non-finite values, maps normalised per
class, exploding relevance, constant maps), each with one message naming the fix.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_choice
from .model import VarModel, eval_mode, logits_of

__all__ = ["Entry", "MethodWarning", "register", "get", "is_signed", "entries", "from_captum", "check_maps", "raw_cams",
           "canonizers_for", "FAMILIES", "LIBRARY_METHODS"]

#: The method families (the gallery's rows and the claims' "does it generalise?" column).
FAMILIES = ("gradient", "modified backprop", "path", "perturbation", "cam", "propagation", "user")


class MethodWarning(UserWarning):
    """A library method's output that VAR can use but probably not as the user meant (the message says why)."""


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

    def __post_init__(self):
        check_choice("family", self.family, FAMILIES)
        check_choice("resolution", self.resolution, ("pixel", "layer"))

    def attribute(self, model, x: torch.Tensor, classes: list[int], options: Mapping) -> torch.Tensor:
        """(|K|, C, H, W) maps of one image, checked by :func:`check_maps`."""
        net = model.module if isinstance(model, VarModel) else model
        with torch.enable_grad(), eval_mode(net):
            maps = self.compute(model, x, list(classes), {**self.defaults, **options})
        return check_maps(self, maps.detach(), x, net, classes)


_REGISTRY: dict[str, Entry] = {}


def register(name: str, fn: Callable, *, family: str = "user", signed: bool = False, resolution: str = "pixel",
             description: str = "") -> Entry:
    """Register ``fn(model, x, target) -> map`` under ``name``, for every entry point of var.

    Args:
        name: the name to pass as ``method`` (no ``:``; that is for library methods and ``module:function``).
        fn: called per class with the :class:`~var.core.model.VarModel` (or module), one image (1, C, H, W) and
            the class index; returns its map, (C, H, W), (1, C, H, W), (H, W) or a layer-resolution map.
        family, signed, resolution, description: see :class:`Entry`.

    Returns:
        The entry.

    Example:
        >>> def saliency(model, x, target):
        ...     x = x.clone().requires_grad_()
        ...     model.module(x)[0, target].backward()
        ...     return x.grad.abs()
        >>> entry = var.registry.register("my_saliency", saliency)
        >>> maps = var.attribute(model, x, [1, 2], "my_saliency")
    """
    from .methods import METHODS

    if not isinstance(name, str) or not name or ":" in name or name in METHODS or name in _BUILTIN:
        raise ValueError(f"Register a method under a new name without ':' (not one of var's own), not {name!r}.")
    if not callable(fn):
        raise TypeError(f"fn must be callable as fn(model, x, target) -> map, not {type(fn).__name__}.")
    entry = Entry(name, "user", family, signed, resolution, False, _per_class(fn), description=description)
    _REGISTRY[name] = entry
    return entry


def get(name: str) -> Entry:
    """The entry of ``name``: registered, var's own, ``captum:``, ``gradcam:``, ``zennit:`` or ``module:function``."""
    if not isinstance(name, str):
        raise TypeError(f"A method name must be a string, not {type(name).__name__}.")
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name in _BUILTIN:
        return _BUILTIN[name]
    prefix, _, rest = name.partition(":")
    if not rest:
        raise ValueError(f"Unknown method {name!r}. Use one of var's ({', '.join(_BUILTIN)}), a library method "
                         "('captum:DeepLift', 'gradcam:LayerCAM', 'zennit:EpsilonPlusFlat'), 'module:function', "
                         "or register your own with var.registry.register. 'var-bench methods' lists them.")
    makers = {"captum": _captum_entry, "gradcam": _grad_cam_entry, "zennit": _zennit_entry}
    entry = makers.get(prefix, _function_entry)(prefix, rest)
    _REGISTRY[name] = entry
    return entry


def is_signed(method, **options) -> bool:
    """Whether a method's maps are read with their sign: a registry name, a var Method (its own fact), or a
    Captum object. ``options``: those the method is called with; of them only SmoothGrad's ``base`` matters
    (SmoothGrad over Input x Gradient is signed).
    """
    from .methods import METHODS, Method, make_method

    if isinstance(method, Method):
        return method.signed
    if isinstance(method, str) and method in METHODS:
        return make_method(method, **{k: v for k, v in options.items() if k == "base"}).signed
    if isinstance(method, str):
        return get(method).signed
    return type(method).__name__ not in _CAPTUM_UNSIGNED


def entries() -> list[Entry]:
    """The methods the CLI lists: var's own, and those of :data:`LIBRARY_METHODS` whose library is installed."""
    listed = list(_BUILTIN.values())
    for name in LIBRARY_METHODS:
        try:
            listed.append(get(name))
        except ModuleNotFoundError:  # its extra is not installed (pip install 'var-saliency[methods]')
            continue
    return listed


# ---------------------------------------------------------------- var's own
def _engine(name: str) -> Callable:
    def compute(model, x, classes, options):
        from .attribution import attribute

        return attribute(model, x, classes, name, **options)
    return compute


def _builtin() -> dict[str, Entry]:
    from .methods import METHODS, make_method

    defaults = {name: make_method(name) for name in METHODS}  # the facts live on the methods
    table = {name: Entry(name, "var", m.family, m.signed, m.resolution, True, _engine(name),
                         description=m.description) for name, m in defaults.items()}
    table["occlusion"] = Entry(
        "occlusion", "var", "perturbation", True, "pixel", True, _occlusion,
        defaults={"window": 32, "stride": 16, "baseline": 0.0},
        description="Occlusion (Zeiler & Fergus 2014): the drop of the class logit when a window of the input is "
                    "replaced by a baseline, averaged over the windows covering each pixel; every class's logit "
                    "comes from the same occluded forward passes (equals Captum's Occlusion per class).")
    table["scorecam"] = Entry(
        "scorecam", "var", "cam", False, "layer", True, _scorecam, defaults={"batch": 32},
        description="Score-CAM (Wang et al. 2020): the layer's channels weighted by the softmax over channels of "
                    "the class logit when the input is masked by each channel's min-max scaled, upsampled "
                    "activation; the masks do not depend on the class, so every class's scores come from the "
                    "same masked forward passes (equals pytorch-grad-cam's raw ScoreCAM per class).")
    table["cgi"] = Entry(
        "cgi", "var", "gradient", True, "pixel", True, _cgi, defaults={"competitors": 100},
        description="Competitive Gradient ⊙ Input (Gupta & Arora 2019), the closest prior method to VAR: input x "
                    "gradient of every competing label, each element kept only by the label with the largest "
                    "(positive) or smallest (negative) score there. competitors=100: the 100 most probable labels "
                    "and K compete (None: all labels, as the paper defines it, ~10x the cost).")
    return table


def _cgi(model, x, classes, options):
    from .competition import competitive_gradient_input

    return competitive_gradient_input(model, x, classes, **options)


def _occlusion(model, x, classes, options):
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


def _layer_of(model, layer: nn.Module | None, method: str) -> nn.Module:
    """The layer a layer method reads: ``layer`` if given, else the model's GradCAM layer."""
    layer = layer or getattr(model, "gradcam_layer", None)
    if layer is None:
        raise ValueError(f"{method} needs a layer: pass layer=<module> or use a VarModel with gradcam_layer.")
    return layer


def _scorecam(model, x, classes, options):
    """Score-CAM of all classes from one set of masked passes (pytorch-grad-cam's rule, before its scaling)."""
    batch = int(options.pop("batch"))
    layer = _layer_of(model, options.pop("layer", None), "scorecam")
    if options:
        raise TypeError(f"scorecam takes layer and batch, not {sorted(options)}.")
    net = model.module if isinstance(model, VarModel) else model
    reshape = getattr(model, "reshape", None)
    store = []
    hook = layer.register_forward_hook(lambda module, args, out: store.append(out.detach()))
    try:
        with torch.no_grad():
            net(x)
    finally:
        hook.remove()
    acts = reshape(store[0]) if reshape is not None else store[0]  # (1, channels, h, w)
    # the library's masks: bilinear with aligned corners (nn.UpsamplingBilinear2d), scaled to [0, 1] per channel
    up = F.interpolate(acts, size=x.shape[-2:], mode="bilinear", align_corners=True)[0]
    low, high = up.amin(dim=(1, 2), keepdim=True), up.amax(dim=(1, 2), keepdim=True)
    masks = (up - low) / (high - low + 1e-8)
    k = torch.as_tensor(classes)
    scores = []
    with torch.no_grad():
        for start in range(0, len(masks), batch):
            chunk = masks[start:start + batch]
            scores.append(logits_of(net(x * chunk[:, None]))[:, k])  # (channels, |K|): every class at once
    weights = torch.cat(scores).T.softmax(dim=1)  # (|K|, channels)
    cam = torch.einsum("kc,chw->khw", weights.to(acts.dtype), acts[0]).clamp(min=0).unsqueeze(1)
    return _to_input_size(cam, x)


# ---------------------------------------------------------------- Captum
#: Captum classes that take |K| copies of the image with a list of targets in one call (deterministic).
CAPTUM_BATCHED = {"Saliency", "InputXGradient", "IntegratedGradients", "GuidedBackprop", "Deconvolution", "DeepLift",
                  "Occlusion", "FeatureAblation", "LayerGradCam", "GuidedGradCam", "LayerConductance",
                  "LayerIntegratedGradients", "LayerGradientXActivation", "LayerActivation", "LayerDeepLift"}
_CAPTUM_FAMILY = {"Saliency": "gradient", "InputXGradient": "gradient", "IntegratedGradients": "path",
                  "GradientShap": "path", "GuidedBackprop": "modified backprop", "Deconvolution": "modified backprop",
                  "DeepLift": "propagation", "DeepLiftShap": "propagation", "LRP": "propagation",
                  "Occlusion": "perturbation", "FeatureAblation": "perturbation",
                  "ShapleyValueSampling": "perturbation", "KernelShap": "perturbation", "Lime": "perturbation",
                  "FeaturePermutation": "perturbation",
                  "GuidedGradCam": "cam", "LayerGradCam": "cam"}
#: Options set unless given: GradCAM's ReLU (Captum keeps negatives by default); the baselines var's IG uses;
#: windows for 224 x 224 inputs (Captum has no default).
_CAPTUM_DEFAULTS = {"LayerGradCam": {"relu_attributions": True}, "GradientShap": {"baselines": "blur"},
                    "Occlusion": {"sliding_window_shapes": (3, 32, 32), "strides": (3, 16, 16)}}
_CAPTUM_UNSIGNED = {"Saliency", "GuidedBackprop", "Deconvolution", "LayerGradCam", "GuidedGradCam"}


def _library_class(prefix: str, module: str, name: str, library: str, extra: str, kind: str, accept) -> type:
    """The class ``name`` of a library's ``module``: one error naming the extra if it is not installed, one
    naming the module if it has no such class (``accept(module, cls)`` says what counts).
    """
    try:
        lib = importlib.import_module(module)
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(f"{prefix}: methods need {library}: pip install 'var-saliency[{extra}]'.",
                                  name=err.name) from err
    cls = getattr(lib, name, None)
    if not (inspect.isclass(cls) and accept(lib, cls)):
        raise ValueError(f"{prefix}:{name}: {module} has no {kind} {name!r}.")
    return cls


def _captum_entry(_prefix: str, cls_name: str) -> Entry:
    cls = _library_class("captum", "captum.attr", cls_name, "Captum", "bench", "attribution class",
                         lambda lib, c: hasattr(c, "attribute"))
    if cls_name in ("NoiseTunnel", "LayerActivation"):
        raise ValueError(f"captum:{cls_name} is not class-specific (NoiseTunnel wraps a method: use smoothgrad or "
                         "var.VAR inside NoiseTunnel; LayerActivation has no target), so VAR has no classes to "
                         "compare.")
    needs_layer = "layer" in inspect.signature(cls.__init__).parameters

    def build(model, options):
        net = model.module if isinstance(model, VarModel) else model
        if not needs_layer:
            return cls(net)
        return cls(net, _layer_of(model, options.pop("layer", None), f"captum:{cls_name}"))

    return _captum(f"captum:{cls_name}", cls_name, build, _CAPTUM_DEFAULTS.get(cls_name, {}),
                   f"Captum's {cls_name}, options passed through unchanged.")


def from_captum(method) -> Entry:
    """The entry of a Captum attribution object the user built (its options go to its ``attribute``)."""
    cls_name = type(method).__name__
    return _captum(f"Captum {cls_name} object", cls_name, lambda model, options: method, {},
                   f"The given Captum {cls_name} object.")


def _captum(name: str, cls_name: str, build: Callable, defaults: Mapping, description: str) -> Entry:
    def compute(model, x, classes, options):
        options = dict(options)
        method = build(model, options)
        if cls_name == "LayerGradCam" and not options.get("relu_attributions", False):
            warnings.warn(f"{name} without relu_attributions=True keeps negative values; VAR's softmax compares "
                          "|H|, so negative evidence competes as if it were positive. GradCAM's definition is "
                          "relu_attributions=True (the default of captum:LayerGradCam).", MethodWarning,
                          stacklevel=4)
        if isinstance(options.get("baselines"), str):  # var's names for baselines: "zero", "blur"
            from .methods import make_baseline

            options["baselines"] = make_baseline(x, options["baselines"])
        if cls_name in CAPTUM_BATCHED:  # |K| copies, one target each, one call
            a = method.attribute(x.expand(len(classes), *x.shape[1:]).clone(), target=list(classes), **options)
        else:  # stochastic methods (sampled baselines, noise): the library's own per-class call
            a = torch.cat([_first(method.attribute(x, target=c, **options)) for c in classes])
        return _to_input_size(_first(a), x)

    layer = cls_name.startswith("Layer")
    return Entry(name, "captum", _CAPTUM_FAMILY.get(cls_name, "cam" if layer else "gradient"),
                 cls_name not in _CAPTUM_UNSIGNED, "layer" if layer else "pixel", cls_name in CAPTUM_BATCHED,
                 compute, defaults, description)


def _first(a):
    return a[0] if isinstance(a, tuple) else a


def _to_input_size(maps: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Layer-resolution maps upsampled to the input, bilinearly (as var's GradCAM)."""
    if maps.dim() == 4 and maps.shape[-2:] != x.shape[-2:]:
        maps = F.interpolate(maps, size=x.shape[-2:], mode="bilinear", align_corners=False)
    return maps


# ---------------------------------------------------------------- pytorch-grad-cam
#: pytorch-grad-cam CAMs that are not class-specific, and why VAR cannot use them.
CLASS_AGNOSTIC = {
    "EigenCAM": "it projects the activations on their first principal component: one map for every class",
    "KPCA_CAM": "it projects the activations on a kernel principal component: one map for every class",
    "RandomCAM": "its channel weights are random, not derived from a class",
}


def _grad_cam_entry(_prefix: str, cls_name: str) -> Entry:
    cls = _library_class("gradcam", "pytorch_grad_cam", cls_name, "pytorch-grad-cam", "methods", "CAM class",
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
        return _to_input_size(raw, x)
    return compute


def raw_cams(cls, model, x: torch.Tensor, classes, layer: nn.Module | None = None, **options) -> torch.Tensor:
    """pytorch-grad-cam's CAM of every class, (|K|, 1, h, w) at the layer's resolution, before min-max scaling.

    The |K| classes are |K| copies of the image with one target each, in one forward and backward pass
    (the library's own batching); the CAM is what ``get_cam_image`` returns, through the library's ReLU.
    """
    import numpy as np
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    net = model.module if isinstance(model, VarModel) else model
    layer = _layer_of(model, layer, f"gradcam:{cls.__name__}")
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


# ---------------------------------------------------------------- Zennit
def _zennit_entry(_prefix: str, composite: str) -> Entry:
    cls = _library_class("zennit", "zennit.composites", composite, "Zennit", "methods", "composite",
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


# ---------------------------------------------------------------- plain functions
def _per_class(fn: Callable) -> Callable:
    def compute(model, x, classes, options):
        maps = []
        for c in classes:
            m = torch.as_tensor(fn(model, x, int(c), **options))
            m = m.detach().to(x.dtype)
            if m.dim() == 2:
                m = m[None]
            if m.dim() == 4 and m.shape[0] == 1:
                m = m[0]
            if m.dim() != 3:
                raise ValueError(f"{getattr(fn, '__name__', fn)} returned a map of shape {tuple(m.shape)}; return "
                                 "(C, H, W), (1, C, H, W) or (H, W) for one image and one class.")
            maps.append(m)
        return _to_input_size(torch.stack(maps), x)
    return compute


def _function_entry(module: str, function: str) -> Entry:
    try:
        fn = getattr(importlib.import_module(module), function)
    except (ModuleNotFoundError, AttributeError) as err:
        raise ValueError(f"Method {module}:{function}: cannot import {function} from {module} ({err}). Name a "
                         "function fn(model, x, target) -> map as 'module:function', importable from here.") from err
    if not callable(fn):
        raise TypeError(f"{module}:{function} is not callable; it must be fn(model, x, target) -> map.")
    return Entry(f"{module}:{function}", "user", "user", False, "pixel", False, _per_class(fn),
                 description=(inspect.getdoc(fn) or "").split("\n")[0])


# ---------------------------------------------------------------- guards
#: |H| above this many times the largest |logit| of K: relevance has exploded (LRP without a canonizer).
EXPLODED = 1e4
#: A map's total relevance below this share of the largest |logit| of K: relevance has vanished.
VANISHED = 1e-2


def _check_conservation(entry: Entry, maps, x, net, classes) -> None:
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


def check_maps(entry: Entry, maps: torch.Tensor, x: torch.Tensor, net: nn.Module, classes) -> torch.Tensor:
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
        _check_conservation(entry, maps, x, net, classes)
    constant = (flat.amax(1) == flat.amin(1)).nonzero().flatten().tolist()
    if constant:
        warnings.warn(f"{entry.name} returned a constant map for K[{', '.join(map(str, constant))}]: VAR has nothing "
                      "to compare there, and its map will be empty. Check the method's options (a baseline equal "
                      "to the input, a dead layer).", MethodWarning, stacklevel=4)
    return maps


_BUILTIN = _builtin()

#: The library methods ``var-bench methods`` lists beside var's own (any other library name works too).
LIBRARY_METHODS = ("captum:DeepLift", "captum:GradientShap", "captum:Deconvolution", "captum:Occlusion",
                   "captum:LayerGradCam", "gradcam:GradCAMPlusPlus", "gradcam:XGradCAM", "gradcam:LayerCAM",
                   "gradcam:HiResCAM", "gradcam:ScoreCAM", "gradcam:GradCAMElementWise", "zennit:EpsilonPlusFlat",
                   "zennit:EpsilonAlpha2Beta1Flat")
