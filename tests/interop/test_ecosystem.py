"""Fits the tools users already have: the Captum-style ``var.VAR``, the CLI's conventions, plots that match tables."""


import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from captum.attr import NoiseTunnel, Saliency
from captum.metrics import infidelity, sensitivity_max
from torch import nn

import var
from var.viz.heatmap import NOTHING_KEPT

X = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
X64 = X.double()  # equality tests run in float64: no CPU's float32 kernels can flip a keep decision there


# ---------------------------------------------------------------- var.VAR, Captum's convention
def expected(model, x, classes, target, method="guided_backprop", **options):
    h = var.attribute(model, x, classes, method, **options)
    return var.relevance(h, var.core.relevance.SCALE_FREE)[classes.index(target)]  # VAR's default


def test_var_equals_attribute_then_relevance(small_resnet64):
    explainer = var.VAR(small_resnet64, "guided_backprop", "predefined", classes=[[1, 2, 3], [4, 5, 6]])
    got = explainer.attribute(X64, target=[2, 6])  # one batched call
    assert got.shape == X.shape
    torch.testing.assert_close(got[0], expected(small_resnet64, X64[:1], [1, 2, 3], 2))
    torch.testing.assert_close(got[1], expected(small_resnet64, X64[1:], [4, 5, 6], 6))
    first = explainer.explanations[0]  # all |K| maps and M stay available
    assert first.classes == [1, 2, 3] and first.softmax.shape == first.attributions.shape
    (as_tuple,) = explainer.attribute((X64,), target=[2, 6])  # Captum's tuple convention
    torch.testing.assert_close(as_tuple, got)


def test_var_top_k_holds_the_target_and_defaults_to_the_top_class(small_resnet64):
    explainer = var.VAR(small_resnet64, "gradcam", k=2)
    logits = small_resnet64.logits(X64)
    got = explainer.attribute(X64)  # target None: each image's top class
    assert got.shape == (2, 1, 64, 64)
    for b, e in enumerate(explainer.explanations):
        top = int(logits[b].argmax())
        assert e.classes == var.class_sets.top_k(logits[b], 2, top)
        torch.testing.assert_close(got[b], expected(small_resnet64, X64[b:b + 1], e.classes, top, "gradcam"))
    worst = int(logits[0].argmin())
    explainer.attribute(X64[:1], target=worst)
    assert worst in explainer.explanations[0].classes


def test_var_refuses_a_target_outside_its_class_set(small_resnet):
    with pytest.raises(ValueError, match="not in the class set"):
        var.VAR(small_resnet, class_set="predefined", classes=[1, 2]).attribute(X[:1], target=5)


def test_var_takes_additional_forward_args(small_resnet64):
    net = small_resnet64.module

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x, scale):
            return self.net(x) * scale

    scale = torch.tensor([[1.0], [3.0]], dtype=torch.float64)  # one per image
    got = var.VAR(Scaled().eval(), "gradient", "predefined", classes=[1, 2]).attribute(X64, target=1,
                                                                             additional_forward_args=(scale,))
    for b in range(2):  # H scales by the image's factor, so its softmax is sharper; the expected follows
        h = var.attribute(net, X64[b:b + 1], [1, 2], "gradient") * scale[b]
        torch.testing.assert_close(got[b], var.relevance(h, var.core.relevance.SCALE_FREE)[0])


def test_var_inside_captum_noise_tunnel_and_metrics(small_resnet):
    explainer = var.VAR(small_resnet, "gradient", "predefined", classes=[1, 2])
    smooth = NoiseTunnel(explainer).attribute(X, target=1, nt_type="smoothgrad", nt_samples=3, stdevs=0.1)
    assert smooth.shape == X.shape and torch.isfinite(smooth).all()
    sens = sensitivity_max(explainer.attribute, X, target=1, n_perturb_samples=2)
    assert sens.shape == (2,) and torch.isfinite(sens).all()

    def perturb(inputs):
        noise = torch.randn(inputs.shape, generator=torch.Generator().manual_seed(1)) * 0.01
        return noise, inputs - noise

    attributions = explainer.attribute(X, target=1)
    score = infidelity(small_resnet.module, perturb, X, attributions, target=1, n_perturb_samples=2)
    assert score.shape == (2,) and torch.isfinite(score).all()


def test_var_over_a_captum_object(small_resnet64):
    explainer = var.VAR(small_resnet64, Saliency(small_resnet64.module), "predefined", classes=[1, 2])
    got = explainer.attribute(X64[:1], target=2, abs=False)
    torch.testing.assert_close(got[0], expected(small_resnet64, X64[:1], [1, 2], 2, "gradient"))


# ---------------------------------------------------------------- CLI conventions
def test_each_benchmark_help_lists_its_own_options(capsys):
    from var.bench import main

    with pytest.raises(SystemExit) as exit_:
        main(["grid", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "grid options" in out and 'cell="full"' in out and "(default: 50)" in out and "Quad-ImageNet" in out
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"var-bench {var.__version__}"


def test_metric_bars_draw_the_summary_intervals():
    from var.benchmarks import summarize

    rng = np.random.default_rng(0)
    table = pd.DataFrame([dict(unit=u, item=i, model="m", method=me, var=v, metric="ra", value=rng.random())
                          for u in range(8) for i in range(4) for me in ("a", "b") for v in (False, True)])
    fig = var.report.charts.metric_bars(table)
    summary = summarize(table).set_index(["method", "var"])
    bars = sorted(fig.axes[0].patches, key=lambda p: p.get_x())
    heights = [p.get_height() for p in bars]
    np.testing.assert_allclose(heights, [summary.loc[(m, v), "mean"] for m in ("a", "b") for v in (False, True)])
    segments = np.stack([seg for c in fig.axes[0].collections for seg in c.get_segments()])  # the error bars
    lows = sorted(segments[:, :, 1].min(1))  # each runs from ci95_low to ci95_high
    np.testing.assert_allclose(lows, sorted(summary["ci95_low"]))


matplotlib.use("Agg")


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
    with pytest.raises(AssertionError, match="scale factor = 0"):  # the multi-map visualiser too
        visualization.visualize_image_attr_multiple(empty.permute(1, 2, 0).numpy(), image, ["original_image",
                                                    "heat_map"], ["all", "positive"], use_pyplot=False)
    fig, axes = var.interop.attributor.visualize_image_attr_multiple(empty, image, ["original_image", "heat_map"],
                                                                     ["all", "positive"], ["a", "b"], use_pyplot=False)
    assert [ax.get_title() for ax in axes] == [f"a ({NOTHING_KEPT})", f"b ({NOTHING_KEPT})"]


def test_var_is_scale_free_by_default_where_the_paper_scale_empties_every_map():
    """An untrained network's |H| is far below t = 0.1: on the raw scale every map is empty, and it says so."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                        nn.Flatten(), nn.Linear(32, 5)).eval()
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(module.weight, std=1e-2)  # attributions of order 1e-6, as an untrained network's
    x = torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    with pytest.warns(var.SparseMapWarning, match="joint_max"):
        raw = var.VAR(net, "gradient", k=2, settings=var.Relevance()).attribute(x)
    assert not raw.any()
    scale_free = var.VAR(net, "gradient", k=2).attribute(x)  # the top class
    assert scale_free.any() and var.VAR(net).settings == var.core.relevance.SCALE_FREE


def test_captum_keywords_are_refused_with_the_var_spelling_or_one_clear_error(small_resnet):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    explainer = var.VAR(small_resnet, "integrated_gradients", k=1, settings=var.Relevance(warn_below=None))
    with pytest.raises(TypeError, match=r"Captum's n_steps= is var's steps=.*baseline='zero'"):
        explainer.attribute(x, target=0, n_steps=4)
    with pytest.raises(TypeError, match="no convergence delta"):  # never a silently dropped delta
        explainer.attribute(x, target=0, steps=2, return_convergence_delta=True)
    maps = explainer.attribute(x, target=0, steps=2, return_convergence_delta=False)
    assert maps.shape == x.shape


def test_silently_wrong_inputs_are_refused(small_resnet):
    from var.interop.quantus import explain_func

    x = X[:2]
    with pytest.raises(ValueError, match="2 inputs"):  # never the first two of three per-image sets
        var.VAR(small_resnet, "gradient", "predefined", classes=[[1, 2], [3, 4], [5, 6]]).attribute(x, target=[1, 3])
    with pytest.raises(ValueError, match="class indices"):  # never truncated to [1, 2]
        explain_func(small_resnet.module, x.numpy(), np.array([1.7, 2.9]), method="gradient")
    with pytest.raises(TypeError, match="raw pixels"):
        explain_func(small_resnet.module, (x.numpy() * 255).astype(np.uint8), [1, 2], method="gradient")
    with pytest.raises(ValueError, match="not in the best_vs_worst class set"):  # never ignored
        var.explain(small_resnet, x[:1], "gradient", "best_vs_worst", target=int(small_resnet.logits(x[:1])[0]
                                                                                  .argsort()[1]))
    with pytest.raises(ValueError, match="class set"):
        var.kept_share(torch.ones(5))
