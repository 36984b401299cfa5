"""How to choose the class set K that VAR compares (paper Section 4, "Selecting the Set of Classes")."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .checks import check_choice, check_classes, check_int

__all__ = ["predefined", "top_k", "best_vs_worst", "choose", "STRATEGIES"]

STRATEGIES = ("predefined", "top_k", "best_vs_worst")


def predefined(classes: Sequence[int], num_classes: int | None = None) -> list[int]:
    """A class set of interest given by the user (e.g. the four classes of a grid).

    Example:
        >>> var.class_sets.predefined([967, 968])  # espresso vs cup
        [967, 968]
    """
    return check_classes(classes, num_classes, min_size=2)


def top_k(logits: torch.Tensor, k: int = 3, target: int | None = None) -> list[int]:
    """The k most probable classes plus the least probable one.

    If ``target`` is given and not among them, it is added as well, so
    |K| = k + 1 or k + 2. Order: most probable first, least probable last.
    """
    scores = _scores(logits)
    check_int("k", k)
    if not 1 <= k < scores.numel():
        raise ValueError(f"k must be in 1..{scores.numel() - 1}, got {k}.")
    order = scores.argsort(descending=True).tolist()
    chosen = order[:k]
    if target is not None:
        target = check_classes(target, scores.numel())[0]
        if target not in chosen:
            chosen.append(target)
    if order[-1] not in chosen:
        chosen.append(order[-1])
    return chosen


def best_vs_worst(logits: torch.Tensor) -> list[int]:
    """K = {argmax, argmin}: the most and the least probable class."""
    scores = _scores(logits)
    if scores.max() == scores.min():
        raise ValueError("All logits are equal: the best and the worst class coincide. Use a predefined class set.")
    return [int(scores.argmax()), int(scores.argmin())]


def choose(strategy: str, logits: torch.Tensor, *, classes=None, k: int = 3, target: int | None = None) -> list[int]:
    """The class set of one image by strategy name: ``"top_k"``, ``"best_vs_worst"`` or ``"predefined"``.

    Example:
        >>> var.class_sets.choose("top_k", model.logits(model.prepare("skimage:coffee"))[0], k=2)
        [967, 968, 747]
    """
    check_choice("class_set", strategy, STRATEGIES)
    if strategy == "top_k":
        return top_k(logits, k, target)
    if strategy == "best_vs_worst":
        chosen = best_vs_worst(logits)
    elif classes is None:
        raise ValueError("class_set='predefined' needs classes=[...].")
    else:
        chosen = predefined(classes, _scores(logits).numel())
    if target is not None and target not in chosen:  # only top_k adds the target; never ignore it silently
        raise ValueError(f"target {target} is not in the {strategy} class set {chosen}; put it in classes=, or use "
                         "class_set='top_k' (which adds the target).")
    return chosen


def _scores(logits) -> torch.Tensor:
    scores = torch.as_tensor(logits)
    if scores.dim() == 2 and scores.shape[0] == 1:
        scores = scores[0]
    if scores.dim() != 1 or scores.numel() < 2:
        raise ValueError(f"Expected logits of one image, shape (C,) or (1, C) with C >= 2, got {tuple(scores.shape)}.")
    if not torch.isfinite(scores).all():
        raise ValueError("logits contain NaN or Inf.")
    return scores.detach()
