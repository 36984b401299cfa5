# %% [markdown]
# # Methods gallery: VAR on every family
#
# VAR claims to fit *any* class-specific attribution method. This page runs every method
# of the registry (`python -m var.bench methods`) on the same photo and the same class set:
# var's own, Captum's, pytorch-grad-cam's and Zennit's, grouped by family (gradient,
# modified backprop, path, perturbation, CAM, propagation). Each row shows the image, then
# per class its vanilla map and its VAR map, each with its own colour scale (methods differ
# by orders of magnitude). Library methods are read as VAR needs them: pytorch-grad-cam's
# CAMs *before* the library's per-class min-max scaling, Captum's `LayerGradCam` with
# GradCAM's ReLU, Zennit with the canonizers of the network.
#
# **You will learn** which families VAR sharpens, where it keeps almost nothing, and what
# the registry tells you about each method.

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
image = "skimage:coffee"
k = 2
methods = None  # None: every listed method but the two slow ones named below
skip = ["gradcam:ScoreCAM", "captum:Occlusion"]

# %%
import warnings

import matplotlib.pyplot as plt

import var
from var.report.catalogue import catalogue

# warnings read "Category: message" here, without the file paths of the machine that ran the page
warnings.formatwarning = lambda message, category, *args, **kwargs: f"{category.__name__}: {message}\n"
model = var.load_model(model_name)
table = catalogue()
table

# %% [markdown]
# `gradcam:ScoreCAM` and `captum:Occlusion` are left out of the figure by default: they give the
# same maps as var's `scorecam` and `occlusion` (`tests/core/test_registry.py` checks that they are
# equal), which read every class from one set of perturbed passes (1,280 masked passes for
# ScoreCAM on this model, shared by all classes), where the libraries repeat the passes per class.

# %%
names = methods or [m for m in table.sort_values("family", kind="stable")["method"] if m not in skip]
gallery = {m: var.explain(model, image, m, "top_k", k=k, settings=var.Relevance(warn_below=None)) for m in names}
fig = var.viz.figures.show_gallery(gallery, model.unnormalize)
plt.show()

# %% [markdown]
# ## How much each method keeps
# The share of locations VAR keeps per class at $t = 0.1$, $\tau = 0.01$ (the last class
# is top-k's least probable one, the class the image surely is not).

# %%
import pandas as pd
from IPython.display import Markdown, display

kept = pd.DataFrame({m: var.kept_share(e.maps).numpy() for m, e in gallery.items()},
                    index=gallery[names[0]].class_names).T
display(kept.round(3))
facts = var.report.catalogue.kept_summary(kept, table.set_index("method")["family"])
Markdown(f"* The least probable class ({kept.columns[-1]}) keeps nothing (< 0.1%) under {facts['nothing']} of "
         f"{facts['methods']} methods; most under `{facts['most'][0]}` ({facts['most'][1]:.1%}).\n"
         f"* The top class ({kept.columns[0]}), median share kept per family: "
         + ", ".join(f"{family} {share:.1%}" for family, share in facts["by_family"].items()) + ".")

# %% [markdown]
# ## Exercises
#
# 1. Which family keeps the most of the top class, and why might CAMs keep more than
#    gradients? Look at the resolution column of the table.
#
# ```{admonition} Solution
# :class: dropdown
# CAM maps come from a coarse layer (7 × 7 for this model) upsampled to the image, so
# neighbouring pixels share one value and whole regions are won by one class; gradient
# maps vary from pixel to pixel, so the classes' maps interleave and each keeps less.
# ```
#
# 2. The Zennit rows keep nothing here. Read the warning `var.attribute` gives for them
#    (run `var.attribute(model, x, K, "zennit:EpsilonPlusFlat")`): what does it say?
#
# ```{admonition} Solution
# :class: dropdown
# That the relevance vanished: the total relevance is a tiny fraction of the logit, because
# the composite's rules do not conserve relevance through EfficientNet-Lite's depthwise
# convolutions, ReLU6 and padding modules. VAR then compares numerical noise, and the guard
# says so instead of showing a map that looks like an answer.
# ```
