"""What the sweep costs: the whole grid of VAR settings against a single-setting run of the same units.

    python -m var.bench sweep-cost --units 3            # grid units, the paper's six methods

Both runs compute the step-1 maps H once per unit and method and score the vanilla map; the single-setting
run then scores VAR at the paper's setting only, the sweep at every setting of its options (100 by default).
Controls are timed apart (they cost extra attributions: |K| - 1 random classes, CGI's competing labels,
Guided GradCAM's second upsampling). Target: the sweep within :data:`TARGET` x the single-setting run.
"""

from __future__ import annotations

import sys
import time

import torch

from ..benchmarks.config import BenchConfig
from ..benchmarks.runner import validate
from ..benchmarks.sweep import CONTROLS, ON, PAPER_SETTING, SweepBenchmark
from ..core.checks import CliParser, check_int
from ..core.protocol import PAPER_METHODS, THREADS

__all__ = ["measure", "main", "TARGET"]

#: The sweep of settings may cost at most this many times a single-setting run of the same units.
TARGET = 1.5

_SINGLE = {"temperatures": [PAPER_SETTING["temperature"]], "taus": [PAPER_SETTING["tau"]],
           "scales": [PAPER_SETTING["scale"]], "softmaxes": [PAPER_SETTING["softmax"]]}


def _seconds(options: dict, units: int, on: str, methods) -> float:
    bench = SweepBenchmark(validate(BenchConfig("sweep", n=units + 1, methods=tuple(methods),
                                                options={"on": on, **options})))
    bench.setup()
    bench.run_unit(0)  # warm-up: model, data, kernels
    start = time.perf_counter()
    for unit in range(1, units + 1):
        bench.run_unit(unit)
    return (time.perf_counter() - start) / units


def measure(units: int = 3, on: str = "grid", methods=PAPER_METHODS) -> dict:
    """Seconds per unit of a single-setting run, the sweep of settings, and the sweep with its controls."""
    check_int("units", units, 1)
    torch.set_num_threads(THREADS)
    single = _seconds({**_SINGLE, "controls": []}, units, on, methods)
    settings = _seconds({"controls": []}, units, on, methods)
    controls = _seconds({"controls": list(CONTROLS)}, units, on, methods)
    return {"on": on, "units": units, "methods": len(methods), "single_s": single, "sweep_s": settings,
            "with_controls_s": controls, "ratio": settings / single, "threads": THREADS}


def main(argv=None) -> int:
    """``python -m var.bench sweep-cost``: print the table; exit status 1 if the target is missed."""
    parser = CliParser(prog="var-bench sweep-cost", description=__doc__)
    parser.add_argument("--units", type=int, default=3, help="units timed after one warm-up unit")
    parser.add_argument("--on", default="grid", choices=tuple(ON))
    args = parser.parse_args(argv)
    r = measure(args.units, args.on)
    print(f"## sweep cost, {r['on']}, {r['units']} units, {r['methods']} methods, {r['threads']} threads\n")
    print("| run | seconds per unit |\n|---|---|")
    print(f"| single setting (the paper's) | {r['single_s']:.1f} |\n| sweep of settings | {r['sweep_s']:.1f} |\n"
          f"| sweep with controls | {r['with_controls_s']:.1f} |")
    ok = r["ratio"] <= TARGET
    print(f"\nsweep / single = {r['ratio']:.2f}; target (<= {TARGET}x): {'met' if ok else 'missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
