# %% [markdown]
# # Choosing the class set $K$
#
# VAR compares classes, so *which* classes it compares decides what it shows.
# The paper proposes three strategies:
#
# * **predefined**: classes of interest, e.g. the objects you know are in the image;
# * **top-$k$**: the $k$ most probable classes plus the least probable one;
# * **best-vs-worst**: $K = \{\arg\max_c S_c(x), \arg\min_c S_c(x)\}$.
#
# We compare them on COCO images with several objects and on a closely
# related pair of classes, espresso vs cup (the paper's Figure 6 uses coffee
# mug vs beer glass).
#
# **You will learn** the three strategies for choosing $K$, how each changes
# what VAR shows on the same image, and when to use which.

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
method = "guided_backprop"
n_coco_images = 2
k = 3

# %%
import matplotlib.pyplot as plt

import var
from var.benchmarks import coco
from var.benchmarks.data import COCO_NAMES, find_data

model = var.load_model(model_name)

# %% [markdown]
# ## A closely related pair: espresso vs cup
# With $K$ = {espresso, cup} the vanilla maps of both classes are nearly the
# same; VAR separates what is espresso (the dark liquid) from what is cup.

# %%
e = var.explain(model, "skimage:coffee", method, "predefined", classes=[967, 968])
var.viz.figures.show_explanation(e, model.unnormalize)
plt.show()

# %% [markdown]
# ## Three strategies on images with several objects
# For the predefined set we take, for each COCO category present in the image,
# its most probable ImageNet class, exactly as the COCO benchmark does
# (mapping table in the COCO chapter).

# %%
for item in coco.multi_object_images(find_data("coco128-seg"), n=n_coco_images):
    x, objects = coco.load_item(model, item)
    kept, predefined = coco.targets(objects, model.predict(x)[0])
    print(f"{item.path.name}: COCO objects {[COCO_NAMES[cat] for cat, _, _ in kept]}")
    strategies = {"predefined": dict(classes=predefined), "top_k": dict(k=k), "best_vs_worst": {}}
    for strategy, kwargs in strategies.items():
        e = var.explain(model, x, method, strategy, **kwargs)
        fig = var.viz.figures.show_explanation(e, model.unnormalize)
        fig.suptitle(f"{item.path.name} — {strategy}", y=1.02)
        plt.show()

# %% [markdown]
# **Reading the figures.** Top-$k$ contrasts the plausible competitors, so VAR
# keeps the parts that tell them apart; best-vs-worst contrasts against a class
# that is absent, so VAR keeps almost everything the best class uses; a
# predefined set of the objects that are really there splits the image between
# them.

# %% [markdown]
# ## Exercises
#
# 1. On the static explorer page ("Explore"), switch the class set from
#    top-$k$ to best-vs-worst for the cat photo and move $t$. Which strategy
#    leaves the top class more of its vanilla map?
#
# ```{admonition} Solution
# :class: dropdown
# Best-vs-worst: the only competitor is an absent class with a weak map, so the
# top class wins almost every location and keeps most of its vanilla map.
# Top-$k$ adds related classes (other cats), which take the locations they
# explain better; the top class keeps what separates it from them.
# ```
#
# 2. You want to know what distinguishes a husky from a wolf in your photos.
#    Which strategy?
#
# ```{admonition} Solution
# :class: dropdown
# Predefined, $K$ = {husky, wolf} (plus an absent class if you want a
# baseline): the question fixes the classes, not the model's ranking.
# ```
