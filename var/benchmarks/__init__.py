"""The paper's benchmarks, one module each, plus their contract, the runner and shared metrics.

* :mod:`~var.benchmarks.grid` — grid pointing game (Quad-ImageNet);
* :mod:`~var.benchmarks.coco` — mask localisation on COCO;
* :mod:`~var.benchmarks.insertion` — SIC/AIC insertion curves (:mod:`~var.benchmarks.pic`);
* :mod:`~var.benchmarks.sanity` — cascading randomisation;
* :mod:`~var.benchmarks.intervention` — deleting what one class's map marks (Figure 4);
* :mod:`~var.benchmarks.sweep` — VAR's settings swept and the controls (matched sparsity, random K, CGI);
* :mod:`~var.benchmarks.metrics` — localisation and similarity metrics;
* :mod:`~var.benchmarks.base` — the contract every benchmark fulfils;
* :mod:`~var.benchmarks.runner` — resumable, shardable runs into tidy tables (also on dask);
* :mod:`~var.perf.speed` — speed of the multi-class engine against Captum.
"""

from .catalog import BENCHMARKS
from .coco import CocoBenchmark
from .config import BenchConfig
from .grid import GridBenchmark
from .insertion import InsertionBenchmark
from .intervention import InterventionBenchmark
from .runner import collect, resolved, run, run_key, run_on_dask, same_run, summarize, validate
from .sanity import SanityBenchmark
from .sweep import SweepBenchmark

__all__ = ["BENCHMARKS", "BenchConfig", "validate", "resolved", "run_key", "same_run", "run", "run_on_dask",
           "collect", "summarize", "GridBenchmark", "CocoBenchmark", "InsertionBenchmark", "SanityBenchmark",
           "InterventionBenchmark", "SweepBenchmark"]
