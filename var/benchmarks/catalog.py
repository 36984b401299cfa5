"""The benchmarks by name: the one catalogue the runner, the CLI and the reports look a run's benchmark up in.

A new benchmark is a module with a :class:`~var.benchmarks.base.Benchmark` subclass, listed here.
"""

from __future__ import annotations

from .coco import CocoBenchmark
from .grid import GridBenchmark
from .insertion import InsertionBenchmark
from .intervention import InterventionBenchmark
from .sanity import SanityBenchmark
from .sweep import SweepBenchmark

__all__ = ["BENCHMARKS"]

#: name -> benchmark class, in the order the CLI lists them.
BENCHMARKS = {cls.name: cls for cls in (GridBenchmark, CocoBenchmark, InsertionBenchmark, SanityBenchmark,
                                        InterventionBenchmark, SweepBenchmark)}
