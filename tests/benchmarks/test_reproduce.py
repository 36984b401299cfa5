"""compare(): drift is caught, rounding is tolerated, and every difference is reported with its rows."""

import json

import numpy as np
import pandas as pd

from var.benchmarks.reproduce import Tolerance, compare


def table(values, methods=("gradcam", "integrated_gradients"), curve=False):
    rows = []
    for i, v in enumerate(values):
        row = {"unit": 0, "item": i // 4, "model": "m", "method": methods[i % len(methods)], "var": bool(i % 4 >= 2),
               "metric": "ra", "value": v}
        if curve:
            row["curve"] = json.dumps([[0.0, v], [1.0, 1.0]])
        rows.append(row)
    return pd.DataFrame(rows)


BASE = np.linspace(0.1, 0.9, 40)


def test_identical_rows_are_exact():
    result = compare(table(BASE), table(BASE))
    assert result.ok and (result.rows["status"] == "exact").all()


def test_a_few_pixel_flips_are_rounding():
    fresh = BASE.copy()
    fresh[[3, 17]] += 0.008  # a pixel's share, twice (the worst rounding row measured: 7.5e-3)
    fresh[5] += 1e-7  # last digits
    result = compare(table(BASE), table(fresh))
    assert result.ok, result.report()
    assert (result.rows["status"] == "rounding").sum() == 2 and result.rows.loc[5, "status"] == "exact"


def test_one_row_far_off_is_drift():
    fresh = BASE.copy()
    fresh[7] += 0.05
    result = compare(table(BASE), table(fresh))
    assert not result.ok and result.rows.loc[7, "status"] == "drift"
    assert "0.05" in result.report() or "5.0e-02" in result.report()


def test_a_small_shift_of_every_row_of_one_method_is_drift():
    fresh = BASE.copy()
    fresh[1::2] += 0.002  # every IG row, each within the row tolerance (one IG step fewer: 1.8e-3 and up)
    result = compare(table(BASE), table(fresh))
    assert not (result.rows["status"] == "drift").any()
    assert not result.ok
    drift = result.groups[result.groups["drift"]]
    assert set(drift["method"]) == {"integrated_gradients"}


def test_keys_must_match_exactly():
    other = table(BASE)
    other.loc[3, "item"] = 9  # another image, class, fraction or rule
    result = compare(table(BASE), other)
    assert not result.ok and "item" in result.key_errors[0]
    assert not compare(table(BASE), table(BASE[:-4])).ok  # rows missing
    assert not compare(table(BASE), table(BASE).assign(extra=1)).ok  # a new column


def test_nan_on_both_sides_is_equal_on_one_side_drift():
    a, b = BASE.copy(), BASE.copy()
    a[0] = b[0] = np.nan  # a constant map has no rank correlation
    assert compare(table(a), table(b)).ok
    b[1] = np.nan
    assert not compare(table(a), table(b)).ok


def test_curves_are_compared_as_numbers():
    fresh = table(BASE, curve=True)
    assert compare(table(BASE, curve=True), fresh).ok
    fresh.loc[2, "curve"] = json.dumps([[0.0, 0.5], [1.0, 1.0]])
    assert not compare(table(BASE, curve=True), fresh).ok


def test_columns_only_other_units_fill_are_ignored():
    committed = table(BASE).assign(curve=None)  # a skipped insertion image has no curve
    assert compare(committed, table(BASE)).ok


def test_tolerance_is_a_parameter():
    fresh = BASE + 0.001
    assert not compare(table(BASE), table(fresh)).ok
    assert compare(table(BASE), table(fresh), Tolerance(group_median=4e-3)).ok  # sanity's noisier tolerance
    assert not compare(table(BASE), table(fresh), Tolerance(row=1e-4, group_median=4e-3)).ok
