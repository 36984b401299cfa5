"""The pages' readings of their drawn examples say what the numbers say."""

import pytest

from var.report.examples import NEGLIGIBLE, intervention_reading


def _results(vanilla, var):
    def one(selectivities):
        return {"scores": [{"selectivity": s} for s in selectivities]}
    return {"vanilla": one(vanilla), "VAR": one(var)}


@pytest.mark.parametrize("vanilla, var, says", [
    ((0.30, 0.10), (0.50, 0.30), "VAR is more selective"),
    ((0.30, 0.10), (0.05, 0.05), "VAR is less selective"),
    ((0.30, 0.10), (0.21, 0.20), f"VAR changes it by less than {NEGLIGIBLE}"),
    ((0.01, -0.2), (0.0, 0.01), "neither map is selective"),
])
def test_intervention_reading(vanilla, var, says):
    line = intervention_reading("cat", ["tabby", "tiger cat"], _results(vanilla, var))
    assert says in line and "tabby vs tiger cat" in line
    assert f"vanilla {sum(vanilla) / 2:+.3f}, VAR {sum(var) / 2:+.3f}" in line


def test_kept_reading_counts_and_ranks_what_the_table_shows():
    import pandas as pd

    from var.report.catalogue import kept_reading

    kept = pd.DataFrame({"espresso": [0.9, 0.7, 0.2], "cup": [0.4, 0.3, 0.1], "punching bag": [0.0, 0.0, 0.5]},
                        index=["gradcam", "scorecam", "gradient"])
    families = pd.Series({"gradcam": "CAM", "scorecam": "CAM", "gradient": "gradient", "unused": "other"})
    text = kept_reading(kept, families)
    assert "keeps nothing (< 0.1%) under 2 of 3 methods; most under `gradient` (50.0%)" in text
    assert "CAM 80.0%, gradient 20.0%." in text


def test_gain_ratio_reads_the_committed_runs():
    from var.report import pages

    sentence = pages.gain_ratio("coco", "grid", "ra")
    assert sentence.startswith("VAR − vanilla ra is ") and "smaller on `coco` than on `grid`" in sentence
    assert pages.gain_ratio("grid", "grid", "ra").startswith("VAR − vanilla ra is 1.0–1.0×")
    assert pages.gain_ratio("no-such-run", "grid", "ra").startswith("(No `no-such-run` reference run")


def test_architecture_changes_reads_tables_3_and_4():
    from var.report import paper

    sentence = paper.architecture_changes()
    # ResNet50: every method gains 0.01-0.02 in Table 3; ConvNeXt's Guided GradCAM AIC falls 0.81 -> 0.53
    assert "resnet50 SIC +0.01 to +0.02" in sentence and "convnext_tiny SIC -0.11 to +0.00, AIC -0.28" in sentence
    assert "-0.00" not in sentence


def test_kept_grid_is_the_kept_share_per_setting():
    import torch

    from var.core.relevance import Relevance, kept_share, relevance
    from var.report.anatomy import kept_grid

    h = torch.randn(3, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    grid = kept_grid(h, [0.1, 1.0], [0.0, 0.1], ["a", "b", "c"])
    assert grid.shape == (4, 3) and list(grid.columns) == ["a", "b", "c"]
    expected = 100 * kept_share(relevance(h, Relevance(1.0, 0.1, warn_below=None)))
    assert grid.loc[(1.0, 0.1)].tolist() == pytest.approx(expected.tolist(), abs=0.05)
    assert (grid.xs(0.1, level="τ") <= grid.xs(0.0, level="τ")).all().all()  # a larger tau never adds locations


def test_by_model_reading_gives_each_model_its_interval_over_units():
    import pandas as pd

    from var.report.pages import by_model_reading

    rows = [{"model": model, "unit": unit, "item": 0, "method": "gradcam", "var": is_var, "metric": "ra",
             "binarize": "none", "value": 0.5 + (gain + 0.01 * unit) * is_var}
            for model, gain in (("m1", 0.2), ("m2", -0.2)) for unit in range(4) for is_var in (False, True)]
    text = by_model_reading(pd.DataFrame(rows), "Grid", "ra", methods=("gradcam",))
    assert "`m1` +0.215 [" in text and "`m2` -0.185 [" in text and "(n = 4)" in text
    assert text.endswith("1 of 2 models have the whole interval above 0.")


def test_pair_similarity_reads_the_two_top_maps():
    from types import SimpleNamespace

    import torch

    from var.report.anatomy import pair_similarity

    same = torch.ones(3, 1, 4, 4)
    var_maps = torch.zeros(3, 1, 4, 4)
    var_maps[0] = 1  # the second class keeps nothing
    e = SimpleNamespace(attributions=same, maps=var_maps, class_names=["a", "b", "c"], temperature=0.1, tau=0.01)
    assert pair_similarity(e) == ("How alike the maps of a and b are (cosine of |map|, 1 = the same map): vanilla "
                                  "1.00, VAR (t = 0.1, τ = 0.01): one of the two maps is empty.")


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
