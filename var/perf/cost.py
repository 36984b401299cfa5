"""What a benchmark unit costs: seconds per unit per method, and how attribution scales with IG steps and |K|.

``python -m var.bench cost --out results/reference/cost`` times, on the
embedded model and with the reference runs' configuration (IG at 50 steps):

* ``units.csv``: for one fully scored unit of each benchmark, the seconds of
  each method's attribution and the rest of the unit (metrics, PIC curves,
  re-initialising the model);
* ``scaling.csv``: one image, seconds of ``var.attribute`` against IG steps
  (at |K| = 4) and against |K| (gradient, and IG at 16 steps), and of VAR's own
  steps 2-3 on four maps.

Run it on a quiet machine: other processes on the same cores distort it.
"""

from __future__ import annotations

import json
import time

import pandas as pd

from ..benchmarks.provenance import environment, git
from ..core.checks import CliParser, check_writable, out_path
from ..core.protocol import THREADS

__all__ = ["unit_costs", "scaling", "main", "VAR_STEPS"]

#: the paper's five benchmarks: the default of ``--benchmarks``, which takes any reference run's name
#: (``methods-grid`` etc. time the 18 study methods)
BENCHMARKS = ("grid", "coco", "insertion", "sanity", "intervention")
TABLES = ("units", "scaling")


def unit_costs(names=BENCHMARKS) -> pd.DataFrame:
    """Seconds of one unit per benchmark, split into each method's attribution and the rest.

    The unit is each benchmark's first that is scored in full (an insertion image
    that PIC's filters skip, or a COCO image without a kept object, costs less and
    would not be representative).
    """
    from ..benchmarks.reference import REFERENCE
    from ..benchmarks.runner import prepared, resolved, validate

    rows = []
    for name in names:
        bench = prepared(resolved(validate(REFERENCE[name])))
        for unit in bench.units():
            bench.timings = []  # filled by Benchmark.maps
            start = time.perf_counter()
            scored = bench.run_unit(unit)
            total = time.perf_counter() - start
            if {r["metric"] for r in scored} - {"sic_skipped", "aic_skipped"}:
                break
        seconds = pd.DataFrame(bench.timings, columns=["method", "seconds"]).groupby("method")["seconds"].sum()
        keys = {"benchmark": name, "unit": unit}
        rows += [{**keys, "part": f"attribution: {m}", "seconds": s} for m, s in seconds.items()]
        rows.append({**keys, "part": "rest (metrics, curves, re-initialising)", "seconds": total - seconds.sum()})
        rows.append({**keys, "part": "unit total", "seconds": total})
    return pd.DataFrame(rows)


#: the method name of the VAR steps' own row in ``scaling.csv`` (softmax across classes and the keep mask)
VAR_STEPS = "VAR steps 2-3"


def scaling(model_name: str = "efficientnet_lite0", steps=(8, 16, 32, 50), class_counts=(1, 2, 4, 8, 16),
            internal_batch_size: int = 4, threads: int = THREADS) -> pd.DataFrame:
    """Seconds of one ``var.attribute`` call on a 224 x 224 photo against IG steps and |K|, and of VAR's own
    steps on the |K| = 4 gradient maps (method :data:`VAR_STEPS`): together, what VAR adds to one class's map.
    """

    import var

    from ..benchmarks.runner import scope_threads
    from .speed import median_time

    scope_threads(threads)
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
    h = var.attribute(model, x, top[:4], "gradient")
    seconds = median_time(lambda: var.relevance(h, var.Relevance(warn_below=None)), 5)
    rows.append({"method": VAR_STEPS, "K": 4, "steps": None, "seconds": seconds})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    """CLI: ``python -m var.bench cost --out FOLDER``."""
    from ..benchmarks.reference import REFERENCE

    p = CliParser(prog="var-bench cost", description=__doc__)
    p.add_argument("--out", type=out_path, required=True,
                   help="a folder without timings yet, for units.csv, scaling.csv, provenance.json")
    p.add_argument("--benchmarks", nargs="+", default=list(BENCHMARKS), choices=list(REFERENCE),
                   help="the reference runs whose unit to time (default: the paper's five benchmarks)")
    p.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES, help="which tables to make")
    args = p.parse_args(argv)
    check_writable(args.out)  # before minutes of timing
    files = [f"{name}.csv" for name in TABLES] + ["provenance.json"]
    if any((args.out / f).exists() for f in files):  # committed timings are never replaced by a later run
        raise SystemExit(f"var-bench cost: {args.out} already holds timings; pass a new --out folder.")
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    tables = {"units": lambda: unit_costs(args.benchmarks), "scaling": scaling}
    for name in args.tables:
        table = tables[name]()
        table.to_csv(args.out / f"{name}.csv", index=False)
        print(table.round(2).to_string(index=False), "\n")
    provenance = {**environment(), "commit": git("rev-parse", "HEAD"), "threads": 2, "benchmarks": args.benchmarks,
                  "wall_s": round(time.perf_counter() - start, 1)}
    (args.out / "provenance.json").write_text(json.dumps(provenance, indent=1) + "\n")
    return 0
