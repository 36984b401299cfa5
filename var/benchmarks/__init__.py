"""The paper's benchmarks, one module each, plus the runner and shared metrics.

* :mod:`~var.benchmarks.grid` — grid pointing game (Quad-ImageNet);
* :mod:`~var.benchmarks.coco` — mask localisation on COCO;
* :mod:`~var.benchmarks.insertion` — SIC/AIC insertion curves (:mod:`~var.benchmarks.pic`);
* :mod:`~var.benchmarks.sanity` — cascading randomisation;
* :mod:`~var.benchmarks.metrics` — localisation and similarity metrics;
* :mod:`~var.benchmarks.runner` — resumable, shardable runs into tidy tables.
"""

from importlib import import_module

from .runner import BenchConfig, collect, run_shard, summarize

BENCHMARKS = ("grid", "coco", "insertion", "sanity")

__all__ = ["BENCHMARKS", "BenchConfig", "benchmark_module", "run", "collect", "summarize"]


def benchmark_module(name: str):
    if name not in BENCHMARKS:
        raise ValueError(f"Unknown benchmark {name!r}; choose one of {BENCHMARKS}.")
    return import_module(f"{__name__}.{name}")


def run(config: BenchConfig, out, shard=(0, 1), progress: bool = False, collect_results: bool = True):
    """Run (or resume) a benchmark shard; returns the full table once every unit is done, else None."""
    import torch

    module = benchmark_module(config.benchmark)
    module.options(config)  # validate options before any work
    torch.set_num_threads(config.threads)
    units = module.units(config)
    run_shard(config, out, units, lambda u: module.run_unit(config, u), shard, progress)
    if not collect_results:
        return None
    try:
        return collect(out, units)
    except RuntimeError:
        return None
