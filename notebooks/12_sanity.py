# %% [markdown]
# # Benchmark: cascading randomisation sanity check
#
# Adebayo et al. (2018) {cite}`adebayo2018sanity`: re-initialise the model's layers from the output
# towards the input, cumulatively, and compare each method's map after every
# step with the map of the trained model. A map that depends on what the model
# learned should change: **lower similarity is better**. Like the paper we
# compare each method with its own VAR version (relative change), since
# absolute levels are not comparable across methods (Binder et al. 2023 {cite}`binder2023shortcomings`).
#
# **Re-initialisation.** The test presumes that randomising a layer destroys
# what it learned but keeps the network working at its usual scale (Binder et
# al., cited by the paper, note that randomisation "preserves scales of forward
# pass activations"). Our default (`reinit="gaussian"`) redraws every parameter
# tensor from a Gaussian with that tensor's own mean and standard deviation,
# every parameter of every layer included. PyTorch's `reset_parameters` draws
# far smaller weights and resets BatchNorm: the logits collapse to 1–2% of their
# trained spread, the maps shrink ~100×, and VAR's class softmax on raw
# magnitudes becomes uniform so VAR maps come out *empty*. Both are shown.
# **Deviations on this page:** `n_images` images (paper: 10,000); IG with
# `ig_steps` steps (paper: 50); EfficientNet-Lite0 (paper: ResNet50 and others).
#
# **You will learn** what a randomised network's maps look like next to the trained one's, why the check
# compares VAR with its own vanilla method rather than across methods, and why one random network for every
# image leaves a source of variance out. The [reference run](#reference-run) is the one to draw conclusions
# from; the live run is a small version you can change.

# %% tags=["parameters"]
from var.core import protocol  # the paper's settings

model_name = "efficientnet_lite0"
methods = list(protocol.PAPER_METHODS)  # any registry names: `var-bench methods` lists them
n_images = 3
ig_steps = 8
fractions = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0]
out = "../results/book"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

import var
from var.benchmarks import table as results
from var.benchmarks import BenchConfig, run, run_key, summarize

# %% [markdown]
# **What the check compares.** Guided Backprop's map of the espresso class on the coffee photo (the rule: the
# quick start's image and its top class, K = its top 3 and the least probable class), on the trained network
# and after re-initialising 10%, 50% and all of its layers (output side first); vanilla above, VAR below,
# each on its own colour scale. A method that passes the check changes its map as the network loses what it
# learned; the Spearman correlation with the trained map measures how much it did not.

# %%
from var.benchmarks.base import get_model

model = get_model(model_name)
x = model.prepare("skimage:coffee")
classes = var.class_sets.top_k(model.logits(x)[0], 3)
var.pages.examples.sanity_example(model, x, classes, classes[0])
plt.show()

# %% [markdown]
# ## Try it small: the live run

# %%
tables = []
for reinit in ["gaussian", "reset_parameters"]:
    config = BenchConfig("sanity", model=model_name, methods=tuple(methods), n=n_images, ig_steps=ig_steps,
                         options={"fractions": fractions, "reinit": reinit})
    tables.append(run(config, f"{out}/{run_key(config)}").assign(reinit=reinit))
table = pd.concat(tables, ignore_index=True)
Markdown(f"Run: {n_images} images, IG with {ig_steps} steps, fractions {fractions}.")

# %% [markdown]
# ## Similarity after randomisation (lower is better)
# Spearman rank correlation of |map| with the trained model's map; dashed:
# vanilla, solid: VAR. Left: our scale-keeping default; right: `reset_parameters`.

# %%
var.report.charts.sanity_curves(table)
plt.show()

# %% [markdown]
# ## Share of empty maps
# An empty map (all zero) has no rank correlation with anything: its
# similarity is NaN and left out of the curves above (never counted as 0).
# This table says how often that happened, per fraction of layers randomised.

# %%
empty = table[table.metric == "empty"]
empty.pivot_table(index=["reinit", "method", "var"], columns="fraction", values="value").round(2)

# %% [markdown]
# ## Mean similarity over the randomised steps
# Per method, vanilla vs VAR, averaged over all fractions after the first (the
# paper's Figure 5 shows VAR below vanilla for every method); `empty maps` counts
# the maps with no similarity (all zero).

# %%
s = summarize(results.scored(results.randomised(table)), by=["reinit", "method", "var", "metric"])
var.pages.sections.similarity_table(s, ["reinit", "method", "var"])

# %% [markdown]
# (reference-run)=
# ## Reference run
# The same comparison on the committed reference run (50 ImageNet sample images,
# `gaussian` re-initialisation, IG with 50 steps; `make reference` makes it, see
# `results/reference/sanity/provenance.json`). Its intervals are the ones to
# draw conclusions from; the [claims page](15_claims.ipynb) sums them up.

# %%
from var.report import reference

ref = reference.load("sanity")
if ref is None:
    display(Markdown("No reference run under `results/reference/sanity`: run `make reference`."))
else:
    display(Markdown(var.pages.sections.provenance(ref)))
    ref_table = ref["table"].assign(reinit=ref["config"].options["reinit"])
    var.report.charts.sanity_curves(ref_table)
    plt.show()
    ref_s = summarize(results.scored(results.randomised(ref_table)), by=["method", "var", "metric"])
    display(var.pages.sections.similarity_table(ref_s))

# %% [markdown]
# ## One random network or several?
# The run above re-initialises the network once (seed 0) and scores every image under that one random
# network, as the paper's protocol does: its intervals say how VAR − vanilla varies over *images*, not
# over *random networks*. The `sanity-networks` reference run scores each of its images under three
# independently re-initialised networks. VAR − vanilla of the rank correlation with the trained maps
# (lower: VAR passes the check better), per network, method and fraction; a verdict that differs between
# networks rests on the draw of the network:

# %%
from var.core.protocol import PAPER_FIVE

networks = reference.load("sanity-networks")
if networks is None:
    display(Markdown("No `sanity-networks` reference run: `python -m var.bench reference sanity-networks`."))
else:
    display(Markdown(var.pages.sections.provenance(networks)))
    per_network = var.report.choices.networks(networks["table"], PAPER_FIVE)
    verdicts = per_network.pivot_table(index=["method", "fraction"], columns="network", values="verdict",
                                       aggfunc="first")
    display(verdicts)
    differ = verdicts[verdicts.nunique(axis=1) > 1]
    display(Markdown(f"The verdict differs between the three networks for {len(differ)} of {len(verdicts)} "
                     "(method, fraction) pairs" + (": " + ", ".join(f"{m} at {f:g}" for m, f in differ.index)
                                                   if len(differ) else "") + "."))

# %% [markdown]
# ## Summary

# %%
g = var.pages.sections.reference_gains("sanity", "spearman_abs", direction=-1)
Markdown(f"* On the `sanity` reference run ({g.units} units; intervals over units, not items), VAR − vanilla "
         "spearman_abs: " + ", ".join(f"{r.method} {r.mean:+.3f} [{r.ci95_low:+.3f}, {r.ci95_high:+.3f}]"
                                      for r in g.rows.itertuples())
         + f". {g.good} of {len(g.rows)} methods have their whole interval on the lower (better) side of 0. (The paper "
         "claims this at every randomisation fraction; the claims page tests each fraction.)\n"
         "* VAR's maps keep few locations, so after randomisation they often keep different few locations: "
         "part of what the check rewards is sparsity, which the controls on the sensitivity page separate.\n"
         "* With PyTorch's `reset_parameters` VAR's maps come out empty and the comparison is void; the "
         "scale-keeping `gaussian` rule is the one the verdicts use.")

# %% [markdown]
# ## Exercise
# In the example, at which fraction does Guided Backprop's *vanilla* map stop looking like the coffee cup?
# Does its VAR map change earlier or later?
#
# ```{admonition} How to check
# :class: dropdown
# Guided Backprop is known to pass the check badly (Adebayo et al. 2018): its vanilla map keeps the image's
# edges long after the top layers are random, because its rule at each ReLU reconstructs the input. Read
# the row pairs above and the per-fraction curves; VAR's row follows the class contrast, which the random
# top layers destroy first, so it changes earlier.
# ```
