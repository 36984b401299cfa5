"""Benchmarks: hand-computed metrics, PIC equal to PAIR's, sanity checks, resume, shards, dask and the CLI."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

import var
from var.bench import main as bench_main
from var.benchmarks import BENCHMARKS, BenchConfig, run, run_on_dask
from var.benchmarks.metrics import blur_positive, is_empty, localisation, similarity
from var.benchmarks.pic import blurred_image, pic_curves, random_mask, strict_ranking
from var.benchmarks.table import METRICS


def quadrant(size=8, q=0):
    m = torch.zeros(size, size, dtype=torch.bool)
    r, c = divmod(q, 2)
    m[r * size // 2:(r + 1) * size // 2, c * size // 2:(c + 1) * size // 2] = True
    return m


# ---------------------------------------------------------------- metrics
def test_map_inside_its_quadrant_has_ra_one():
    region = quadrant(16, 3)
    m = torch.zeros(16, 16)
    m[10:14, 9:15] = torch.rand(4, 6) + 0.1
    out = localisation(m, region)
    assert out["ra"] == pytest.approx(1.0) and out["precision"] == pytest.approx(1.0)


def test_uniform_map_has_ra_quarter():
    out = localisation(torch.ones(16, 16), quadrant(16, 1))
    assert out["ra"] == pytest.approx(0.25)
    # nothing is strictly above the mean of a flat map
    assert out["precision"] == 0.0 and out["recall"] == 0.0 and out["f1"] == 0.0


def test_known_iou_precision_recall():
    m = torch.zeros(8, 8)
    m[:4, :] = 1.0  # top half lit, region = top-left quadrant
    out = localisation(m, quadrant(8, 0))
    assert out == pytest.approx({"ra": 0.5, "iou": 0.5, "precision": 0.5, "recall": 1.0, "f1": 2 / 3})


def test_blur_keeps_only_positive_part_and_spreads():
    m = torch.zeros(1, 3, 32, 32)
    m[0, :, 16, 16] = 1.0
    m[0, :, 5, 5] = -1.0
    b = blur_positive(m)
    assert b.shape == (1, 32, 32) and b.min() >= 0
    assert b[0, 5, 5] == 0 and b[0, 16, 16] > 0 and b[0, 16, 18] > 0
    assert b.sum() == pytest.approx(3.0, rel=1e-4)  # the blur preserves mass (3 channels summed)


@pytest.mark.parametrize("shape", [(2, 32, 32), (1, 17, 40)])
def test_blur_equals_torchvisions_gaussian_blur(shape):
    """The banded-matrix blur is torchvision's 2-D convolution (reflect padding at every edge), to rounding."""
    from torchvision.transforms.functional import gaussian_blur

    from var.core.protocol import MAP_BLUR_KERNEL, MAP_BLUR_SIGMA

    m = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    expected = gaussian_blur(m.clamp(min=0)[:, None], [MAP_BLUR_KERNEL] * 2, [MAP_BLUR_SIGMA] * 2)[:, 0]
    assert torch.allclose(blur_positive(m), expected, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="kernel must be odd"):
        blur_positive(m, kernel=4)


def test_all_zero_map_scores_zero_not_nan():
    out = localisation(torch.zeros(8, 8), quadrant(8, 0))
    assert all(np.isfinite(v) for v in out.values()) and out["ra"] == 0.0


def test_similarity_identity_and_constant():
    a = torch.randn(3, 10, 10)
    assert all(v == pytest.approx(1.0) for v in similarity(a, a).values())
    assert all(v == pytest.approx(-1.0) for k, v in similarity(a, -a).items() if k != "spearman_abs")
    assert np.isnan(similarity(a, torch.zeros_like(a))["spearman"])


# ---------------------------------------------------------------- PIC vs PAIR
def test_strict_ranking_breaks_ties_without_reordering_distinct_values():
    s = np.array([[0.0, 0.0, 2.0], [0.0, 1.0, 0.0]])
    r = strict_ranking(s, seed=3)
    assert sorted(r.ravel()) == list(range(6))
    assert r[0, 2] == 5 and r[1, 1] == 4
    np.testing.assert_array_equal(r, strict_ranking(s, seed=3))


@pytest.fixture(scope="module")
def pic_case(lite0):
    from var.benchmarks.insertion import predictor, uint8_crop

    img = uint8_crop(lite0, "skimage:coffee")
    x = lite0.from_rgb(img)
    maps = var.attribute(lite0, x, [967, 968, 0], "guided_backprop")
    return img, maps, predictor(lite0, 967)


@pytest.mark.integration
def test_pic_equals_pair_saliency(pic_case):
    pic = pytest.importorskip("saliency.metrics.pic")
    if not hasattr(np, "trapz"):
        np.trapz = np.trapezoid  # noqa: NPY201  (removed in NumPy 2.4; PAIR still calls it
    img, maps, predict = pic_case
    mask = random_mask(*img.shape[:2], seed=0)
    vanilla = maps[0].abs().sum(0).numpy()
    var_map = strict_ranking(var.relevance(maps)[0].abs().sum(0).numpy(), seed=0)  # sparse: ties broken first
    for saliency_map in (vanilla, var_map):
        mine, skipped = pic_curves(img, saliency_map, mask, predict)
        assert not skipped
        sic = pic.compute_pic_metric(img, saliency_map, mask, lambda b: predict(b)[0], list(pic_case_thresholds()),
                                     min_pred_value=0.8)
        aic = pic.compute_pic_metric(img, saliency_map, mask, lambda b: predict(b)[1], list(pic_case_thresholds()),
                                     min_pred_value=0.5)
        # the model sees the restored images in batches here, one by one in PAIR: softmax values
        # agree to ~1e-7 (batched float32 kernels), the curves' points exactly otherwise
        assert mine["sic"].auc == pytest.approx(sic.auc, abs=1e-6)
        assert mine["aic"].auc == aic.auc
        np.testing.assert_allclose(mine["sic"].curve_y, sic.curve_y, atol=1e-6)


@pytest.mark.integration
def test_pic_curves_many_equals_one_map_at_a_time(pic_case):
    from var.benchmarks.pic import pic_curves_many

    img, maps, predict = pic_case
    mask = random_mask(*img.shape[:2], seed=0)
    saliencies = [maps[0].abs().sum(0).numpy(), strict_ranking(var.relevance(maps)[1].abs().sum(0).numpy())]
    together = pic_curves_many(img, saliencies, mask, predict, batch_size=5)
    for (curves, skipped), s in zip(together, saliencies):
        alone, alone_skipped = pic_curves(img, s, mask, predict)
        assert skipped == alone_skipped and curves.keys() == alone.keys()
        for name in curves:  # batching changes the softmax by ~1e-9 at most
            assert curves[name].auc == pytest.approx(alone[name].auc, abs=1e-7)


def pic_case_thresholds():
    from var.benchmarks.pic import THRESHOLDS

    return THRESHOLDS


@pytest.mark.integration
def test_blurred_image_equals_pair(pic_case):
    pic = pytest.importorskip("saliency.metrics.pic")
    img = pic_case[0]
    mask = random_mask(*img.shape[:2], fraction=0.05, seed=1)
    np.testing.assert_array_equal(blurred_image(img, mask), pic.create_blurred_image(img, mask))


# ---------------------------------------------------------------- sanity checks
@pytest.mark.integration
def test_sanity_similarity_is_one_unrandomised_and_falls_after(imagenet_sample):
    config = BenchConfig("sanity", methods=("gradcam", "guided_backprop"), n=1,
                         options={"fractions": [0.0, 0.5, 1.0]})
    bench = BENCHMARKS["sanity"](config)
    bench.setup()
    rows = pd.DataFrame(bench.run_unit(0))
    at0 = rows[(rows.fraction == 0.0) & (rows.metric != "empty")]
    assert np.allclose(at0.value, 1.0)
    full = rows[(rows.fraction == 1.0) & (rows.metric == "spearman_abs") & ~rows["var"]]
    assert (full.value < 0.9).all()
    # the scale-keeping default leaves Guided Backprop's VAR maps non-empty at every step (under
    # reset_parameters they all come out empty); an empty map's similarity is NaN, flagged by "empty"
    gbp = rows[rows["var"] & (rows.method == "guided_backprop")]
    assert gbp[gbp.metric == "spearman_abs"].value.notna().all() and (gbp[gbp.metric == "empty"].value == 0).all()
    empty = rows[rows.metric == "empty"].set_index(["method", "var", "fraction"]).value
    nan = rows[rows.metric == "spearman_abs"].set_index(["method", "var", "fraction"]).value.isna()
    assert (empty.astype(bool) == nan).all()


@pytest.mark.integration
def test_stochastic_library_maps_depend_on_the_unit_not_on_what_ran_before(small_resnet64):
    """GradientShap draws from torch's and NumPy's global RNGs: Benchmark.maps seeds both per (seed, unit,
    method), so a re-run of one unit reproduces it, and leaves the caller's generator states as they were."""
    pytest.importorskip("captum")
    bench = BENCHMARKS["grid"](BenchConfig("grid", methods=("captum:GradientShap",)))
    bench.model = small_resnet64  # the cached property, set: no model loading
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def vanilla(unit):
        return next(bench.maps(x, [1, 2], unit))[2]

    first = vanilla(3)
    torch.manual_seed(123)
    np.random.seed(123)  # noqa: NPY002  (the global RNG Captum draws from)
    torch_next, numpy_next = torch.rand(1), np.random.rand()  # noqa: NPY002
    torch.manual_seed(123)
    np.random.seed(123)  # noqa: NPY002
    torch.testing.assert_close(vanilla(3), first, rtol=0, atol=0)
    assert torch.equal(torch.rand(1), torch_next) and np.random.rand() == numpy_next  # noqa: NPY002
    assert not torch.equal(vanilla(4), first)  # another unit, other draws


# ---------------------------------------------------------------- runner
TINY = dict(methods=("gradcam", "input_x_gradient"), n=3, ig_steps=2, options={"scan": 40})


@pytest.fixture(scope="module")
def full_table(tmp_path_factory, imagenet_sample):
    return run(BenchConfig("grid", **TINY), tmp_path_factory.mktemp("full"))


@pytest.mark.integration
def test_grid_table_is_tidy(full_table):
    assert set(full_table.columns) >= {"unit", "item", "model", "method", "var", "metric", "value"}
    # grids x quadrants x methods x var x (RA + empty + 4 metrics for each of 4 binarisation rules)
    assert len(full_table) == 3 * 4 * 2 * 2 * (2 + 4 * 4)
    assert not full_table.duplicated(["unit", "item", "method", "var", "binarize", "metric"]).any()


@pytest.mark.integration
def test_resume_after_a_crash_gives_the_identical_table(tmp_path, full_table, monkeypatch):
    grid = BENCHMARKS["grid"]
    real = grid.run_unit

    def crash_on_unit_2(self, unit):
        if unit == 2:
            raise KeyboardInterrupt("killed")
        return real(self, unit)

    monkeypatch.setattr(grid, "run_unit", crash_on_unit_2)
    with pytest.raises(KeyboardInterrupt):
        run(BenchConfig("grid", **TINY), tmp_path)
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["0000000.parquet", "0000001.parquet"]
    monkeypatch.setattr(grid, "run_unit", real)
    again = run(BenchConfig("grid", **TINY), tmp_path)
    pd.testing.assert_frame_equal(again, full_table)
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.integration
def test_other_config_in_same_folder_is_refused(tmp_path, full_table):
    run(BenchConfig("grid", **TINY), tmp_path)
    with pytest.raises(ValueError, match="another configuration"):
        run(BenchConfig("grid", **{**TINY, "seed": 1}), tmp_path)


@pytest.mark.integration
def test_shards_together_give_the_identical_table(tmp_path, full_table):
    config = BenchConfig("grid", **TINY)
    assert run(config, tmp_path, shard=(1, 2)) is None  # shard 0 still missing
    table = run(config, tmp_path, shard=(0, 2))
    pd.testing.assert_frame_equal(table, full_table)


@pytest.mark.integration
def test_dask_local_cluster_of_two_workers(tmp_path, full_table):
    pytest.importorskip("dask.distributed")
    table = run_on_dask(BenchConfig("grid", **TINY), tmp_path, "local:2", shards=2)
    pd.testing.assert_frame_equal(table, full_table)


@pytest.mark.integration
def test_summary_has_ci(full_table):
    from var.benchmarks import summarize

    s = summarize(full_table)
    assert {"mean", "ci95_low", "ci95_high", "n"} <= set(s.columns)
    assert (s.ci95_low <= s["mean"]).all() and (s["mean"] <= s.ci95_high).all()
    assert (s.n == full_table["unit"].nunique()).all()  # units, not the rows of their quadrants


def test_summary_counts_units_and_clusters_the_interval():
    from var.benchmarks import summarize

    rng = np.random.default_rng(0)
    one = pd.DataFrame({"unit": np.arange(30), "model": "m", "method": "g", "var": False, "metric": "ra",
                        "value": rng.normal(size=30)})
    s = summarize(one).iloc[0]  # one item per unit: the plain t-interval
    half = stats.t.ppf(0.975, 29) * one.value.std(ddof=1) / np.sqrt(30)
    assert s.n == 30 and np.isclose(s.ci95_high - s["mean"], half) and np.isclose(s["mean"], one.value.mean())
    twice = summarize(pd.concat([one, one])).iloc[0]  # duplicated rows: same units, same n, same interval
    assert twice.n == 30 and np.isclose(twice.ci95_high, s.ci95_high)
    # four correlated items per unit (a grid's quadrants): the interval is that of the unit means
    quads = pd.concat([one.assign(item=q, value=one.value + rng.normal(size=30)) for q in range(4)])
    frame, per_unit = summarize(quads).iloc[0], quads.groupby("unit").value.mean()
    assert frame.n == 30 and np.isclose(frame["mean"], quads.value.mean())
    assert np.isclose(frame.ci95_high - frame["mean"], stats.t.ppf(0.975, 29) * per_unit.std(ddof=1) / np.sqrt(30))


# ---------------------------------------------------------------- CLI, one tiny run per benchmark
@pytest.mark.integration
@pytest.mark.parametrize("args", [
    ["grid", "--n", "1", "--option", "scan=40", "--option", "cell=half", "--methods", "gradcam"],
    ["coco", "--n", "3", "--methods", "gradcam", "contrastive_gradient"],
    ["insertion", "--n", "1", "--methods", "gradcam"],
    ["sanity", "--n", "1", "--methods", "gradcam", "--option", "fractions=[0, 1.0]"],
    ["intervention", "--n", "1", "--methods", "captum:Deconvolution", "gradcam:LayerCAM", "occlusion",
     "tests.method_example:saliency"],  # any registry name, a module function included
])
def test_cli_tiny_runs(tmp_path, args, capsys, imagenet_sample):
    assert bench_main(args + ["--out", str(tmp_path)]) == 0
    assert (tmp_path / "results.parquet").exists() and (tmp_path / "summary.csv").exists()
    assert "rows ->" in capsys.readouterr().out
    assert "empty" in set(pd.read_csv(tmp_path / "summary.csv").metric)  # every benchmark counts empty maps
    written, declared = set(pd.read_parquet(tmp_path / "results.parquet").metric), BENCHMARKS[args[0]].metrics
    assert written <= set(declared) and set(declared) <= set(METRICS)  # each benchmark declares what it writes


def test_cli_rejects_unknown_option(tmp_path, capsys):
    assert bench_main(["grid", "--option", "confidance=0.5", "--out", str(tmp_path / "run")]) == 2
    assert "unknown option" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


matplotlib.use("Agg")


def sparse_warnings(fn) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if issubclass(w.category, var.SparseMapWarning)]


def test_benchmark_threads_are_scoped():
    from threadpoolctl import threadpool_info, threadpool_limits

    from var.benchmarks.runner import scope_threads

    before = torch.get_num_threads()
    with threadpool_limits(limits=None):  # restores the BLAS threads after the test
        scope_threads(1)
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(n == 1 for n in blas) and torch.get_num_threads() == 1
    torch.set_num_threads(before)


@pytest.mark.integration
def test_benchmarks_count_empty_maps_instead_of_warning(imagenet_sample, tmp_path):
    from var.benchmarks import BenchConfig, run

    # plain gradients on Lite0 are ~1e-3: at t = 0.1 VAR keeps little, which var.relevance would warn about
    config = BenchConfig("intervention", methods=("gradient",), n=1)
    messages = sparse_warnings(lambda: run(config, tmp_path))
    table = run(config, tmp_path)  # finished: read back
    assert not messages
    empty = table[table.metric == "empty"]
    assert len(empty) == 2 * 2  # two classes x (vanilla, VAR), each 1 or 0
    assert set(empty.value) <= {0.0, 1.0} and not empty[~empty["var"]].value.any()
    assert is_empty(torch.zeros(3, 4)) == 1.0 and is_empty(torch.eye(3)) == 0.0
