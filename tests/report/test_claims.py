"""Claims verdicts from paired differences, on tables whose truth is known."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from var.core.protocol import PAPER_FIVE, VERDICT_RULE
from var.report import claims, study

METHODS = PAPER_FIVE


def table(effect, n_units=30, items=4, noise=0.05, seed=0):
    """A grid-like table: VAR = vanilla + effect[method] + noise, per unit and item."""
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(n_units):
        for item in range(items):
            for method in METHODS:
                base = rng.uniform(0.2, 0.6)
                for is_var, value in ((False, base), (True, base + effect[method] + rng.normal(0, noise))):
                    rows.append({"unit": unit, "item": item, "method": method, "var": is_var, "binarize": "none",
                                 "target": item, "metric": "ra", "value": value})
    return pd.DataFrame(rows)


RA_EVERY = claims.CLAIMS[0]  # "VAR improves RA for every method" (direction +1)


@pytest.mark.parametrize("effect, verdict", [
    ({m: 0.2 for m in METHODS}, "holds"),
    ({**{m: 0.2 for m in METHODS}, "gradcam": -0.2}, "does not hold"),
    ({**{m: 0.2 for m in METHODS}, "gradcam": 0.0}, "cannot tell"),
])
def test_every_method_verdicts(effect, verdict):
    result = claims.check({"grid": table(effect)}, claims=(RA_EVERY,))
    assert result["verdict"].item() == verdict
    assert result["n"].item() == 30  # units, not quadrants
    if verdict == "does not hold":
        assert result["likely reason"].item() == RA_EVERY.why_not


def test_on_average_uses_the_mean_over_methods():
    claim = claims.Claim("avg", "-", "-", "grid", "ra", +1, "on average", "none")
    effect = {**{m: 0.1 for m in METHODS}, "gradcam": -0.05}  # one method against, the average for
    assert claims.check({"grid": table(effect)}, claims=(claim,))["verdict"].item() == "holds"


def test_paired_differences_average_items_and_drop_nan():
    t = table({m: 0.1 for m in METHODS}, n_units=2, noise=0.0)
    t.loc[(t.unit == 0) & (t.item == 0) & t["var"], "value"] = np.nan  # an empty VAR map
    diffs = claims.paired_differences(t, "ra", "none")
    assert len(diffs) == 2 * len(METHODS)
    np.testing.assert_allclose(diffs["diff"], 0.1)


def test_missing_run_cannot_tell():
    result = claims.check({}, claims=claims.CLAIMS)
    assert (result["verdict"] == "cannot tell").all() and len(result) == len(claims.CLAIMS)


def test_details_one_row_per_claim_and_method():
    d = claims.details({"grid": table({m: 0.2 for m in METHODS})}, claims=(RA_EVERY,))
    assert list(d["method"]) == sorted(METHODS) and (d["interval"] == "claimed side").all()


def test_across_rules_rechecks_binarised_claims_per_rule():
    up, down = table({m: 0.1 for m in METHODS}), table({m: -0.1 for m in METHODS})
    grid = pd.concat([up.assign(binarize="median", metric="recall"), down.assign(binarize="positive", metric="recall")])
    result = claims.across_rules({"grid": grid}, ["median", "positive"])
    recall = result.loc["Recall drops slightly on the grid"]
    assert recall[("median", "verdict")] == "does not hold" and recall[("positive", "verdict")] == "holds"


def test_generalise_gives_each_method_its_own_verdict_and_family():
    effect = {**{m: 0.2 for m in METHODS}, "gradcam": -0.2, "integrated_gradients": 0.0}
    result = study.generalise({"methods-grid": table(effect)}, claims=(RA_EVERY,))
    verdicts = dict(zip(result["method"], result["verdict"]))
    assert verdicts == {"gradcam": "does not hold", "integrated_gradients": "cannot tell",
                        **{m: "holds" for m in ("guided_backprop", "guided_gradcam", "input_x_gradient")}}
    assert dict(zip(result["method"], result["family"]))["integrated_gradients"] == "path"
    assert (result["n"] == 30).all() and set(result["test"]) == {"grid ra"}
    grid = study.generalise_grid(result)
    assert grid.loc[("all", "holds for"), "grid ra"] == "3 of 5"
    assert list(grid.index.get_level_values(0)[:-1]) == ["gradient", "modified backprop", "path", "cam", "cam"]
    assert study.generalise({"grid": table(effect)}, claims=(RA_EVERY,)).empty  # only the study runs count


def test_holm_adjusts_step_down_and_keeps_the_order():
    np.testing.assert_allclose(claims.holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5])
    assert claims.holm([0.3, 0.6]).tolist() == [0.6, 0.6]  # monotone, capped at 1


def test_holm_verdict_needs_more_than_five_raw_intervals():
    """Each method's difference has p = 0.02: every raw interval is above 0, none after correcting for five tests."""
    pattern = 0.1 * np.array([1, -1] * 5)  # ten units: mean 0, sd 0.105
    effect = stats.t.ppf(0.99, 9) * pattern.std(ddof=1) / np.sqrt(10)  # t at the two-sided p = 0.02
    rows = [{"unit": u, "item": 0, "method": m, "var": is_var, "binarize": "none", "metric": "ra",
             "value": 0.5 + (effect + pattern[u]) * is_var} for u in range(10) for m in METHODS for is_var in (0, 1)]
    grid = pd.DataFrame(rows).astype({"var": bool})
    result = claims.check({"grid": grid}, claims=(RA_EVERY,))
    assert result["verdict"].item() == "holds" and result["verdict, Holm"].item() == "cannot tell"
    assert claims._p_value(np.zeros(3)) == 1.0 and claims._p_value(np.full(3, 0.5)) == 0.0


def test_binarised_claims_name_the_rules_that_change_their_verdict():
    up, down = table({m: 0.1 for m in METHODS}), table({m: -0.1 for m in METHODS})
    recall = next(c for c in claims.CLAIMS if c.claim == "Recall drops slightly on the grid")
    grid = pd.concat([down.assign(binarize=VERDICT_RULE, metric="recall"),
                      up.assign(binarize="median", metric="recall"), down.assign(binarize="otsu", metric="recall")])
    result = claims.check({"grid": grid}, claims=(recall, RA_EVERY)).set_index("claim")
    assert result.loc[recall.claim, "verdict"] == "holds"
    assert result.loc[recall.claim, "under other rules"] == "median: does not hold; positive: not run"
    assert result.loc[RA_EVERY.claim, "under other rules"] == "not binarised"


def test_overhead_is_k_maps_plus_the_var_steps_over_one_map():
    from var.perf.cost import VAR_STEPS

    scaling = pd.DataFrame([
        {"method": "gradient", "K": 1, "steps": np.nan, "seconds": 0.10},
        {"method": "gradient", "K": 4, "steps": np.nan, "seconds": 0.16},
        {"method": "integrated_gradients", "K": 4, "steps": 50.0, "seconds": 9.0},  # not a |K| row
        {"method": "integrated_gradients", "K": 1, "steps": 16.0, "seconds": 1.0},
        {"method": "integrated_gradients", "K": 4, "steps": 16.0, "seconds": 2.0},  # timed twice: the median
        {"method": "integrated_gradients", "K": 4, "steps": 16.0, "seconds": 3.0},
        {"method": VAR_STEPS, "K": 4, "steps": np.nan, "seconds": 0.04}])
    result = study.overhead(scaling)
    assert result["method"].tolist() == ["gradient", "integrated_gradients (16 steps)"]
    assert np.allclose(result["VAR / one map"], [2.0, 2.54])
    assert study.overhead(scaling[scaling["method"] != VAR_STEPS]).empty  # no VAR steps measured: no row


def test_largest_effects_compares_each_named_method_with_each_other():
    effect = {"guided_backprop": 0.3, "input_x_gradient": 0.3, "gradcam": 0.1, "guided_gradcam": 0.1,
              "integrated_gradients": 0.5}
    result = study.largest_effects(table(effect), ["guided_backprop", "input_x_gradient"], "ra", +1)
    verdicts = dict(zip(zip(result["named"], result["other"]), result["verdict"]))
    assert len(verdicts) == 6
    assert verdicts["guided_backprop", "gradcam"] == verdicts["input_x_gradient", "guided_gradcam"] == "holds"
    assert verdicts["guided_backprop", "integrated_gradients"] == "does not hold"
    gain = result.set_index(["named", "other"]).loc[("input_x_gradient", "gradcam"), "mean"]
    assert np.isclose(gain, 0.2, atol=0.03)


def test_paper_avg_change_row_is_checked_against_its_own_rows():
    from var.report import paper

    check = paper.avg_change_check().set_index(["dataset", "metric"])
    assert check.loc[("grid", "ra"), "consistent"]  # 0.24 stated; the rows give +0.244
    assert np.isclose(check.loc[("grid", "ra"), "mean of the rows"], (0.19 + 0.54 + 0.17 + 0.16 + 0.16) / 5)
    assert not check.loc[("coco", "recall"), "consistent"]  # -0.12 stated; the rows give -0.274


def test_same_results_names_methods_that_repeat_another():
    base = table({m: 0.1 for m in METHODS})
    twin = base[base["method"] == "gradcam"].assign(method="gradcam:HiResCAM")
    other = base[base["method"] == "gradcam"].assign(method="gradcam:LayerCAM", value=lambda t: t["value"] + 1e-3)
    assert study.same_results(pd.concat([base, twin, other])) == {"gradcam:HiResCAM": "gradcam"}


def test_selectivity_sides_name_the_part_that_moves():
    parts = pd.DataFrame({"method": ["a", "b"] * 2, "metric": ["own_drop"] * 2 + ["other_drop"] * 2,
                          "interval": ["straddles 0", "straddles 0", "claimed side", "straddles 0"]})
    assert claims.selectivity_sides(parts) == {"own": [], "spared": ["a"], "methods": 2}
    flipped = parts.assign(metric=["other_drop"] * 2 + ["own_drop"] * 2)
    assert claims.selectivity_sides(flipped) == {"own": ["a"], "spared": [], "methods": 2}


def test_verdict_counts_count_holm_changes_and_rule_bound_verdicts():
    verdicts = pd.DataFrame({"claim": ["a", "b", "c"], "verdict": ["holds", "holds", "does not hold"],
                             "verdict, Holm": ["holds", "cannot tell", "does not hold"],
                             "under other rules": ["not binarised", "median: does not hold", "same under every rule"]})
    facts = claims.verdict_counts(verdicts)
    assert facts["counts"] == {"holds": 2, "does not hold": 1, "cannot tell": 0} and facts["claims"] == 3
    assert facts["changed"].values.tolist() == [["b", "holds", "cannot tell"]]
    assert (facts["binarised"], facts["rule_bound"]) == (2, 1)
