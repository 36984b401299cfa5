"""VAR step 1: attribution maps for a whole class set K from one shared forward pass.

Every method reduces to "gradients of the K selected outputs with respect to
something", so the engine runs one forward pass over a batch of points (the
image, its noisy copies for SmoothGrad, the path points for Integrated
Gradients) and then the |K| backward passes over that one retained graph,
instead of the |K| separate forward+backward passes of a per-class Captum loop.
The backward passes run as a loop of vector-Jacobian products (default) or as
one vectorised ``torch.autograd.grad(..., is_grads_batched=True)`` call
(``backward="vmap"``); on 2 CPU cores the loop measured faster, on an H100
the vectorised backward (``backward="auto"`` picks by device). GradCAM only
needs gradients from the logits back to its layer, so it never backpropagates
into the trunk.

The maps equal Captum's per-class results (``Saliency(abs=False)``,
``InputXGradient``, ``IntegratedGradients``, ``GuidedBackprop``,
``LayerGradCam`` + upsampling, ``GuidedGradCam``, ``NoiseTunnel``); the tests
check it.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .models import VarModel

__all__ = ["attribute", "METHODS", "METHOD_TITLES", "METHOD_DESCRIPTIONS", "make_baseline", "smoothgrad_noise"]

#: Methods that ``attribute`` computes with its batched engine.
METHODS = ("gradient", "input_x_gradient", "integrated_gradients", "guided_backprop", "gradcam",
           "guided_gradcam", "smoothgrad", "contrastive_gradient")
_CAM_METHODS = ("gradcam", "guided_gradcam")

#: Display names and one-paragraph descriptions (paper Section 3) for tables and the book.
METHOD_TITLES = {
    "gradient": "Gradient", "input_x_gradient": "Input × Gradient", "integrated_gradients": "Integrated Gradients",
    "guided_backprop": "Guided Backprop", "gradcam": "GradCAM", "guided_gradcam": "Guided GradCAM",
    "smoothgrad": "SmoothGrad", "contrastive_gradient": "Contrastive gradient (log-softmax)",
}
METHOD_DESCRIPTIONS = {
    "gradient": "The gradient $\\partial S_c / \\partial x$ of the class logit: how much a small change of each "
                "input value would change the class score (Simonyan et al. 2014).",
    "input_x_gradient": "The input times its gradient, $x \\odot \\partial S_c/\\partial x$, against gradient "
                        "saturation (Shrikumar et al. 2017).",
    "integrated_gradients": "Gradients averaged along the straight path from a baseline $\\bar x$ to $x$, times "
                            "$x - \\bar x$ (Sundararajan et al. 2017). As in the paper, the baseline is a blurred "
                            "copy of the image; 50 steps by default (Gauss-Legendre, as Captum).",
    "guided_backprop": "Backpropagation that lets only positive gradients pass each ReLU (Springenberg et al. "
                       "2015). At GELU (ViT) nothing is changed, as in Captum.",
    "gradcam": "Feature maps of the last convolutional layer weighted by their average gradient, summed, passed "
               "through a ReLU and upsampled (Selvaraju et al. 2017). Its gradients only flow from the logits back "
               "to that layer.",
    "guided_gradcam": "Guided Backprop times the upsampled GradCAM map (Selvaraju et al. 2017).",
    "smoothgrad": "Any of the maps above averaged over noisy copies of the input, noise std = 15% of the input "
                  "range (Smilkov et al. 2017).",
    "contrastive_gradient": "The gradient of the log-softmax, $\\partial (S_c - \\log\\sum_j e^{S_j})/\\partial x$: "
                            "why class $c$ rather than the others. Not in the paper; a contrastive baseline for VAR.",
}
_INTEGRATIONS = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")


def attribute(
    model: VarModel | nn.Module,
    inputs: torch.Tensor,
    classes: Sequence[int] | torch.Tensor,
    method="gradient",
    *,
    base: str = "gradient",
    steps: int = 50,
    baseline: str | float | torch.Tensor = "blur",
    blur_sigma: float = 10.0,
    integration: str = "gausslegendre",
    n_samples: int = 25,
    noise_level: float = 0.15,
    seed: int = 0,
    layer: nn.Module | None = None,
    reshape=None,
    interpolate_mode: str = "bilinear",
    internal_batch_size: int = 64,
    output: str = "logits",
    backward: str = "auto",
    **captum_kwargs,
) -> torch.Tensor:
    """Attribution maps H_c for every class c in K (VAR step 1).

    Args:
        model: a :class:`~var.models.VarModel` (from ``load_model``/``wrap_model``)
            or any ``nn.Module`` mapping (B, C, H, W) to logits.
        inputs: one preprocessed image, shape (1, C, H, W) or (C, H, W), float.
        classes: the class set K (distinct logit indices).
        method: one of :data:`METHODS`, or any Captum attribution object (then
            run per class with ``target=c`` and ``captum_kwargs``).
        base: the method SmoothGrad averages (``method="smoothgrad"``).
        steps, baseline, blur_sigma, integration: Integrated Gradients. ``baseline``
            is ``"blur"`` (Gaussian blur of the input, as in the paper), ``"zero"``,
            a number or a tensor; ``integration`` one of Captum's rules.
        n_samples, noise_level, seed: SmoothGrad; noise std = ``noise_level`` x
            (max - min of the input), as in Smilkov et al. (2017).
        layer, reshape: GradCAM layer and its token-to-grid reshape; default the
            model's ``gradcam_layer``/``reshape``.
        interpolate_mode: how CAMs are upsampled to the input size.
        internal_batch_size: at most this many (point, class) gradient maps are
            held at once; bounds memory for IG and SmoothGrad.
        output: ``"logits"`` (default, as in the paper) or ``"log_softmax"``.
        backward: how the |K| backward passes share the forward: ``"loop"`` (one
            retained graph, |K| vector-Jacobian products; fastest on CPU),
            ``"vmap"`` (``is_grads_batched=True``, one vectorised backward; fastest
            on GPU) or ``"auto"`` (vmap on CUDA inputs, loop otherwise).

    Returns:
        Tensor of shape (|K|, C, H, W); C = 1 for GradCAM.

    Notes:
        Guided Backprop clamps negative gradients at every ``nn.ReLU`` module
        (EfficientNet-Lite's ReLU6 included). Like Captum, it leaves other
        activations alone: at ViT's GELU the plain gradient passes, so on
        ViT-B/16 (no ReLU modules) Guided Backprop equals the gradient.
        ``contrastive_gradient`` is the gradient of the log-softmax,
        d/dx [S_c - logsumexp_j S_j]: "why c rather than the other classes".

    Example:
        >>> model = var.load_model("efficientnet_lite0")
        >>> x = model.prepare("skimage:chelsea")
        >>> maps = var.attribute(model, x, [281, 282, 285], "integrated_gradients")
        >>> maps.shape
        torch.Size([3, 3, 224, 224])
    """
    net = model.module if isinstance(model, VarModel) else model
    x = _check_inputs(inputs)
    k = _check_classes(classes, _num_classes(model))
    if not isinstance(method, str):
        return _captum_loop(method, x, k, captum_kwargs)
    if captum_kwargs:
        raise TypeError(f"attribute: unknown option(s) {sorted(captum_kwargs)} for method {method!r}.")
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; choose one of {', '.join(METHODS)} or pass a Captum object.")
    if output not in ("logits", "log_softmax"):
        raise ValueError(f"output must be 'logits' or 'log_softmax', not {output!r}.")
    if method == "contrastive_gradient":
        method, output = "gradient", "log_softmax"
    if internal_batch_size < 1:
        raise ValueError("internal_batch_size must be >= 1.")
    if backward not in ("auto", "loop", "vmap"):
        raise ValueError(f"backward must be 'auto', 'loop' or 'vmap', not {backward!r}.")
    if backward == "auto":  # measured: loop faster on 2 CPU cores, vmap ~1.5x faster on an H100
        backward = "vmap" if x.is_cuda else "loop"
    cam = None
    if method in _CAM_METHODS or (method == "smoothgrad" and base in _CAM_METHODS):
        layer = layer or getattr(model, "gradcam_layer", None)
        reshape = reshape or getattr(model, "reshape", None)
        if layer is None:
            raise ValueError(f"{method} needs a layer: pass layer=<module> or use a VarModel with gradcam_layer.")
        cam = (layer, reshape, interpolate_mode)
    engine = _Engine(net, k, cam, output, internal_batch_size, backward)

    if method == "smoothgrad":
        if base not in METHODS or base == "smoothgrad":
            raise ValueError(f"SmoothGrad base must be one of {METHODS[:-2]} or contrastive_gradient, not {base!r}.")
        if n_samples < 1 or noise_level < 0:
            raise ValueError("SmoothGrad needs n_samples >= 1 and noise_level >= 0.")
        if base == "contrastive_gradient":
            base, engine.output = "gradient", "log_softmax"
        points = x + smoothgrad_noise(x, n_samples, noise_level, seed)
    else:
        base, points = method, x
    ig = dict(steps=steps, baseline=baseline, blur_sigma=blur_sigma, integration=integration)
    maps = _method(engine, base, x, points, ig)
    return maps


def smoothgrad_noise(x: torch.Tensor, n_samples: int, noise_level: float, seed: int) -> torch.Tensor:
    """The (n_samples, C, H, W) Gaussian noise SmoothGrad adds; std = noise_level x input range."""
    gen = torch.Generator().manual_seed(seed)
    std = noise_level * float(x.max() - x.min())
    noise = torch.randn((n_samples,) + tuple(x.shape[1:]), generator=gen, dtype=x.dtype)
    return (noise * std).to(x.device)


def make_baseline(x: torch.Tensor, baseline="blur", blur_sigma: float = 10.0) -> torch.Tensor:
    """Integrated-Gradients baseline for a (1, C, H, W) input."""
    if isinstance(baseline, torch.Tensor):
        if baseline.shape not in (x.shape, x.shape[1:]):
            raise ValueError(f"baseline shape {tuple(baseline.shape)} does not match input {tuple(x.shape)}.")
        return baseline.reshape(x.shape).to(x)
    if isinstance(baseline, (int, float)):
        return torch.full_like(x, float(baseline))
    if baseline == "zero":
        return torch.zeros_like(x)
    if baseline == "blur":
        if blur_sigma <= 0:
            raise ValueError("blur_sigma must be > 0.")
        radius = min(int(math.ceil(3 * blur_sigma)), min(x.shape[-2:]) - 1)
        from torchvision.transforms.functional import gaussian_blur

        return gaussian_blur(x, [2 * radius + 1] * 2, [blur_sigma] * 2)
    raise ValueError(f"Unknown baseline {baseline!r}; use 'blur', 'zero', a number or a tensor.")


def _integration(rule: str, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(alphas, weights) of Captum's integral approximations on [0, 1]."""
    if steps < 1:
        raise ValueError("steps must be >= 1.")
    if rule == "gausslegendre":
        nodes, w = np.polynomial.legendre.leggauss(steps)
        return torch.tensor((nodes + 1) / 2), torch.tensor(w / 2)
    if rule not in _INTEGRATIONS:
        raise ValueError(f"Unknown integration {rule!r}; choose one of {_INTEGRATIONS}.")
    if rule == "riemann_trapezoid":
        if steps < 2:
            raise ValueError("riemann_trapezoid needs steps >= 2.")
        alphas = torch.linspace(0, 1, steps, dtype=torch.float64)
        w = torch.full((steps,), 1.0 / (steps - 1), dtype=torch.float64)
        w[[0, -1]] /= 2
        return alphas, w
    offset = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}[rule]
    alphas = (torch.arange(steps, dtype=torch.float64) + offset) / steps
    return alphas, torch.full((steps,), 1.0 / steps, dtype=torch.float64)


def _method(engine: "_Engine", method: str, x, points, ig) -> torch.Tensor:
    """Average of ``method``'s maps over ``points`` (the input, or its noisy copies)."""
    n = points.shape[0]
    if method == "integrated_gradients":
        alphas, w = _integration(ig["integration"], ig["steps"])
        base = make_baseline(x, ig["baseline"], ig["blur_sigma"])
        delta = points - base  # one path per point
        path = (base + alphas.to(x).view(-1, 1, 1, 1, 1) * delta.unsqueeze(0)).flatten(0, 1)  # (steps * n, ...)
        scale = delta.repeat(len(alphas), 1, 1, 1)
        weights = (w.to(x).view(-1, 1) / n).expand(-1, n).flatten()
        return engine.run(path, weights, "grad", scale)
    weights = torch.full((n,), 1.0 / n, dtype=x.dtype)
    if method == "gradient":
        return engine.run(points, weights, "grad")
    if method == "input_x_gradient":
        return engine.run(points, weights, "grad", scale=points)
    if method == "guided_backprop":
        return engine.run(points, weights, "guided")
    if method == "gradcam":
        cams = engine.run(points, weights, "cam")
        return engine.upsample(cams, x.shape[-2:])
    if method == "guided_gradcam":
        return engine.run(points, weights, "guided_cam")
    raise ValueError(method)


class _Engine:
    """One forward per chunk of points, then the backward passes of all classes over its graph."""

    def __init__(self, net: nn.Module, classes: torch.Tensor, cam, output: str, internal_batch_size: int,
                 backward: str = "loop"):
        self.net, self.classes, self.cam, self.output, self.backward = net, classes, cam, output, backward
        self.chunk = max(1, internal_batch_size // len(classes))

    def run(self, points, weights, kind: str, scale=None) -> torch.Tensor:
        """sum_p weights[p] * scale[p] * map_p for every class -> (K, C, H, W)."""
        total = None
        for start in range(0, points.shape[0], self.chunk):
            sl = slice(start, start + self.chunk)
            maps = self._maps(points[sl], kind)  # (K, p, ...)
            if scale is not None:
                maps = maps * scale[sl]
            part = torch.einsum("kp...,p->k...", maps, weights[sl].to(maps))
            total = part if total is None else total + part
        return total.detach()

    def upsample(self, cams: torch.Tensor, size) -> torch.Tensor:
        mode = self.cam[2]
        align = False if mode in ("bilinear", "bicubic") else None
        return F.interpolate(cams, size=tuple(size), mode=mode, align_corners=align)

    def _maps(self, pts: torch.Tensor, kind: str) -> torch.Tensor:
        pts = pts.detach().requires_grad_(True)
        guided = kind in ("guided", "guided_cam")
        store: dict = {}
        with _guided_relus(self.net, store) if guided else _nullcontext():
            with _capture(self.cam[0] if kind in ("cam", "guided_cam") else None, store):
                out = self.net(pts)
        if int(self.classes.max()) >= out.shape[-1]:
            raise ValueError(f"classes {self.classes.tolist()} out of range; the model has {out.shape[-1]} outputs.")
        if self.output == "log_softmax":
            out = out.log_softmax(-1)
        seeds = torch.zeros((len(self.classes),) + tuple(out.shape), dtype=out.dtype, device=out.device)
        seeds[torch.arange(len(self.classes)), :, self.classes] = 1.0
        cams = None
        if kind in ("cam", "guided_cam"):
            acts = store["act"]
            grads = _class_grads(out, acts, seeds, self.backward, retain=guided)  # logits -> layer only
            reshape = self.cam[1]
            if reshape is not None:
                acts, grads = reshape(acts), torch.stack([reshape(g) for g in grads])
            weights = grads.mean(dim=(-2, -1), keepdim=True)
            cams = F.relu((weights * acts.unsqueeze(0)).sum(dim=2, keepdim=True))  # (K, p, 1, h, w)
            if kind == "cam":
                return cams
        store["guide"] = guided
        grads = _class_grads(out, pts, seeds, self.backward)
        if kind == "guided_cam":
            up = self.upsample(cams.flatten(0, 1), pts.shape[-2:]).view(cams.shape[:3] + pts.shape[-2:])
            grads = grads * up
        return grads


def _class_grads(out, wrt, seeds, mode: str = "loop", retain: bool = False) -> torch.Tensor:
    """Vector-Jacobian products of one forward graph for every class seed -> (K, ...).

    "loop" runs |K| backward passes over the retained graph (measured fastest on
    2 CPU cores: vmap's batched backward was 1.0-2.4x slower; on an H100 vmap was
    ~1.5x faster, see benchmarks/);
    "vmap" runs one vectorised backward and falls back to the loop for ops
    without a batching rule.
    """
    if mode == "vmap":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # vmap performance notes
                return torch.autograd.grad(out, wrt, seeds, retain_graph=True, is_grads_batched=True)[0]
        except RuntimeError:
            pass
    last = len(seeds) - 1
    return torch.stack([torch.autograd.grad(out, wrt, s, retain_graph=retain or i < last)[0]
                        for i, s in enumerate(seeds)])


@contextmanager
def _nullcontext():
    yield


@contextmanager
def _capture(layer: nn.Module | None, store: dict):
    if layer is None:
        yield
        return

    def hook(_module, _inputs, output):
        store["act"] = output

    handle = layer.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


@contextmanager
def _guided_relus(net: nn.Module, store: dict):
    """Guided Backprop: pass only positive gradients back through each ReLU module.

    A hook on the ReLU's output clamps the incoming gradient at zero; the ReLU's
    own backward then masks x <= 0, giving relu(grad) * 1[x > 0], Captum's rule.
    The hooks act only once ``store["guide"]`` is set, so the GradCAM part of
    Guided GradCAM can share the same forward pass.
    """

    def on_grad(grad):
        return grad.clamp(min=0) if store.get("guide") else grad

    def hook(_module, _inputs, output):
        if output.requires_grad:
            output.register_hook(on_grad)

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def _captum_loop(method, x, classes, kwargs) -> torch.Tensor:
    if not hasattr(method, "attribute"):
        raise ValueError(f"method must be one of {METHODS} or a Captum attribution object, not {method!r}.")
    maps = []
    for c in classes.tolist():
        a = method.attribute(x, target=c, **kwargs)
        a = a[0] if isinstance(a, tuple) else a
        if a.shape[-2:] != x.shape[-2:]:
            a = F.interpolate(a, size=x.shape[-2:], mode="bilinear", align_corners=False)
        maps.append(a.detach()[0])
    return torch.stack(maps)


def _check_inputs(inputs) -> torch.Tensor:
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor of shape (1, C, H, W), not {type(inputs).__name__}; "
                        "use model.prepare(image) to load and preprocess an image.")
    if inputs.dim() == 3:
        inputs = inputs.unsqueeze(0)
    if inputs.dim() != 4 or inputs.shape[0] != 1:
        raise ValueError(f"inputs must have shape (1, C, H, W) or (C, H, W), got {tuple(inputs.shape)}; "
                         "attribute explains one image at a time.")
    if not inputs.is_floating_point():
        raise TypeError(f"inputs must be a float tensor, got {inputs.dtype}; use model.prepare(image).")
    if not torch.isfinite(inputs).all():
        raise ValueError("inputs contain NaN or Inf.")
    return inputs.detach()


def _num_classes(model) -> int | None:
    return len(model.class_names) if isinstance(model, VarModel) else None


def _check_classes(classes, num_classes: int | None) -> torch.Tensor:
    k = torch.as_tensor(classes)
    if k.dim() == 0:
        k = k.unsqueeze(0)
    if k.dim() != 1 or k.numel() == 0 or k.is_floating_point() or k.dtype == torch.bool:
        raise ValueError(f"classes must be a non-empty sequence of class indices, got {classes!r}.")
    k = k.long()
    if len(set(k.tolist())) != len(k):
        raise ValueError(f"classes contain duplicates: {k.tolist()}; each class may appear once in K.")
    if (k < 0).any() or (num_classes is not None and (k >= num_classes).any()):
        raise ValueError(f"classes {k.tolist()} out of range; valid indices are 0..{(num_classes or 0) - 1}.")
    return k
