# %% [markdown]
# # Benchmark: cascading randomisation sanity check
#
# Adebayo et al. (2018): re-initialise the model's layers from the output
# towards the input, cumulatively, and compare each method's map after every
# step with the map of the trained model. A map that depends on what the model
# learned should change: **lower similarity is better**. Like the paper we
# compare each method with its own VAR version (relative change), since
# absolute levels are not comparable across methods (Binder et al. 2023).

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
n_images = 3
ig_steps = 8
fractions = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0]
out = "../results/book/sanity"

# %%
import matplotlib.pyplot as plt
import seaborn as sns

from var.benchmarks import BenchConfig, run, summarize

config = BenchConfig("sanity", model=model_name, n=n_images, ig_steps=ig_steps, options={"fractions": fractions})
table = run(config, out)
table["VAR"] = table["var"].map({False: "vanilla (dashed)", True: "VAR (solid)"})

# %%
g = sns.relplot(table[table.metric == "spearman_abs"], x="fraction", y="value", hue="method", style="VAR",
                style_order=["VAR (solid)", "vanilla (dashed)"], kind="line", marker="o", height=4, aspect=1.5,
                errorbar=None)
g.set_axis_labels("fraction of layers randomised (output first)", "Spearman rank correlation of |map|")
plt.show()

# %%
g = sns.relplot(table[table.metric != "spearman_abs"], x="fraction", y="value", hue="method", style="VAR",
                col="metric", kind="line", height=3, errorbar=None)
plt.show()

# %% [markdown]
# Mean similarity per method, vanilla vs VAR, averaged over all randomisation
# levels after the first (the paper's Figure 5 shows VAR below vanilla for
# every method). A VAR map can become *empty* after randomisation: with the
# authors' unnormalised softmax, the random network's attributions are so small
# (or so alike across classes) that no location beats chance by $\tau$. An
# empty map has no rank correlation with anything; those cases are NaN here and
# counted in `n_nan` rather than silently set to 0.

# %%
s = summarize(table[table.fraction > 0], by=["method", "var", "metric"])
s.pivot_table(index=["method", "var"], columns="metric", values=["mean", "n_nan"]).round(3)
