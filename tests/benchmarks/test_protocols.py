"""The paper's protocols: scale-keeping randomisation of every parameter, binarisation rules, PAIR's
median-curve aggregate, disjoint random grids and the intervention ablation."""

import numpy as np
import pytest
import torch

import var
from var.benchmarks import BENCHMARKS, BenchConfig, resolved, run_key, validate
from var.benchmarks.grid import disjoint_grids
from var.benchmarks.intervention import intervene
from var.benchmarks.metrics import localisation
from var.benchmarks.pic import curve, median_curve_auc
from var.benchmarks.sanity import parametrised_layers, randomised


@pytest.mark.integration
@pytest.mark.parametrize("name", var.MODEL_NAMES)
def test_every_parameter_tensor_changes_at_full_randomisation(name):
    model = var.load_model(name, weights=None)
    rand = randomised(model, 1.0, seed=0)
    unchanged = [k for (k, a), (_, b) in zip(model.module.named_parameters(), rand.module.named_parameters())
                 if torch.equal(a, b)]
    assert unchanged == []
    if name == "vit_b_16":  # the attention projections, class token and position embedding count as layers
        owners = set(parametrised_layers(model.module))
        assert {"", "encoder", "encoder.layers.encoder_layer_0.self_attention"} <= owners
    # the trained model is untouched and a half randomisation leaves the input side alone
    half = randomised(model, 0.5, seed=0)
    first = next(iter(model.module.parameters()))
    assert torch.equal(first, next(iter(half.module.parameters())))


def test_gaussian_reinit_keeps_the_scale_and_reset_parameters_does_not(lite0, chelsea):
    trained = lite0.logits(chelsea).std()
    gaussian = randomised(lite0, 1.0, 0).logits(chelsea).std()
    reset = randomised(lite0, 1.0, 0, "reset_parameters").logits(chelsea).std()
    assert gaussian > 0.3 * trained and reset < 0.05 * trained


def test_median_rule_gives_the_papers_vanilla_row_for_a_spread_map():
    region = torch.zeros(64, 64, dtype=torch.bool)
    region[:32, :32] = True
    spread = torch.rand(64, 64, generator=torch.Generator().manual_seed(0))
    out = localisation(spread, region, "median")
    assert out["precision"] == pytest.approx(0.25, abs=0.03) and out["recall"] == pytest.approx(0.5, abs=0.06)
    assert out["iou"] == pytest.approx(0.2, abs=0.03)
    positive = localisation(spread + 0.1, region, "positive")  # touches every pixel: recall 1, precision = share
    assert positive["recall"] == 1.0 and positive["precision"] == pytest.approx(0.25)


def test_median_curve_auc_equals_pair_aggregate():
    pic = pytest.importorskip("saliency.metrics.pic")
    if not hasattr(np, "trapz"):
        np.trapz = np.trapezoid  # noqa: NPY201  (removed in NumPy 2.4; PAIR still calls it)
    rng = np.random.default_rng(0)
    curves = [sorted(zip(np.sort(rng.random(8)), np.maximum.accumulate(rng.random(8)))) for _ in range(5)]
    results = [pic.PicMetricResult(c.curve_x, c.curve_y, None, None, None, c.auc)
               for c in map(curve, curves)]
    expected = pic.aggregate_individual_pic_results(results, method="median").auc
    assert median_curve_auc(curves) == pytest.approx(expected, abs=1e-12)


def test_random_grids_are_disjoint_with_distinct_classes(imagenet_sample):
    bench = BENCHMARKS["grid"](validate(BenchConfig("grid", n=10)))
    bench.setup()
    specs = [bench.grid_spec(u) for u in bench.units()]
    paths = [p for spec in specs for p, _ in spec]
    assert len(specs) == 10 and len(set(paths)) == len(paths) == 40
    assert all(len({label for _, label in spec}) == 4 for spec in specs)
    assert disjoint_grids([("a", 1), ("b", 1), ("c", 2), ("d", 3), ("e", 4)]) == [
        [("a", 1), ("c", 2), ("d", 3), ("e", 4)]]


def test_resolved_config_records_every_option():
    config = resolved(BenchConfig("sanity"))
    assert config.options["reinit"] == "gaussian" and config.ig_steps == 50
    assert run_key(config) == run_key(BenchConfig("sanity", n=99)) != run_key(BenchConfig("sanity", seed=1))


def test_intervention_deletes_the_same_budget_and_scores_consistently(small_resnet):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    maps = var.attribute(small_resnet, x, [1, 2, 3], "gradient")
    sparse = var.relevance(maps)
    blurred = var.make_baseline(x, "blur")
    before = small_resnet.predict(x)[0, [1, 2]]
    for m in (maps[:2], sparse[:2]):
        res = intervene(small_resnet, x, blurred, m, [1, 2], fraction=0.1)
        assert (res["masks"].flatten(1).sum(1) == round(0.1 * 64 * 64)).all()
        # the largest |map| pixels go (ties aside): none kept is larger than the smallest deleted
        heat = m[0].abs().sum(0)
        assert heat[~res["masks"][0]].max() <= heat[res["masks"][0]].min()
        # scored on an image made here: the blurred copy where class 1's pixels were, the photo elsewhere
        after = small_resnet.predict(torch.where(res["masks"][0], blurred, x))[0, [1, 2]]
        s = res["scores"][0]
        assert s["own_drop"] == pytest.approx(float(before[0] - after[0]), abs=1e-5)
        assert s["other_drop"] == pytest.approx(float(before[1] - after[1]), abs=1e-5)
        assert s["selectivity"] == pytest.approx(s["own_drop"] - s["other_drop"], abs=1e-6)


def test_coco_to_imagenet_names_coco_categories_and_imagenet_ids():
    from var.benchmarks.coco_imagenet import COCO_TO_IMAGENET
    from var.benchmarks.data import COCO_NAMES

    assert set(COCO_TO_IMAGENET) <= set(COCO_NAMES)  # every key a COCO category name
    assert all(ids and all(0 <= i < 1000 for i in ids) for ids in COCO_TO_IMAGENET.values())
