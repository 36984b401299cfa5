"""Competition for pixels (Gupta & Arora 2019): the closest prior method to VAR, as a baseline.

Competitive Gradient ⊙ Input (CGI) computes input x gradient for *every* label and lets the labels compete
for each input element: a class keeps its positive score at an element only where it is the largest of all
labels' scores there, and its negative score only where it is the smallest; everything else is zeroed. VAR
differs in three ways: it compares |H| of the classes of K only (not of all labels), through a softmax with a
temperature rather than a hard winner, and it keeps a class where its share beats chance by tau (several
classes can keep an element, or none).

All 1,000 ImageNet labels cost one gradient each (~27 s per 224 x 224 image on 2 CPU cores for
EfficientNet-Lite0), so ``competitors`` can restrict the competition to the most probable labels (plus K);
``competitors=None`` is the paper's all-label rule.
"""

from __future__ import annotations

import torch

from .checks import check_int
from .engine import run_method
from .methods import InputXGradient
from .model import VarModel, logits_of

__all__ = ["competitive_gradient_input", "compete"]


def compete(scores: torch.Tensor, competitors: torch.Tensor) -> torch.Tensor:
    """The competition rule: keep each of ``scores`` (|K|, ...) where it is the max (if > 0) or min (if < 0) of
    ``competitors`` (L, ...), the scores of every competing label (which include K's own).
    """
    top, bottom = competitors.amax(0), competitors.amin(0)
    wins = ((scores > 0) & (scores >= top)) | ((scores < 0) & (scores <= bottom))
    return scores * wins


def competitive_gradient_input(model, x: torch.Tensor, classes: list[int], competitors: int | None = 100,
                               chunk: int = 64) -> torch.Tensor:
    """CGI maps (|K|, C, H, W) of the classes of K for one image x (1, C, H, W).

    Args:
        model: a :class:`~var.core.model.VarModel` or ``nn.Module`` returning logits.
        x: the input, shape (1, C, H, W).
        classes: K, the classes whose maps are returned.
        competitors: the number of most probable labels that compete (K always competes); None: every label,
            as Gupta & Arora define it.
        chunk: labels per attribution call (memory: ``chunk`` maps of the input's size).

    Returns:
        The maps, signed like input x gradient, zero wherever another label wins.

    Example:
        >>> maps = var.attribute(model, x, [281, 282], "cgi", competitors=20)  # the 20 most probable labels
        >>> bool((maps != 0).any(dim=0).float().mean() < 1)  # where another label wins, both maps are zero
        True
    """
    with torch.no_grad():
        logits = logits_of((model.module if isinstance(model, VarModel) else model)(x))[0]
    order = logits.argsort(descending=True).tolist()
    if competitors is not None:
        check_int("competitors", competitors, 1)
        order = order[:competitors]
    labels = list(dict.fromkeys(list(classes) + order))  # K first, each label once
    own = run_method(model, x, [labels[:len(classes)]], InputXGradient())[0]
    top, bottom = own.amax(0), own.amin(0)
    for start in range(len(classes), len(labels), chunk):
        h = run_method(model, x, [labels[start:start + chunk]], InputXGradient(), internal_batch_size=chunk)[0]
        top, bottom = torch.maximum(top, h.amax(0)), torch.minimum(bottom, h.amin(0))
    return compete(own, torch.stack([top, bottom]))
