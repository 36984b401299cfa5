"""Does a re-run reproduce committed rows? Tell a change of protocol or code from float rounding.

float32 results differ in their last digits between CPUs (and between kernel paths on one CPU:
oneDNN on or off, thread counts), and VAR's keep mask ``M_c - 1/|K| > tau``, the binarisation and
PIC's thresholds are step functions, so such a difference can switch a pixel and move a metric by
that pixel's share. Integrated Gradients amplifies it most: its 50 points sum gradients taken on
both sides of ReLU6 kinks. Rounding differences are heavy-tailed: most rows stay exact and a few
jump by a pixel's share, whereas a change of protocol moves the typical row of every method it
touches. :func:`compare` therefore checks three things, each with its own reason:

* **Keys** (every column but the value): equal, exactly. A change of seed, class set, image order,
  binarisation rule or metric list changes them, and rounding never does.
* **Each row** within :attr:`Tolerance.row` (absolute), or the row is a drift.
* **Each method x var group**: the *median* absolute difference over its rows within
  :attr:`Tolerance.group_median`. A protocol change (blur, tau, temperature, IG steps) moves the
  median; a few switched pixels do not.

Each benchmark declares its tolerance (``Benchmark.reproduction``) from these measurements: the
scored unit of every reference run re-run on another CPU (AMD EPYC, AVX2) than the one that wrote
it, there with oneDNN off, with one thread and with ATen's default (non-vectorised) kernels
(the book's "Re-running and reproducing" page has the table). The worst rounding seen on grid and
COCO: a row moved by 1.6e-3, a group median by 2.9e-5; one IG step fewer moved their IG group
medians by 1.8e-3 to 2.7e-3, tau 0.01 -> 0.02 the VAR medians by 3.5e-2 and more. Sanity, insertion
and the intervention are noisier by nature and declare wider tolerances, each with its reason.

Rows within :attr:`Tolerance.exact` are reported as ``exact``; the others as ``rounding`` or
``drift``, with the row's keys, so a failure names what moved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Tolerance", "Reproduction", "compare"]

#: columns that hold a unit's measurements rather than its keys
VALUE_COLUMNS = ("value", "curve")


@dataclass(frozen=True)
class Tolerance:
    """How far a re-run may differ from committed rows and still count as the same computation.

    Attributes:
        exact: relative difference (plus 1e-6 absolute) of float32 rounding that switched no pixel.
        row: largest absolute difference of one row (metrics live in [-1, 1]); the measured
            worst case of rounding is 7.5e-3.
        group_median: largest median absolute difference over one method x var group's rows.
    """

    exact: float = 1e-5
    row: float = 0.02
    group_median: float = 2.5e-4


@dataclass
class Reproduction:
    """The outcome of :func:`compare`: per-row differences, per-group summaries and the verdict.

    Attributes:
        rows: the committed rows with ``fresh``, ``diff`` (absolute) and ``status``
            (``exact``, ``rounding`` or ``drift``).
        groups: per method x var: rows, exact share, median and max absolute difference, ``drift``.
        key_errors: what differs in the keys (empty when they match).
        added: metrics the code now records that the committed run predates (not compared).
    """

    rows: pd.DataFrame
    groups: pd.DataFrame
    key_errors: list[str]
    added: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the re-run reproduces the committed rows up to rounding."""
        return not self.key_errors and not (self.rows["status"] == "drift").any() and not self.groups["drift"].any()

    def report(self, limit: int = 12) -> str:
        """A readable account of every difference: key errors, drifting groups, the largest rows."""
        lines = list(self.key_errors)
        if self.added:
            lines.append(f"not compared (the committed run predates them): {', '.join(self.added)}")
        counts = self.rows["status"].value_counts().to_dict()
        lines.append(f"{len(self.rows)} rows: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
        if len(self.groups):
            lines.append(self.groups.to_string(index=False))
        moved = self.rows[self.rows["status"] != "exact"].sort_values("diff", ascending=False)
        if len(moved):
            keys = [c for c in moved.columns if c not in ("unit", "model", "curve")]
            lines.append(f"largest differences ({min(limit, len(moved))} of {len(moved)}):")
            lines.append(moved.head(limit)[keys].to_string(index=False))
        return "\n".join(lines)


def _value_diff(committed: pd.Series, fresh: pd.Series) -> np.ndarray:
    """|committed - fresh| per row; NaN on both sides is equal, NaN on one side is infinitely far."""
    a, b = committed.to_numpy(float), fresh.to_numpy(float)
    diff = np.abs(a - b)
    diff[np.isnan(a) & np.isnan(b)] = 0.0
    diff[np.isnan(diff)] = np.inf
    return diff


def _curve_diff(committed: pd.Series, fresh: pd.Series) -> np.ndarray:
    """Mean |difference| between the points of two insertion curves (JSON point lists) per row.

    The mean, not the largest: a curve point is a softmax probability or a compressed size at one
    threshold, and one of them can jump by 0.04 under rounding where the curve as a whole does not.
    """
    out = np.zeros(len(committed))
    for i, (a, b) in enumerate(zip(committed, fresh)):
        if isinstance(a, str) or isinstance(b, str):
            pa = np.asarray(json.loads(a), float) if isinstance(a, str) else None
            pb = np.asarray(json.loads(b), float) if isinstance(b, str) else None
            same_shape = pa is not None and pb is not None and pa.shape == pb.shape
            out[i] = float(np.abs(pa - pb).mean()) if same_shape and pa.size else (0.0 if same_shape else np.inf)
    return out


def _key_errors(committed: pd.DataFrame, fresh: pd.DataFrame, keys: list[str]) -> list[str]:
    errors = []
    if len(committed) != len(fresh):
        errors.append(f"row count differs: committed {len(committed)}, re-run {len(fresh)}")
    missing = sorted(set(committed.columns) ^ set(fresh.columns))
    if missing:
        errors.append(f"columns differ: {missing}")
    if errors:
        return errors
    for key in keys:
        a, b = committed[key], fresh[key]
        same = (a == b) | (a.isna() & b.isna())
        if not same.all():
            i = int(np.flatnonzero(~same.to_numpy())[0])
            errors.append(f"key {key!r} differs in {int((~same).sum())} row(s), first at row {i}: "
                          f"committed {a.iloc[i]!r}, re-run {b.iloc[i]!r}")
    return errors


def compare(committed: pd.DataFrame, fresh: pd.DataFrame, tolerance: Tolerance = Tolerance()) -> Reproduction:
    """Compare a unit's committed rows with a re-run of it (same row order): drift or rounding.

    Columns that only other units fill (all NaN here, e.g. insertion curves of a skipped image) are
    dropped from ``committed`` first, and rows of metrics the committed table never has (added to the
    code after the run, such as ``empty``) from ``fresh``: they are named in ``added``.

    Args:
        committed: the unit's rows as stored in ``results.parquet``.
        fresh: the rows :meth:`Benchmark.run_unit` returns now.
        tolerance: see :class:`Tolerance`.

    Returns:
        A :class:`Reproduction`; ``.ok`` is the verdict and ``.report()`` says what moved.

    Example:
        >>> from var.benchmarks import GridBenchmark
        >>> from var.report import reference
        >>> committed, fresh, _ = reference.rerun_unit("grid", methods=("gradcam",))
        >>> result = compare(committed, fresh, GridBenchmark.reproduction)
        >>> assert result.ok, result.report()
    """
    committed = committed.reset_index(drop=True)
    fresh = pd.DataFrame(fresh).reset_index(drop=True)
    added = sorted(set(fresh["metric"]) - set(committed["metric"])) if "metric" in committed else []
    fresh = fresh[~fresh["metric"].isin(added)].reset_index(drop=True) if added else fresh
    committed = committed.drop(columns=[c for c in committed.columns
                                        if c not in fresh.columns and committed[c].isna().all()])
    keys = [c for c in committed.columns if c not in VALUE_COLUMNS]
    key_errors = _key_errors(committed, fresh, keys)
    rows = committed.copy()
    if key_errors:
        rows["fresh"], rows["diff"], rows["status"] = np.nan, np.inf, "drift"
        return Reproduction(rows, pd.DataFrame(columns=["method", "var", "drift"]), key_errors, added)
    diff = _value_diff(committed["value"], fresh["value"])
    if "curve" in committed.columns:
        diff = np.maximum(diff, _curve_diff(committed["curve"], fresh["curve"]))
    exact = diff <= 1e-6 + tolerance.exact * np.abs(committed["value"].to_numpy(float))
    rows["fresh"], rows["diff"] = fresh["value"], diff
    rows["status"] = np.where(exact, "exact", np.where(diff <= tolerance.row, "rounding", "drift"))
    groups = (rows.assign(is_exact=exact).groupby(["method", "var"], sort=False)
              .agg(rows=("diff", "size"), exact_share=("is_exact", "mean"), median_diff=("diff", "median"),
                   max_diff=("diff", "max")).reset_index())
    groups["drift"] = groups["median_diff"] > tolerance.group_median
    return Reproduction(rows, groups, key_errors, added)
