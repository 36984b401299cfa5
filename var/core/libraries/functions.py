"""Plain functions ``fn(model, x, target) -> map`` as registry entries: registered ones and ``module:function``."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

import torch

from ..entry import Entry
from ..maps import to_input_size

__all__ = ["entry", "per_class"]


def per_class(fn: Callable) -> Callable:
    """An entry's ``compute`` that calls ``fn(model, x, target)`` once per class and checks each map's shape."""
    def compute(model, x, classes, options):
        maps = []
        for c in classes:
            m = torch.as_tensor(fn(model, x, int(c), **options))
            m = m.detach().to(x.dtype)
            if m.dim() == 2:
                m = m[None]
            if m.dim() == 4 and m.shape[0] == 1:
                m = m[0]
            if m.dim() != 3:
                raise ValueError(f"{getattr(fn, '__name__', fn)} returned a map of shape {tuple(m.shape)}; return "
                                 "(C, H, W), (1, C, H, W) or (H, W) for one image and one class.")
            maps.append(m)
        return to_input_size(torch.stack(maps), x)
    return compute


def entry(module: str, function: str) -> Entry:
    """The entry of ``module:function``, imported now (one error naming what is missing)."""
    try:
        fn = getattr(importlib.import_module(module), function)
    except (ModuleNotFoundError, AttributeError) as err:
        raise ValueError(f"Method {module}:{function}: cannot import {function} from {module} ({err}). Name a "
                         "function fn(model, x, target) -> map as 'module:function', importable from here.") from err
    if not callable(fn):
        raise TypeError(f"{module}:{function} is not callable; it must be fn(model, x, target) -> map.")
    return Entry(f"{module}:{function}", "user", "user", False, "pixel", False, per_class(fn),
                 description=(inspect.getdoc(fn) or "").split("\n")[0])
