# %% [markdown]
# # VAR on your own method
#
# Any function `fn(model, x, target) -> map` is a method: register it under a name and every
# part of the workspace takes that name: `var.attribute`, `var.explain`, `var.VAR`, the
# explorers and the benchmarks. (From the command line, name it as `my_module:my_fn`:
# `python -m var.bench grid --methods my_module:my_fn gradcam ...`.) This page registers a
# small method, looks at its VAR maps, runs a small grid pointing game with it beside two
# built-in methods, and shows where it lands.
#
# **You will learn** the method contract, what the registry checks for you, and how to put
# your method through a benchmark.

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
image = "skimage:coffee"
n_grids = 4
compare_with = ["gradient", "gradcam"]
out = "../results/book"

# %% [markdown]
# ## The method: a function of the model, one image and one class
# Here the gradient times the input, summed over channels and kept positive: a one-channel
# map with no sign. It must return one map for one class: (C, H, W), (1, C, H, W) or (H, W),
# at the input's size or at a layer's (then it is upsampled bilinearly).

# %%
import matplotlib.pyplot as plt

import var


def positive_input_x_gradient(model, x, target):
    """Input × gradient, summed over channels, positive part."""
    x = x.clone().requires_grad_()
    model.module(x)[0, target].backward()
    return (x * x.grad).sum(1).clamp(min=0)


var.registry.register("positive_input_x_gradient", positive_input_x_gradient, family="user")
model = var.load_model(model_name)
e = var.explain(model, image, "positive_input_x_gradient", "top_k", k=2)
fig = var.viz.figures.show_explanation(e, model.unnormalize)
plt.show()

# %% [markdown]
# ## What the registry checks
# What comes back is checked before VAR sees it: a map scaled to [0, 1] per class (which
# erases the magnitudes VAR compares across classes), the wrong shape, NaN, an exploding or
# vanishing relevance, and constant maps each get one message naming the fix. A per-class
# min-max scaling, the most common slip, is refused:

# %%
def scaled(model, x, target):
    """The same map, min-max scaled per class (as many CAM libraries return it)."""
    m = positive_input_x_gradient(model, x, target)
    return (m - m.min()) / (m.max() - m.min())


var.registry.register("scaled_input_x_gradient", scaled)
try:
    var.attribute(model, e.inputs, e.classes, "scaled_input_x_gradient")
except ValueError as err:
    print(err)

# %% [markdown]
# ## A small benchmark
# The grid pointing game (four images of four classes in a 2 × 2 grid; each class's map
# should lie in its quadrant) on a few grids, your method beside two built-in ones. With so
# few grids the intervals are wide: this shows the workflow, not a result.

# %%
from var.benchmarks import BenchConfig, run, run_key, summarize

config = BenchConfig("grid", model=model_name, methods=("positive_input_x_gradient", *compare_with), n=n_grids)
table = run(config, f"{out}/{run_key(config)}")  # cached per configuration: a rebuild resumes
summary = summarize(table[table.metric.isin(["ra", "empty"])])
summary[["method", "var", "metric", "mean", "ci95_low", "ci95_high", "n"]].round(3)

# %%
var.report.charts.metric_bars(table[table.metric == "ra"])
plt.show()

# %% [markdown]
# ## Exercises
#
# 1. Register the same method *without* `.clamp(min=0)` and compare the share VAR keeps.
#    Why can negative values win locations?
#
# ```{admonition} Solution
# :class: dropdown
# VAR's softmax compares the magnitudes $|\mathcal{H}_c|$: a strongly negative value (evidence
# *against* the class) competes like a strongly positive one, and the VAR map keeps its sign.
# Whether that is what you want depends on the method; Captum's `LayerGradCam` keeps negatives
# by default, which is why `captum:LayerGradCam` sets GradCAM's `relu_attributions=True`.
# ```
