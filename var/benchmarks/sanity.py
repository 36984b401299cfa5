"""Cascading randomisation sanity check (Adebayo et al. 2018; paper Section 5.3, Figure 5).

The model's parametrised layers (convolutions, linear layers and norms, in
forward order) are re-initialised cumulatively from the output towards the
input. After each step the maps for the same image and class set K are
recomputed and compared with the original maps of the target class
(:func:`var.benchmarks.metrics.similarity`). A method whose maps depend on what
the model learned should lose similarity fast: lower is better.
Re-initialisation draws from each layer's own ``reset_parameters`` under a
seed, so runs repeat exactly.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .. import class_sets
from ..checks import check_float, check_int
from .base import ImageNetBenchmark, rows_from
from .metrics import similarity


class SanityBenchmark(ImageNetBenchmark):
    """Cascading randomisation. Options: ``fractions`` (of layers re-initialised), ``k``, ``dataset``."""

    name = "sanity"
    defaults = {"fractions": [0.0, 0.1, 0.25, 0.5, 0.75, 1.0], "k": 3, "dataset": "imagenet-sample"}

    def check_option_values(self, options):
        check_int("k", options["k"], 1)
        if not isinstance(options["fractions"], list) or not options["fractions"]:
            raise TypeError("fractions must be a non-empty list of shares in [0, 1].")
        for f in options["fractions"]:
            check_float("fraction", f, low=0.0, high=1.0)

    def run_unit(self, unit):
        path, label = self.order[unit]
        x = self.model.prepare(path)
        classes = class_sets.top_k(self.model.logits(x)[0], self.options["k"], target=label)
        t = classes.index(label)
        original = {(m, v): maps[t] for m, v, maps in self.maps(x, classes)}
        rows = []
        for fraction in self.options["fractions"]:
            model = randomised(self.model, fraction, self.config.seed)
            for method, is_var, maps in self.maps(x, classes, model):
                rows += rows_from(similarity(original[method, is_var], maps[t]), unit=unit, item=0,
                                  model=self.config.model, method=method, var=is_var, fraction=float(fraction),
                                  target=label)
        return rows


def parametrised_layers(net: nn.Module) -> list[str]:
    """Names of leaf modules with their own parameters and ``reset_parameters``, in registration order."""
    return [name for name, m in net.named_modules()
            if not list(m.children()) and hasattr(m, "reset_parameters") and any(True for _ in m.parameters(False))]


def randomised(model, fraction: float, seed: int):
    """A copy of ``model`` with the last ``fraction`` of its layers re-initialised (output side first)."""
    layers = parametrised_layers(model.module)
    n = int(round(fraction * len(layers)))
    if n == 0:
        return model
    clone = copy.copy(model)
    clone.module = copy.deepcopy(model.module)
    modules = dict(clone.module.named_modules())
    gen_state = torch.random.get_rng_state()
    try:
        for i, name in enumerate(reversed(layers[-n:])):
            torch.manual_seed(seed * 10_007 + i)
            modules[name].reset_parameters()
            if isinstance(modules[name], nn.modules.batchnorm._BatchNorm):
                modules[name].reset_running_stats()
    finally:
        torch.random.set_rng_state(gen_state)
    if model.gradcam_layer is not None:  # point GradCAM at the copy's layer
        names = {id(m): k for k, m in model.module.named_modules()}
        clone.gradcam_layer = modules[names[id(model.gradcam_layer)]]
    return clone
