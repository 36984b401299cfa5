# %% [markdown]
# # Speed: the multi-class engine against a per-class loop
#
# VAR needs maps for every class of $K$. A per-class Captum loop runs $|K|$
# forward and backward passes. `var.attribute` runs one forward pass and then
# the $|K|$ backward passes over its graph (GradCAM: only from the logits back
# to its layer). The floor is one forward plus $|K|$ backward passes.
# Full table: `python -m var.bench speed` (targets checked there).

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
