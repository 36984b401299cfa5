"""VAR as a Captum-style attribution: ``var.VAR(model, method).attribute(inputs, target=...)``.

Captum users (and ``captum.metrics``, ``NoiseTunnel``) expect an object with
``attribute(inputs, target=...)`` that returns one map per input, shaped like the
input, and keeps Captum's tuple convention (a tuple of one tensor in, a tuple
out). :class:`VAR` is that object over any method ``var.attribute`` takes (a
name, a :class:`~var.methods.Method` or a Captum object): per image it chooses
the class set K (so that it holds ``target``), computes the |K| maps, applies
VAR steps 2-3 and returns the VAR map of ``target``. All |K| maps and M of the
last call stay available as :class:`~var.core.explanation.Explanation` objects.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import torch
from torch import nn

from ..core import class_sets, registry
from ..core.attribution import attribute, check_inputs, per_image
from ..core.checks import check_choice
from ..core.explanation import Explanation
from ..core.methods import Method
from ..core.model import VarModel, eval_mode, logits_of
from ..core.registry import is_signed
from ..core.relevance import SCALE_FREE, Relevance, relevance, resolve

__all__ = ["VAR", "visualize_image_attr", "visualize_image_attr_multiple"]


def _unlogged(attribute_method):
    """Give ``attribute`` the ``__wrapped__`` Captum's NoiseTunnel calls (its methods are wrapped by a logger)."""
    @functools.wraps(attribute_method)
    def wrapper(*args, **kwargs):
        return attribute_method(*args, **kwargs)
    return wrapper


class VAR:
    """The VAR map of a target class, for any attribution method, with Captum's calling convention.

    Args:
        model: a :class:`~var.core.model.VarModel` or an ``nn.Module`` returning logits.
        method: a name from :data:`var.METHODS` or of :mod:`var.core.registry` (library methods,
            ``module:function``), a :class:`~var.methods.Method`, or a Captum attribution object
            built on the model's network.
        class_set: ``"top_k"`` (the k most probable classes, the least probable one and the
            target), ``"best_vs_worst"`` or ``"predefined"`` (then ``classes``, which must hold
            every target).
        classes: the predefined class set: one list for all images, or one per image.
        k: for ``top_k``.
        settings: VAR steps 2-3 as a :class:`var.Relevance`. None: :data:`~var.core.relevance.SCALE_FREE`, the
            paper's t = 0.1 and tau = 0.01 on the joint-max scale, so that t means the same for any model and
            method (``var.Relevance()`` is the paper's raw scale, which empties every map of an untrained network
            or an LRP method; an all-empty result warns either way). The loose
            ``temperature``, ``tau``, ``reduce_channels``, ``normalize``, ``warn_below`` of earlier versions still
            work, with a DeprecationWarning).
        internal_batch_size, backward: see :func:`var.attribute`.

    Inside Captum's ``NoiseTunnel`` each noisy copy is an input of its own, so ``top_k`` and ``best_vs_worst``
    choose K per copy (different copies may compete against different classes, and the average mixes them);
    ``class_set="predefined"`` fixes K for every copy.

    Attributes:
        explanations: one :class:`~var.core.explanation.Explanation` per image of the last call
            (its class set, all |K| vanilla maps, M and the VAR maps).

    Example:
        >>> explainer = var.VAR(model, "guided_backprop", settings=var.Relevance(temperature=0.1, tau=0.01))
        >>> maps = explainer.attribute(x, target=281)  # shaped like x
        >>> explainer.explanations[0].class_names  # top 3, the target, the least probable
        ['tiger cat', 'Egyptian cat', 'tabby', 'African hunting dog']
    """

    def __init__(self, model: VarModel | nn.Module, method="guided_backprop", class_set: str = "top_k", *,
                 classes=None, k: int = 3, settings: Relevance | None = None,
                 internal_batch_size: int | None = None, backward: str | None = None, **loose):
        net = model.module if isinstance(model, VarModel) else model
        if not isinstance(net, nn.Module):
            raise TypeError(f"model must be a VarModel or a torch.nn.Module, not {type(model).__name__}.")
        check_choice("class_set", class_set, class_sets.STRATEGIES)
        self.settings = resolve(SCALE_FREE if settings is None and not loose else settings, loose, "VAR")
        if class_set == "predefined" and classes is None:
            raise ValueError("class_set='predefined' needs classes=[...] (holding every target).")
        self.model, self.forward_func, self.method = model, net, method
        self.class_set, self.classes, self.k = class_set, classes, k
        self.internal_batch_size, self.backward = internal_batch_size, backward
        self.explanations: list[Explanation] = []

    # What Captum's wrappers (NoiseTunnel, metrics) ask of an attribution.
    def has_convergence_delta(self) -> bool:
        return False

    @property
    def multiplies_by_inputs(self) -> bool:
        if isinstance(self.method, (str, Method)):
            return registry.resolve(self.method).multiplies_by_inputs  # the method's own fact
        return bool(getattr(self.method, "multiplies_by_inputs", False))  # a Captum object's

    @property
    def method_name(self) -> str:
        """The method's name (a Captum object's class name)."""
        return self.method if isinstance(self.method, str) else getattr(self.method, "name", type(self.method).__name__)

    @_unlogged
    def attribute(self, inputs, target=None, additional_forward_args=None, **method_options):
        """The VAR map of ``target`` for every input.

        Args:
            inputs: (B, C, H, W) preprocessed images, or a tuple holding that one tensor
                (then the result is a tuple too, as in Captum).
            target: the class explained: an int for all images, one per image (list or
                tensor), or None for each image's most probable class.
            additional_forward_args: extra arguments of the model's forward, as in Captum
                (tensors with a batch axis are taken per image).
            **method_options: the method's options (see :func:`var.attribute`).

        Returns:
            (B, C, H, W) VAR maps (C = 1 for GradCAM), or a tuple of it.
        """
        if method_options.pop("return_convergence_delta", False):
            raise TypeError("VAR maps have no convergence delta (steps 2-3 are not a path integral, and "
                            "has_convergence_delta() is False): drop return_convergence_delta=True.")
        as_tuple = isinstance(inputs, tuple)
        if as_tuple and len(inputs) != 1:
            raise ValueError(f"VAR attributes one input tensor; got a tuple of {len(inputs)}.")
        x = check_inputs(inputs[0] if as_tuple else inputs)
        models = [self._model_for(additional_forward_args, b, x.shape[0]) for b in range(x.shape[0])]
        logits = (self._logits(self.model, x) if additional_forward_args is None  # one forward for the batch
                  else torch.cat([self._logits(m, x[b:b + 1]) for b, m in enumerate(models)]))
        targets = self._targets(target, logits)
        if self.classes is not None and per_image(self.classes) and len(self.classes) != x.shape[0]:
            raise ValueError(f"VAR has {len(self.classes)} per-image class sets for {x.shape[0]} inputs; give one per "
                             "input (or one list for all).")
        sets = [self._class_set(logits[b], targets[b], b) for b in range(x.shape[0])]
        options = dict(internal_batch_size=self.internal_batch_size, backward=self.backward, **method_options)
        if additional_forward_args is None and len({len(s) for s in sets}) == 1 and x.shape[0] > 1:
            maps = list(attribute(self.model, x, sets, self.method, **options))  # one call, shared passes
        else:
            maps = [attribute(m, x[b:b + 1], sets[b], self.method, **options) for b, m in enumerate(models)]
        signed = is_signed(self.method, **method_options)
        self.explanations = [self._explanation(x[b:b + 1], logits[b], sets[b], h, signed)
                             for b, h in enumerate(maps)]
        out = torch.stack([e.maps[e.classes.index(t)] for e, t in zip(self.explanations, targets)])
        return (out,) if as_tuple else out

    def _model_for(self, extra, b: int, batch: int):
        """The model, or for ``additional_forward_args`` a copy whose forward appends image b's arguments."""
        if extra is None:
            return self.model
        args = extra if isinstance(extra, tuple) else (extra,)
        own = tuple(a[b:b + 1] if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == batch else a
                    for a in args)
        net = _WithArgs(self.forward_func, own)
        return dataclasses.replace(self.model, module=net) if isinstance(self.model, VarModel) else net

    @staticmethod
    def _logits(model, x) -> torch.Tensor:
        net = model.module if isinstance(model, VarModel) else model
        with torch.no_grad(), eval_mode(net):
            return logits_of(net(x)).detach()

    @staticmethod
    def _targets(target, logits) -> list[int]:
        if target is None:
            return logits.argmax(-1).tolist()
        values = torch.as_tensor(target).flatten().tolist()
        if len(values) == 1:
            values = values * logits.shape[0]
        if len(values) != logits.shape[0] or not all(isinstance(v, int) for v in values):
            raise ValueError(f"target must be one class index or one per input ({logits.shape[0]}), got {target!r}.")
        return values

    def _class_set(self, logits, target: int, b: int) -> list[int]:
        classes = self.classes[b] if self.classes is not None and per_image(self.classes) else self.classes
        chosen = class_sets.choose(self.class_set, logits, classes=classes, k=self.k,
                                   target=target if self.class_set == "top_k" else None)
        if target not in chosen:
            raise ValueError(f"target {target} is not in the class set {chosen} ({self.class_set}); VAR maps exist "
                             "only for classes in K: use class_set='top_k' (which adds the target) or put it in "
                             "classes=.")
        return chosen

    def _explanation(self, x, logits, chosen, h, signed: bool) -> Explanation:
        maps, m = relevance(h, self.settings, return_softmax=True)
        names = (self.model.class_names if isinstance(self.model, VarModel)
                 else [f"class {i}" for i in range(logits.numel())])
        identity = self.model.identity() if isinstance(self.model, VarModel) else {}
        return Explanation(x, chosen, [names[c] for c in chosen], logits.softmax(-1)[chosen], h, m, maps,
                           self.method_name, self.settings, identity, signed)


class _WithArgs(nn.Module):
    """A network whose forward gets fixed extra arguments (Captum's ``additional_forward_args``).

    Arguments with a batch axis of one are expanded to the points of each forward chunk.
    """

    def __init__(self, net: nn.Module, args: tuple):
        super().__init__()
        self.net, self.args = net, args
        self.training = net.training  # the wrapper adds no mode of its own

    def forward(self, x):
        args = [a.expand(x.shape[0], *a.shape[1:]) if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == 1
                else a for a in self.args]
        return self.net(x, *args)


def visualize_image_attr(attr, original_image=None, method: str = "heat_map", *, title: str | None = None,
                         **options):
    """Captum's ``visualize_image_attr``, defined for the empty maps VAR returns.

    Captum scales a map by its largest value and fails ("Cannot normalize by scale factor = 0") on an
    all-zero map, which is VAR's answer where it keeps nothing (see "Empty maps" in
    :mod:`var.core.relevance`). Here such a map draws the image (or an empty panel without one) with
    the title "nothing kept"; every other map goes to Captum unchanged.

    Args:
        attr: one map, (H, W, C) as Captum takes it, or a (C, H, W) tensor as :class:`VAR` returns it.
        original_image: the image, (H, W, 3) in [0, 1] (or a (3, H, W) tensor), optional.
        method: Captum's visualisation method (``"heat_map"``, ``"blended_heat_map"``, ...).
        title: the figure's title (``"nothing kept"`` is added for an empty map).
        **options: Captum's other options (``sign``, ``plt_fig_axis``, ``fig_size``, ``use_pyplot``, ...).

    Returns:
        (figure, axis), as Captum.

    Example:
        >>> maps = var.VAR(model, "guided_backprop").attribute(x, target=281)
        >>> fig, ax = visualize_image_attr(maps[0], model.unnormalize(x[0]), "blended_heat_map")
    """
    from captum.attr import visualization

    from ..viz.heatmap import NOTHING_KEPT

    attr, original_image = _channels_last(attr), _channels_last(original_image)
    if np.any(attr):
        return visualization.visualize_image_attr(attr, original_image, method, title=title, **options)
    title = NOTHING_KEPT if title is None else f"{title} ({NOTHING_KEPT})"
    if options.get("plt_fig_axis") is not None:
        fig, ax = options["plt_fig_axis"]
    elif options.get("use_pyplot", True):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=options.get("fig_size", (6, 6)))
    else:
        from matplotlib.figure import Figure

        fig = Figure(figsize=options.get("fig_size", (6, 6)))
        ax = fig.subplots()
    if original_image is not None:  # Captum scales the map before it looks at the method: draw the image here
        ax.imshow(original_image)
    ax.axis("off")
    ax.set_title(title)
    return fig, ax


def visualize_image_attr_multiple(attr, original_image, methods, signs, titles=None, fig_size=(8, 6),
                                  use_pyplot: bool = True, **options):
    """Captum's ``visualize_image_attr_multiple``, defined for the empty maps VAR returns: each panel as
    :func:`visualize_image_attr` draws it ("nothing kept" for an empty map), in one row, as Captum lays them out.

    Returns:
        (figure, axes), as Captum.
    """
    from captum.attr import visualization

    attr, original_image = _channels_last(attr), _channels_last(original_image)
    if np.any(attr):
        return visualization.visualize_image_attr_multiple(attr, original_image, methods, signs, titles, fig_size,
                                                           use_pyplot, **options)
    if use_pyplot:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(methods), figsize=fig_size, squeeze=False)
    else:
        from matplotlib.figure import Figure

        fig = Figure(figsize=fig_size)
        axes = fig.subplots(1, len(methods), squeeze=False)
    for i, (method, sign) in enumerate(zip(methods, signs)):
        visualize_image_attr(attr, original_image, method, sign=sign, plt_fig_axis=(fig, axes[0, i]),
                             title=None if titles is None else titles[i], **options)
    return fig, axes[0]


def _channels_last(image):
    """A (C, H, W) tensor as Captum's (H, W, C) numpy array; arrays and None pass unchanged."""
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu()
        return (image.permute(1, 2, 0) if image.dim() == 3 else image).numpy()
    return image
