"""What every benchmark does per unit: the model (cached per process) and vanilla + VAR maps for all methods."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..attribution import attribute
from ..models import VarModel, load_model
from ..relevance import relevance
from .runner import BenchConfig


@lru_cache(maxsize=2)
def get_model(name: str) -> VarModel:
    """One model per process (dask workers and shards load it once)."""
    return load_model(name)


def method_options(method: str, config: BenchConfig) -> dict:
    """The paper's settings: IG with a blurred baseline (steps from the config)."""
    return {"steps": config.ig_steps, "baseline": "blur"} if method == "integrated_gradients" else {}


def maps_for(model: VarModel, x: torch.Tensor, classes: list[int], config: BenchConfig):
    """Yield (method, var, maps) for every configured method: vanilla H and VAR's C_H, shape (|K|, C, H, W)."""
    for method in config.methods:
        h = attribute(model, x, classes, method, **method_options(method, config))
        yield method, False, h
        yield method, True, relevance(h, config.temperature, config.tau)


def check_options(config: BenchConfig, defaults: dict) -> dict:
    """The benchmark's defaults updated by ``config.options``; unknown keys are an error naming the known ones."""
    unknown = set(config.options) - set(defaults)
    if unknown:
        raise ValueError(f"{config.benchmark}: unknown option(s) {sorted(unknown)}; known: {sorted(defaults)}.")
    return {**defaults, **config.options}


def seeded_imagenet(config: BenchConfig, dataset: str) -> list:
    """(path, label) of an ImageNet folder in a seeded order, so that n images are a random subset."""
    from ..datasets import find_data, imagenet_items

    items = imagenet_items(find_data(dataset, config.data))
    perm = np.random.default_rng(config.seed).permutation(len(items))
    return [items[i] for i in perm]


def rows_from(metrics: dict[str, float], **keys) -> list[dict]:
    return [dict(keys, metric=name, value=float(value)) for name, value in metrics.items()]
