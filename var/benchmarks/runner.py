"""Resumable, shardable execution of a benchmark into a tidy long table.

Each finished unit is written as its own parquet part, atomically (temporary
file + ``os.replace``), so a run killed midway and started again skips what is
done and ends with the identical table: no lost and no duplicated rows. Shards
(``--shard i/n``) take every n-th unit; with dask the shards run on a cluster.
A run folder keeps its ``config.json`` and ``data.json`` (the data folder it read
and a fingerprint of its files); the same run with a larger ``n`` extends it, on
the same data only. ``collect`` concatenates the parts in unit order into ``results.parquet``,
``results.csv`` and ``summary.csv`` (mean and 95% CI).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..core import registry
from ..core.checks import check_choice, check_float, check_int, check_writable
from ..models.zoo import MODEL_NAMES
from .catalog import BENCHMARKS
from .config import BenchConfig
from .table import GROUPS, HIGHER_IS_BETTER, KEYS

__all__ = ["validate", "resolved", "run_key", "same_run", "run", "run_on_dask", "run_shard", "prepared", "collect",
           "summarize", "parse_shard", "check_out", "atomic_write", "data_identity", "read_json", "parse_dask"]



def parse_dask(address: str, shards: int | None = None) -> int | None:
    """The worker count of ``local:N`` (N >= 1), None for a scheduler address; checks ``shards`` too."""
    if shards is not None:
        check_int("--shards", shards, 1)
    if not address.startswith("local:"):
        if not address.strip():
            raise ValueError("--dask needs a scheduler address (tcp://host:8786) or local:N.")
        return None
    try:
        workers = int(address.split(":", 1)[1])
    except ValueError:
        raise ValueError(f"--dask {address}: local:N needs a number of workers N, e.g. local:2.") from None
    if workers < 1:  # a cluster without workers waits forever
        raise ValueError(f"--dask {address}: a local cluster needs at least one worker (local:1 or more).")
    return workers


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' -> (i, n) with 0 <= i < n."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/n (e.g. 0/4), not {text!r}.") from None
    if not 0 <= i < n:
        raise ValueError(f"--shard {text}: need 0 <= i < n.")
    return i, n


def validate(config: BenchConfig) -> BenchConfig:
    """Check every field of ``config`` (not the data) and its benchmark's options: one clear error for the first
    bad value. Returns ``config``.
    """
    check_choice("benchmark", config.benchmark, BENCHMARKS)
    check_choice("model", config.model, MODEL_NAMES)
    if not config.methods:
        raise ValueError("methods: give at least one method.")
    for method in config.methods:
        try:
            registry.get(method)  # an unknown name: the registry names the fix
        except ImportError as err:
            raise ValueError(str(err)) from err
    twice = sorted({m for m in config.methods if config.methods.count(m) > 1})
    if twice:  # its rows would be counted twice, and the intervals come out too narrow
        raise ValueError(f"methods: {', '.join(twice)} listed more than once; name each method once.")
    check_int("n", config.n, 1)
    check_int("seed", config.seed, 0)
    check_int("ig_steps", config.ig_steps, 1)
    check_float("temperature", config.temperature, low=0.0, low_open=True)
    check_float("tau", config.tau, low=0.0, high=1.0, high_open=True)
    check_int("threads", config.threads, 1)
    check_int("internal_batch_size", config.internal_batch_size, 1)
    if not isinstance(config.options, dict):
        raise TypeError(f"options must be a dict, not {type(config.options).__name__}.")
    BENCHMARKS[config.benchmark](config)  # the benchmark checks its own options
    return config


def resolved(config: BenchConfig) -> BenchConfig:
    """The same config with every benchmark option spelled out (defaults included).

    Runs record this, so a change of a default can never pass for the old run.
    """
    return dataclasses.replace(config, options=BENCHMARKS[config.benchmark](config).options.to_dict())


def run_key(config: BenchConfig) -> str:
    """A short hash of the resolved config without ``n``: a folder name per run that can grow."""
    text = dataclasses.replace(resolved(config), n=0).to_json()
    return f"{config.benchmark}-{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def same_run(a: BenchConfig, b: BenchConfig) -> bool:
    """Whether two configs describe the same run, up to its size n (a run can grow).

    An option a config does not record was added to the code after that run; its default is the behaviour
    the run had (a changed default still differs: runs record every option they had).
    """
    return _comparable(a) == _comparable(b)


def _comparable(config: BenchConfig) -> BenchConfig:
    options = config.options
    if config.benchmark in BENCHMARKS:
        options = BENCHMARKS[config.benchmark].Options.from_dict(config.options, config.benchmark).to_dict()
    return dataclasses.replace(config, n=0, options=options)


def check_out(config: BenchConfig, out: Path) -> None:
    """Refuse an output folder this run cannot use, before any work (writes nothing)."""
    out = check_writable(out)
    cfg = out / "config.json"
    if cfg.exists():
        try:
            old = BenchConfig.from_json(cfg.read_text())
        except (ValueError, TypeError, KeyError) as err:
            raise ValueError(f"{cfg} is not a readable run configuration ({err}); restore it from git, delete "
                             "the folder or use a new --out folder.") from None
        if not same_run(old, config):
            diff = [f.name for f in dataclasses.fields(config)
                    if f.name != "n" and getattr(old, f.name) != getattr(config, f.name)]
            raise ValueError(f"{out} holds a run with another configuration (differs in {', '.join(diff)}); "
                             "use a new --out folder or delete the old one.")
        if config.n < old.n:  # its table would be rewritten with fewer units
            raise ValueError(f"{out} holds a run of n={old.n}; n={config.n} would shrink its table. Pass "
                             f"--n {old.n} (or more, to extend it) or use a new --out folder.")
    _check_same_data(config, out)


def data_identity(config: BenchConfig) -> dict:
    """The data folder a run reads, resolved, and what identifies its content (file names and sizes)."""
    folder = Path(BENCHMARKS[config.benchmark](config).data_folder()).resolve()
    digest = hashlib.sha1()
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    for p in files:
        digest.update(f"{p.relative_to(folder).as_posix()}\0{p.stat().st_size}\n".encode())
    return {"folder": str(folder), "files": len(files), "fingerprint": digest.hexdigest()[:16]}


def _check_same_data(config: BenchConfig, out: Path) -> None:
    """Refuse to extend a run on data other than its own (the folder may move; the content may not change)."""
    recorded = out / "data.json"
    if not recorded.exists():
        return
    old, new = read_json(recorded), data_identity(config)
    if old.get("fingerprint") != new["fingerprint"]:
        raise ValueError(f"{out} was run on {old.get('folder')} ({old.get('files')} files, fingerprint "
                         f"{old.get('fingerprint')}); {new['folder']} holds other data ({new['files']} files, "
                         f"{new['fingerprint']}). Pass --data with the run's data or use a new --out folder.")


def read_json(path: Path) -> dict:
    """A JSON file, or one error naming the file (a cut or hand-edited provenance, say)."""
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err.msg} at line {err.lineno}); restore it from git "
                         "(git checkout -- FILE) or delete the run folder.") from None


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through ``write(tmp)`` and a rename, so a killed process never leaves a cut file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


def _start(config: BenchConfig, out: Path) -> None:
    """Create the run folder and record the config (its n grows with the run).

    A finished table without its parts (a committed reference run keeps none) gets them back from the
    table first, so that extending or resuming it never recomputes, or loses, a finished unit.
    """
    check_out(config, out)
    (out / "parts").mkdir(parents=True, exist_ok=True)
    if (out / "results.parquet").exists() and not any((out / "parts").glob("*.parquet")):
        for unit, rows in pd.read_parquet(out / "results.parquet").groupby("unit", sort=True):
            atomic_write(_part(out, int(unit)), partial(rows.to_parquet, index=False))
    if not (out / "data.json").exists():  # the config's data may be null (found automatically): record what was read
        identity = json.dumps(data_identity(config), indent=1) + "\n"
        atomic_write(out / "data.json", lambda p: p.write_text(identity))
    cfg = out / "config.json"
    if not cfg.exists() or BenchConfig.from_json(cfg.read_text()).n < config.n:
        atomic_write(cfg, lambda p: p.write_text(config.to_json()))


def _part(out: Path, unit: int) -> Path:
    return out / "parts" / f"{unit:07d}.parquet"


def run_shard(config: BenchConfig, out: Path, units: list[int], run_unit: Callable[[int], list[dict]],
              shard: tuple[int, int] = (0, 1), progress: bool = True, on_unit: Callable[[], object] | None = None
              ) -> int:
    """Run the shard's units that have no part yet, calling ``on_unit()`` after each; returns how many were run."""
    out = Path(out)
    _start(config, out)
    i, n = shard
    todo = [u for u in units[i::n] if not _part(out, u).exists()]
    if progress:
        from tqdm.auto import tqdm

        todo = tqdm(todo, desc=f"{config.benchmark} {config.model} shard {i}/{n}", unit="unit")
    for unit in todo:
        rows = run_unit(unit)
        frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=KEYS + ["value"])
        atomic_write(_part(out, unit), partial(frame.to_parquet, index=False))
        if on_unit is not None:
            on_unit()
    return len(todo)


def run(config: BenchConfig, out, shard=(0, 1), progress: bool = False, collect_results: bool = True,
        on_unit: Callable[[], object] | None = None):
    """Run (or resume, or extend) a benchmark shard; returns the full table once every unit is done, else None.

    ``on_unit()`` is called after each finished unit (the reference runs record their progress with it).
    """
    config = resolved(validate(config))
    check_out(config, Path(out))
    bench = prepared(config)
    units = bench.units()
    run_shard(config, out, units, bench.run_unit, shard, progress, on_unit)
    if not collect_results:
        return None
    try:
        return collect(out, units)
    except RuntimeError:
        return None


def scope_threads(threads: int) -> None:
    """This process's CPU threads for a benchmark: ``threads`` for torch, one for NumPy/SciPy's OpenBLAS.

    The BLAS calls of the benchmarks (the insertion fills' Delaunay interpolation, the metrics) are
    small, and OpenBLAS's own threads spin after each call on the cores torch's threads need: on a
    busy 2-core machine 3 insertion maps took 235 s instead of 8 s. With one BLAS thread the fills do
    not compete (``var-bench insertion-speed``: the book's "Measured speed" page).
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(1, user_api="blas")


def prepared(config: BenchConfig):
    """The config's benchmark, with the run's threads scoped and ``setup`` done: ready for ``run_unit``."""
    bench = BENCHMARKS[config.benchmark](config)
    scope_threads(config.threads)
    bench.setup()
    return bench


def _shard_task(config_json: str, out: str, i: int, n: int) -> int:
    """Run on a dask worker: one shard, no collection (the client collects)."""
    run(BenchConfig.from_json(config_json), out, (i, n), progress=False, collect_results=False)
    return i


def run_on_dask(config: BenchConfig, out: Path, address: str, shards: int | None = None):
    """Run every shard on a dask cluster (``address``, or ``local:N`` for a local one), then collect."""
    from dask.distributed import Client, LocalCluster

    config = resolved(validate(config))
    check_out(config, Path(out))
    workers = parse_dask(address, shards)
    cluster = None
    if workers is not None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
        address = cluster
    try:
        with Client(address) as client:
            n = shards or max(1, len(client.scheduler_info()["workers"]))
            futures = client.map(_shard_task, [config.to_json()] * n, [str(out)] * n, range(n), [n] * n, pure=False)
            client.gather(futures)
    finally:
        if cluster is not None:
            cluster.close()
    return run(config, out, (0, 1), progress=False)  # nothing left to do: collects


def collect(out: Path, units: list[int]) -> pd.DataFrame:
    """Concatenate all parts in unit order; writes results.parquet/csv and summary.csv."""
    out = Path(out)
    missing = [u for u in units if not _part(out, u).exists()]
    if missing:
        raise RuntimeError(f"{len(missing)} unit(s) not run yet (first: {missing[:5]}); run the remaining shards.")
    frames = [f for f in (pd.read_parquet(_part(out, u)) for u in units) if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEYS + ["value"])
    atomic_write(out / "results.csv", lambda p: table.to_csv(p, index=False))
    atomic_write(out / "results.parquet", lambda p: table.to_parquet(p, index=False))
    atomic_write(out / "summary.csv", lambda p: summarize(table).to_csv(p, index=False))
    return table


def summarize(table: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Mean, 95% t-interval and count of units per model x method x var x metric.

    The mean is over items (quadrants, objects, images), as the paper averages. The items of one unit
    (a grid's four quadrants, an image's objects) are not independent draws, so the interval is
    cluster-robust: the ratio estimator's variance over units, with ``n`` = units with a value (a
    duplicated row cannot inflate it); with one item per unit it is the plain t-interval. ``n_nan``
    counts the NaN values set apart. ``higher_is_better`` says which direction is good for each
    metric (:data:`var.benchmarks.table.METRICS`).
    """
    by = by or [c for c in GROUPS if c in table.columns]
    columns = by + ["mean", "ci95_low", "ci95_high", "n", "n_nan", "higher_is_better"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    grouped = table.groupby(by + ["unit"], sort=True, dropna=False)["value"]
    units = pd.DataFrame({"sum": grouped.sum(), "items": grouped.count(), "n_nan": grouped.size() - grouped.count()})
    summary = units.reset_index().groupby(by, sort=True, dropna=False)[["sum", "items", "n_nan"]].apply(_clustered)
    summary = summary.reset_index()
    summary[["n", "n_nan"]] = summary[["n", "n_nan"]].astype(int)  # counts, not floats, in summary.csv
    summary["higher_is_better"] = summary["metric"].map(HIGHER_IS_BETTER) if "metric" in summary else None
    return summary[columns]


def _clustered(units: pd.DataFrame) -> pd.Series:
    """Mean over items and its 95% interval, clustered by unit (per-unit sums and item counts)."""
    units_with = units[units["items"] > 0]
    n, total = len(units_with), units_with["items"].sum()
    mean = units_with["sum"].sum() / total if n else np.nan
    half = np.nan
    if n > 1:
        residual = (units_with["sum"] - mean * units_with["items"]).to_numpy(dtype=float)
        half = stats.t.ppf(0.975, n - 1) * np.sqrt(n / (n - 1) * (residual ** 2).sum()) / total
    return pd.Series({"mean": mean, "ci95_low": mean - half, "ci95_high": mean + half, "n": n,
                      "n_nan": units["n_nan"].sum()})
