"""Figures: what the map figures draw."""


import matplotlib
import torch

import var
from var.viz.heatmap import NOTHING_KEPT

matplotlib.use("Agg")


GEN = torch.Generator().manual_seed(0)


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


def test_every_figure_takes_a_cmap(small_resnet):
    import matplotlib.pyplot as plt

    x = torch.randn(1, 3, 64, 64, generator=GEN)
    e = var.explain(small_resnet, x, "input_x_gradient", "top_k", k=2,
                    settings=var.Relevance(normalize="joint_max"))
    default = var.viz.figures.show_explanation(e, small_resnet.unnormalize)
    assert {im.get_cmap().name for ax in default.axes for im in ax.images} >= {var.viz.heatmap.CMAP_SIGNED}
    for fig in (var.viz.figures.show_explanation(e, small_resnet.unnormalize, cmap="cividis"),
                var.viz.figures.show_gallery({"input_x_gradient": e}, small_resnet.unnormalize, cmap="cividis")):
        maps = [im for ax in fig.axes for im in ax.images if im.get_array().ndim == 2 and im.get_cmap().name != "gray"]
        assert maps and {im.get_cmap().name for im in maps} == {"cividis"}
        plt.close(fig)
    plt.close(default)
