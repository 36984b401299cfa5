"""The batched multi-class engine: one forward pass, then the |K| backward passes over its graph.

Instead of the |K| separate forward+backward passes of a per-class Captum loop,
the engine runs one forward pass per chunk of points and then one backward pass
per class over that retained graph: as a loop of vector-Jacobian products
(``backward="loop"``, measured fastest on 2 CPU cores) or as one vectorised
``torch.autograd.grad(..., is_grads_batched=True)`` call (``backward="vmap"``,
~1.5x faster on an H100; ``"auto"`` picks by device). GradCAM only needs
gradients from the outputs back to its layer, so it never backpropagates into
the trunk.

Safety: the engine runs the network in eval mode and with gradients enabled
whatever the caller's state (and restores the modes after); its hooks act only
on the forward passes of the thread that registered them, so two threads may
share one model.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_choice, check_int
from .model import VarModel, eval_mode, logits_of, shared_change

__all__ = ["Engine", "Plan", "CamLayer", "Points", "rows", "concat", "BACKWARDS", "run_method"]

BACKWARDS = ("auto", "loop", "vmap")


class Points:
    """n input points built on demand, a slice at a time, so that memory is bounded by the engine's chunk.

    ``build(indices)`` returns the points with those (ascending) indices, shape (len(indices), C, H, W).
    Integrated Gradients' path (steps x points) and SmoothGrad's noisy copies are Points: 1,000
    steps cost no more memory than 50. The engine takes a tensor wherever it takes Points.
    """

    def __init__(self, n: int, build: Callable[[torch.Tensor], torch.Tensor]):
        self.n, self.build = n, build

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, sl: slice) -> torch.Tensor:
        return self.build(torch.arange(self.n)[sl])


def rows(points: torch.Tensor | Points, indices: torch.Tensor) -> torch.Tensor:
    """The points at ``indices`` of a tensor or of :class:`Points`."""
    return points.build(indices) if isinstance(points, Points) else points[indices.to(points.device)]


def concat(parts: list) -> torch.Tensor | Points:
    """Tensors or Points one after the other (the points of several images in one engine call)."""
    if len(parts) == 1:  # one image: its own points, without a copy or a wrapper
        return parts[0]
    if all(isinstance(p, torch.Tensor) for p in parts):
        return torch.cat(parts)
    starts = torch.tensor([0] + [len(p) for p in parts]).cumsum(0)

    def build(indices):
        pieces = []
        for part, start, end in zip(parts, starts[:-1], starts[1:]):
            inside = indices[(indices >= start) & (indices < end)]
            if len(inside):
                pieces.append(rows(part, inside - start))
        return torch.cat(pieces)

    return Points(int(starts[-1]), build)


@dataclass(frozen=True)
class CamLayer:
    """Where GradCAM looks: the layer, its token-to-grid reshape and the upsampling mode."""

    layer: nn.Module
    reshape: Callable[[torch.Tensor], torch.Tensor] | None = None
    interpolate_mode: str = "bilinear"

    def upsample(self, cams: torch.Tensor, size) -> torch.Tensor:
        """(N, 1, h, w) -> (N, 1, H, W)."""
        align = False if self.interpolate_mode in ("bilinear", "bicubic") else None
        return F.interpolate(cams, size=tuple(size), mode=self.interpolate_mode, align_corners=align)


@dataclass
class _HookState:
    """What the hooks of one attribution call share; they act only in ``thread``."""

    thread: int = field(default_factory=threading.get_ident)
    guide: bool = False  # Guided Backprop clamps gradients at ReLUs once this is set
    activation: torch.Tensor | None = None  # the GradCAM layer's output


@dataclass(frozen=True)
class Plan:
    """What a method asks of the engine for one image: the method's whole contract with it.

    The maps are ``sum_p weights[p] * map(points[p])`` for every class in K, where a point's map is

    - ``target="input"``: the gradient of the class output with respect to the point, times ``scale[p]``
      where given (Input x Gradient: the point; IG: the point minus the baseline); ``guided``: Guided
      Backprop's rule at every ReLU; ``times_cam``: times the upsampled GradCAM of the same forward pass
      (Guided GradCAM);
    - ``target="cam"``: GradCAM at the engine's layer, upsampled to the input size.

    Attributes:
        points: the n inputs the network sees (a tensor or :class:`Points`, built chunk by chunk).
        weights: (n,) weight of each point's map (cast to the maps' dtype).
        target: ``"input"`` or ``"cam"``.
        scale: (n, C, H, W) tensor or Points multiplying each input gradient, or None.
        guided: Guided Backprop's rule.
        times_cam: times GradCAM (needs the engine's ``cam`` layer).
    """

    points: torch.Tensor | Points
    weights: torch.Tensor
    target: str = "input"
    scale: torch.Tensor | Points | None = None
    guided: bool = False
    times_cam: bool = False

    def kind(self) -> tuple:
        """What must agree for plans to share engine calls (everything but the data)."""
        return self.target, self.scale is None, self.guided, self.times_cam


@dataclass
class Engine:
    """Maps of every class in K from shared forward passes over chunks of points.

    Attributes:
        net: the network, (B, C, H, W) -> logits (or an output ``logits_of`` understands).
        classes: (B, |K|): the class set of each image.
        output: ``"logits"`` or ``"log_softmax"`` (the contrastive gradient).
        internal_batch_size: (point, class) maps held at once: chunks of ``max(1, internal_batch_size // |K|)``
            points, so at most this many maps, or |K| when |K| exceeds it.
        backward: ``"loop"`` or ``"vmap"`` (:func:`var.attribute` resolves ``"auto"`` by device before).
        cam: the GradCAM layer, for the plans that need one.
    """

    net: nn.Module
    classes: torch.Tensor
    output: str = "logits"
    internal_batch_size: int = 64
    backward: str = "loop"
    cam: CamLayer | None = None

    @property
    def chunk(self) -> int:
        """Points per forward pass."""
        return max(1, self.internal_batch_size // self.classes.shape[-1])

    def run(self, plans: list[Plan], size) -> torch.Tensor:
        """Every image's plan (one per row of ``classes``) in shared chunks -> (B, |K|, C, H, W).

        One image is a batch of one; ``size`` is the input's (H, W), where CAMs are upsampled to.
        """
        if len(plans) != len(self.classes) or len({p.kind() for p in plans}) != 1:
            raise ValueError("Engine.run takes one plan per image, all of one kind (one method per call).")
        first = plans[0]
        if first.guided and not any(isinstance(m, nn.ReLU) for m in self.net.modules()):
            warnings.warn(f"{type(self.net).__name__} has no nn.ReLU modules, so Guided Backprop equals the plain "
                          "gradient (functional F.relu and activations such as GELU are not guided).", stacklevel=3)
        groups = torch.cat([torch.full((len(p.points),), b) for b, p in enumerate(plans)])
        points = concat([p.points for p in plans])
        weights = torch.cat([p.weights for p in plans])
        scale = None if first.scale is None else concat([p.scale for p in plans])
        if first.target == "cam":
            cams = self._accumulate(points, weights, None, groups, self._cams)  # (K, B, 1, h, w)
            maps = self.cam.upsample(cams.flatten(0, 1), size).view(cams.shape[:2] + (1,) + tuple(size))
        else:
            maps = self._accumulate(points, weights, scale, groups, lambda pts, cls: self._input_grads(
                pts, cls, guided=first.guided, times_cam=first.times_cam))
        return maps.transpose(0, 1)

    def _accumulate(self, points, weights, scale, groups, maps_of) -> torch.Tensor:
        """sum_p weights[p] * scale[p] * maps_of(point p) per image -> (K, B, ...)."""
        point_classes = self.classes[groups.to(self.classes.device)]  # each point's image's class set
        total = None
        with ExitStack() as stack:
            stack.enter_context(torch.enable_grad())  # also inside the caller's torch.no_grad()
            stack.enter_context(eval_mode(self.net))
            for start in range(0, len(points), self.chunk):
                sl = slice(start, start + self.chunk)
                maps = maps_of(points[sl].detach().requires_grad_(True), point_classes[sl])  # (K, p, ...)
                if scale is not None:
                    maps = maps * scale[sl]
                if len(self.classes) == 1:  # one image: a plain weighted sum over the points
                    part = torch.einsum("kp...,p->k...", maps, weights[sl].to(maps)).unsqueeze(1)
                else:
                    weighted = maps * weights[sl].to(maps).view((1, -1) + (1,) * (maps.dim() - 2))
                    part = weighted.new_zeros((maps.shape[0], len(self.classes)) + maps.shape[2:])
                    part.index_add_(1, groups[sl].to(maps.device), weighted)
                total = part if total is None else total + part
        return total.detach()

    def _forward(self, pts, state: _HookState, guided: bool, capture: bool) -> torch.Tensor:
        with _guided_relus(self.net, state) if guided else nullcontext():
            with _capture(self.cam.layer, state) if capture else nullcontext():
                out = logits_of(self.net(pts))
        if out.dim() != 2 or out.shape[0] != pts.shape[0]:
            raise ValueError(f"The model returned shape {tuple(out.shape)} for {pts.shape[0]} inputs; "
                             "it must return logits of shape (B, classes).")
        if int(self.classes.max()) >= out.shape[-1]:
            raise ValueError(f"classes {self.classes.tolist()} out of range; the model has {out.shape[-1]} outputs.")
        if capture and state.activation is None:
            raise ValueError(f"The GradCAM layer {type(self.cam.layer).__name__} did not run in the forward pass; "
                             "pass layer=<a module the model calls>, e.g. its last convolutional block.")
        return out.log_softmax(-1) if self.output == "log_softmax" else out

    @staticmethod
    def _seeds(out: torch.Tensor, point_classes: torch.Tensor) -> torch.Tensor:
        """One-hot output gradients: seeds[k, p, point_classes[p, k]] = 1 -> (K, p, outputs)."""
        seeds = torch.zeros((point_classes.shape[1],) + tuple(out.shape), dtype=out.dtype, device=out.device)
        seeds.scatter_(2, point_classes.T.unsqueeze(-1).to(out.device), 1.0)
        return seeds

    def _cam_maps(self, out, state, seeds, retain: bool) -> torch.Tensor:
        acts = state.activation
        grads = _class_grads(out, acts, seeds, self.backward, retain=retain)  # outputs -> layer only
        if self.cam.reshape is not None:
            acts, grads = self.cam.reshape(acts), torch.stack([self.cam.reshape(g) for g in grads])
        weights = grads.mean(dim=(-2, -1), keepdim=True)
        return F.relu((weights * acts.unsqueeze(0)).sum(dim=2, keepdim=True))  # (K, p, 1, h, w)

    def _cams(self, pts, point_classes) -> torch.Tensor:
        state = _HookState()
        out = self._forward(pts, state, guided=False, capture=True)
        return self._cam_maps(out, state, self._seeds(out, point_classes), retain=False)

    def _input_grads(self, pts, point_classes, guided: bool, times_cam: bool) -> torch.Tensor:
        state = _HookState()
        out = self._forward(pts, state, guided=guided, capture=times_cam)
        seeds = self._seeds(out, point_classes)
        cams = self._cam_maps(out, state, seeds, retain=True) if times_cam else None
        state.guide = guided  # after the CAM part: Guided GradCAM's CAM uses plain gradients
        grads = _class_grads(out, pts, seeds, self.backward)
        if cams is not None:
            up = self.cam.upsample(cams.flatten(0, 1), pts.shape[-2:]).view(cams.shape[:3] + pts.shape[-2:])
            grads = grads * up
        return grads


def _class_grads(out, wrt, seeds, mode: str = "loop", retain: bool = False) -> torch.Tensor:
    """Vector-Jacobian products of one forward graph for every class seed -> (K, ...).

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
def _capture(layer: nn.Module, state: _HookState):
    def hook(_module, _inputs, output):
        if threading.get_ident() == state.thread:
            state.activation = output

    handle = layer.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


@contextmanager
def _guided_relus(net: nn.Module, state: _HookState):
    """Guided Backprop: pass only positive gradients back through each ReLU module.

    A hook on the ReLU's output clamps the incoming gradient at zero; the ReLU's
    own backward then masks x <= 0, giving relu(grad) * 1[x > 0], Captum's rule.
    The hooks act only once ``state.guide`` is set, so the GradCAM part of
    Guided GradCAM can share the same forward pass, and only in the thread that
    registered them. In-place ReLUs are made out-of-place for the call (their
    output hooks would otherwise see a modified tensor) and restored after.
    """
    relus = [m for m in net.modules() if isinstance(m, nn.ReLU)]

    def on_grad(grad):
        return grad.clamp(min=0) if state.guide else grad

    def hook(_module, _inputs, output):
        if output.requires_grad and threading.get_ident() == state.thread:
            output.register_hook(on_grad)

    def out_of_place():
        inplace = [m.inplace for m in relus]
        for m in relus:
            m.inplace = False
        return inplace

    def restore(inplace):
        for m, flag in zip(relus, inplace):
            m.inplace = flag

    handles = [m.register_forward_hook(hook) for m in relus]
    try:
        with shared_change(net, "relu-inplace", out_of_place, restore):  # threads sharing the net agree
            yield
    finally:
        for h in handles:
            h.remove()


def run_method(model, x: torch.Tensor, classes, method, internal_batch_size: int | None = None,
               backward: str | None = None) -> torch.Tensor:
    """A var method's maps (B, |K|, C, H, W) of a checked batch ``x`` with its (B, |K|) class sets: the engine's
    one entry, for :func:`var.attribute`, the registry and CGI alike.

    ``method`` is a :class:`~var.core.methods.Method` (what it needs: ``output``, ``cam_layer`` and ``plan``);
    ``backward="auto"`` (the default) takes the loop on a CPU, measured faster on 2 cores, and the vectorised
    backward on a GPU, ~1.5x faster on an H100.
    """
    net = model.module if isinstance(model, VarModel) else model  # not getattr: DataParallel has .module too
    internal_batch_size = check_int("internal_batch_size", 64 if internal_batch_size is None else internal_batch_size,
                                    1)
    backward = check_choice("backward", backward or "auto", BACKWARDS)
    if backward == "auto":
        backward = "vmap" if x.is_cuda else "loop"
    engine = Engine(net, torch.as_tensor(classes).reshape(x.shape[0], -1), method.output, internal_batch_size,
                    backward, method.cam_layer(model))
    images = [x[b:b + 1] for b in range(x.shape[0])]
    return engine.run([method.plan(image, image) for image in images], size=x.shape[-2:])
