"""Input checks shared by the package: one clear error per bad value, naming the fix.

Every public entry point (``attribute``, the methods' options, ``relevance``,
the class sets and the benchmark CLI) validates through these helpers, so a
bad value gets the same message wherever it enters.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import torch

__all__ = ["check_int", "check_float", "check_choice", "check_classes"]


def check_int(name: str, value, minimum: int | None = None) -> int:
    """``value`` as an int, refusing bools, floats and anything below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}).")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def check_float(name: str, value, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float inside the given bounds (closed unless ``*_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__}).")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value}.")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}.")
    if high is not None and (v >= high if high_open else v > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}.")
    return v


def check_choice(name: str, value, choices: Iterable):
    """``value`` if it is one of ``choices``, else an error listing them."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"Unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}.")
    return value


def check_classes(classes, num_classes: int | None = None, min_size: int = 1) -> list[int]:
    """A class set K as a list of distinct class indices.

    Accepts a list, tuple, range, 1-d integer tensor or array, or one int.
    Refuses strings, sets (no order), generators, floats (``281.9`` is not
    truncated), duplicates and indices outside ``0..num_classes - 1``.
    """
    if isinstance(classes, (str, bytes, set, frozenset, dict)) or not (
            isinstance(classes, (list, tuple, range, numbers.Integral)) or hasattr(classes, "shape")):
        raise TypeError(f"classes must be a list of class indices such as [281, 285], not {type(classes).__name__}"
                        f" ({classes!r:.60}); sets and generators have no fixed order: use a list.")
    values = torch.as_tensor(classes) if not isinstance(classes, numbers.Integral) else torch.tensor([classes])
    if values.numel() == 0:
        raise ValueError("classes must be a non-empty sequence of class indices.")
    if values.dim() == 0:
        values = values.unsqueeze(0)
    if values.dim() != 1 or values.is_floating_point() or values.is_complex() or values.dtype == torch.bool:
        raise ValueError(f"classes must be a 1-d sequence of integer class indices, got {classes!r:.80}.")
    k = [int(c) for c in values.tolist()]
    if len(k) < min_size:  # only min_size > 1 gets here: an empty K was refused above
        raise ValueError(f"A class set needs at least {min_size} classes for VAR to compare, got {k}.")
    if len(set(k)) != len(k):
        raise ValueError(f"classes contain duplicates: {k}; each class may appear once in K.")
    if min(k) < 0 or (num_classes is not None and max(k) >= num_classes):
        raise ValueError(f"classes {k} out of range; valid indices are 0..{(num_classes or 0) - 1}.")
    return k
