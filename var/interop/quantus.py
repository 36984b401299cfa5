"""VAR maps for Quantus: ``explain_func`` with the signature Quantus calls.

Quantus metrics take ``explain_func(model, inputs, targets, **explain_func_kwargs)``,
with the plain ``nn.Module``, a numpy (B, C, H, W) batch and numpy targets, and
expect numpy maps back. ``explain_func`` runs :class:`var.VAR` (any method of
:func:`var.attribute`, the class set chosen per image so that it holds the target)
and returns the target's VAR map summed over channels, (B, 1, H, W), as Quantus'
own Captum wrapper does.

Empty maps (see "Empty maps" in :mod:`var.core.relevance`): where VAR keeps
nothing (a randomised model, or a temperature that is large for the method's
scale), the map is all zero. That is VAR's answer ("no location is class-relevant
at this t and tau"), not an error, but Quantus refuses a batch whose explanations
are all zero ("Recompute the explanations"). ``RandomLogit`` meets it by design: it
explains a random other class, whose VAR map is empty; ``MPRT`` meets it on the
randomised models. ``empty="nan"`` returns such maps as NaN instead, so that
Quantus runs and reports NaN ("no value") for them, as var's own rank-correlation
metrics do. Or choose t and tau for the method's scale
(``settings=var.Relevance(normalize="joint_max")`` makes t scale-free).

``quantus.evaluate`` passes each method's dict key as ``method=``: give it :func:`explainer`, which binds var's
method and ignores that name. ``MPRT`` explains a randomised *copy* of the network: with ``var_model=`` the copy is
wrapped alike (its GradCAM layer found by qualified name, :func:`following`); its layer-by-layer cascade with
``batch_size=1`` fails inside Quantus on an empty map (its Spearman of a NaN map is a float it cannot index), so
use batches of two or more, or ``skip_layers=True``. ``RandomLogit`` compares the target's map with a random other
class's, which VAR usually leaves empty: with ``empty="zeros"`` Quantus refuses the batch, with ``empty="nan"`` the
score is NaN. That is VAR working (a class that is not in the image keeps nothing), not a worse explanation.

Example:
    >>> import quantus
    >>> metric = quantus.Sparseness(disable_warnings=True)
    >>> scores = metric(model=model.module, x_batch=x.numpy(), y_batch=np.array([281]), a_batch=None,
    ...                 explain_func=var.interop.quantus.explain_func,
    ...                 explain_func_kwargs={"method": "gradcam", "var_model": model})
    >>> len(scores)
    1
"""

from __future__ import annotations

import numpy as np
import torch

from ..core.checks import check_choice
from ..core.relevance import Relevance, resolve, split_loose
from .attributor import VAR

__all__ = ["explain_func", "explainer", "following", "EMPTY"]

#: How :func:`explain_func` returns an empty VAR map.
EMPTY = ("zeros", "nan")


def explain_func(model, inputs, targets, *, method="guided_backprop", class_set: str = "top_k", k: int = 3,
                 classes=None, settings: Relevance | None = None, var_model=None, device=None,
                 empty: str = "zeros", **method_options) -> np.ndarray:
    """The VAR map of each target, channels summed, as Quantus wants it.

    Args:
        model: the ``nn.Module`` Quantus passes (or a :class:`~var.core.model.VarModel`).
        inputs: (B, C, H, W) array or tensor.
        targets: one class per input (array, list or tensor), or one int.
        method, class_set, k, classes, settings: see :class:`var.VAR` (its default is scale-free; Quantus calls
            this often: a ``settings`` with ``warn_below=None`` keeps its output quiet).
        var_model: a :class:`~var.core.model.VarModel` of the network, for methods that need its GradCAM layer
            (Quantus passes only the module). When Quantus passes a copy (MPRT randomises one), the copy is
            wrapped alike, its GradCAM layer found by the original's qualified name (:func:`following`).
        device: where to compute (Quantus passes its ``device``); default the model's.
        empty: how an empty VAR map is returned: ``"zeros"`` (as VAR gives it) or ``"nan"`` (Quantus then
            scores it NaN instead of refusing an all-zero batch).
        **method_options: the method's options (see :func:`var.attribute`; the loose ``temperature``, ``tau``,
            ... of earlier versions still work, with a DeprecationWarning).

    Returns:
        float32 array (B, 1, H, W).
    """
    loose, method_options = split_loose(method_options)
    if loose:  # deprecated; None stays None: VAR's scale-free default
        settings = resolve(settings, loose, "explain_func")
    check_choice("empty", empty, EMPTY)
    net = getattr(model, "module", model)
    if var_model is not None and var_model.module is not net:
        var_model = following(var_model, net)
    explainer = VAR(var_model or net, method, class_set, classes=classes, k=k, settings=settings)
    device = device or next((p.device for p in net.parameters()), torch.device("cpu"))
    x = _inputs(inputs, device)
    target = _targets(targets)
    maps = explainer.attribute(x, target=target, **method_options)
    out = maps.sum(1, keepdim=True).detach().cpu().numpy().astype(np.float32)
    if empty == "nan":
        out[~maps.flatten(1).any(1).cpu().numpy()] = np.nan
    return out


def explainer(method="guided_backprop", **kwargs):
    """An ``explain_func`` with var's method bound, for the ``xai_methods`` of ``quantus.evaluate``.

    ``quantus.evaluate`` calls each function with its dict key as ``method=``; the function made here ignores
    that name and explains with ``method``. ``kwargs`` are :func:`explain_func`'s (``settings``, ``var_model``,
    ``empty``, the class set, the method's options); Quantus's own ``explain_func_kwargs`` add to them.

    Example:
        >>> import quantus
        >>> scores = quantus.evaluate(
        ...     metrics={"Sparseness": quantus.Sparseness(disable_warnings=True)},
        ...     xai_methods={"VAR": var.interop.quantus.explainer("gradcam", var_model=model)},
        ...     model=model.module, x_batch=x.numpy(), y_batch=np.array([281]), explain_func_kwargs={},
        ...     call_kwargs={"0": {}})
        >>> len(scores["VAR"]["Sparseness"])
        1
    """
    def explain(model, inputs, targets, **quantus_kwargs):
        quantus_kwargs.pop("method", None)  # quantus.evaluate's dict key, not a var method
        return explain_func(model, inputs, targets, method=method, **{**kwargs, **quantus_kwargs})

    explain.__name__ = f"var_{method}" if isinstance(method, str) else "var_explainer"
    return explain


def following(var_model, net):
    """``var_model`` re-wrapped around ``net``, a copy of its network (Quantus's randomised copy in MPRT): the
    same preprocessing and names, the GradCAM layer found in ``net`` by its qualified name in the original.
    """
    import dataclasses

    names = {id(m): name for name, m in var_model.module.named_modules()}
    layer = var_model.gradcam_layer
    if layer is not None and id(layer) not in names:
        raise ValueError("var_model's GradCAM layer is not a module of its network; wrap the network Quantus passes.")
    copies = dict(net.named_modules())
    if layer is not None and names[id(layer)] not in copies:
        raise ValueError(f"var_model wraps another network than the model Quantus passes: the copy has no module "
                         f"{names[id(layer)]!r} (var_model's GradCAM layer); wrap the same network.")
    return dataclasses.replace(var_model, module=net,
                               gradcam_layer=None if layer is None else copies[names[id(layer)]])


def _inputs(inputs, device) -> torch.Tensor:
    """Quantus's batch as a float32 tensor; raw pixels (integers) are refused, never explained as they are."""
    array = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else np.asarray(inputs)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"inputs are {array.dtype}, raw pixels: pass the batch preprocessed as the model expects "
                        "(model.prepare(image) for each image), as float.")
    return torch.as_tensor(array, dtype=torch.float32, device=device)


def _targets(targets) -> list[int]:
    """One class index per input; a float that is not a whole number is refused, never truncated."""
    values = np.asarray(targets).flatten()
    if np.issubdtype(values.dtype, np.floating) and not np.all(np.mod(values, 1) == 0):
        raise ValueError(f"targets must be class indices, got {values.tolist()}.")
    if not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise TypeError(f"targets must be class indices, not {values.dtype}.")
    return values.astype(np.int64).tolist()
