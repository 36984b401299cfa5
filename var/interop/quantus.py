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

__all__ = ["explain_func", "EMPTY"]

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
        method, class_set, k, classes, settings: see :class:`var.VAR` (Quantus calls this often: a
            ``settings`` with ``warn_below=None`` keeps its output quiet).
        var_model: a :class:`~var.core.model.VarModel` of the same network, for methods that need
            its GradCAM layer (Quantus passes only the module).
        device: where to compute (Quantus passes its ``device``); default the model's.
        empty: how an empty VAR map is returned: ``"zeros"`` (as VAR gives it) or ``"nan"`` (Quantus then
            scores it NaN instead of refusing an all-zero batch).
        **method_options: the method's options (see :func:`var.attribute`; the loose ``temperature``, ``tau``,
            ... of earlier versions still work, with a DeprecationWarning).

    Returns:
        float32 array (B, 1, H, W).
    """
    loose, method_options = split_loose(method_options)
    settings = resolve(settings, loose, "explain_func")
    check_choice("empty", empty, EMPTY)
    net = getattr(model, "module", model)
    if var_model is not None and getattr(var_model, "module", None) is not net:
        raise ValueError("var_model wraps another network than the model Quantus passes; wrap the same module.")
    explainer = VAR(var_model or net, method, class_set, classes=classes, k=k, settings=settings)
    device = device or next((p.device for p in net.parameters()), torch.device("cpu"))
    x = torch.as_tensor(np.asarray(inputs), dtype=torch.float32, device=device)
    target = torch.as_tensor(np.asarray(targets)).long().flatten().tolist()
    maps = explainer.attribute(x, target=target, **method_options)
    out = maps.sum(1, keepdim=True).detach().cpu().numpy().astype(np.float32)
    if empty == "nan":
        out[~maps.flatten(1).any(1).cpu().numpy()] = np.nan
    return out
