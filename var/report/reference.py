"""The reference runs: the benchmarks at a size that supports conclusions (the paper's five, the 18-method
study, the sweep and the choices the paper leaves open), with provenance.

``python -m var.bench reference`` (or ``make reference``) runs grid, COCO,
insertion, sanity and the Figure 4 intervention on the embedded EfficientNet-Lite0 with the paper's
protocol defaults (IG at 50 steps, t = 0.1, tau = 0.01) for the paper's five methods, and grid, COCO,
intervention and sanity for the 18 methods of the "does it generalise?" study (``methods-<benchmark>``), into
``results/reference/<name>/``: ``config.json``, ``results.parquet``,
``summary.csv`` and ``provenance.json`` (git commit, date, machine, torch
version, threads, wall time and command of every session that worked on the
run). Runs resume where they stopped, so the command can be killed and started
again. The book's benchmark pages and the claims page read these folders;
``tests/report/test_reference.py`` re-runs a fully scored unit of each (:func:`reproduce`) and requires
the committed rows up to float rounding (:mod:`var.benchmarks.reproduce`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..benchmarks.config import REFERENCE, BenchConfig
from ..benchmarks.provenance import CHECKOUT, environment, git
from ..benchmarks.reproduce import Reproduction, compare
from ..benchmarks.runner import (
    atomic_write,
    check_out,
    prepared,
    read_json,
    resolved,
    run,
    same_run,
    summarize,
    validate,
)

__all__ = ["REFERENCE", "ROOT", "COST", "run_reference", "load", "load_cost", "unit_times", "scored_unit", "rerun_unit",
           "reproduce", "environment", "unit_seconds", "method_seconds"]

#: Where the committed reference runs live: ``results/reference`` of the checkout, or $VAR_REFERENCE (an installed
#: package has no checkout around it; point it at a clone's ``results/reference``).
ROOT = Path(os.environ.get("VAR_REFERENCE") or CHECKOUT / "results" / "reference")



class _Provenance:
    """This session's entry in a run's ``provenance.json``, rewritten after every unit.

    Written before the first unit too, so a killed session still counts (``finished: false``).
    """

    def __init__(self, name: str, out: Path, config: BenchConfig, code: dict):
        self.name, self.out, self.config, self.code = name, out, config, code
        self.path = out / "provenance.json"
        self.done_before = self._parts()
        self.start = time.perf_counter()
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def _parts(self) -> int:
        return len(list((self.out / "parts").glob("*.parquet")))

    def record(self, finished: bool = False) -> dict:
        sessions = read_json(self.path)["sessions"] if self.path.exists() else []
        if sessions and sessions[-1].get("started") == self.started:
            sessions.pop()
        sessions.append({**self.code, "started": self.started, "finished": finished, **environment(),
                         "threads": self.config.threads, "wall_s": round(time.perf_counter() - self.start, 1),
                         "units_run": self._parts() - self.done_before})
        record = {"benchmark": self.name, "wall_s_total": round(sum(s["wall_s"] for s in sessions), 1),
                  "sessions": sessions}
        self.out.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, lambda p: p.write_text(json.dumps(record, indent=1) + "\n"))  # never a cut file
        return record


def _check_summary(out: Path, table: pd.DataFrame, refresh: bool) -> None:
    """Say when ``summary.csv`` is not the summary of the committed table (the summary rule changed).

    With ``refresh``, rewrite it from the unchanged table; never otherwise (no command overwrites committed
    files unasked).
    """
    fresh = summarize(table).to_csv(index=False)
    if (out / "summary.csv").read_text() == fresh:
        return
    if not refresh:
        print(f"  {out / 'summary.csv'} is not the summary of its results.parquet (the summary rule changed); "
              "`var-bench reference --refresh-summaries` rewrites it from the unchanged table")
        return
    atomic_write(out / "summary.csv", lambda p: p.write_text(fresh))
    print(f"  summary.csv rewritten from results.parquet (the table is unchanged) -> {out / 'summary.csv'}")


def run_reference(names: list[str] | None = None, root: Path = ROOT, data: str | None = None,
                  refresh_summaries: bool = False) -> None:
    """Run (or resume) the named reference runs, recording each session in ``provenance.json``.

    ``refresh_summaries``: rewrite a complete run's ``summary.csv`` from its unchanged table when the
    summary rule changed (else that is only reported).
    """
    # the code this process runs: the commit when it started (later commits do not change loaded code)
    from ..benchmarks import BENCHMARKS

    code = {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "var"))}
    for name in names or list(REFERENCE):
        config = resolved(validate(dataclasses.replace(REFERENCE[name], data=data)))
        out = Path(root) / name
        done = load(name, root)
        if (done is not None and same_run(done["config"], config) and done["config"].n >= config.n
                and done["provenance"]["sessions"][-1]["finished"]):
            print(f"{name}: complete ({done['table']['unit'].nunique()} units with rows) -> {out}; nothing to run")
            _check_summary(out, done["table"], refresh_summaries)
            continue
        check_out(config, out)  # a run that cannot continue says so before its provenance records a session
        BENCHMARKS[config.benchmark](config).data_folder()
        provenance = _Provenance(name, out, config, code)
        provenance.record()
        run(config, out, progress=True, on_unit=provenance.record)
        record = provenance.record(finished=True)
        print(f"{name}: {record['sessions'][-1]['units_run']} unit(s) run, "
              f"{record['wall_s_total'] / 60:.1f} min in all -> {out}")


def load(name: str, root: Path = ROOT) -> dict | None:
    """The committed run ``name``: its config, table, summary and provenance; None if it is not there."""
    out = Path(root) / name
    if not (out / "results.parquet").exists():
        return None
    return {"config": BenchConfig.from_json((out / "config.json").read_text()),
            "table": pd.read_parquet(out / "results.parquet"),
            "summary": pd.read_csv(out / "summary.csv"),
            "provenance": read_json(out / "provenance.json")}


def scored_unit(table: pd.DataFrame) -> int:
    """The run's first unit scored in full: the most scored metrics (PIC's skip flags do not count).

    An insertion image that PIC's filters skip, or skip for SIC only, would re-run no attribution.
    """
    scored = table[~table["metric"].str.endswith("_skipped")]
    return int(scored.groupby("unit", sort=True)["metric"].nunique().idxmax())


def rerun_unit(name: str, root: Path = ROOT, unit: int | None = None,
               **changes) -> tuple[pd.DataFrame, pd.DataFrame, BenchConfig]:
    """(committed rows, recomputed rows, config) of one unit of a reference run, from its committed config.

    Args:
        name: a :data:`REFERENCE` run.
        root: where the reference runs live.
        unit: the unit to re-run; default :func:`scored_unit`.
        **changes: ``BenchConfig`` fields to change for the re-run (``tau=0.02``): how the tests show
            that a changed protocol does not reproduce. ``methods=`` re-runs only some of the run's
            methods and compares their rows (a method's rows do not depend on the others).
    """
    ref = load(name, root)
    if ref is None:
        raise FileNotFoundError(f"No reference run {name!r} under {root}; run 'python -m var.bench reference'.")
    unit = scored_unit(ref["table"]) if unit is None else unit
    if "methods" in changes:  # the run's own order, so the rows line up
        unknown = set(changes["methods"]) - set(ref["config"].methods)
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not methods of the {name} run; "
                             f"choose from {ref['config'].methods}.")
        changes["methods"] = tuple(m for m in ref["config"].methods if m in changes["methods"])
    config = validate(dataclasses.replace(ref["config"], **changes))
    fresh = pd.DataFrame(prepared(config).run_unit(unit))
    table = ref["table"]
    # the methods the re-run gave rows for (a sweep adds its cgi control to whichever methods it re-ran)
    ran = fresh["method"].unique() if len(fresh) else config.methods
    committed = table[(table["unit"] == unit) & table["method"].isin(ran)].reset_index(drop=True)
    return committed, fresh, config


def reproduce(name: str, root: Path = ROOT, unit: int | None = None, **changes) -> Reproduction:
    """Re-run one unit of a reference run (:func:`rerun_unit`) and compare it with the committed rows
    under its benchmark's tolerance (``Benchmark.reproduction``): ``.ok`` unless protocol or code drifted.

    Example:
        >>> from var.report import reference
        >>> result = reference.reproduce("grid", methods=("gradcam",))  # GradCAM's rows of the scored unit
        >>> assert result.ok, result.report()
    """
    from ..benchmarks import BENCHMARKS

    committed, fresh, config = rerun_unit(name, root, unit, **changes)
    return compare(committed, fresh, BENCHMARKS[config.benchmark].reproduction)


#: the committed cost folders (``python -m var.bench cost``): the paper's five methods on the five benchmarks,
#: and the 18 study methods on the study runs (each with units and scaling)
COST = {"paper": "cost", "study": "cost-methods"}


def load_cost(root: Path = ROOT, which: str = "paper") -> dict | None:
    """A committed cost folder (:data:`COST`): its tables (``units``, ``scaling`` where made) and provenance.

    None if the folder was not made.
    """
    out = Path(root) / COST[which]
    if not (out / "provenance.json").exists():
        return None
    tables = {name: pd.read_csv(out / f"{name}.csv") for name in ("units", "scaling") if (out / f"{name}.csv").exists()}
    return {**tables, "provenance": read_json(out / "provenance.json")}


def unit_times(root: Path = ROOT) -> pd.DataFrame:
    """Per reference run: units, total wall time and seconds per unit, from its provenance."""
    rows = []
    for name in REFERENCE:
        ref = load(name, root)
        if ref is not None:
            units = sum(s["units_run"] for s in ref["provenance"]["sessions"])
            total = ref["provenance"]["wall_s_total"]
            rows.append({"benchmark": name, "units": units, "wall_min": round(total / 60, 1),
                         "s_per_unit": round(total / max(units, 1), 1)})
    return pd.DataFrame(rows)


def unit_seconds(cost: dict) -> pd.DataFrame:
    """A cost folder's seconds per unit, one row per part (each method's attribution, the rest), one column per
    benchmark.
    """
    return cost["units"].pivot_table(index="part", columns="benchmark", values="seconds", sort=False)


def method_seconds(cost: dict) -> pd.DataFrame:
    """Seconds of each method's attribution in one unit, one row per method, one column per benchmark."""
    units = cost["units"][cost["units"]["part"].str.startswith("attribution: ")]
    return (units.assign(method=units["part"].str.removeprefix("attribution: "))
            .pivot_table(index="method", columns="benchmark", values="seconds", sort=False))
