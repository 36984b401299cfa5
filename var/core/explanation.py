"""One call from an image to vanilla and VAR maps: ``var.explain``."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import class_sets
from .attribution import attribute, check_inputs
from .model import VarModel
from .protocol import TAU, TEMPERATURE
from .relevance import SPARSE_SHARE, keep_mask, kept_share, relevance

__all__ = ["Explanation", "explain"]


@dataclass
class Explanation:
    """Everything a plot or a table needs about one explained image.

    Attributes:
        inputs: the preprocessed image, (1, C, H, W).
        classes: the class set K.
        class_names: names of K.
        probabilities: the model's softmax for each class in K.
        attributions: vanilla maps H (VAR step 1), (|K|, C, H, W).
        softmax: M (step 2), same shape as ``attributions`` (or one channel).
        maps: VAR maps C_H (step 3).
        method, temperature, tau: how they were made.
    """

    inputs: torch.Tensor
    classes: list[int]
    class_names: list[str]
    probabilities: torch.Tensor
    attributions: torch.Tensor
    softmax: torch.Tensor
    maps: torch.Tensor
    method: str
    temperature: float
    tau: float

    @property
    def masks(self) -> torch.Tensor:
        """The kept locations, 1[M_c - 1/|K| > tau]."""
        return keep_mask(self.softmax, self.tau)

    @property
    def kept_share(self) -> torch.Tensor:
        """Share of locations VAR keeps, per class (|K|,): :func:`var.kept_share` of the VAR maps."""
        return kept_share(self.maps)


def explain(
    model: VarModel,
    image,
    method: str = "guided_backprop",
    class_set: str = "top_k",
    *,
    classes=None,
    k: int = 3,
    target: int | None = None,
    temperature: float = TEMPERATURE,
    tau: float = TAU,
    reduce_channels: str | None = None,
    normalize: str | None = None,
    warn_below: float | None = SPARSE_SHARE,
    **method_options,
) -> Explanation:
    """Attribute an image for a class set and apply VAR.

    Args:
        model: a :class:`~var.core.model.VarModel`.
        image: path, PIL image, array, example name (``"skimage:chelsea"``) or a
            preprocessed (1, C, H, W) tensor.
        method: an attribution method: a name of :data:`var.METHODS` or of :mod:`var.core.registry`
            (``var-bench methods`` lists them).
        class_set: ``"top_k"`` (k most probable + least probable, plus ``target``),
            ``"best_vs_worst"`` or ``"predefined"`` (then pass ``classes``).
        temperature, tau, reduce_channels, normalize, warn_below: VAR steps 2-3, see :func:`var.relevance`.
        **method_options: passed to :func:`var.attribute`.

    Returns:
        An :class:`Explanation`.

    Example:
        >>> e = var.explain(var.load_model(), "skimage:coffee", "guided_backprop", "top_k", k=2)
        >>> e.class_names[:2]
        ['espresso', 'cup']
    """
    if not isinstance(model, VarModel):
        raise TypeError("explain needs a VarModel; wrap your network with var.wrap_model(...).")
    x = check_inputs(image) if isinstance(image, torch.Tensor) else model.prepare(image)
    if x.shape[0] != 1:  # an Explanation names one image's classes
        raise ValueError(f"explain explains one image; got a batch of {x.shape[0]}. Call it per image, or use "
                         "var.attribute (one class set per image) and var.relevance for a batch.")
    logits = model.logits(x)[0]
    chosen = class_sets.choose(class_set, logits, classes=classes, k=k, target=target)
    h = attribute(model, x, chosen, method, **method_options)
    maps, m = relevance(h, temperature, tau, reduce_channels=reduce_channels, normalize=normalize,
                        return_softmax=True, warn_below=warn_below)
    return Explanation(x, chosen, [model.class_names[c] for c in chosen], logits.softmax(-1)[chosen], h, m, maps,
                       method, temperature, tau)
