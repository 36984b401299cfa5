"""One empty-map policy (var.core.relevance, "Empty maps"): warned about, counted, drawn, and defined in adapters."""

import warnings

import matplotlib
import numpy as np
import pytest
import torch

import var
from var.benchmarks.metrics import is_empty
from var.viz.heatmap import NOTHING_KEPT

matplotlib.use("Agg")

GEN = torch.Generator().manual_seed(0)
H = torch.randn(3, 3, 16, 16, generator=GEN, dtype=torch.float64)


def sparse_warnings(fn) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if issubclass(w.category, var.SparseMapWarning)]


def test_tiny_attributions_warn_with_their_scale_and_the_options_that_help():
    messages = sparse_warnings(lambda: var.relevance(H * 1e-4))  # gradients' scale: M ~ 1/|K| at t = 0.1
    assert len(messages) == 1
    assert "kept 0.00% of the locations" in messages[0] and "largest |H| 0.000" in messages[0]
    assert "smaller temperature" in messages[0] and "joint_max" in messages[0]
    # the options it names do help: joint_max keeps a lot of the same attributions, silently
    assert not sparse_warnings(lambda: var.relevance(H * 1e-4, normalize="joint_max"))
    assert not sparse_warnings(lambda: var.relevance(H * 1e-4, temperature=1e-5))


def test_one_class_keeping_nothing_is_vars_answer_not_a_warning():
    h = H.clone()
    h[2] *= 1e-3  # class 2 loses every location (as top_k's least probable class usually does)
    maps = var.relevance(h, warn_below=None)
    assert not maps[2].any() and maps[:2].any()
    assert not sparse_warnings(lambda: var.relevance(h))


def test_a_batch_names_the_first_sparse_image_and_counts_the_rest():
    batch = torch.stack([H, H * 1e-4, H * 1e-4])
    [message] = sparse_warnings(lambda: var.relevance(batch))
    assert message.startswith("image 1 (and 1 more): ")


def test_warn_below_none_silences_and_maps_are_unchanged():
    assert not sparse_warnings(lambda: var.relevance(H * 1e-4, warn_below=None))
    torch.testing.assert_close(var.relevance(H * 1e-4, warn_below=None), torch.zeros_like(H), rtol=0, atol=0)
    with pytest.raises(ValueError, match="warn_below"):
        var.relevance(H, warn_below=2.0)


def test_maps_that_keep_plenty_do_not_warn():
    assert not sparse_warnings(lambda: var.relevance(H))


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


def test_figures_label_empty_maps(small_resnet):
    import matplotlib.pyplot as plt

    x = torch.randn(1, 3, 64, 64, generator=GEN)
    h = var.attribute(small_resnet, x, [0, 1, 2], "gradient")
    var_maps = torch.zeros_like(h)
    var_maps[0] = h[0]
    fig = var.viz.figures.show_vanilla_var(x, h, var_maps, ["a", "b", "c"], small_resnet.unnormalize)
    labelled = [[t.get_text() for t in ax.texts] for ax in fig.axes[5:8]]  # the VAR row after its note cell
    assert labelled == [["VAR"], [NOTHING_KEPT], [NOTHING_KEPT]]  # the row label, then the empty maps
    plt.close(fig)


def test_explorer_tiles_label_empty_maps():
    from PIL import Image

    from var.viz.widgets import _row_png

    png = _row_png([np.zeros((8, 8)), np.ones((8, 8))], ["a", "b"], "VAR", 96)
    row = np.asarray(Image.open(__import__("io").BytesIO(png)).convert("L"))
    empty_tile, full_tile = row[14:, 100:196], row[14:, 200:296]
    assert empty_tile.max() > 200  # the white label on the black tile
    assert empty_tile.mean() < 60 and full_tile.mean() > 200


def test_captum_visualiser_draws_an_empty_map_instead_of_raising():
    from captum.attr import visualization

    image = np.random.default_rng(0).random((16, 16, 3))
    empty = torch.zeros(3, 16, 16)
    with pytest.raises(AssertionError, match="scale factor = 0"):  # why the adapter exists
        visualization.visualize_image_attr(empty.permute(1, 2, 0).numpy(), image, use_pyplot=False)
    fig, ax = var.interop.attributor.visualize_image_attr(empty, image, "blended_heat_map", title="cup",
                                                          use_pyplot=False)
    assert ax.get_title() == f"cup ({NOTHING_KEPT})"
    fig, ax = var.interop.attributor.visualize_image_attr(empty, use_pyplot=False)
    assert ax.get_title() == NOTHING_KEPT
    fig, ax = var.interop.attributor.visualize_image_attr(torch.ones(3, 16, 16), image, title="full", use_pyplot=False)
    assert ax.get_title() == "full"
