# %% [markdown]
# # Attribution method: {method_title}
#
# One page per method: the book runs this notebook once for each of
# Gradient, Input×Gradient, Integrated Gradients, Guided Backprop, GradCAM,
# Guided GradCAM and SmoothGrad. Each shows the method's maps for the top
# classes of real photos (vanilla, top row) and with VAR (bottom row).

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
method = "gradient"
options = {}
images = ["skimage:coffee", "skimage:chelsea", "matplotlib:grace_hopper"]
k = 3
temperature = 0.1
tau = 0.01

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown

import var

model = var.load_model(model_name)
Markdown(var.METHOD_DESCRIPTIONS[method] + f"\n\nOptions used here: `{options or 'defaults'}`.")

# %%
for image in images:
    explanation = var.explain(model, image, method, "top_k", k=k, temperature=temperature, tau=tau, **options)
    fig = var.plotting.show_explanation(explanation, model.unnormalize)
    fig.suptitle(f"{image} — {method}", y=1.02)
    plt.show()
