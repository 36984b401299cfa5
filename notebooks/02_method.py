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
    explanation = var.explain(model, image, method, "top_k", k=k, temperature=temperature, tau=tau, **options)
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
# ## Exercises
#
# 1. With the sliders, find the $(t, \tau)$ at which the *least probable*
#    class (last in the menu) keeps the fewest locations. What does that class's
#    VAR map mean?
#
# ```{admonition} Solution
# :class: dropdown
# Mostly small $t$ with large $\tau$, but read the "kept" share: the least
# probable class rarely wins a location, and where it does, its attribution
# there is larger than every likely class's. Those are the places the network
# would use to argue *for* that absent class; often there are almost none.
# ```
#
# 2. Compare the vanilla maps of the two most probable classes above. Are
#    they alike? What does VAR change?
#
# ```{admonition} Solution
# :class: dropdown
# For most methods the vanilla maps of related classes are nearly identical:
# they show the object, not the evidence for one class over the other. VAR
# splits the locations between the classes by which map is stronger there, so
# each class keeps what distinguishes it (paper Figures 1 and 6).
# ```
