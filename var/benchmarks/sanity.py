"""Cascading randomisation sanity check (Adebayo et al. 2018; paper Section 5.3, Figure 5).

The model's *layers* — every module that owns parameters, in registration
(forward) order, so ViT's attention projections, class token and position
embedding and ConvNeXt's layer scale count too — are re-initialised
cumulatively from the output towards the input. After each step the maps for
the same image and class set K are recomputed and compared with the original
maps of the target class (:func:`var.benchmarks.metrics.similarity`). A method
whose maps depend on what the model learned should lose similarity fast:
lower is better.

Re-initialisation (option ``reinit``):

* ``"gaussian"`` (default): every parameter tensor is redrawn from a Gaussian
  with that tensor's own mean and standard deviation. What the layer learned
  (the arrangement of its weights) is destroyed, its scale is kept, so the
  forward activations and the logits keep their trained magnitude. This is the
  premise of the test: Adebayo et al. re-initialise "randomly", and Binder et
  al. (CVPR 2023), whom the paper cites, note that such randomisation "preserves
  scales of forward pass activations". BatchNorm running statistics (buffers,
  not learned weights) are kept. A constant tensor (only in untrained models)
  is drawn with standard deviation |mean|, or 0.02 if it is all zero.
* ``"reset_parameters"``: PyTorch's own initialisation of each module (and
  BatchNorm reset to identity). Its weights are far smaller than trained ones:
  after full randomisation the logits shrink to 1-2% of their trained spread,
  maps shrink ~100x and, with the unnormalised softmax at t = 0.1, VAR's class
  softmax becomes uniform, so VAR maps come out *empty*. Kept to show why the
  choice matters.

Rows: the similarity metrics, plus ``empty`` (1 when the map is all zero). An
empty map has no rank correlation with anything, so its similarities are NaN
(counted in ``n_nan`` of the summary), not 0.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..core import class_sets
from ..core.checks import check_choice, check_int
from . import table
from .base import BenchmarkOptions, ImageNetBenchmark, check_shares
from .metrics import is_empty, similarity
from .reproduce import Tolerance


@dataclass(frozen=True)
class SanityOptions(BenchmarkOptions):
    """``fractions`` (of layers re-initialised, 0 = the trained network), ``k``, ``reinit``, ``networks`` (how many
    independently re-initialised networks score each image; 1: one network for every image, the paper's protocol),
    ``dataset``.
    """

    fractions: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
    k: int = 3
    reinit: str = "gaussian"
    networks: int = 1

    def check(self):
        check_int("k", self.k, 1)
        check_int("networks", self.networks, 1)
        check_choice("reinit", self.reinit, REINITS)
        check_shares("fractions", self.fractions)


class SanityBenchmark(ImageNetBenchmark):
    """Cascading randomisation. Options: ``fractions`` (of layers re-initialised), ``k``, ``dataset``, ``reinit``,
    ``networks``.

    With ``networks`` > 1 every image is scored under that many independent re-initialisations (rows carry a
    ``network`` column), so an interval can take the variance between random networks into account, which one
    network shared by all images cannot show.
    """

    name = "sanity"
    Options = SanityOptions
    metrics = ("spearman_abs", "spearman", "pearson", "cosine", "empty")
    #: a randomised network's VAR map keeps few pixels, so a rank correlation over it moves when one
    #: kept pixel flips: rounding moved a row by up to 4.6e-2 and a group median by up to 1.1e-3
    #: (ATen's default kernels); one IG step fewer moved the IG medians by 8.5e-3
    reproduction = Tolerance(row=0.1, group_median=4e-3)

    def run_unit(self, unit):
        path, label = self.order[unit]
        x = self.model.prepare(path, exif_orientation=False)
        classes = class_sets.top_k(self.model.logits(x)[0], self.options.k, target=label)
        t = classes.index(label)
        original_runs = list(self.maps(x, classes, unit))
        original = {(m, v): maps[t] for m, v, maps in original_runs}
        rows = []
        for network in range(self.options.networks):
            keys = dict(unit=unit, item=0, model=self.config.model, target=label)
            if self.options.networks > 1:
                keys["network"] = network
            for fraction in self.options.fractions:
                if fraction == 0 and network > 0:
                    continue  # the trained network is the same for every re-initialisation
                model = randomised(self.model, fraction, network_seed(self.config.seed, network), self.options.reinit)
                # no layer re-initialised: the maps are the original ones, not worth computing again
                runs = original_runs if model is self.model else self.maps(x, classes, unit, model)
                for method, is_var, maps in runs:
                    scores = {**similarity(original[method, is_var], maps[t]), "empty": is_empty(maps[t])}
                    rows += table.rows(scores, method=method, var=is_var, fraction=float(fraction), **keys)
        return rows


REINITS = ("gaussian", "reset_parameters")


def network_seed(seed: int, network: int) -> int:
    """The re-initialisation seed of random network ``network`` of a run (network 0: the run's seed itself)."""
    return seed if network == 0 else int(np.random.SeedSequence([seed, network]).generate_state(1)[0])


def parametrised_layers(net: nn.Module) -> list[str]:
    """Names of the modules that own parameters themselves, in registration order (the randomisation's layers)."""
    return [name for name, m in net.named_modules() if any(True for _ in m.parameters(recurse=False))]


def randomised(model, fraction: float, seed: int, reinit: str = "gaussian"):
    """A copy of ``model`` with the last ``fraction`` of its layers re-initialised (output side first)."""
    check_choice("reinit", reinit, REINITS)
    layers = parametrised_layers(model.module)
    n = int(round(fraction * len(layers)))
    if n == 0:
        return model
    clone = copy.copy(model)
    clone.module = copy.deepcopy(model.module)
    modules = dict(clone.module.named_modules())
    for i, name in enumerate(reversed(layers[-n:])):
        gen = torch.Generator().manual_seed(seed * 10_007 + i)
        (_gaussian_like if reinit == "gaussian" else _reset)(modules[name], gen)
    if model.gradcam_layer is not None:  # point GradCAM at the copy's layer
        names = {id(m): k for k, m in model.module.named_modules()}
        clone.gradcam_layer = modules[names[id(model.gradcam_layer)]]
    return clone


@torch.no_grad()
def _gaussian_like(module: nn.Module, gen: torch.Generator) -> None:
    for p in module.parameters(recurse=False):
        mean, std = p.mean(), p.std() if p.numel() > 1 else p.new_zeros(())
        if std == 0:
            std = mean.abs() if mean != 0 else p.new_tensor(0.02)
        p.copy_(mean + std * torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device))


def _reset(module: nn.Module, gen: torch.Generator) -> None:
    reset = getattr(module, "reset_parameters", None) or getattr(module, "_reset_parameters", None)
    if reset is None:
        return  # e.g. a ViT's class token: PyTorch has no initialiser for it
    state = torch.random.get_rng_state()
    torch.manual_seed(int(torch.randint(2**31, (1,), generator=gen)))
    try:
        reset()
    finally:
        torch.random.set_rng_state(state)
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        module.reset_running_stats()
