"""The facts the pages write their sentences from, on inputs of known answer (no test reads a page's wording)."""

import pytest

from var.pages.examples import intervention_selectivity


def _results(vanilla, var):
    def one(selectivities):
        return {"scores": [{"selectivity": s} for s in selectivities]}
    return {"vanilla": one(vanilla), "VAR": one(var)}


@pytest.mark.parametrize("vanilla, var, change", [
    ((0.30, 0.10), (0.50, 0.30), "more selective"),
    ((0.30, 0.10), (0.05, 0.05), "less selective"),
    ((0.30, 0.10), (0.21, 0.20), "negligible"),
    ((0.01, -0.2), (0.0, 0.01), "neither selective"),
])
def test_intervention_selectivity(vanilla, var, change):
    facts = intervention_selectivity(_results(vanilla, var))
    assert facts == {"vanilla": pytest.approx(sum(vanilla) / 2), "VAR": pytest.approx(sum(var) / 2), "change": change}


def test_kept_summary_counts_and_ranks_what_the_table_shows():
    import pandas as pd

    from var.report.catalogue import kept_summary

    kept = pd.DataFrame({"espresso": [0.9, 0.7, 0.2], "cup": [0.4, 0.3, 0.1], "punching bag": [0.0, 0.0, 0.5]},
                        index=["gradcam", "scorecam", "gradient"])
    families = pd.Series({"gradcam": "CAM", "scorecam": "CAM", "gradient": "gradient", "unused": "other"})
    facts = kept_summary(kept, families)
    assert (facts["nothing"], facts["methods"], facts["most"]) == (2, 3, ("gradient", 0.5))
    assert facts["by_family"].to_dict() == {"CAM": pytest.approx(0.8), "gradient": pytest.approx(0.2)}


def test_gain_ratios_read_the_committed_runs():
    from var.pages import sections

    ratios = sections.gain_ratios("coco", "grid", "ra")
    assert list(ratios.columns) == ["method", "coco", "grid", "ratio"] and len(ratios) == 5
    assert ratios["ratio"].tolist() == pytest.approx((ratios["grid"] / ratios["coco"]).tolist())
    same = sections.gain_ratios("grid", "grid", "ra")
    assert same["ratio"].tolist() == pytest.approx([1.0] * 5)
    with pytest.raises(FileNotFoundError, match="python -m var.bench reference no-such-run"):
        sections.gain_ratios("no-such-run", "grid", "ra")


def test_reference_gains_count_the_methods_on_the_better_side():
    from var.pages import sections

    better = sections.reference_gains("grid", "ra", "none")
    worse = sections.reference_gains("grid", "ra", "none", direction=-1)
    assert better.units == better.scored and len(better.rows) == 5
    assert better.good == int((better.rows["ci95_low"] > 0).sum())
    assert worse.good == int((worse.rows["ci95_high"] < 0).sum())


def test_architecture_gains_read_tables_3_and_4():
    from var.report import paper

    gains = paper.architecture_gains().set_index(["arch", "metric"])
    # ResNet50: every method gains 0.01-0.02 in Table 3; ConvNeXt's Guided GradCAM AIC falls 0.81 -> 0.53
    assert gains.loc[("resnet50", "sic")].tolist() == pytest.approx([0.01, 0.02])
    assert gains.loc[("convnext_tiny", "sic")].tolist() == pytest.approx([-0.11, 0.0])
    assert gains.loc[("convnext_tiny", "aic"), "low"] == pytest.approx(-0.28)
    assert "-0.0" not in {str(v) for v in gains[["low", "high"]].to_numpy().ravel()}  # printed as "+0.00"


def test_kept_grid_is_the_kept_share_per_setting():
    import torch

    from var.core.relevance import Relevance, kept_share, relevance
    from var.pages.anatomy import kept_grid

    h = torch.randn(3, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    grid = kept_grid(h, [0.1, 1.0], [0.0, 0.1], ["a", "b", "c"])
    assert grid.shape == (4, 3) and list(grid.columns) == ["a", "b", "c"]
    expected = 100 * kept_share(relevance(h, Relevance(1.0, 0.1, warn_below=None)))
    assert grid.loc[(1.0, 0.1)].tolist() == pytest.approx(expected.tolist(), abs=0.05)
    assert (grid.xs(0.1, level="τ") <= grid.xs(0.0, level="τ")).all().all()  # a larger tau never adds locations


def test_by_model_gains_give_each_model_its_interval_over_units():
    import pandas as pd

    from var.pages.sections import by_model_gains

    rows = [{"model": model, "unit": unit, "item": 0, "method": "gradcam", "var": is_var, "metric": "ra",
             "binarize": "none", "value": 0.5 + (gain + 0.01 * unit) * is_var}
            for model, gain in (("m1", 0.2), ("m2", -0.2)) for unit in range(4) for is_var in (False, True)]
    gains = by_model_gains(pd.DataFrame(rows), "ra", methods=("gradcam",)).set_index("model")
    assert gains["mean"].tolist() == pytest.approx([0.215, -0.185]) and gains["n"].tolist() == [4, 4]
    assert gains.loc["m1", "ci95_low"] > 0 > gains.loc["m2", "ci95_high"]


def test_pair_cosines_compare_the_two_top_maps():
    import math
    from types import SimpleNamespace

    import torch

    from var.pages.anatomy import pair_cosines

    same = torch.ones(3, 1, 4, 4)
    var_maps = torch.zeros(3, 1, 4, 4)
    var_maps[0] = 1  # the second class keeps nothing
    cosines = pair_cosines(SimpleNamespace(attributions=same, maps=var_maps))
    assert cosines["vanilla"] == pytest.approx(1.0) and math.isnan(cosines["VAR"])


def test_displayed_intervals_stay_within_the_scores_range():
    import pandas as pd

    from var.benchmarks.table import within_bounds
    from var.report.paper import compact, insertion_table

    summary = pd.DataFrame({"method": ["gradcam"] * 2, "var": [False, True], "metric": ["aic"] * 2,
                            "mean": [0.5, 0.6], "ci95_low": [-0.7, -0.4], "ci95_high": [1.6, 1.6], "n": [3, 3]})
    clipped = within_bounds(summary)
    assert clipped["ci95_low"].tolist() == [0.0, 0.0] and clipped["ci95_high"].tolist() == [1.0, 1.0]
    cell = compact(summary, insertion_table(), ["aic"]).loc["gradcam", ("aic", "ours")]
    assert cell == "0.50 → 0.60 ([0.00, 1.00], clipped to the range, n=3)"
    narrow = summary.assign(ci95_low=[0.45, 0.55], ci95_high=[0.55, 0.65])
    assert compact(narrow, insertion_table(), ["aic"]).loc["gradcam", ("aic", "ours")] == "0.50 → 0.60 (±0.05, n=3)"


def test_an_interval_clipped_before_compact_still_reads_as_clipped():
    import pandas as pd

    from var.benchmarks.table import within_bounds
    from var.report.paper import compact, insertion_table

    summary = within_bounds(pd.DataFrame({"method": ["gradcam"] * 2, "var": [False, True], "metric": ["aic"] * 2,
                                          "mean": [0.5, 0.6], "ci95_low": [-0.7, -0.4], "ci95_high": [1.6, 1.6],
                                          "n": [3, 3]}))
    assert "clipped to the range" in compact(summary, insertion_table(), ["aic"]).loc["gradcam", ("aic", "ours")]


def test_by_architecture_puts_ours_and_the_papers_under_short_headers():
    import pandas as pd

    from var.report.paper import architectures_table, by_architecture

    summary = pd.DataFrame({"model": ["efficientnet_lite0"] * 2, "method": ["gradcam"] * 2, "var": [False, True],
                            "metric": ["sic"] * 2, "mean": [0.7, 0.72]})
    table = by_architecture(summary, "sic", architectures_table("sic"))
    assert ("ours", "lite0") in table.columns and ("paper", "wrn50-2") in table.columns
    assert table.loc[("gradcam", True), ("paper", "resnet50")] == 0.74
