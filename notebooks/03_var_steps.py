# %% [markdown]
# # The VAR steps one at a time
#
# **Step 1** computes attribution maps $\mathcal{H}_c$ for every class $c$ of
# the class set $K$. **Step 2** compares the classes at each location with a
# softmax of temperature $t$:
# $M_c = e^{|\mathcal{H}_c|/t} / \sum_{k\in K} e^{|\mathcal{H}_k|/t}$.
# **Step 3** keeps the attribution where the class beats chance by $\tau$:
# $\mathcal{C}_c = \mathcal{H}_c \odot M_c \odot \mathbb{1}[M_c - 1/|K| > \tau]$.
# The paper uses $t = 0.1$ and $\tau = 0.01$.
#
# **You will learn** to compute each step yourself, how $t$ sharpens or
# flattens the class softmax, how $\tau$ trims the mask, and why the meaning of
# $t$ depends on the scale of the attribution method.

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
image = "skimage:chelsea"
method = "guided_backprop"
k = 3
temperatures = [0.001, 0.01, 0.1, 1.0]
taus = [0.0, 0.01, 0.1, 0.3]

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown

import var
from var.core import protocol
from var.pages import anatomy

model = var.load_model(model_name)
e = var.explain(model, image, method, "top_k", k=k)
H = e.attributions
pd.DataFrame({"class": e.class_names, "probability": e.probabilities.numpy().round(4),
              "max |H|": H.abs().amax((1, 2, 3)).numpy()})

# %% [markdown]
# ## Step 1: one map per class
# The vanilla maps of the top classes look alike: they show the object, not
# what makes it *this* class.

# %%
fig, axes = plt.subplots(1, len(e.classes) + 1, figsize=(2.4 * (len(e.classes) + 1), 2.6))
var.viz.figures.show_image(axes[0], e.inputs, model.unnormalize)
var.viz.figures.show_maps(axes[1:], H, e.class_names)
plt.show()

# %% [markdown]
# ## Step 2: the softmax across classes, and what $t$ does
# Each row is one temperature, each column the $M_c$ of one class (channels
# averaged for display; 1 = the location belongs to that class alone).

# %%
fig, axes = plt.subplots(len(temperatures), len(e.classes), figsize=(2.2 * len(e.classes), 2.2 * len(temperatures)))
for row, t in zip(axes, temperatures):
    M = var.spatial_softmax(H, t)
    for ax, m, name in zip(row, M.mean(1), e.class_names):
        ax.imshow(m, vmin=0, vmax=1, cmap="viridis")
        ax.set_title(f"t={t:g} · {name[:14]}", fontsize=8)
        ax.axis("off")
plt.show()

# %% [markdown]
# ## Step 3: the mask, and what $\tau$ does
# Larger $\tau$ keeps a subset of the locations kept by a smaller one.

# %%
kept = anatomy.kept_by_tau(H, taus, e.class_names)
sns.barplot(kept, x="tau", y="kept", hue="class")
plt.ylabel(f"share of locations kept (t = {protocol.TEMPERATURE:g})")
plt.show()

# %%
fig, axes = plt.subplots(len(taus), len(e.classes), figsize=(2.2 * len(e.classes), 2.2 * len(taus)))
for row, tau in zip(axes, taus):
    var.viz.figures.show_maps(row, var.relevance(H, var.Relevance(tau=tau, warn_below=None)),
                           [f"τ={tau:g} · {n[:14]}" for n in e.class_names])
plt.show()

# %% [markdown]
# ## One element by hand
# Steps 2 and 3 act on every element (channel and pixel) separately. Take one element the top
# class keeps at $t = 0.1$, $\tau = 0.01$ (the median $|\mathcal{H}|$ among its kept elements)
# and compute its softmax and mask with pen and paper; the last column is `var.spatial_softmax`.

# %%
t, tau = protocol.TEMPERATURE, protocol.TAU
(ch, i, j), hand = anatomy.by_hand(H, e.class_names, t, tau)
hand.style.format(precision=4).hide(axis="index")

# %%
Markdown(f"At channel {ch}, pixel ({i}, {j}), chance is 1/|K| = {1 / len(e.classes):.2f}: "
         + "; ".join(f"{r['class']} has M = {r['M_c']:.4f} ({r['M_c - 1/|K|']:+.4f}), "
                     + ("kept" if r[f"kept (> {tau:g})"] else "dropped") for _, r in hand.iterrows()) + ".")

# %% [markdown]
# ## What does the selecting at $t = 0.1$, $\tau = 0.01$
# Most elements have $|\mathcal{H}|/t$ well below 1, where $e^{x} \approx 1 + x$, so the
# softmax is nearly linear: $M_c \approx 1/|K| + (|\mathcal{H}_c| - \overline{|\mathcal{H}|})/(|K|\,t)$,
# with $\overline{|\mathcal{H}|}$ the mean over the classes at that element. The mask
# $M_c - 1/|K| > \tau$ then reads: **keep the element for class $c$ if its $|\mathcal{H}_c|$ exceeds
# the classes' mean there by more than $|K|\,t\,\tau$**, a fixed margin on the attribution's
# own scale. $t$ and $\tau$ act together as that one threshold; neither is "one-hot" here.

# %%
rule = anatomy.margin_rule(H, t, tau)
margin = rule["margin"]
Markdown(f"Here |K| t τ = {margin:g}. {rule['near_linear']:.0%} of the elements have "
         f"|H|/t < 0.5, and the margin rule agrees with the exact mask on {rule['agreement']:.1%} "
         f"of them all (exact: {rule['exact_kept']:.1%} of the class-element pairs kept, margin rule: "
         f"{rule['margin_kept']:.1%}). The median |H| of `{method}` is {float(H.abs().median()):.4f}, so "
         "what t = 0.1 keeps depends on how that scale compares with the margin: the next section.")

# %% [markdown]
# ## The scale question
# The authors' code feeds the raw magnitudes $|\mathcal{H}|$ to the softmax, so the margin
# $|K|\,t\,\tau$ is measured on each method's own scale, and the same $t$ keeps very different
# shares for different methods. `var.Relevance(normalize="joint_max")` divides all maps of an image by their
# joint maximum first: the margin becomes the same *fraction of the maximum* for every method,
# but the kept shares still differ, because methods spread their attribution differently
# below the maximum.

# %%
maps = {m: var.attribute(model, e.inputs, e.classes, m, **options) for m, options in
        {"gradient": {}, "integrated_gradients": {"steps": 16}, "gradcam": {}}.items()}
scale = anatomy.kept_by_temperature(maps, [1e-4, 1e-3, 1e-2, 0.1, 1.0], tau)
g = sns.relplot(scale, x="t", y="kept", hue="method", col="normalize", kind="line", marker="o", height=3)
g.set(xscale="log")
plt.show()
scale.pivot_table(index=["method", "normalize"], columns="t", values="kept").round(3)

# %%
at = scale[scale["t"] == t].set_index(["method", "normalize"])
raw, joint = at.xs("None", level="normalize"), at.xs("joint_max", level="normalize")
Markdown(f"At t = 0.1 (margin {margin:g}) on the raw scale: " + ", ".join(
    f"`{m}` keeps {r['kept']:.1%} (median |H| {r['median |H|']:.4f})" for m, r in raw.iterrows())
    + "; the more of a method's attribution lies above the margin, the more it keeps. With `joint_max`: "
    + ", ".join(f"`{m}` {r['kept']:.1%}" for m, r in joint.iterrows()) + ". (Mean kept share over the "
    f"{len(e.classes)} classes; a one-hot softmax would cap it at 1/|K| = {1 / len(e.classes):.0%}: a share above "
    "that means several classes beat chance at the same element.)")

# %% [markdown]
# ## Empty maps
# When no location of a class beats chance by $\tau$, its VAR map is all zero (never NaN): VAR's
# answer that at this $t$ and $\tau$ nothing in the image is relevant to that class *rather than*
# to the others. Top-k's least probable class usually ends here, on purpose. The workspace treats
# such maps one way everywhere:
#
# - figures write "nothing kept" on them, so an empty map is not mistaken for a faint one;
# - benchmark tables record an `empty` row (1 or 0) per map, so every summary reports the share of
#   empty maps; metrics on the map's mass (RA, precision, F1) score an empty map 0, rank
#   correlations (sanity checks) have no value for it (NaN, counted in `n_nan`);
# - the adapters give a defined result: `var.interop.attributor.visualize_image_attr` draws Captum's
#   figure titled "nothing kept" where Captum's own fails, and `var.interop.quantus.explain_func(...,
#   empty="nan")` lets Quantus report NaN instead of refusing an all-zero batch.
#
# When *all* classes together keep less than 1% of the locations, $t$ and $\tau$ do not fit the
# attributions' scale, and `var.relevance` warns, naming the scale and what to change. Here the
# gradient maps at $t = 10$:

# %%
empty = var.relevance(var.attribute(model, e.inputs, e.classes, "gradient"), var.Relevance(temperature=10.0))
pd.DataFrame({"class": e.class_names, "kept": var.kept_share(empty).numpy()})

# %% [markdown]
# ## Explore
# The same image with sliders for $t$ and $\tau$ (precomputed, works without a kernel).

# %%
var.viz.widgets.var_explorer(H, e.class_names, image=e.inputs, unnormalize=model.unnormalize)

# %% [markdown]
# The explorer's grid in numbers: the percent of locations each class keeps at each $(t, \tau)$.

# %%
anatomy.kept_grid(H, var.viz.widgets.DEFAULT_TEMPERATURES, var.viz.widgets.DEFAULT_TAUS, e.class_names)

# %% [markdown]
# ## Exercises
#
# 1. With the explorer, set $\tau = 0$ and move $t$ from 0.01 to 1. Why do the three top
#    classes keep almost every location at every $t$, and what changes when you set
#    $\tau = 0.01$ again?
#
# ```{admonition} Solution
# :class: dropdown
# Read the table under the explorer. At $\tau = 0$ an element is kept for every class whose
# $M_c$ is above chance $1/|K|$. For large $t$ the softmax is nearly linear and that means
# $|\mathcal{H}_c|$ above the classes' mean at that element. The least probable class has almost
# no attribution and pulls that mean down, so the two top classes, whose maps are alike, are
# above it nearly everywhere: $t$ changes how far above chance they are, not whether. Only at
# small $t$, where the softmax approaches one-hot and only the largest class is far above chance,
# does the third class lose part of its locations. With $\tau = 0.01$ a class must beat chance
# by a margin, which (section "What does the selecting") means $|\mathcal{H}_c|$ exceeding the
# classes' mean by about $|K|\,t\,\tau$: now $t$ matters, and larger $t$ keeps less.
# ```
#
# 2. Why does $t = 0.1$ keep much more of a GradCAM map than of an Integrated Gradients map
#    (the scale section above)?
#
# ```{admonition} Solution
# :class: dropdown
# The mask keeps an element whose $|\mathcal{H}_c|$ exceeds the classes' mean there by about
# $|K|\,t\,\tau$ (0.004 for $|K| = 4$), on the method's own scale. GradCAM's values are large
# almost everywhere (its median $|\mathcal{H}|$ is far above the margin), Integrated Gradients'
# are tiny almost everywhere (median far below it), so the same margin keeps most of one and
# little of the other. `Relevance(normalize="joint_max")` puts the margin at the same fraction of every
# method's maximum, which narrows the gap but does not close it.
# ```
#
# 3. Show that larger $\tau$ never adds locations.
#
# ```{admonition} Solution
# :class: dropdown
# $\mathbb{1}[M_c - 1/|K| > \tau_2] \le \mathbb{1}[M_c - 1/|K| > \tau_1]$ for
# $\tau_2 > \tau_1$, and $M$ does not depend on $\tau$: the step-3 bar chart
# above shows the kept share falling monotonically.
# ```
