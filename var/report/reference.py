"""The committed reference runs, read: their tables, reproduction of a unit, and the cost of a unit.

The runs themselves are declared and run in :mod:`var.benchmarks.reference` (``REFERENCE``, ``run_reference``,
``load``; re-exported here for the pages). The book's benchmark pages and the claims page read these folders;
``tests/report/test_reference.py`` re-runs a fully scored unit of each (:func:`reproduce`) and requires the
committed rows up to float rounding (:mod:`var.benchmarks.reproduce`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from ..benchmarks.config import BenchConfig
from ..benchmarks.provenance import environment
from ..benchmarks.reference import REFERENCE, ROOT, load, run_reference
from ..benchmarks.reproduce import Reproduction, compare
from ..benchmarks.runner import (
    prepared,
    read_json,
    validate,
)

__all__ = ["REFERENCE", "ROOT", "COST", "run_reference", "load", "load_cost", "unit_times", "scored_unit", "rerun_unit",
           "reproduce", "environment", "unit_seconds", "method_seconds"]



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
