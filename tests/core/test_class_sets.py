import numpy as np
import pytest
import torch

import var
from var.core import class_sets


def test_top_k_is_most_probable_plus_least_probable():
    logits = torch.tensor([0.5, 3.0, -4.0, 2.0, 1.0])
    assert class_sets.top_k(logits, 2) == [1, 3, 2]
    assert class_sets.top_k(logits[None], 2, target=4) == [1, 3, 4, 2]
    assert class_sets.top_k(logits, 2, target=3) == [1, 3, 2]


def test_best_vs_worst():
    assert class_sets.best_vs_worst(torch.tensor([0.5, 3.0, -4.0])) == [1, 2]


def test_predefined_validates():
    assert class_sets.predefined([967, 968], 1000) == [967, 968]
    for bad, msg in [([1], "at least 2"), ([1, 1], "duplicates"), ([1, 1000], "out of range"),
                     ([-1, 2], "out of range")]:
        with pytest.raises(ValueError, match=msg):
            class_sets.predefined(bad, 1000)


def test_bad_logits():
    with pytest.raises(ValueError, match="logits"):
        class_sets.top_k(torch.zeros(2, 5), 2)
    with pytest.raises(ValueError, match="k must"):
        class_sets.top_k(torch.zeros(5), 5)
    with pytest.raises(ValueError, match="NaN"):
        class_sets.best_vs_worst(torch.tensor([1.0, float("nan")]))


def test_explain_coffee_espresso_vs_cup(lite0):
    e = var.explain(lite0, "skimage:coffee", "gradient", "top_k", k=2)
    assert e.class_names[:2] == ["espresso", "cup"] and len(e.classes) == 3
    assert e.maps.shape == e.attributions.shape == (3, 3, 224, 224)
    assert (e.masks == (e.maps != 0)).float().mean() > 0.99  # zero only where masked (or H = 0)
    e2 = var.explain(lite0, "skimage:coffee", "gradcam", "predefined", classes=[967, 968])
    assert e2.class_names == ["espresso", "cup"]
    e3 = var.explain(lite0, "skimage:coffee", "gradcam", "best_vs_worst")
    assert e3.classes[0] == 967


def test_plotting_smoke(lite0):
    import matplotlib

    matplotlib.use("Agg")
    e = var.explain(lite0, "skimage:coffee", "gradcam", "top_k", k=2)
    fig = var.viz.figures.show_explanation(e, lite0.unnormalize)
    assert len(fig.axes) == 8 + 2  # image, note, 3 x 2 maps, and a colour bar per row
    vanilla_bar, var_bar = fig.axes[-2:]
    assert vanilla_bar.get_ylabel().startswith("vanilla") and var_bar.get_ylabel().endswith("its own scale")
    own = var.viz.heatmap.display_max([var.viz.heatmap.to_heatmap(m) for m in e.maps])  # the VAR maps' own scale
    assert np.isclose(var_bar.get_ylim()[1], own)
    again = var.viz.figures.show_explanation(e, lite0.unnormalize, var_scale="vanilla")
    assert again.axes[-1].get_ylim() == again.axes[-2].get_ylim()


def test_explain_bad_class_set(lite0):
    with pytest.raises(ValueError, match="class_set"):
        var.explain(lite0, "skimage:coffee", "gradient", "random")
    with pytest.raises(ValueError, match="classes="):
        var.explain(lite0, "skimage:coffee", "gradient", "predefined")
    with pytest.raises(ValueError, match="at least 2"):
        var.explain(lite0, "skimage:coffee", "gradient", "predefined", classes=[967])
