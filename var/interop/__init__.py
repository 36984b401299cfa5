"""Var inside other libraries' calling conventions.

* :mod:`~var.interop.attributor` — ``VAR``: any method as a Captum attribution of a target's VAR map;
* :mod:`~var.interop.quantus` — Quantus's ``explain_func`` (the ``quantus`` extra).
"""
