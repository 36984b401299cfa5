"""Var inside other libraries' calling conventions.

* :mod:`~var.interop.attributor` — ``VAR``: any method as a Captum attribution of a target's VAR map;
* :mod:`~var.interop.quantus` — Quantus's ``explain_func`` (loaded on first use: ``var.interop.quantus``).
"""

from . import attributor

__all__ = ["attributor", "quantus"]


def __getattr__(name: str):
    if name == "quantus":
        import importlib

        return importlib.import_module(f"{__name__}.quantus")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
