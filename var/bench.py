"""Command line for the benchmarks: ``python -m var.bench BENCHMARK [options]`` (or ``var-bench``).

Examples::

    python -m var.bench grid --n 8 --out results/grid
    python -m var.bench insertion --n 100 --shard 0/4 --out results/ins   # one of four shards
    python -m var.bench sanity --dask local:2 --out results/sanity        # on a local dask cluster
    python -m var.bench coco --option dataset=coco-val2017 --n 5000 --out results/coco
    python -m var.bench speed --model resnet50 --classes 4 16 --memory    # engine vs Captum
    python -m var.bench insertion-speed                                   # insertion vs PAIR's code
    python -m var.bench reference                                         # the committed reference runs
    python -m var.bench cost --out results/reference/cost                 # seconds per unit and method
    python -m var.bench sweep --n 20 --out results/sweep                  # VAR's settings swept, with controls
    python -m var.bench sweep-cost --units 3                              # the sweep against one setting
    python -m var.bench machine                                           # the CPU and torch's CPU kernels

Results: ``OUT/results.parquet`` and ``.csv`` (one row per unit x item x model x
method x var x metric) and ``OUT/summary.csv`` (mean, 95% CI, count).
Killed runs resume where they stopped when started again with the same options;
a run started again with a larger ``--n`` is extended. Every option and the
data folder are checked before the model loads; a bad one ends the command
with one line on stderr and exit status 2 (``VAR_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import json
import os
import sys
import time
from pathlib import Path

from . import __version__
from .benchmarks import BENCHMARKS, BenchConfig, run, run_on_dask, summarize
from .benchmarks.runner import check_out, parse_dask, parse_shard, resolved, validate
from .core.checks import CliParser, check_choice, out_path
from .models.zoo import WeightsUnavailableError, check_weights_available


def _option(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--option takes key=value, not {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _config_fields():
    """(name, type, field) of every :class:`BenchConfig` field but ``benchmark``: the CLI's run options."""
    kinds = {"tuple[str, ...]": tuple, "int": int, "float": float, "str": str, "str | None": str, "dict": dict}
    return [(f.name, kinds[f.type], f) for f in dataclasses.fields(BenchConfig) if f.name != "benchmark"]


def parser(benchmark: str | None = None) -> argparse.ArgumentParser:
    """The CLI's arguments; with ``benchmark``, its help describes that benchmark and its ``--option`` keys.

    The other subcommands have their own (``var-bench speed --help``, ...).
    """
    if benchmark is None:
        p = CliParser(prog="var-bench", description=__doc__)
    else:
        cls = BENCHMARKS[benchmark]
        options = "\n".join(f"  {key}={json.dumps(value)}" for key, value in cls.Options().to_dict().items())
        p = CliParser(prog=f"var-bench {benchmark}",
                      description=inspect.getdoc(sys.modules[cls.__module__]),
                      epilog=f"{benchmark} options (--option KEY=VALUE; the defaults):\n{options}")
    p.add_argument("--version", action="version", version=f"var-bench {__version__}")
    p.add_argument("benchmark", choices=list(BENCHMARKS) + list(_TOOLS))
    for name, kind, f in _config_fields():
        flag = "--" + name.replace("_", "-")
        if name == "options":
            p.add_argument("--option", dest="options", type=_option, action="append", default=[], metavar="KEY=VALUE",
                           help="benchmark option, e.g. confidence=0.9, cell=half, binarize=median")
        elif kind is tuple:
            p.add_argument(flag, nargs="+", default=list(f.default), metavar=name.upper().rstrip("S"),
                           help=f.metadata["help"])
        else:
            choices = f.metadata.get("choices")
            p.add_argument(flag, type=kind, default=f.default, help=f.metadata["help"], choices=choices,
                           metavar=name.upper() if choices else None)
    p.add_argument("--out", type=out_path, required=True, help="the run's folder (created; resumed if it exists)")
    p.add_argument("--shard", default="0/1", help="run only shard i of n (i/n)")
    p.add_argument("--dask", default=None, metavar="ADDRESS", help="scheduler address, or local:N")
    p.add_argument("--shards", type=int, default=None, help="number of shards on dask (None: one per worker)")
    return p


def checked_config(args) -> BenchConfig:
    """The run's config from parsed arguments, with every option, the data folder and --out checked."""
    values = {name: None if getattr(args, name) is None else kind(getattr(args, name))
              for name, kind, _ in _config_fields()}
    config = resolved(validate(BenchConfig(args.benchmark, **values)))
    if args.data is not None and not Path(args.data).is_dir():
        raise FileNotFoundError(f"--data {args.data} is not a folder.")
    BENCHMARKS[config.benchmark](config).data_folder()  # the data set exists
    check_out(config, args.out)
    if args.dask:
        parse_dask(args.dask, args.shards)
    check_weights_available(config.model)  # offline, a download would fail only after the data scan
    return config


def _reference(argv: list[str]) -> int:
    from .report import reference

    p = CliParser(prog="var-bench reference", description=reference.__doc__)
    # checked below, not with choices=: argparse refuses an empty list against choices (Python <= 3.12)
    p.add_argument("benchmarks", nargs="*", metavar="BENCHMARK",
                   help=f"any of {', '.join(reference.REFERENCE)} (default: all)")
    p.add_argument("--data", default=None, help="data folder (default: found automatically)")
    p.add_argument("--refresh-summaries", action="store_true",
                   help="rewrite a complete run's summary.csv from its unchanged table if the summary rule changed")
    args = p.parse_args(argv)
    for name in args.benchmarks:
        check_choice("benchmark", name, reference.REFERENCE)
    reference.run_reference(args.benchmarks or None, data=args.data, refresh_summaries=args.refresh_summaries)
    return 0


def _tool(module: str):
    def run(argv: list[str]) -> int:
        return importlib.import_module(f"var.{module}").main(argv)
    return run


#: The subcommands that are not benchmarks, each with its own options (``var-bench TOOL --help``).
_TOOLS = {"speed": _tool("perf.speed"), "insertion-speed": _tool("perf.insertion_speed"), "reference": _reference,
          "sweep-cost": _tool("perf.sweep_cost"),
          "cost": _tool("perf.cost"), "machine": _tool("benchmarks.provenance"), "methods": _tool("report.catalogue")}


def _benchmark(argv: list[str]) -> int:
    named = argv[0] if argv and argv[0] in BENCHMARKS else None
    args = parser(named if {"-h", "--help"} & set(argv) else None).parse_args(argv)
    shard = parse_shard(args.shard)
    config = checked_config(args)
    start = time.perf_counter()
    if args.dask:
        table = run_on_dask(config, args.out, args.dask, args.shards)
    else:
        table = run(config, args.out, shard, progress=True)
    elapsed = time.perf_counter() - start
    if table is None:
        print(f"shard {args.shard} done in {elapsed:.0f} s; run the other shards, then any shard again to collect.")
        return 0
    summary = summarize(table)
    print(summary.to_string(index=False) if len(summary) else "no rows (all units filtered out)")
    print(f"\n{len(table)} rows -> {args.out / 'results.parquet'}; summary -> {args.out / 'summary.csv'}; "
          f"{elapsed:.0f} s")
    return 0


def main(argv=None) -> int:
    """Run the CLI; returns the exit status (2 for bad input: one line on stderr, for every subcommand)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _TOOLS.get(argv[0]) if argv else None
    try:
        return command(argv[1:]) if command is not None else _benchmark(argv)
    except (ValueError, TypeError, OSError, WeightsUnavailableError) as err:
        if os.environ.get("VAR_DEBUG") == "1":
            raise
        print(f"var-bench: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
