"""The sweep of VAR's settings and its controls: each piece against a direct computation."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

import var
from var.bench import main as bench_main
from var.benchmarks import BenchConfig, InsertionBenchmark, InterventionBenchmark, SanityBenchmark, validate
from var.benchmarks.metrics import blur_positive, class_cosine, localisation, localisation_many
from var.benchmarks.sweep import PAPER_SETTING, SweepBenchmark, matched, setting_maps
from var.core.competition import compete
from var.report import reference, sweep


def test_localisation_many_equals_one_map_at_a_time():
    g = torch.Generator().manual_seed(0)
    maps = torch.randn(6, 3, 40, 40, generator=g)
    maps[2] = 0  # empty: every metric 0
    maps[3] = -maps[3].abs()  # no positive part: empty after the blur
    blurred = blur_positive(maps)
    regions = torch.zeros(6, 40, 40, dtype=torch.bool)
    regions[:, :20, :20] = True
    regions[4, 30:, 30:] = True
    for rule in ("mean", "median", "positive", "otsu"):
        many = localisation_many(blurred, regions, rule)
        for i in range(6):
            for metric, value in localisation(blurred[i], regions[i], rule).items():
                assert float(many[metric][i]) == pytest.approx(value, abs=1e-6), (rule, i, metric)


def test_localisation_many_refuses_an_empty_region():
    with pytest.raises(ValueError, match="region is empty"):
        localisation_many(torch.ones(2, 4, 4), torch.zeros(2, 4, 4, dtype=torch.bool))


def test_setting_maps_equal_relevance_for_every_setting():
    h = torch.randn(3, 2, 5, 5, generator=torch.Generator().manual_seed(1))
    settings = [dict(temperature=t, tau=tau, scale=scale, softmax=softmax)
                for t in (0.05, 1.0) for tau in (0.0, 0.02) for scale in ("raw", "joint_max")
                for softmax in ("element", "pixel")]
    for setting, maps in zip(settings, setting_maps(h, settings)):
        expected = var.relevance(h, var.Relevance(setting["temperature"], setting["tau"],
                                                  None if setting["softmax"] == "element" else "sum",
                                                  None if setting["scale"] == "raw" else "joint_max", None))
        torch.testing.assert_close(maps, expected, rtol=0, atol=0)


def test_matched_keeps_the_vanilla_maps_largest_elements_at_vars_count():
    h = torch.tensor([[[[3.0, -5.0], [1.0, 0.5]]], [[[1.0, 1.0], [1.0, 1.0]]]])
    var_maps = torch.tensor([[[[0.0, 0.0], [2.0, 1.0]]], [[[0.0, 0.0], [0.0, 0.0]]]])
    out = matched(h, var_maps)
    torch.testing.assert_close(out[0], torch.tensor([[[3.0, -5.0], [0.0, 0.0]]]))  # the two largest |H|, signed
    assert not out[1].any()  # VAR kept nothing: so does the control


def test_class_cosine_of_identical_disjoint_and_empty_maps():
    maps = torch.zeros(1, 3, 1, 2, 2)
    maps[0, 0, 0, 0, 0] = 1.0
    maps[0, 1, 0, 0, 0] = 2.0  # the same direction as class 0's
    cos = class_cosine(maps)
    assert cos[0, 0] == pytest.approx(1.0) and cos[0, 1] == pytest.approx(1.0)  # the empty map is left out
    assert torch.isnan(cos[0, 2])
    maps[0, 1] = 0
    maps[0, 1, 0, 1, 1] = 1.0  # disjoint now
    assert class_cosine(maps)[0, 0] == pytest.approx(0.0)


def test_compete_keeps_the_winner_of_each_sign():
    scores = torch.tensor([[2.0, -1.0, 0.5], [1.0, -3.0, 0.5]])  # K's two classes at three elements
    others = torch.tensor([[1.5, -2.0, 0.7]])  # one more competing label
    kept = compete(scores, torch.cat([scores, others]))
    torch.testing.assert_close(kept, torch.tensor([[2.0, 0.0, 0.0], [0.0, -3.0, 0.0]]))


@pytest.mark.integration
def test_cgi_equals_the_rule_on_every_competitors_input_x_gradient(lite0):
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    classes = [1, 2]
    maps = var.attribute(lite0, x, classes, "cgi", competitors=5)
    top = lite0.logits(x)[0].argsort(descending=True)[:5].tolist()
    labels = list(dict.fromkeys(classes + top))
    h = var.attribute(lite0, x, labels, "input_x_gradient")
    torch.testing.assert_close(maps, compete(h[:2], h), rtol=1e-5, atol=1e-8)


def test_sweep_options_are_checked_before_anything_loads():
    for options, message in (({"on": "pointing"}, "on"), ({"class_sets": [0]}, "class_sets"),
                             ({"taus": [0.03]}, "tau values must include the paper's 0.01"),
                             ({"temperatures": [0.1, 0]}, "temperatures"),
                             ({"controls": ["shuffled"]}, "controls"), ({"taus": [1.5]}, "taus")):
        with pytest.raises(ValueError, match=message):
            SweepBenchmark(validate(BenchConfig("sweep", options=options)))


def test_settings_put_the_papers_first():
    bench = SweepBenchmark(BenchConfig("sweep", options={"temperatures": [0.01, 0.1], "taus": [0.0, 0.01]}))
    settings = bench.settings()
    assert settings[0] == PAPER_SETTING and len(settings) == 2 * 2 * 2 * 2


@pytest.mark.integration
def test_sweep_at_the_papers_setting_equals_the_grid_run(imagenet_sample):
    """The sweep's vanilla and paper-setting rows of a grid are the grid benchmark's (same grids, same maps)."""
    config = validate(BenchConfig("sweep", n=1, methods=("gradcam",), data=str(imagenet_sample), options={
        "temperatures": [0.1], "taus": [0.01], "scales": ["raw"], "softmaxes": ["element"],
        "controls": ["matched", "random_k"]}))
    bench = SweepBenchmark(config)
    bench.setup()
    rows = pd.DataFrame(bench.run_unit(0))
    grid = reference.load("grid")["table"]
    grid = grid[(grid["unit"] == 0) & (grid["method"] == "gradcam") & grid["binarize"].isin(["none", "mean"])]
    mine = rows[rows["variant"].isin(["vanilla", "var"])]
    both = mine.merge(grid, on=["item", "var", "metric", "binarize"], suffixes=("", "_grid"))
    assert len(both) == 2 * 4 * 5  # vanilla and VAR x 4 quadrants x (ra, iou, precision, recall, f1); the
    # committed grid table has no empty rows (it predates them)
    assert (both["value"] - both["value_grid"]).abs().max() < 1e-4
    kept = rows[rows["metric"] == "kept"].groupby("variant")["value"].mean()
    assert kept["matched"] == pytest.approx(kept["var"])  # the control keeps VAR's count per map


@pytest.mark.integration
def test_cli_tiny_sweep(tmp_path, imagenet_sample):
    args = ["sweep", "--n", "1", "--methods", "gradcam", "guided_gradcam", "--option", "temperatures=[0.1, 1.0]",
            "--option", "taus=[0.01]", "--option", "competitors=3", "--out", str(tmp_path)]
    assert bench_main(args) == 0
    table = pd.read_parquet(tmp_path / "results.parquet")
    assert set(table["variant"]) == {"vanilla", "var", "matched", "random_k", "nearest"}
    assert set(table["method"]) == {"gradcam", "guided_gradcam", "cgi"}  # CGI: a method of its own, vanilla
    assert set(table["metric"]) <= set(SweepBenchmark.metrics)
    summary = sweep.settings_summary(table, "ra", methods=("gradcam", "guided_gradcam"))
    assert len(summary) == 3 * 2 * 2 * 2  # (2 methods + average) x 2 t x 2 scales x 2 softmaxes
    assert sweep.sensitivity(summary)["settings"] == 8


def _tiny(on, imagenet_sample, methods=("gradcam",), unit=0, **options):
    config = BenchConfig("sweep", n=1, methods=methods, data=str(imagenet_sample),
                         options={"on": on, "temperatures": [0.1, 1.0], "taus": [0.01], "scales": ["raw"],
                                  "softmaxes": ["element"], "controls": ["matched", "random_k"], **options})
    bench = SweepBenchmark(validate(config))
    bench.setup()
    return config, pd.DataFrame(bench.run_unit(unit))


def _paper_rows(rows):
    at_paper = rows["temperature"].isna() | ((rows["temperature"] == 0.1) & (rows["tau"] == 0.01))
    return rows[rows["variant"].isin(["vanilla", "var"]) & at_paper]


@pytest.mark.integration
@pytest.mark.parametrize("on, benchmark", [("sanity", SanityBenchmark), ("intervention", InterventionBenchmark)])
def test_sweep_at_the_papers_setting_equals_the_benchmark(on, benchmark, imagenet_sample):
    """On sanity and intervention units the sweep's vanilla and paper-setting rows are the benchmark's own."""
    config, rows = _tiny(on, imagenet_sample)
    direct = benchmark(validate(replace(config, benchmark=on, options={})))
    direct.setup()
    expected = pd.DataFrame(direct.run_unit(0))
    keys = ["item", "var", "metric"] + (["fraction"] if on == "sanity" else [])
    both = _paper_rows(rows).merge(expected, on=keys, suffixes=("", "_direct"))
    assert len(both) == len(expected) and len(expected) > 0
    assert np.allclose(both["value"], both["value_direct"], rtol=0, atol=1e-6, equal_nan=True)  # NaN: empty map
    kept = pd.concat([_paper_rows(rows), rows[rows["variant"] == "matched"]]).query("metric == 'kept'")
    kept = kept.groupby("variant")["value"].mean()
    assert kept["matched"] == pytest.approx(kept["var"], abs=1e-4)  # the control keeps VAR's count per map
    sets = set(rows.loc[rows["variant"] == "class_set", "class_set"])
    # the paper's K (intervention: top 2 + least probable) is the var rows; a set without both scored classes
    # (top 1) cannot score the intervention
    assert sets == ({"top1", "top2", "top5", "top10"} if on == "sanity" else {"top5", "top10"})


@pytest.mark.integration
def test_insertion_sweep_at_the_papers_setting_equals_the_benchmark(imagenet_sample):
    """On insertion units the sweep's vanilla and paper-setting SIC and AIC are the insertion benchmark's."""
    unit = reference.scored_unit(reference.load("insertion")["table"])  # one PIC's filters keep
    config, rows = _tiny("insertion", imagenet_sample, methods=("gradient",), unit=unit, class_sets=[1])
    direct = InsertionBenchmark(validate(replace(config, benchmark="insertion", options={})))
    direct.setup()
    expected = pd.DataFrame(direct.run_unit(unit)).query("metric in ['sic', 'aic', 'empty']")
    assert set(expected["metric"]) >= {"sic", "empty"}
    both = _paper_rows(rows).merge(expected, on=["var", "metric"], suffixes=("", "_direct"))
    assert len(both) == len(expected)
    assert np.allclose(both["value"], both["value_direct"], rtol=0, atol=1e-6)
    assert set(rows["variant"]) == {"vanilla", "var", "matched", "random_k", "class_set"}
    assert rows.groupby(["variant", "temperature"], dropna=False).ngroups == 6  # var at t = 0.1 and 1
    _, skipped = _tiny("insertion", imagenet_sample, methods=("gradient",))  # unit 0: PIC skips it for SIC
    assert skipped.empty


@pytest.mark.integration
def test_sanity_sweep_compares_each_map_with_its_own_original(imagenet_sample):
    """On the trained network (fraction 0) every map set, vanilla and VAR of the nearest control included, is
    compared with itself: similarity 1 wherever the map is not empty."""
    _, rows = _tiny("sanity", imagenet_sample, methods=("guided_gradcam",), controls=["nearest"], class_sets=[1])
    trained = rows[(rows["fraction"] == 0) & (rows["metric"] == "spearman_abs")].dropna(subset=["value"])
    assert set(trained["variant"]) == {"vanilla", "var", "nearest", "class_set"}
    assert trained.groupby(["variant", "var"]).ngroups == 5
    assert np.allclose(trained["value"], 1.0)
