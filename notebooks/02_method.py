# %% [markdown]
# # Attribution method
#
# One page per method: the book runs this notebook once for each of
# Gradient, Input×Gradient, Integrated Gradients, Guided Backprop, GradCAM,
# Guided GradCAM and SmoothGrad. Each shows the method's maps for the top
# classes of real photos (vanilla, top row) and with VAR (bottom row).
#
# **You will learn** what this method measures, how its maps look for
# competing classes of the same photo, and how much of them VAR keeps.

# %% tags=["parameters"]
from var.core import protocol  # the paper's settings

model_name = "efficientnet_lite0"
method = "gradient"
options = {}
images = ["skimage:coffee", "skimage:chelsea", "matplotlib:grace_hopper"]
k = 3
temperature = protocol.TEMPERATURE
tau = protocol.TAU

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown

import var

model = var.load_model(model_name)
Markdown(f"**{var.METHOD_TITLES[method]}** (`{method}`). " + var.METHOD_DESCRIPTIONS[method]
         + f"\n\nOptions used here: `{options or 'defaults'}`.")

# %%
for image in images:
    explanation = var.explain(model, image, method, "top_k", k=k, settings=var.Relevance(temperature, tau),
                              **options)
    fig = var.viz.figures.show_explanation(explanation, model.unnormalize)
    fig.suptitle(f"{image} — {method}", y=1.02)
    plt.show()

# %% [markdown]
# ## Explore $t$ and $\tau$ for the first photo
# Precomputed, so the sliders work in the published page.

# %%
e = var.explain(model, images[0], method, "top_k", k=k, **options)
var.viz.widgets.var_explorer(e.attributions, e.class_names, temperatures=[0.01, 0.1, 1.0], taus=[0.0, 0.01, 0.1],
                         image=e.inputs, unnormalize=model.unnormalize)

# %% [markdown]
# The same grid in numbers: the percent of locations each class keeps at each $(t, \tau)$.

# %%
var.pages.anatomy.kept_grid(e.attributions, [0.01, 0.1, 1.0], [0.0, 0.01, 0.1], e.class_names)

# %%
cosines = var.pages.anatomy.pair_cosines(e)  # NaN: one of the two maps is empty
labels = {"vanilla": "vanilla", "VAR": f"VAR (t = {e.temperature:g}, τ = {e.tau:g})"}
Markdown(f"How alike the maps of {e.class_names[0]} and {e.class_names[1]} are (cosine of |map|, 1 = the same map): "
         + ", ".join(f"{labels[k]} {c:.2f}" if c == c else f"{labels[k]}: one of the two maps is empty"
                     for k, c in cosines.items()) + ".")

# %% [markdown]
# ## Exercises
#
# 1. With the sliders, find the $(t, \tau)$ at which the *least probable*
#    class (last in the menu) keeps the fewest locations. What does that class's
#    VAR map mean?
#
# ```{admonition} Solution
# :class: dropdown
# Read it off the table under the explorer. With $\tau > 0$ a class keeps an
# element only where its $|\mathcal{H}_c|$ beats the classes' mean there by
# about $|K|\,t\,\tau$ (the VAR steps page), a margin that grows with both, so
# the fewest locations are kept at large $t$ and large $\tau$. How much the
# least probable class keeps at all depends on the method: a method whose map
# follows the class score (GradCAM, Guided GradCAM) gives an absent class a weak
# map that wins almost nowhere, while a plain gradient can be as large for an
# absent class as for a likely one and win many locations at $\tau = 0$. Where
# that class keeps something, its attribution there beats every likely class's:
# the places the network would use to argue *for* the absent class.
# ```
#
# 2. Compare the vanilla maps of the two most probable classes above. Are
#    they alike? What does VAR change?
#
# ```{admonition} Solution
# :class: dropdown
# Read the similarity line under the table. For methods whose maps follow the object (Guided Backprop,
# GradCAM, Guided GradCAM) the two top classes' vanilla maps are nearly the same map (cosine near 1); plain
# gradients differ more between classes. The vanilla maps show the object, not the evidence for one class
# over the other. VAR splits the locations between the classes by which map is stronger there, so each class
# keeps what distinguishes it and the cosine drops (paper Figures 1 and 6). An empty VAR map has no cosine:
# that class won no location at this $t$ and $\tau$.
# ```
