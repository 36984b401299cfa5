"""Resumable, shardable execution of a benchmark into a tidy long table.

A benchmark is a list of *units* (a grid, an image) and a function that turns
one unit into rows ``{unit, item, model, method, var, metric, value, ...}``.
Each finished unit is written as its own parquet part, atomically (temporary
file + ``os.replace``), so a run killed midway and started again skips what is
done and ends with the identical table: no lost and no duplicated rows. Shards
(``--shard i/n``) take every n-th unit; with dask the shards run on a cluster.
``collect`` concatenates the parts in unit order into ``results.parquet``,
``results.csv`` and ``summary.csv`` (mean and 95% CI).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["BenchConfig", "run_shard", "collect", "summarize", "parse_shard"]

KEYS = ["unit", "item", "model", "method", "var", "metric"]


@dataclass
class BenchConfig:
    """What to run; identical configs give identical tables.

    Attributes:
        benchmark: ``grid``, ``coco``, ``insertion`` or ``sanity``.
        model: a :data:`var.MODEL_NAMES` entry.
        methods: attribution methods (the paper's five plus the contrastive baseline by default).
        n: number of units (grids / images); the paper's full sizes are 12,500 grids,
            COCO val2017 (5k images), 1k insertion images, 10k sanity images.
        data: data folder (see ``data_scripts``); default: found automatically.
        seed: seeds grid composition, random masks and re-initialisations.
        ig_steps: Integrated-Gradients steps (paper: 50).
        temperature, tau: VAR parameters.
        options: benchmark-specific options (see each module's ``DEFAULTS``).
        threads: torch threads per process. Fixed, because the thread count changes
            the order of float reductions: with it, shards, resumed runs and dask
            workers give bit-identical tables.
    """

    benchmark: str
    model: str = "efficientnet_lite0"
    methods: tuple[str, ...] = ("gradcam", "guided_backprop", "guided_gradcam", "input_x_gradient",
                                "integrated_gradients", "contrastive_gradient")
    n: int = 8
    data: str | None = None
    seed: int = 0
    ig_steps: int = 16
    temperature: float = 0.1
    tau: float = 0.01
    options: dict = field(default_factory=dict)
    threads: int = 2

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True, default=list)

    @classmethod
    def from_json(cls, text: str) -> "BenchConfig":
        d = json.loads(text)
        d["methods"] = tuple(d["methods"])
        return cls(**d)


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' -> (i, n) with 0 <= i < n."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/n (e.g. 0/4), not {text!r}.") from None
    if not 0 <= i < n:
        raise ValueError(f"--shard {text}: need 0 <= i < n.")
    return i, n


def _prepare_out(config: BenchConfig, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "parts").mkdir(exist_ok=True)
    cfg = out / "config.json"
    if cfg.exists():
        if BenchConfig.from_json(cfg.read_text()) != config:
            raise ValueError(f"{out} holds a run with another configuration ({cfg}); "
                             "use a new --out folder or delete the old one.")
    else:
        _atomic_write(cfg, config.to_json().encode())


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _part(out: Path, unit: int) -> Path:
    return out / "parts" / f"{unit:07d}.parquet"


def run_shard(config: BenchConfig, out: Path, units: list[int], run_unit: Callable[[int], list[dict]],
              shard: tuple[int, int] = (0, 1), progress: bool = True) -> int:
    """Run the shard's units that have no part yet; returns how many were run."""
    out = Path(out)
    _prepare_out(config, out)
    i, n = shard
    todo = [u for u in units[i::n] if not _part(out, u).exists()]
    if progress:
        from tqdm.auto import tqdm

        todo_iter = tqdm(todo, desc=f"{config.benchmark} {config.model} shard {i}/{n}", unit="unit")
    else:
        todo_iter = todo
    for unit in todo_iter:
        rows = run_unit(unit)
        frame = pd.DataFrame(rows if rows else [], columns=None if rows else KEYS + ["value"])
        tmp = _part(out, unit).with_suffix(f".{os.getpid()}.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, _part(out, unit))
    return len(todo)


def collect(out: Path, units: list[int]) -> pd.DataFrame:
    """Concatenate all parts in unit order; writes results.parquet/csv and summary.csv."""
    out = Path(out)
    missing = [u for u in units if not _part(out, u).exists()]
    if missing:
        raise RuntimeError(f"{len(missing)} unit(s) not run yet (first: {missing[:5]}); run the remaining shards.")
    frames = [pd.read_parquet(_part(out, u)) for u in units]
    frames = [f for f in frames if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEYS + ["value"])
    _atomic_write(out / "results.csv", table.to_csv(index=False).encode())
    tmp = out / f".results.{os.getpid()}.parquet"
    table.to_parquet(tmp, index=False)
    os.replace(tmp, out / "results.parquet")
    summary = summarize(table)
    _atomic_write(out / "summary.csv", summary.to_csv(index=False).encode())
    return table


def summarize(table: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Mean, 95% t-interval and count per model x method x var x metric (NaNs counted apart)."""
    by = by or [c for c in ["model", "method", "var", "metric", "fraction"] if c in table.columns]

    def agg(values: pd.Series) -> pd.Series:
        v = values.dropna().to_numpy(dtype=float)
        mean = v.mean() if len(v) else np.nan
        half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.nan
        return pd.Series({"mean": mean, "ci95_low": mean - half, "ci95_high": mean + half, "n": len(v),
                          "n_nan": int(values.isna().sum())})

    if table.empty:
        return pd.DataFrame(columns=by + ["mean", "ci95_low", "ci95_high", "n", "n_nan"])
    return table.groupby(by, sort=True, dropna=False)["value"].apply(agg).unstack().reset_index()
