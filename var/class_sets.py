"""How to choose the class set K that VAR compares (paper Section 4, "Selecting the Set of Classes")."""

from __future__ import annotations

from typing import Sequence

import torch

__all__ = ["predefined", "top_k", "best_vs_worst", "STRATEGIES"]

STRATEGIES = ("predefined", "top_k", "best_vs_worst")


def predefined(classes: Sequence[int], num_classes: int | None = None) -> list[int]:
    """A class set of interest given by the user (e.g. the four classes of a grid).

    Example:
        >>> var.class_sets.predefined([967, 968])  # espresso vs cup
        [967, 968]
    """
    k = [int(c) for c in torch.as_tensor(classes).flatten().tolist()]
    if len(k) < 2:
        raise ValueError(f"A class set needs at least 2 classes for VAR to compare, got {k}.")
    if len(set(k)) != len(k):
        raise ValueError(f"Class set {k} has duplicates; list each class once.")
    if min(k) < 0 or (num_classes is not None and max(k) >= num_classes):
        raise ValueError(f"Class set {k} out of range 0..{(num_classes or 0) - 1}.")
    return k


def top_k(logits: torch.Tensor, k: int = 3, target: int | None = None) -> list[int]:
    """The k most probable classes plus the least probable one.

    If ``target`` is given and not among them, it is added as well, so
    |K| = k + 1 or k + 2. Order: most probable first, least probable last.
    """
    scores = _scores(logits)
    if not 1 <= k < scores.numel():
        raise ValueError(f"k must be in 1..{scores.numel() - 1}, got {k}.")
    order = scores.argsort(descending=True).tolist()
    chosen = order[:k]
    if target is not None:
        target = int(target)
        if not 0 <= target < scores.numel():
            raise ValueError(f"target {target} out of range 0..{scores.numel() - 1}.")
        if target not in chosen:
            chosen.append(target)
    if order[-1] not in chosen:
        chosen.append(order[-1])
    return chosen


def best_vs_worst(logits: torch.Tensor) -> list[int]:
    """K = {argmax, argmin}: the most and the least probable class."""
    scores = _scores(logits)
    return [int(scores.argmax()), int(scores.argmin())]


def _scores(logits) -> torch.Tensor:
    scores = torch.as_tensor(logits)
    if scores.dim() == 2 and scores.shape[0] == 1:
        scores = scores[0]
    if scores.dim() != 1 or scores.numel() < 2:
        raise ValueError(f"Expected logits of one image, shape (C,) or (1, C) with C >= 2, got {tuple(scores.shape)}.")
    if not torch.isfinite(scores).all():
        raise ValueError("logits contain NaN or Inf.")
    return scores.detach()
