# %% [markdown]
# # Your own model: timm, Hugging Face, torchvision
#
# **You will learn** to run VAR on a classifier from timm, Hugging Face
# `transformers` or torchvision without writing a GradCAM layer or a token
# reshape by hand.
#
# `var.from_timm`, `var.from_hf` and `var.from_torchvision` find what VAR needs:
# the GradCAM layer (a CNN's last spatial stage; a ViT's last block *before*
# its attention, where the patch tokens still receive gradient), the token→grid
# reshape (class, distillation and register tokens dropped; Swin's
# channels-last stages permuted), the preprocessing from the model's config,
# and the class names. Hugging Face outputs (`.logits`) are unwrapped.
# Override any of it with `gradcam_layer=`, `reshape=`, `class_names=`.
#
# This book builds offline, so the models below have **random weights** and
# their maps show structure, not knowledge. Expect every class probability to
# round to 0.00 (a random head spreads the softmax over 1,000 classes) and VAR
# rows that keep almost nothing ("nothing kept"): with no class explaining a
# location much better than the others, no class's softmax share $M_c$ clears
# $1/|K| + \tau$ at $t = 0.1$ (see [the VAR steps](03_var_steps.ipynb)). That is
# VAR working as designed on a network that has learned nothing, not a failure
# of the adapter. Online, load real weights:
#
# ```python
# model = var.from_timm(timm.create_model("vit_small_patch16_224", pretrained=True))
# model = var.from_hf(transformers.ViTForImageClassification.from_pretrained("google/vit-base-patch16-224"))
# ```

# %% tags=["parameters"]
timm_models = ["resnet18", "deit_tiny_distilled_patch16_224"]
image = "skimage:coffee"
method = "gradcam"

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd
import timm
import torch
import transformers

import var

# warnings read "Category: message" here, without the file paths of the machine that ran the page
warnings.formatwarning = lambda message, category, *args, **kwargs: f"{category.__name__}: {message}\n"
torch.manual_seed(0)
models = [var.from_timm(timm.create_model(name, pretrained=False).eval()) for name in timm_models]
config = transformers.ViTConfig(image_size=224, patch_size=16, hidden_size=192, num_hidden_layers=4,
                                num_attention_heads=3, intermediate_size=384, num_labels=1000)
models.append(var.from_hf(transformers.ViTForImageClassification(config).eval(), name="hf-vit (random)"))
pd.DataFrame([{"model": m.name, "GradCAM layer": type(m.gradcam_layer).__name__,
               "reshape": getattr(m.reshape, "__name__", None) or getattr(getattr(m.reshape, "func", None),
                                                                          "__name__", "—"),
               "prefix tokens": getattr(m.reshape, "keywords", {}).get("prefix", "—"),
               "input": m.input_size, "classes": len(m.class_names)} for m in models])

# %% [markdown]
# The same three lines for each model: explain, then plot.

# %%
for model in models:
    e = var.explain(model, image, method, "top_k", k=2)
    fig = var.viz.figures.show_explanation(e, model.unnormalize)
    fig.suptitle(f"{model.name} (random weights) — {method}", y=1.02)
    plt.show()

# %% [markdown]
# ## Exercises
#
# 1. Why does the ViT's GradCAM layer sit *before* the last block's attention
#    rather than at the final norm?
#
# ```{admonition} Solution
# :class: dropdown
# The classifier reads only the class token after the last block. At the final
# norm, the gradient of a class logit reaches the class token alone, so every
# patch token's gradient — and with it the CAM — is zero. Before the last
# attention, the patch tokens still feed the class token through attention.
# ```
#
# 2. A DeiT has two prefix tokens, a DINOv2 with registers five. What goes
#    wrong if the reshape drops only one?
#
# ```{admonition} Solution
# :class: dropdown
# The remaining tokens no longer form a square grid (196 patches + 1 prefix token
# left = 197, not a square),
# or, worse, a wrong token lands in the first patch cell. `token_grid` refuses
# non-square counts with an error naming `reshape=`.
# ```
