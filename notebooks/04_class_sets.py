# %% [markdown]
# # Choosing the class set K
#
# VAR compares classes, so *which* classes it compares decides what it shows.
# The paper proposes three strategies:
#
# * **predefined**: classes of interest, e.g. the objects you know are in the image;
# * **top-$k$**: the $k$ most probable classes plus the least probable one;
# * **best-vs-worst**: $K = \{\arg\max_c S_c(x), \arg\min_c S_c(x)\}$.
#
# We first re-make the paper's Figure 1 properties and its Figure 6 (coffee mug
# vs beer glass) on our model, with examples chosen by a stated rule rather than
# by eye, then compare the strategies on COCO images with several objects.
#
# **You will learn** what a class set does to VAR's maps (object-specific,
# class-discriminative, shared parts), the three strategies for choosing $K$,
# and when to use which.

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
method = "guided_backprop"
n_coco_images = 2
k = 3
n_candidates = 100  # images ranked for the close pair

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import var
from var.benchmarks import coco
from var.benchmarks.data import COCO_NAMES, find_data, imagenet_items, seeded_order
from var.pages import paper_figures
from var.report import reference
from var.viz.figures import grey, show_image

model = var.load_model(model_name)

# %% [markdown]
# ## Object-specific: each class of a grid grounds in its own quadrant
# The paper's Figure 3 setting: four ImageNet images in a 2 × 2 grid, $K$ = their four classes. Which grid?
# Not the best one: the grid of our grid reference run whose VAR − vanilla RA gain (averaged over the paper's
# five methods) is the **median** gain, a typical grid.

# %%
grid_ref = reference.load("grid")
if grid_ref is None:
    display(Markdown("`grid`: no reference run, so no typical grid (run `python -m var.bench reference grid`)."))
else:
    e, unit, ra = paper_figures.grid_example(model, grid_ref, method)
    var.viz.figures.show_explanation(e, model.unnormalize)
    plt.show()
    display(Markdown(f"Grid {unit} of the reference run (the median gain). The share of each class's map in its own "
                     "quadrant (RA, the grid benchmark's measure; 0.25 if the map ignored the quadrants): "
                     + ", ".join(f"{r['class']} {r['vanilla']:.2f} → {r['VAR']:.2f}" for _, r in ra.iterrows())
                     + " (vanilla → VAR)."))

# %% [markdown]
# ## Class-discriminative: the paper's Figure 6 on our model
# The paper's Figure 6: Guided Backprop gives "coffee mug" and "beer glass" nearly identical maps; VAR gives
# each class what tells it from the other (the handle, the glass's shape). We re-make it by a rule
# (`var.pages.paper_figures.close_pair`): rank the first images of the sample (the benchmarks' seeded order)
# by how close their two most probable classes are in probability, and take the first whose two VAR maps both
# keep at least 1% of the elements. $K$ = the pair plus the least probable class (the top-$k$ strategy with
# $k$ = 2): with the pair alone, $M_a + M_b = 1$ at every element, so no element could be kept by both.

# %%
items = imagenet_items(find_data("imagenet-sample"))
pair = paper_figures.close_pair(model, seeded_order(items), method, candidates=n_candidates)
e = pair.explanation
var.viz.figures.show_explanation(e, model.unnormalize)
plt.show()
cosines = var.pages.anatomy.pair_cosines(e)  # NaN: one of the two maps is empty
Markdown(f"**{Path(pair.path).name}**: {e.class_names[0]} (p = {e.probabilities[0]:.3f}) and {e.class_names[1]} "
         f"(p = {e.probabilities[1]:.3f}); the closest pair of the {n_candidates} candidates is rank 1, this is rank "
         f"{pair.rank} ({pair.skipped} closer pair(s) skipped because a VAR map kept less than 1%). How alike the "
         f"maps of {e.class_names[0]} and {e.class_names[1]} are (cosine of |map|, 1 = the same map): "
         + ", ".join(f"{label} {cosines[k]:.2f}" if cosines[k] == cosines[k] else f"{label}: one of the two maps is "
                     "empty" for k, label in (("vanilla", "vanilla"), ("VAR", f"VAR (t = {e.temperature:g}, "
                                                                              f"τ = {e.tau:g})"))) + ".")

# %% [markdown]
# **Does the pair separate at the paper's setting?** How alike the two VAR maps are at each $(t, \tau)$ (cosine
# of |map|, 1 = the same map), with the share of elements each keeps and both keep. With an absent third class
# in $K$, the classes' mean at an element is low, so both breeds can beat chance on the same elements; a
# larger $\tau$ or a smaller $t$ makes one class win an element outright (the line under the table says
# whether each class ever does: the paper's Figure 6 gives both classes elements of their own).

# %%
settings = paper_figures.pair_settings(e)
display(settings.style.hide(axis="index").format("{:.1%}").format("{:g}", subset=["t", "τ"])
        .format("{:.2f}", subset=["cosine"]))
facts, kept = paper_figures.pair_settings_summary(settings, min_kept=0.01), e.class_names[:2]
paper, best = facts["paper"], facts["least_alike"]
Markdown(f"At the paper's setting (t = {paper['t']:g}, τ = {paper['τ']:g}) the two VAR maps have cosine "
         f"{paper['cosine']:.2f}, and {facts['both_of_smaller']:.0%} of the smaller map's elements are kept by both. "
         + ("No setting of this grid has both maps keep ≥ 1%." if best is None else
            f"The least alike maps in this grid with both keeping ≥ 1%: t = {best['t']:g}, τ = {best['τ']:g} (cosine "
            f"{best['cosine']:.2f}; kept " + ", ".join(f"{best['kept: ' + c]:.1%}" for c in kept) + "). ")
         + "The largest share of a map's kept elements that the other class does not keep, over the grid: "
         + ", ".join(f"{c} {share:.0%}" for c, share in facts["own"].items())
         + "".join(f"; {c} keeps no element of its own at any of these settings"
                   for c, share in facts["own"].items() if share == 0) + ".")

# %% [markdown]
# ## Shared concepts: what both classes keep
# The paper's fourth property: VAR can still show a part that both classes use, where neither wins it
# outright. An element is kept for a class when its share $M_c$ exceeds $1/|K| + \tau$ = 0.343 here (|K| = 3),
# so two classes can both keep it only when they split it nearly evenly and the third class is absent.

# %%
shared = paper_figures.shared_concepts(e.maps)
fig, axes = plt.subplots(1, 2, figsize=(7, 3.6), layout="constrained")
show_image(axes[0], e.inputs, model.unnormalize)
axes[1].imshow(grey(e.inputs, model.unnormalize), cmap="gray", vmin=0, vmax=1)
axes[1].imshow(np.ma.masked_where(~shared.numpy(), shared.numpy()), cmap="autumn", vmin=0, vmax=1)
axes[1].set_title(f"pixels where both classes keep a channel: {shared.float().mean():.1%}", fontsize=9)
axes[1].axis("off")
plt.show()
shares = paper_figures.shared_shares(e.maps)
Markdown(f"Both classes keep {shares['both']:.1%} of the elements (channel and pixel): "
         + ", ".join(f"{share:.0%} of what {name} keeps" for share, name in zip(shares["of_own"], e.class_names))
         + ". The figure marks a pixel when any of its channels is kept by both, so it shows more than the elements "
           "do.")

# %% [markdown]
# The fourth property of the paper's Figure 1, **instance-specific** maps that mark an object "on a
# by-part basis", needs part annotations to be chosen by a rule; we do not re-make it.

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
    top_kept = {}
    for strategy, kwargs in strategies.items():
        e = var.explain(model, x, method, strategy, **kwargs)
        fig = var.viz.figures.show_explanation(e, model.unnormalize)
        fig.suptitle(f"{item.path.name} — {strategy}", y=1.02)
        plt.show()
        if strategy != "predefined":  # both start with the most probable class
            top_kept[strategy] = (e.class_names[0], float(var.core.relevance.kept_share(e.maps)[0]))
    display(Markdown(f"The most probable class, **{top_kept['top_k'][0]}**, keeps {top_kept['top_k'][1]:.1%} of "
                     f"its elements under top-k and {top_kept['best_vs_worst'][1]:.1%} under best-vs-worst."))

# %% [markdown]
# **Reading the figures.** Each VAR map's title gives the share it keeps. What
# to look for: top-$k$ contrasts the plausible competitors, so each class keeps
# only what it explains clearly better than they do, and a class whose
# competitors explain its object as well can keep nothing (look for "nothing
# kept"); best-vs-worst contrasts against an absent class, so the best class has
# no close competitor and keeps more than under top-$k$ (the line under each
# image gives both shares); a predefined set of the objects that are really there
# should split the image between them, but an object the model does not see
# (p ≈ 0) has a weak map and keeps little or nothing. VAR can only hand a region
# to a class in $K$: a region whose own class is missing from $K$ goes to
# whichever member explains it best, so look for a class kept far from its
# object (the predefined set holds the COCO categories' ImageNet stand-ins, such
# as "pot" for a potted plant, not every object in the photo).

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
