"""Input checks shared by the package: one clear error per bad value, naming the fix.

Every public entry point (``attribute``, the methods' options, ``relevance``,
the class sets and the benchmark CLI) validates through these helpers, so a
bad value gets the same message wherever it enters.
"""

from __future__ import annotations

import argparse
import math
import numbers
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

__all__ = ["check_int", "check_float", "check_choice", "check_classes", "check_list", "check_grid", "check_device",
           "check_writable", "out_path", "CliParser"]


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


def check_list(name: str, values, choices=None) -> list:
    """A non-empty list (a string is one value, not a list of letters), each value among ``choices`` if given."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise TypeError(f"{name} must be a non-empty list, e.g. [{values!r}]" if isinstance(values, str)
                        else f"{name} must be a non-empty list, not {values!r:.60}.")
    if choices is not None:
        for value in values:
            check_choice(name[:-1] if name.endswith("s") else name, value, choices)
    return list(values)


def check_grid(temperatures, taus) -> tuple[list[float], list[float]]:
    """The sliders' values: non-empty lists of valid temperatures (> 0) and taus in [0, 1)."""
    temperatures, taus = check_list("temperatures", temperatures), check_list("taus", taus)
    for t in temperatures:
        check_float("temperature", t, low=0.0, low_open=True)
    for tau in taus:
        check_float("tau", tau, low=0.0, high=1.0, high_open=True)
    return temperatures, taus


def check_device(device: str) -> torch.device:
    """A torch device this machine has, or an error naming one it does."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"--device {device!r} is not a torch device; use cpu or cuda (cuda:0, ...).") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {device}: torch sees no CUDA GPU here (torch.cuda.is_available() is False); "
                         "use --device cpu.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"--device {device}: there are {torch.cuda.device_count()} CUDA device(s).")
    return dev


def check_writable(path, option: str = "--out", folder: bool = True) -> Path:
    """``path`` if it can be created or written: not below a file, not a file where a folder is wanted."""
    path = Path(path)
    if path.exists() and folder != path.is_dir():
        raise ValueError(f"{option} {path} is a {'file' if folder else 'folder'}; pass a "
                         f"{'folder' if folder else 'file name'}.")
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"{option} {path}: {existing} is a file, so nothing can be written below it; pass a path "
                         "in a folder.")
    if not os.access(existing, os.W_OK):
        raise PermissionError(f"Cannot write to {existing}; pass a writable {option} path.")
    return path


def out_path(text: str) -> Path:
    """The argparse type of an output path: an empty one (Path would read it as the current folder) is refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; name the folder to write to")
    return Path(text)


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions as written, and every option's default."""


class CliParser(argparse.ArgumentParser):
    """An argparse parser whose errors are ValueErrors naming where the help is; its help shows the defaults.

    ``var-bench`` prints the errors, like every other bad input, as one line with exit status 2.
    """

    def __init__(self, *args, formatter_class=HelpFormatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message):
        raise ValueError(f"{message} (see {self.prog} --help)")
