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

import var

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
var.plotting.show_image(axes[0], e.inputs, model.unnormalize)
var.plotting.show_maps(axes[1:], H, e.class_names)
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
rows = []
for tau in taus:
    for name, share in zip(e.class_names, var.kept_share(var.relevance(H, 0.1, tau)).tolist()):
        rows.append({"tau": tau, "class": name, "kept": share})
kept = pd.DataFrame(rows)
sns.barplot(kept, x="tau", y="kept", hue="class")
plt.ylabel("share of locations kept (t = 0.1)")
plt.show()

# %%
fig, axes = plt.subplots(len(taus), len(e.classes), figsize=(2.2 * len(e.classes), 2.2 * len(taus)))
for row, tau in zip(axes, taus):
    var.plotting.show_maps(row, var.relevance(H, 0.1, tau), [f"τ={tau:g} · {n[:14]}" for n in e.class_names])
plt.show()

# %% [markdown]
# ## The scale question
# The authors' code feeds the raw magnitudes $|\mathcal{H}|$ to the softmax,
# so what $t = 0.1$ means depends on the method's scale: gradients of a logit
# are around $10^{-3}$, so every location looks nearly uniform and little
# survives; Integrated Gradients or GradCAM are orders of magnitude larger, so
# the softmax is almost one-hot. Dividing all maps by their joint maximum
# (`normalize="joint_max"`) makes $t$ mean the same for every method.

# %%
rows = []
for m in ["gradient", "integrated_gradients", "gradcam"]:
    h = var.attribute(model, e.inputs, e.classes, m, **({"steps": 16} if m == "integrated_gradients" else {}))
    for norm in [None, "joint_max"]:
        for t in [1e-4, 1e-3, 1e-2, 0.1, 1.0]:
            kept = float(var.kept_share(var.relevance(h, t, 0.01, normalize=norm, warn_below=None)).mean())
            rows.append({"method": m, "normalize": str(norm), "t": t, "kept": kept,
                         "max |H|": float(h.abs().max())})
scale = pd.DataFrame(rows)
g = sns.relplot(scale, x="t", y="kept", hue="method", col="normalize", kind="line", marker="o", height=3)
g.set(xscale="log")
plt.show()
scale.pivot_table(index=["method", "normalize"], columns="t", values="kept").round(3)

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
# - the adapters give a defined result: `var.attributor.visualize_image_attr` draws Captum's
#   figure titled "nothing kept" where Captum's own fails, and `var.quantus.explain_func(...,
#   empty="nan")` lets Quantus report NaN instead of refusing an all-zero batch.
#
# When *all* classes together keep less than 1% of the locations, $t$ and $\tau$ do not fit the
# attributions' scale, and `var.relevance` warns, naming the scale and what to change. Here the
# gradient maps at $t = 10$:

# %%
empty = var.relevance(var.attribute(model, e.inputs, e.classes, "gradient"), temperature=10.0)
pd.DataFrame({"class": e.class_names, "kept": var.kept_share(empty).numpy()})

# %% [markdown]
# ## Explore
# The same image with sliders for $t$ and $\tau$ (precomputed, works without a kernel).

# %%
var.widgets.var_explorer(H, e.class_names, image=e.inputs, unnormalize=model.unnormalize)

# %% [markdown]
# ## Exercises
#
# 1. With the explorer, set $\tau = 0$. At which $t$ do the VAR maps of all
#    classes together cover (nearly) every location?
#
# ```{admonition} Solution
# :class: dropdown
# At small $t$. With $\tau = 0$ a location is kept for every class whose
# $M_c$ is above $1/|K|$; at small $t$ the softmax is one-hot, so exactly one
# class (the winner) is above chance at every location where the maps differ:
# the classes tile the image. At large $t$ all $M_c \approx 1/|K|$ and ties at
# chance are dropped.
# ```
#
# 2. Why does $t = 0.1$ keep much more of a GradCAM map than of a plain
#    gradient map (the scale plot above)?
#
# ```{admonition} Solution
# :class: dropdown
# The softmax sees raw magnitudes $|\mathcal{H}|/t$. Gradients of a logit are
# around $10^{-3}$, so $|\mathcal{H}|/t$ differs little between classes and $M$
# stays near $1/|K|$; GradCAM values are orders of magnitude larger, so $M$ is
# nearly one-hot. `normalize="joint_max"` rescales all maps by their joint
# maximum first, which makes $t$ mean the same for every method.
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
