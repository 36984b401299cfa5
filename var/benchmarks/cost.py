"""What a benchmark unit costs: seconds per unit per method, and how attribution scales with IG steps and |K|.

``python -m var.bench cost --out results/reference/cost`` times, on the
embedded model and with the reference runs' configuration (IG at 50 steps):

* ``units.csv``: for one unit of each benchmark, the seconds of each method's
  attribution and the rest of the unit (metrics, PIC curves, re-initialising
  the model);
* ``scaling.csv``: one image, seconds of ``var.attribute`` against IG steps
  (at |K| = 4) and against |K| (gradient, and IG at 16 steps).

Run it on a quiet machine: other processes on the same cores distort it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import pandas as pd

from .reference import environment, git

__all__ = ["unit_costs", "scaling", "main"]

BENCHMARKS = ("grid", "coco", "insertion", "sanity", "intervention")


def unit_costs(names=BENCHMARKS, unit_index: int = 0) -> pd.DataFrame:
    """Seconds of one unit per benchmark, split into each method's attribution and the rest."""
    import torch

    from . import BENCHMARKS as CLASSES
    from .reference import REFERENCE

    rows = []
    for name in names:
        config = dataclasses.replace(REFERENCE[name], n=unit_index + 1).validate().resolved()
        bench = CLASSES[name](config)
        torch.set_num_threads(config.threads)
        bench.prepare()
        bench.timings = []  # filled by Benchmark.maps
        start = time.perf_counter()
        bench.run_unit(bench.units()[unit_index])
        total = time.perf_counter() - start
        per_method = pd.DataFrame(bench.timings, columns=["method", "seconds"]).groupby("method")["seconds"].sum()
        rows += [{"benchmark": name, "part": f"attribution: {m}", "seconds": s} for m, s in per_method.items()]
        rows.append({"benchmark": name, "part": "rest (metrics, curves, re-initialising)",
                     "seconds": total - per_method.sum()})
        rows.append({"benchmark": name, "part": "unit total", "seconds": total})
    return pd.DataFrame(rows)


def scaling(model_name: str = "efficientnet_lite0", steps=(8, 16, 32, 50), class_counts=(2, 4, 8, 16),
            internal_batch_size: int = 4, threads: int = 2) -> pd.DataFrame:
    """Seconds of one ``var.attribute`` call on a 224 x 224 photo against IG steps and |K|."""
    import torch

    import var

    from .speed import median_time

    torch.set_num_threads(threads)
    model = var.load_model(model_name)
    x = model.prepare("skimage:chelsea")
    top = model.logits(x)[0].argsort(descending=True).tolist()
    rows = []

    def timed(method, k, **options):
        seconds = median_time(lambda: var.attribute(model, x, top[:k], method,
                                                    internal_batch_size=internal_batch_size, **options), 1)
        rows.append({"method": method, "K": k, "steps": options.get("steps"), "seconds": seconds})

    for s in steps:
        timed("integrated_gradients", 4, steps=s)
    for k in class_counts:
        timed("gradient", k)
        timed("integrated_gradients", k, steps=16)
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    """CLI: ``python -m var.bench cost --out FOLDER``."""
    p = argparse.ArgumentParser(prog="var-bench cost", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--benchmarks", nargs="+", default=list(BENCHMARKS), choices=BENCHMARKS)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    units = unit_costs(args.benchmarks)
    units.to_csv(args.out / "units.csv", index=False)
    scale = scaling()
    scale.to_csv(args.out / "scaling.csv", index=False)
    provenance = {**environment(), "commit": git("rev-parse", "HEAD"), "threads": 2,
                  "wall_s": round(time.perf_counter() - start, 1)}
    (args.out / "provenance.json").write_text(json.dumps(provenance, indent=1) + "\n")
    print(units.round(2).to_string(index=False), "\n")
    print(scale.round(2).to_string(index=False))
    return 0
