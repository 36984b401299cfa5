# %% [markdown]
# # Speed: the multi-class engine against a per-class loop
#
# VAR needs maps for every class of $K$. A per-class Captum loop runs $|K|$
# forward and backward passes. `var.attribute` runs one forward pass and then
# the $|K|$ backward passes over its graph (GradCAM: only from the logits back
# to its layer). The floor is one forward plus $|K|$ backward passes.
# Full table: `python -m var.bench speed` (targets checked there).
#
# **You will learn** what VAR costs on top of the attribution method (|K| maps instead of one, then two cheap
# steps), how a multi-class engine saves the repeated forward passes, and where a benchmark's time goes.

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
class_counts = [4, 16]
repeats = 3
methods = ["gradient", "input_x_gradient", "guided_backprop", "integrated_gradients", "gradcam"]

# %%
import pandas as pd

import var.perf.speed as speed

rows = speed.run(model_name, class_counts, repeats, steps=4, internal_batch_size=64, methods=methods)
pd.DataFrame(rows).round(3)

# %% [markdown]
# Each row's `target` is the speed-up over Captum the engine should reach (`var.perf.speed.TARGETS`) and, for
# the gradient methods, how close to the floor (one forward plus |K| backward passes) it should come. These
# are timings of a few repeats on a shared CPU, so a row can miss its target by noise; the CLI
# (`python -m var.bench speed`) repeats more and exits with status 1 when a target is missed.

# %%
from IPython.display import Markdown

missed = [r for r in rows if not r["meets_target"]]
Markdown(f"On this build {len(rows) - len(missed)} of {len(rows)} rows meet their target" + (
    "; missed: " + ", ".join(f"{r['method']} at |K| = {r['K']} ({r['speedup_vs_captum']:.2f}× Captum, "
                             f"{r['var_over_floor']:.2f}× the floor; target {r['target']})" for r in missed)
    if missed else "") + ".")

# %%
import matplotlib.pyplot as plt
import seaborn as sns

times = pd.DataFrame(rows).melt(id_vars=["method", "K"], value_vars=["captum_s", "var_s", "floor_s"],
                                var_name="how", value_name="seconds")
g = sns.catplot(times, x="method", y="seconds", hue="how", col="K", kind="bar", height=3.2, aspect=1.4)
g.set_xticklabels(rotation=30, ha="right")
plt.show()

# %% [markdown]
# ## What a benchmark unit costs
# Seconds for one unit (a grid, an image) of each benchmark with the reference
# configuration (IG at 50 steps, 2 torch threads, EfficientNet-Lite0), split
# into each method's attribution and the rest (metrics, PIC curves,
# re-initialising the model). Measured alone on the machine by
# `python -m var.bench cost --out results/reference/cost`; below it, the
# reference runs' own wall time per unit (from their `provenance.json`).

# %%
from IPython.display import display

from var.report import charts, reference

cost = reference.load_cost()
if cost is None:
    display(Markdown("No cost table under `results/reference/cost`: run `python -m var.bench cost`."))
else:
    display(Markdown(f"Measured {cost['provenance']['date'][:10]} on {cost['provenance']['machine']}, "
                     f"torch {cost['provenance']['torch']}."))
    display(reference.unit_seconds(cost).round(2))
reference.unit_times()

# %% [markdown]
# ## What each of the 18 study methods costs
# Seconds of each method's attribution (all |K| maps of the unit) in one fully scored unit of
# each "does it generalise?" reference run, measured alone on the machine by
# `python -m var.bench cost --benchmarks methods-grid methods-coco methods-intervention
# methods-sanity --tables units --out results/reference/cost-methods`. The sanity unit computes
# each method's maps on the trained and on five randomised networks.

# %%
study_cost = reference.load_cost(which="study")
if study_cost is None:
    display(Markdown("No study cost table under `results/reference/cost-methods`."))
else:
    display(reference.method_seconds(study_cost).round(2))

# %% [markdown]
# ## How attribution scales
# One 224×224 photo: seconds of `var.attribute` against Integrated Gradients'
# steps (|K| = 4) and against the class-set size |K| (gradient; IG at 16
# steps). Both grow linearly: IG costs one forward per step and one backward
# per step and class.

# %%
if cost is not None:
    charts.cost_scaling(cost["scaling"])
    plt.show()

# %% [markdown]
# ## Summary

# %%
Markdown(f"* Live timings on this build: {len(rows) - len(missed)} of {len(rows)} rows meet their target "
         "(first table); the CLI repeats more before it calls a target missed.\n"
         "* VAR's own steps (softmax and mask) cost little beside the |K| maps they need; the claims page's "
         "overhead table gives the ratio measured on one photo.\n"
         "* Attribution grows linearly with Integrated Gradients' steps and with |K| (the last figure), so a "
         "benchmark's time is set by the method and the class set.")

# %% [markdown]
# ## Exercise
# Re-run the first cell with `class_counts = [2, 32]`. How does the engine's speed-up over the per-class
# loop change with |K|, and why does it level off?
#
# ```{admonition} How to check
# :class: dropdown
# The per-class loop pays |K| forward and |K| backward passes, the engine one forward and |K| backward
# passes. Their ratio is (F + B)·|K| / (F + |K|·B), which grows with |K| towards (F + B)/B: once the backward
# passes dominate, sharing the forward pass saves at most one pass in two. Compare the `speedup_vs_captum`
# column at the two sizes (on a busy machine, repeat: the timings are noisy).
# ```
