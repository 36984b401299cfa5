"""The benchmark contract: what the runner and the CLI expect of every benchmark.

A benchmark is a list of *units* (a grid, an image) and a function that turns
one unit into tidy rows ``{unit, item, model, method, var, metric, value, ...}``.
Subclasses of :class:`Benchmark` declare their ``name`` and their options (``Options``: a
frozen :class:`BenchmarkOptions` dataclass whose fields are the options with their defaults, checked
when it is made), and implement ``units`` and ``run_unit``. Work done once per run (listing the
data set, loading the model, scanning for eligible images) happens in
``setup``, which the runner calls once per process before the first unit.

This module also holds what every benchmark shares: the model cached per
process, vanilla + VAR maps for all configured methods, and a seeded order of
ImageNet images.
"""

from __future__ import annotations

import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import cached_property, lru_cache
from typing import ClassVar

import numpy as np
import torch

from ..core import registry
from ..core.attribution import attribute
from ..core.checks import check_float
from ..core.model import VarModel
from ..core.relevance import relevance
from ..models.zoo import load_model
from .config import BenchConfig
from .data import find_data, imagenet_items, seeded_order
from .reproduce import Tolerance

__all__ = ["Benchmark", "BenchmarkOptions", "ImageNetBenchmark", "get_model", "unit_seed", "check_shares"]


@dataclass(frozen=True)
class BenchmarkOptions:
    """A benchmark's options: typed fields with their defaults, checked when made (no I/O), frozen.

    A run's ``config.json`` keeps them as a JSON object (:meth:`to_dict`); sequences are tuples here and lists
    there.
    """

    dataset: str = "imagenet-sample"

    def __post_init__(self):
        self.check()

    def check(self) -> None:
        """Raise ValueError/TypeError naming the option whose value is wrong."""

    @classmethod
    def from_dict(cls, given: dict, benchmark: str) -> BenchmarkOptions:
        """The options from a config's dict (lists become tuples); an unknown key is refused."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ValueError(f"{benchmark}: unknown option(s) {unknown}; known: {sorted(known)}.")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in given.items()})

    def to_dict(self) -> dict:
        """Every option spelled out, as a run's config records it."""
        return {f.name: list(v) if isinstance(v, tuple) else v for f in fields(self)
                for v in [getattr(self, f.name)]}


def check_shares(name: str, values, low_open: bool = False) -> None:
    """Check a non-empty sequence of shares in [0, 1] (``(0, 1)`` with ``low_open``)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, tuple) or not values:
        raise TypeError(f"{name} must be a non-empty list of shares in [0, 1].")
    for v in values:
        check_float(name, v, low=0.0, high=1.0, low_open=low_open, high_open=low_open)


class Benchmark(ABC):
    """One benchmark run: validated options, then ``setup`` once, then ``run_unit`` per unit.

    Constructing a benchmark only validates (no data, no model), so the CLI can
    refuse a bad option before anything slow happens.
    """

    name: ClassVar[str]
    Options: ClassVar[type[BenchmarkOptions]]
    #: the metrics its rows hold (names of :data:`var.benchmarks.table.METRICS`, which says their direction)
    metrics: ClassVar[tuple[str, ...]]
    #: how far a re-run of one unit may differ from its committed rows by float rounding alone
    #: (:mod:`var.benchmarks.reproduce` has the measurements behind the numbers)
    reproduction: ClassVar[Tolerance] = Tolerance()

    def __init__(self, config: BenchConfig):
        self.config = config
        self.options = self.Options.from_dict(config.options, self.name)
        self.timings: list[tuple[str, float]] | None = None  # set to a list to time each attribution (cost)

    def data_folder(self):
        """The data set folder this run reads (a clear error if it is missing)."""
        return find_data(self.options.dataset, self.config.data)

    @cached_property
    def model(self) -> VarModel:
        return get_model(self.config.model)

    def setup(self) -> None:
        """Per-run work shared by all units (list the data, load the model); called once per process."""
        self.model  # noqa: B018  (load once, before the first unit)

    @abstractmethod
    def units(self) -> list[int]:
        """The unit ids of this run (their order is the table's order)."""

    @abstractmethod
    def run_unit(self, unit: int) -> list[dict]:
        """The tidy rows of one unit."""

    def maps(self, x: torch.Tensor, classes: list[int], unit: int,
             model: VarModel | None = None) -> Iterator[tuple[str, bool, torch.Tensor]]:
        """(method, var, maps) for every configured method: vanilla H, then VAR's maps from the same H.

        ``unit`` seeds torch's and NumPy's global random generators per (run seed, unit, method) for the
        attribution call, so a method that draws from them (Captum's GradientShap: its noise from torch, its
        path coefficients from NumPy) gives the same maps whichever units ran before it (a re-run of one unit
        reproduces its rows). ``model`` defaults to the run's model (the sanity check passes randomised copies).
        """
        cfg = self.config
        for method in cfg.methods:
            options = {"steps": cfg.ig_steps} if method == "integrated_gradients" else {}
            if "internal_batch_size" in registry.get(method).run_options:  # var's engine, Captum's path methods
                options["internal_batch_size"] = cfg.internal_batch_size
            start = time.perf_counter()
            with global_rngs_seeded(unit_seed(cfg.seed, unit, method)):
                h = attribute(model or self.model, x, classes, method, **options)
            if self.timings is not None:
                self.timings.append((method, time.perf_counter() - start))
            yield method, False, h
            yield method, True, relevance(h, cfg.var_settings)



class ImageNetBenchmark(Benchmark):
    """A benchmark over single ImageNet images taken in a seeded order, so that n images are a random subset."""

    def setup(self):
        super().setup()
        items = imagenet_items(self.data_folder())
        self.order = seeded_order(items, self.config.seed)

    def units(self):
        return list(range(min(self.config.n, len(self.order))))


@lru_cache(maxsize=2)
def get_model(name: str) -> VarModel:
    """One model per process (dask workers and shards load it once)."""
    return load_model(name)


def unit_seed(seed: int, unit: int, method: str) -> int:
    """The global generators' seed for one (run seed, unit, method): independent of the order units run in."""
    return int(np.random.SeedSequence([seed, unit, zlib.crc32(method.encode())]).generate_state(1)[0])


@contextmanager
def global_rngs_seeded(seed: int) -> Iterator[None]:
    """Seed torch's and NumPy's global generators inside the block; restore their states after it."""
    state = np.random.get_state()  # noqa: NPY002  (libraries draw from the legacy global RNG)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)  # noqa: NPY002
        try:
            yield
        finally:
            np.random.set_state(state)  # noqa: NPY002
