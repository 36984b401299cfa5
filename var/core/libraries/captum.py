"""Captum's attribution classes as registry entries (``captum:<Class>``) and Captum objects the user built."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping

import torch

from ..entry import Entry
from ..guards import MethodWarning
from ..maps import first, layer_of, library_class, to_input_size
from ..model import VarModel, logits_of

__all__ = ["entry", "from_captum", "CAPTUM_BATCHED", "CAPTUM_UNSIGNED"]


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
#: Captum's default number of integration steps (its path methods' ``n_steps``).
_N_STEPS = 50
#: Captum classes whose maps are multiplied by the input (with their default ``multiply_by_inputs=True``).
_MULTIPLIES = {"InputXGradient", "IntegratedGradients", "DeepLift", "DeepLiftShap", "GradientShap",
               "LayerIntegratedGradients", "LayerDeepLift", "LayerGradientXActivation", "LayerConductance"}
CAPTUM_UNSIGNED = {"Saliency", "GuidedBackprop", "Deconvolution", "LayerGradCam", "GuidedGradCam"}


def entry(_prefix: str, cls_name: str) -> Entry:
    """The entry of ``captum:<cls_name>``: layer methods get the model's GradCAM layer (or ``layer=``)."""
    cls = library_class("captum", "captum.attr", cls_name, "Captum", "bench", "attribution class",
                         lambda lib, c: hasattr(c, "attribute"))
    if cls_name in ("NoiseTunnel", "LayerActivation"):
        raise ValueError(f"captum:{cls_name} is not class-specific (NoiseTunnel wraps a method: use smoothgrad or "
                         "var.VAR inside NoiseTunnel; LayerActivation has no target), so VAR has no classes to "
                         "compare.")
    needs_layer = "layer" in inspect.signature(cls.__init__).parameters

    def build(model, options):
        net = Logits(model.module if isinstance(model, VarModel) else model)  # Hugging Face returns an object
        if not needs_layer:
            return cls(net)
        return cls(net, layer_of(model, options.pop("layer", None), f"captum:{cls_name}"))

    return _captum(f"captum:{cls_name}", cls, build, _CAPTUM_DEFAULTS.get(cls_name, {}),
                   f"Captum's {cls_name}, options passed through unchanged.")


class Logits(torch.nn.Module):
    """A network whose output is its logits (:func:`~var.core.model.logits_of`): Captum reads a tensor only."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net
        self.training = net.training

    def forward(self, *args, **kwargs):
        return logits_of(self.net(*args, **kwargs))


def from_captum(method) -> Entry:
    """The entry of a Captum attribution object the user built (its options go to its ``attribute``)."""
    cls_name = type(method).__name__
    return _captum(f"Captum {cls_name} object", type(method), lambda model, options: method, {},
                   f"The given Captum {cls_name} object.")


def _captum(name: str, cls: type, build: Callable, defaults: Mapping, description: str) -> Entry:
    cls_name = cls.__name__
    chunked = "internal_batch_size" in inspect.signature(cls.attribute).parameters  # its path methods

    def compute(model, x, classes, options):
        options = dict(options)
        method = build(model, options)
        if chunked and options.get("internal_batch_size") is None:
            # |K| copies in one call would hold |K| x n_steps points at once: chunk them to one class's worth
            options["internal_batch_size"] = options.get("n_steps", _N_STEPS)
        if cls_name == "LayerGradCam" and not options.get("relu_attributions", False):
            warnings.warn(f"{name} without relu_attributions=True keeps negative values; VAR's softmax compares "
                          "|H|, so negative evidence competes as if it were positive. GradCAM's definition is "
                          "relu_attributions=True (the default of captum:LayerGradCam).", MethodWarning,
                          stacklevel=4)
        if isinstance(options.get("baselines"), str):  # var's names for baselines: "zero", "blur"
            from ..methods import make_baseline

            options["baselines"] = make_baseline(x, options["baselines"])
        if cls_name in CAPTUM_BATCHED:  # |K| copies, one target each, one call
            xs = x.expand(len(classes), *x.shape[1:]).clone().requires_grad_()  # Captum warns when it must set it
            a = method.attribute(xs, target=list(classes), **options)
        else:  # stochastic methods (sampled baselines, noise): the library's own per-class call
            a = torch.cat([first(method.attribute(x.clone().requires_grad_(), target=c, **options)) for c in classes])
        return to_input_size(first(a), x)

    layer = cls_name.startswith("Layer")
    return Entry(name, "captum", _CAPTUM_FAMILY.get(cls_name, "cam" if layer else "gradient"),
                 cls_name not in CAPTUM_UNSIGNED, "layer" if layer else "pixel", cls_name in CAPTUM_BATCHED,
                 compute, defaults, description, run_options=("internal_batch_size",) if chunked else (),
                 multiplies_by_inputs=cls_name in _MULTIPLIES)
