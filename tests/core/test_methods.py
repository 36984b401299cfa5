"""Method classes: their options and the edge cases they refuse or warn about."""

import warnings

import numpy as np
import pytest
import torch
from torch import nn

import var
from var.core.methods import make_method

X = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))


def test_smaller_cases(small_resnet):
    with pytest.raises(ValueError, match="channels-last"):
        var.attribute(small_resnet, X.permute(0, 2, 3, 1), [1, 2])
    for classes in ("12", {1, 2}, (c for c in [1, 2])):
        with pytest.raises(TypeError, match="list of class indices"):
            var.attribute(small_resnet, X, classes)
    for classes in ([281.9], np.array([1.0, 2.5])):
        with pytest.raises(ValueError, match="integer class indices"):
            var.class_sets.predefined(classes + [3] if isinstance(classes, list) else classes)
    with pytest.raises(ValueError, match="did not run in the forward pass"):
        var.attribute(small_resnet, X, [1, 2], "gradcam", layer=nn.Conv2d(3, 3, 1))
    with pytest.raises(ValueError, match="10 outputs"):
        var.wrap_model(small_resnet.module, class_names=["a", "b"], input_size=64)
    with pytest.raises(ValueError, match="equal"):
        var.class_sets.best_vs_worst(torch.zeros(5))
    with pytest.raises(ValueError, match="no location axis"):
        var.relevance(torch.zeros(3))
    with pytest.warns(UserWarning, match="all zero"):
        assert not var.relevance(torch.rand(4, 5), var.Relevance(tau=0.8)).any()
    with pytest.warns(UserWarning, match="slow"):
        make_method("integrated_gradients", steps=10_000)


def test_guided_backprop_warns_without_relu_modules():
    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(3, 4, 3), nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(torch.relu(self.conv(x)).mean((2, 3)))

    with pytest.warns(UserWarning, match="no nn.ReLU modules"):
        var.attribute(Functional().eval(), X, [0, 1], "guided_backprop")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        var.attribute(Functional().eval(), X, [0, 1], "gradient")


def test_a_method_s_facts_live_on_the_method():
    from var.core import methods, registry

    facts = {name: (m.family, m.signed, m.resolution) for name in methods.METHODS
             for m in [methods.make_method(name)]}
    assert facts["input_x_gradient"] == ("gradient", True, "pixel")
    assert facts["integrated_gradients"] == ("path", True, "pixel")
    assert facts["gradcam"] == ("cam", False, "layer") and facts["guided_gradcam"] == ("cam", False, "pixel")
    for name, (family, signed, resolution) in facts.items():  # the registry reads them, holds no copy
        entry = registry.get(name)
        assert (entry.family, entry.signed, entry.resolution) == (family, signed, resolution), name


def test_smoothgrad_forwards_its_base_s_facts():
    from var.core import methods, registry

    smooth = methods.make_method("smoothgrad", base="input_x_gradient")
    assert smooth.signed and smooth.multiplies_by_inputs and smooth.family == "gradient"
    cam = methods.make_method("smoothgrad", base="gradcam")
    assert not cam.signed and cam.resolution == "layer" and cam.family == "cam"
    assert registry.is_signed("smoothgrad", base="input_x_gradient", n_samples=4)
    assert not registry.is_signed("smoothgrad", base="guided_backprop")


def test_smoothgrad_over_input_x_gradient_is_drawn_signed(small_resnet):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    e = var.explain(small_resnet, x, "smoothgrad", "top_k", k=2, base="input_x_gradient", n_samples=2,
                    settings=var.Relevance(normalize="joint_max"))
    assert e.signed
    fig = var.viz.figures.show_explanation(e, small_resnet.unnormalize)
    maps = [im for ax in fig.axes for im in ax.images if im.get_array().ndim == 2 and im.get_cmap().name != "gray"]
    assert {im.get_cmap().name for im in maps} == {var.viz.heatmap.CMAP_SIGNED}  # diverging, not magnitudes
    assert all(im.norm.vmin == -im.norm.vmax for im in maps)  # centred at 0
    plt.close(fig)
    explainer = var.VAR(small_resnet, "smoothgrad", settings=var.Relevance(normalize="joint_max"))
    explainer.attribute(x, target=1, base="input_x_gradient", n_samples=2)
    assert explainer.explanations[0].signed and var.VAR(small_resnet, "input_x_gradient").multiplies_by_inputs
