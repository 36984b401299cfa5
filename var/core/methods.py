"""The attribution methods of VAR step 1: one small class each, owning and checking its options.

Every method reduces to "gradients of the |K| selected outputs with respect to
something", averaged over a batch of points (the image, its noisy copies, the
points of an integration path). A method does not compute: :meth:`Method.plan`
returns a :class:`~var.core.engine.Plan` (its points, their weights, which gradient,
which rule), and the :class:`~var.core.engine.Engine` runs the plans of all images
in one path: one forward pass per chunk of points and the |K| backward passes
over its graph.

``make_method(name, **options)`` builds a method from its name and refuses
options the method does not take; :func:`var.attribute` calls it.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from .checks import check_choice, check_float, check_int
from .engine import CamLayer, Plan, Points, rows
from .protocol import BLUR_SIGMA, IG_STEPS

__all__ = ["Method", "Gradient", "InputXGradient", "IntegratedGradients", "GuidedBackprop", "GradCAM",
           "GuidedGradCAM", "SmoothGrad", "ContrastiveGradient", "METHODS", "METHOD_TITLES",
           "METHOD_DESCRIPTIONS", "make_method", "make_baseline", "smoothgrad_noise", "INTEGRATIONS"]

INTEGRATIONS = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")
#: Above this many IG steps a warning says the run will be slow (Gauss-Legendre nodes cost O(steps^2) to build).
MANY_STEPS = 1000


@dataclass(frozen=True)
class Method:
    """Base class: a named attribution method with its options as dataclass fields and its facts as class
    attributes.

    Subclasses set ``name``, ``title`` and ``description``, the facts that differ from the base's, and implement
    :meth:`plan`. The facts (the registry, the figures and ``var.VAR`` read them here, nowhere else):

    * ``output``: the model output the gradients start from: the logits (as in the paper) or the log-softmax
      (contrastive gradient);
    * ``family``: ``"gradient"``, ``"path"`` (integrated along a path), ``"modified backprop"`` or ``"cam"``;
    * ``signed``: whether the maps are read with their sign (a diverging colour map), as input x gradient's are;
    * ``resolution``: ``"pixel"``, or ``"layer"`` for a map computed on a layer's grid and upsampled;
    * ``multiplies_by_inputs``: whether the map is a gradient times the input (Captum's attribute of that name).
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    output: ClassVar[str] = "logits"
    family: ClassVar[str] = "gradient"
    signed: ClassVar[bool] = False
    resolution: ClassVar[str] = "pixel"
    multiplies_by_inputs: ClassVar[bool] = False

    def cam_layer(self, model) -> CamLayer | None:
        """The GradCAM layer this method needs (None for input-gradient methods)."""
        return None

    def plan(self, x: torch.Tensor, points: torch.Tensor | Points) -> Plan:
        """What the engine must compute for the (1, C, H, W) image ``x``, starting from ``points`` (``x`` itself,
        or SmoothGrad's noisy copies of it: a tensor or Points).
        """
        raise NotImplementedError

    @staticmethod
    def uniform(points: torch.Tensor | Points) -> torch.Tensor:
        """Equal weights 1/n for n points (float64; the engine casts them to the maps' dtype)."""
        return torch.full((len(points),), 1.0 / len(points), dtype=torch.float64)


@dataclass(frozen=True)
class Gradient(Method):
    """The gradient of the class logit (Simonyan et al. 2014)."""

    name: ClassVar[str] = "gradient"
    title: ClassVar[str] = "Gradient"
    description: ClassVar[str] = (
        "The gradient ∂S_c/∂x of the class logit: how much a small change of each input "
        "value would change the class score (Simonyan et al. 2014).")

    def plan(self, x, points):
        return Plan(points, self.uniform(points))


@dataclass(frozen=True)
class ContrastiveGradient(Gradient):
    """The gradient of the log-softmax: why class c rather than the others (not in the paper)."""

    name: ClassVar[str] = "contrastive_gradient"
    title: ClassVar[str] = "Contrastive gradient (log-softmax)"
    description: ClassVar[str] = (
        "The gradient of the log-softmax, ∂(S_c − log Σ_j exp S_j)/∂x: why class c "
        "rather than the others. Not in the paper; a contrastive baseline for VAR.")
    output: ClassVar[str] = "log_softmax"


@dataclass(frozen=True)
class InputXGradient(Method):
    """Input times gradient (Shrikumar et al. 2017)."""

    name: ClassVar[str] = "input_x_gradient"
    title: ClassVar[str] = "Input × Gradient"
    description: ClassVar[str] = (
        "The input times its gradient, x ⊙ ∂S_c/∂x, against gradient saturation "
        "(Shrikumar et al. 2017).")
    signed: ClassVar[bool] = True
    multiplies_by_inputs: ClassVar[bool] = True

    def plan(self, x, points):
        return Plan(points, self.uniform(points), scale=points)


@dataclass(frozen=True)
class IntegratedGradients(Method):
    """Integrated Gradients (Sundararajan et al. 2017) with the paper's blurred baseline.

    Attributes:
        steps: number of integration points (paper: 50).
        baseline: ``"blur"`` (Gaussian blur of the input, as in the paper),
            ``"zero"``, a number or a tensor shaped like the input.
        blur_sigma: standard deviation of the blur, in pixels.
        integration: one of Captum's rules, :data:`INTEGRATIONS`.
    """

    steps: int = IG_STEPS
    baseline: str | float | torch.Tensor = "blur"
    blur_sigma: float = BLUR_SIGMA
    integration: str = "gausslegendre"

    name: ClassVar[str] = "integrated_gradients"
    title: ClassVar[str] = "Integrated Gradients"
    description: ClassVar[str] = (
        "Gradients averaged along the straight path from a baseline x̄ to x, times x − x̄ "
        "(Sundararajan et al. 2017). As in the paper, the baseline is a blurred copy of the image; 50 steps by "
        "default (Gauss-Legendre, as Captum).")
    family: ClassVar[str] = "path"
    signed: ClassVar[bool] = True
    multiplies_by_inputs: ClassVar[bool] = True

    def __post_init__(self):
        check_int("steps", self.steps, 1)
        check_choice("integration", self.integration, INTEGRATIONS)
        if self.integration == "riemann_trapezoid" and self.steps < 2:
            raise ValueError("riemann_trapezoid needs steps >= 2.")
        check_float("blur_sigma", self.blur_sigma, low=0, low_open=True)
        _check_baseline(self.baseline)
        if self.steps > MANY_STEPS:
            warnings.warn(f"Integrated Gradients with steps={self.steps} is slow (one forward and |K| backward "
                          f"passes per step); 50-300 steps usually suffice.", stacklevel=3)

    def plan(self, x, points):
        alphas, w = integration_rule(self.integration, self.steps)
        alphas = alphas.to(x)
        base = make_baseline(x, self.baseline, self.blur_sigma)
        n = len(points)  # one path per point (SmoothGrad over IG has several); point i: step i // n of path i % n

        def path(i):
            return base + alphas[i // n].view(-1, 1, 1, 1) * (rows(points, i % n) - base)

        weights = (w.to(x).view(-1, 1) / n).expand(-1, n).flatten()
        size = len(alphas) * n  # built chunk by chunk: memory does not grow with the steps
        return Plan(Points(size, path), weights, scale=Points(size, lambda i: rows(points, i % n) - base))


@dataclass(frozen=True)
class GuidedBackprop(Method):
    """Guided Backpropagation (Springenberg et al. 2015): only positive gradients pass each ReLU."""

    name: ClassVar[str] = "guided_backprop"
    title: ClassVar[str] = "Guided Backprop"
    description: ClassVar[str] = (
        "Backpropagation that lets only positive gradients pass each ReLU (Springenberg et al. 2015). At GELU "
        "(ViT) nothing is changed, as in Captum.")
    family: ClassVar[str] = "modified backprop"

    def plan(self, x, points):
        return Plan(points, self.uniform(points), guided=True)


@dataclass(frozen=True)
class GradCAM(Method):
    """GradCAM (Selvaraju et al. 2017), upsampled to the input size.

    Attributes:
        layer: the module whose output is weighted; default the model's ``gradcam_layer``.
        reshape: turns that output into a (B, channels, h, w) grid (ViT tokens);
            default the model's ``reshape``.
        interpolate_mode: how the CAM is upsampled (``torch.nn.functional.interpolate`` modes).
    """

    layer: nn.Module | None = None
    reshape: Callable[[torch.Tensor], torch.Tensor] | None = None
    interpolate_mode: str = "bilinear"

    name: ClassVar[str] = "gradcam"
    title: ClassVar[str] = "GradCAM"
    description: ClassVar[str] = (
        "Feature maps of the last convolutional layer weighted by their average gradient, summed, passed "
        "through a ReLU and upsampled (Selvaraju et al. 2017). Its gradients only flow from the logits back "
        "to that layer.")
    family: ClassVar[str] = "cam"
    resolution: ClassVar[str] = "layer"

    def __post_init__(self):
        check_choice("interpolate_mode", self.interpolate_mode, ("nearest", "bilinear", "bicubic", "area"))
        if self.layer is not None and not isinstance(self.layer, nn.Module):
            raise TypeError(f"layer must be an nn.Module of the model, not {type(self.layer).__name__}.")

    def cam_layer(self, model) -> CamLayer:
        layer = self.layer or getattr(model, "gradcam_layer", None)
        if layer is None:
            raise ValueError(f"{self.name} needs a layer: pass layer=<module> or use a VarModel with gradcam_layer.")
        return CamLayer(layer, self.reshape or getattr(model, "reshape", None), self.interpolate_mode)

    def plan(self, x, points):
        return Plan(points, self.uniform(points), target="cam")


@dataclass(frozen=True)
class GuidedGradCAM(GradCAM):
    """Guided Backprop times the upsampled GradCAM map (Selvaraju et al. 2017)."""

    name: ClassVar[str] = "guided_gradcam"
    title: ClassVar[str] = "Guided GradCAM"
    description: ClassVar[str] = "Guided Backprop times the upsampled GradCAM map (Selvaraju et al. 2017)."
    resolution: ClassVar[str] = "pixel"  # the guided gradient's pixels, weighted by the upsampled CAM

    def plan(self, x, points):
        return Plan(points, self.uniform(points), guided=True, times_cam=True)


@dataclass(frozen=True)
class SmoothGrad(Method):
    """SmoothGrad (Smilkov et al. 2017): any method averaged over noisy copies of the input.

    Attributes:
        base: the method averaged (a :class:`Method`; ``make_method`` builds it from a name).
        n_samples: number of noisy copies.
        noise_level: noise standard deviation as a share of the input's range (max - min).
        seed: seeds the noise.
    """

    base: Method = dataclasses.field(default_factory=Gradient)
    n_samples: int = 25
    noise_level: float = 0.15
    seed: int = 0

    name: ClassVar[str] = "smoothgrad"
    title: ClassVar[str] = "SmoothGrad"
    description: ClassVar[str] = (
        "Any of the maps above averaged over noisy copies of the input, noise std = 15% of the input range "
        "(Smilkov et al. 2017).")

    def __post_init__(self):
        if not isinstance(self.base, Method) or isinstance(self.base, SmoothGrad):
            raise ValueError(f"SmoothGrad base must be one of {', '.join(m for m in METHODS if m != 'smoothgrad')}, "
                             f"not {self.base!r}.")
        check_int("n_samples", self.n_samples, 1)
        check_float("noise_level", self.noise_level, low=0)
        check_int("seed", self.seed)

    # The facts are the base's: averaging over noisy copies changes neither the sign nor the resolution.
    @property
    def output(self) -> str:
        return self.base.output

    @property
    def family(self) -> str:
        return self.base.family

    @property
    def signed(self) -> bool:
        return self.base.signed

    @property
    def resolution(self) -> str:
        return self.base.resolution

    @property
    def multiplies_by_inputs(self) -> bool:
        return self.base.multiplies_by_inputs

    def cam_layer(self, model):
        return self.base.cam_layer(model)

    def plan(self, x, points):
        n = len(points)  # the image (or its points), each copied with every sample's noise

        def noisy(i):
            return rows(points, i % n) + smoothgrad_noise(x, self.n_samples, self.noise_level, self.seed, i // n)

        return self.base.plan(x, Points(self.n_samples * n, noisy))  # built chunk by chunk


_CLASSES = (Gradient, InputXGradient, IntegratedGradients, GuidedBackprop, GradCAM, GuidedGradCAM, SmoothGrad,
            ContrastiveGradient)
_BY_NAME = {cls.name: cls for cls in _CLASSES}
#: Names of the methods ``var.attribute`` computes with its batched engine.
METHODS = tuple(_BY_NAME)
#: Display names and one-paragraph descriptions (paper Section 3) for tables and the book.
METHOD_TITLES = {name: cls.title for name, cls in _BY_NAME.items()}
METHOD_DESCRIPTIONS = {name: cls.description for name, cls in _BY_NAME.items()}


def make_method(name: str, **options) -> Method:
    """The method called ``name`` with ``options``; refuses options it does not take.

    SmoothGrad takes its own options (``base``, ``n_samples``, ``noise_level``,
    ``seed``) and passes the rest to its base method.

    Example:
        >>> make_method("integrated_gradients", steps=16)
        IntegratedGradients(steps=16, baseline='blur', blur_sigma=10.0, integration='gausslegendre')
    """
    if not isinstance(name, str) or name not in _BY_NAME:
        raise ValueError(f"Unknown method {name!r}; choose one of {', '.join(METHODS)} or pass a Captum object.")
    cls = _BY_NAME[name]
    if cls is SmoothGrad:
        own = {k: options.pop(k) for k in ("n_samples", "noise_level", "seed") if k in options}
        base = options.pop("base", "gradient")
        if base == "smoothgrad" or not isinstance(base, (str, Method)):
            raise ValueError(f"SmoothGrad base must be one of {', '.join(m for m in METHODS if m != 'smoothgrad')}, "
                             f"not {base!r}.")
        return SmoothGrad(make_method(base, **options) if isinstance(base, str) else base, **own)
    accepted = sorted(f.name for f in dataclasses.fields(cls))
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        hints = [f"Captum's {k}= is var's {CAPTUM_NAMES[k][0]}= {CAPTUM_NAMES[k][1]}" for k in unknown
                 if k in CAPTUM_NAMES and CAPTUM_NAMES[k][0] in accepted]
        raise TypeError(f"attribute: unknown option(s) {unknown} for method {name!r}; it takes "
                        f"{accepted or 'no options'}." + (f" ({'; '.join(hints)}.)" if hints else ""))
    return cls(**options)


#: Captum's option names that var spells otherwise, with what to know when switching (an unknown option's error
#: names them: a Captum user's keyword is refused with the var spelling, never dropped).
CAPTUM_NAMES = {
    "n_steps": ("steps", "(var's IG integrates from a blurred baseline, as the paper does; Captum's default "
                         "baseline is zeros: pass baseline='zero' for Captum's maps)"),
    "baselines": ("baseline", "('blur', as the paper, 'zero' as Captum's default, a number or a tensor)"),
    "nt_samples": ("n_samples", "(SmoothGrad's noisy copies)"),
    "stdevs": ("noise_level", "(a share of the input's range, as SmoothGrad's paper; Captum's stdevs is absolute)"),
    "method": ("integration", "(Captum's 'gausslegendre' is var's default too)"),
}


def smoothgrad_noise(x: torch.Tensor, n_samples: int, noise_level: float, seed: int,
                     samples: torch.Tensor | None = None) -> torch.Tensor:
    """The (n_samples, C, H, W) Gaussian noise SmoothGrad adds (or only ``samples``); std = noise_level x input range.

    Each sample's noise has its own seed, drawn from (seed, sample), so any subset of samples can be
    made alone (SmoothGrad builds its copies chunk by chunk) and gives the same values.
    """
    std = noise_level * float(x.max() - x.min())
    samples = range(n_samples) if samples is None else samples.tolist()
    noise = torch.stack([torch.randn(tuple(x.shape[1:]), dtype=x.dtype, generator=torch.Generator().manual_seed(
        int(np.random.SeedSequence([seed, i]).generate_state(1, np.uint64)[0]))) for i in samples])
    return (noise * std).to(x.device)


def make_baseline(x: torch.Tensor, baseline="blur", blur_sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """Integrated-Gradients baseline for a (1, C, H, W) input."""
    _check_baseline(baseline)
    if isinstance(baseline, torch.Tensor):
        if baseline.shape not in (x.shape, x.shape[1:]):
            raise ValueError(f"baseline shape {tuple(baseline.shape)} does not match input {tuple(x.shape)}.")
        return baseline.reshape(x.shape).to(x)
    if isinstance(baseline, (int, float)):
        return torch.full_like(x, float(baseline))
    if baseline == "zero":
        return torch.zeros_like(x)
    sigma = check_float("blur_sigma", blur_sigma, low=0, low_open=True)
    radius = min(int(math.ceil(3 * sigma)), min(x.shape[-2:]) - 1)
    from torchvision.transforms.functional import gaussian_blur

    return gaussian_blur(x, [2 * radius + 1] * 2, [sigma] * 2)


def _check_baseline(baseline) -> None:
    if isinstance(baseline, torch.Tensor):
        if not torch.isfinite(baseline).all():
            raise ValueError("baseline contains NaN or Inf.")
    elif isinstance(baseline, (int, float)) and not isinstance(baseline, bool):
        check_float("baseline", baseline)
    elif baseline not in ("blur", "zero"):
        raise ValueError(f"Unknown baseline {baseline!r}; use 'blur', 'zero', a number or a tensor.")


def integration_rule(rule: str, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(alphas, weights) of Captum's integral approximations on [0, 1]."""
    if rule == "gausslegendre":
        nodes, w = np.polynomial.legendre.leggauss(steps)
        return torch.tensor((nodes + 1) / 2), torch.tensor(w / 2)
    if rule == "riemann_trapezoid":
        alphas = torch.linspace(0, 1, steps, dtype=torch.float64)
        w = torch.full((steps,), 1.0 / (steps - 1), dtype=torch.float64)
        w[[0, -1]] /= 2
        return alphas, w
    offset = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}[rule]
    alphas = (torch.arange(steps, dtype=torch.float64) + offset) / steps
    return alphas, torch.full((steps,), 1.0 / steps, dtype=torch.float64)
