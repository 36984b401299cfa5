"""Command line for the benchmarks: ``python -m var.bench BENCHMARK [options]`` (or ``var-bench``).

Examples::

    python -m var.bench grid --n 8 --out results/grid
    python -m var.bench insertion --n 100 --shard 0/4 --out results/ins   # one of four shards
    python -m var.bench sanity --dask local:2 --out results/sanity        # on a local dask cluster
    python -m var.bench coco --option dataset=coco-val2017 --n 5000 --out results/coco

Results: ``OUT/results.parquet`` and ``.csv`` (one row per unit x item x model x
method x var x metric) and ``OUT/summary.csv`` (mean, 95% CI, count).
Killed runs resume where they stopped when started again with the same options.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .benchmarks import BENCHMARKS, BenchConfig, benchmark_module, run
from .benchmarks.runner import parse_shard


def _option(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--option takes key=value, not {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _shard_task(config_json: str, out: str, i: int, n: int) -> int:
    """Run on a dask worker: one shard, no collection (the client collects)."""
    config = BenchConfig.from_json(config_json)
    run(config, out, (i, n), progress=False, collect_results=False)
    return i


def run_on_dask(config: BenchConfig, out: Path, address: str, shards: int | None):
    from dask.distributed import Client, LocalCluster

    cluster = None
    if address.startswith("local:"):
        cluster = LocalCluster(n_workers=int(address.split(":")[1]), threads_per_worker=1, processes=True)
        address = cluster
    with Client(address) as client:
        n = shards or max(1, len(client.scheduler_info()["workers"]))
        futures = client.map(_shard_task, [config.to_json()] * n, [str(out)] * n, range(n), [n] * n, pure=False)
        client.gather(futures)
    if cluster is not None:
        cluster.close()
    return run(config, out, (0, 1), progress=False)  # nothing left to do: collects


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="var-bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benchmark", choices=BENCHMARKS)
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--methods", nargs="+", default=list(BenchConfig.methods))
    parser.add_argument("--n", type=int, default=8, help="number of grids / images")
    parser.add_argument("--data", default=None, help="data folder (default: found automatically)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ig-steps", type=int, default=BenchConfig.ig_steps)
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--tau", type=float, default=0.01)
    parser.add_argument("--option", type=_option, action="append", default=[], metavar="KEY=VALUE",
                        help="benchmark option, e.g. confidence=0.9, cell=half, binarize=median")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per process (fixed for identical "
                        "results across shards and workers)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shard", default="0/1", help="run only shard i of n (i/n)")
    parser.add_argument("--dask", default=None, metavar="ADDRESS", help="scheduler address, or local:N")
    parser.add_argument("--shards", type=int, default=None, help="number of shards on dask (default: workers)")
    args = parser.parse_args(argv)
    config = BenchConfig(args.benchmark, args.model, tuple(args.methods), args.n, args.data, args.seed,
                         args.ig_steps, args.temperature, args.tau, dict(args.option), args.threads)
    benchmark_module(config.benchmark).options(config)
    start = time.perf_counter()
    if args.dask:
        table = run_on_dask(config, args.out, args.dask, args.shards)
    else:
        table = run(config, args.out, parse_shard(args.shard), progress=True)
    elapsed = time.perf_counter() - start
    if table is None:
        print(f"shard {args.shard} done in {elapsed:.0f} s; run the other shards, then any shard again to collect.")
        return 0
    from .benchmarks import summarize

    summary = summarize(table)
    print(summary.to_string(index=False) if len(summary) else "no rows (all units filtered out)")
    print(f"\n{len(table)} rows -> {args.out / 'results.parquet'}; summary -> {args.out / 'summary.csv'}; "
          f"{elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
