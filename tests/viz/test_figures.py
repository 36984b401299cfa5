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
