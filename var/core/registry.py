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

The registry only names: each :class:`~var.core.entry.Entry` declares what VAR needs to know (the family, the
library, whether its maps are signed, their resolution, whether all |K| maps come from one call); the
implementations live elsewhere: var's engine (:func:`var.core.engine.run_method`), occlusion and Score-CAM
(:mod:`var.core.perturbation`), CGI (:mod:`var.core.competition`), each library's adapter
(:mod:`var.core.libraries`, loaded by prefix on first use), and :func:`~var.core.guards.check_maps`, which
guards what comes back (shape, non-finite values, maps normalised per class, exploding relevance, constant maps),
each with one message naming the fix.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from .competition import competitive_gradient_input
from .engine import run_method
from .entry import FAMILIES, Entry
from .guards import MethodWarning, check_maps
from .methods import METHODS, Method, make_method
from .perturbation import occlusion, scorecam

__all__ = ["Entry", "MethodWarning", "register", "get", "resolve", "is_signed", "entries", "from_captum", "check_maps",
           "FAMILIES", "LIBRARY_METHODS"]

#: The libraries' modules (:mod:`var.core.libraries`) by name prefix; anything else with a colon is
#: ``module:function``.
_LIBRARIES = {"captum": "captum", "gradcam": "grad_cam", "zennit": "zennit"}

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
    from .libraries.functions import per_class

    if not isinstance(name, str) or not name or ":" in name or name in METHODS or name in _BUILTIN:
        raise ValueError(f"Register a method under a new name without ':' (not one of var's own), not {name!r}.")
    if not callable(fn):
        raise TypeError(f"fn must be callable as fn(model, x, target) -> map, not {type(fn).__name__}.")
    entry = Entry(name, "user", family, signed, resolution, False, per_class(fn), description=description)
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
    library = importlib.import_module(f"{__package__}.libraries.{_LIBRARIES.get(prefix, 'functions')}")
    entry = library.entry(prefix, rest)
    _REGISTRY[name] = entry
    return entry


def resolve(method) -> Entry:
    """The entry of any method :func:`var.attribute` takes: a name (:func:`get`), a
    :class:`~var.core.methods.Method` object (its own facts, run on var's engine) or a Captum attribution object.
    """
    if isinstance(method, str):
        return get(method)
    if isinstance(method, Method):
        return _method_entry(type(method).__name__, method)
    if not hasattr(method, "attribute"):
        raise ValueError(f"method must be a name ('var-bench methods' lists them), a var.methods.Method or a Captum "
                         f"attribution object, not {method!r}.")
    return from_captum(method)


def is_signed(method, **options) -> bool:
    """Whether a method's maps are read with their sign: a registry name, a var Method (its own fact), or a
    Captum object. ``options``: those the method is called with (SmoothGrad over Input x Gradient is signed).
    """
    return resolve(method).is_signed(options)


def from_captum(method) -> Entry:
    """The entry of a Captum attribution object the user built (its options go to its ``attribute``)."""
    from .libraries.captum import from_captum as entry_of

    return entry_of(method)


def entries() -> list[Entry]:
    """The methods the CLI lists: var's own, and those of :data:`LIBRARY_METHODS` whose library is installed."""
    listed = list(_BUILTIN.values())
    for name in LIBRARY_METHODS:
        try:
            listed.append(get(name))
        except ModuleNotFoundError:  # its extra is not installed (pip install 'var-saliency[methods]')
            continue
    return listed


def _method_entry(name: str, method: Method | None) -> Entry:
    """An entry running on var's engine: the named method built from each call's options, or one Method object
    (which takes its options in its constructor).
    """
    def build(options) -> Method:
        if method is None:
            return make_method(name, **options)
        if options:
            raise TypeError(f"Pass the options of a Method object to its constructor, not to attribute: "
                            f"{sorted(options)}.")
        return method

    def batched(model, x, k, options, internal_batch_size, backward):
        return run_method(model, x, k, build(options), internal_batch_size, backward)

    def compute(model, x, classes, options):
        options = dict(options)
        run = {key: options.pop(key) for key in ("internal_batch_size", "backward") if key in options}
        return run_method(model, x, [list(classes)], build(options), **run)[0]

    m = method or make_method(name)  # the facts live on the method
    return Entry(name, "var", m.family, m.signed, m.resolution, True, compute, description=m.description,
                 batched=batched, run_options=("internal_batch_size", "backward"), changes_network=False,
                 multiplies_by_inputs=m.multiplies_by_inputs,
                 signed_by=None if method else lambda options: make_method(name, **{
                     k: v for k, v in options.items() if k == "base"}).signed)


def _cgi(model, x, classes, options):
    return competitive_gradient_input(model, x, classes, **options)


def _builtin() -> dict[str, Entry]:
    table = {name: _method_entry(name, None) for name in METHODS}
    table["occlusion"] = Entry(
        "occlusion", "var", "perturbation", True, "pixel", True, occlusion, changes_network=False,
        defaults={"window": 32, "stride": 16, "baseline": 0.0},
        description="Occlusion (Zeiler & Fergus 2014): the drop of the class logit when a window of the input is "
                    "replaced by a baseline, averaged over the windows covering each pixel; every class's logit "
                    "comes from the same occluded forward passes (equals Captum's Occlusion per class).")
    table["scorecam"] = Entry(
        "scorecam", "var", "cam", False, "layer", True, scorecam, defaults={"batch": 32}, changes_network=False,
        description="Score-CAM (Wang et al. 2020): the layer's channels weighted by the softmax over channels of "
                    "the class logit when the input is masked by each channel's min-max scaled, upsampled "
                    "activation; the masks do not depend on the class, so every class's scores come from the "
                    "same masked forward passes (equals pytorch-grad-cam's raw ScoreCAM per class).")
    table["cgi"] = Entry(
        "cgi", "var", "gradient", True, "pixel", True, _cgi, defaults={"competitors": 100}, changes_network=False,
        description="Competitive Gradient ⊙ Input (Gupta & Arora 2019), the closest prior method to VAR: input x "
                    "gradient of every competing label, each element kept only by the label with the largest "
                    "(positive) or smallest (negative) score there. competitors=100: the 100 most probable labels "
                    "and K compete (None: all labels, as the paper defines it, ~10x the cost).")
    return table


_BUILTIN = _builtin()

#: The library methods ``var-bench methods`` lists beside var's own (any other library name works too).
LIBRARY_METHODS = ("captum:DeepLift", "captum:GradientShap", "captum:Deconvolution", "captum:Occlusion",
                   "captum:LayerGradCam", "gradcam:GradCAMPlusPlus", "gradcam:XGradCAM", "gradcam:LayerCAM",
                   "gradcam:HiResCAM", "gradcam:ScoreCAM", "gradcam:GradCAMElementWise", "zennit:EpsilonPlusFlat",
                   "zennit:EpsilonAlpha2Beta1Flat")
