# %% [markdown]
# # Benchmark: insertion (SIC and AIC)
#
# Performance Information Curves (Kapishnikov et al. 2019 {cite}`kapishnikov2019xrai`): start from a
# blurred image, restore the most salient pixels step by step and follow the
# model's softmax for the label (**SIC**) or its accuracy (**AIC**) against
# the information restored (lossless-WebP size). The area under the curve is
# the score; higher is better. Our implementation equals PAIR's reference
# `saliency.metrics.pic` (a test checks it); VAR's sparse maps are tie-broken
# by a seeded random order, so each step restores exactly its share of pixels.
# Images whose original prediction is below 0.8 (SIC) or wrong (AIC), or whose
# blurred version is still recognised, are skipped, as in PAIR.
#
# **Aggregation.** The paper's SIC/AIC come from PAIR's evaluation code, which
# takes the area under the *median* curve over images; we show that next to the
# mean of the per-image areas (with its 95% interval), and compare like with
# like in "paper vs ours". **Deviations on this page:** `n_images` images of
# the ImageNet sample (paper: the first 1,000 validation images); IG with
# `ig_steps` steps (paper: 50); EfficientNet-Lite0 (paper: ResNet50, ViT-B/16).
#
# **You will learn** how a PIC curve is made from a map (restore the top pixels, measure information and the
# model's belief), why sparse maps need a rule for ties, and how many images a run needs to resolve effects of
# the paper's size. The [reference run](#reference-run) is the one to draw conclusions from; the live run is a
# small version you can change.

# %% tags=["parameters"]
from var.core import protocol  # the paper's settings

model_name = "efficientnet_lite0"
n_images = 6
ig_steps = 16
methods = list(protocol.PAPER_METHODS)
out = "../results/book"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

import var
from var.benchmarks import BenchConfig, run, run_key
from var.benchmarks.insertion import aggregate

from var.benchmarks.data import find_data, imagenet_items
from var.report import reference

# %% [markdown]
# **How one map is scored.** The first image the reference run scored in full (the rule), its label as the
# target: the SIC curves of Guided Backprop's vanilla and VAR maps (left; the dots are the measured
# thresholds, the area under each curve is its SIC), and the images PIC feeds the model after restoring the
# top 2%, 10% and 34% of each map's pixels into the blurred image, with the model's probability of the target.

# %%
reference_table = reference.load("insertion")["table"]
example = reference_table[reference_table["unit"] == reference.scored_unit(reference_table)].iloc[0]
path = next(p for p, _ in imagenet_items(find_data("imagenet-sample")) if p.name == example["image"])
var.pages.examples.pic_example(var.load_model(model_name), path, int(example["target"]))
plt.show()

# %% [markdown]
# ## Try it small: the live run

# %%
config = BenchConfig("insertion", model=model_name, methods=tuple(methods), n=n_images, ig_steps=ig_steps)
table = run(config, f"{out}/{run_key(config)}")
scores = table[table.metric.isin(["sic", "aic"])]
skipped = table[table.metric.str.endswith("skipped")]
Markdown(f"Run: {n_images} images, IG with {ig_steps} steps. {scores.unit.nunique()} images scored; "
         f"skipped (method, var, curve) cases: {len(skipped)}.")

# %% [markdown]
# ## Both aggregates
# `mean` ± 95% interval: the mean of the per-image areas; `median_curve_auc`:
# PAIR's area under the pointwise median curve (what the paper reports).

# %%
agg = aggregate(table) if len(scores) else None
agg.round(3) if agg is not None else "every image was filtered out by PIC's conditions: increase n_images"

# %% [markdown]
# ## Paper vs ours
# Each cell is vanilla → VAR. Paper: ResNet50 on the first 1,000 ImageNet
# validation images (Table 2, PAIR's median-curve aggregate); ours: the same
# aggregate over the run above (the ± is the per-image mean's interval, for scale).

# %%
if agg is not None:
    var.pages.sections.paper_vs_ours(table, "insertion").show()

# %% [markdown]
# (reference-run)=
# ## Reference run
# The same comparison on the committed reference run (120 ImageNet sample images,
# those passing PIC's filters scored, IG with 50 steps; `make reference` makes
# it, see `results/reference/insertion/provenance.json`). Its intervals are the
# ones to draw conclusions from; the [claims page](15_claims.ipynb) sums them up.

# %%
var.pages.sections.reference_section("insertion").show()

# %% [markdown]
# ## Per image

# %%
if len(scores):
    var.report.charts.metric_bars(scores, col_wrap=2)
    plt.show()

# %% [markdown]
# ## How ties enter the curve
# A sparse VAR map is zero almost everywhere, so most of its pixels tie. PAIR's `compute_pic_metric` restores
# every pixel whose saliency is ≥ the threshold's quantile: where the quantile falls on the tie at zero, the
# whole image comes back at once. Our runs break ties in a seeded random order instead, so each threshold
# restores its share of pixels. The `insertion-quantile` reference run repeats the first 40 images with
# PAIR's untouched rule; on the images both runs scored, VAR − vanilla per method under each rule:

# %%
quantile = reference.load("insertion-quantile")
if quantile is None:
    display(Markdown("No `insertion-quantile` reference run: `python -m var.bench reference insertion-quantile`."))
else:
    display(Markdown(var.pages.sections.provenance(quantile)))
    tie_rules = var.report.choices.ties(reference.load("insertion")["table"], quantile["table"], methods)
    display(tie_rules.round(4))
    flips = tie_rules.pivot_table(index=["metric", "method"], columns="ties", values="verdict", aggfunc="first")
    flips = flips[flips.nunique(axis=1) > 1]
    display(Markdown(f"The verdict of {len(flips)} of {len(tie_rules) // 2} (metric, method) pairs changes with "
                     "the tie rule" + (": " + ", ".join(f"{m} {me}" for m, me in flips.index) if len(flips) else "")
                     + "."))

# %% [markdown]
# ## How small an effect can the reference run resolve?
# The paper's insertion gains on ResNet50 are +0.01 to +0.02. Whether our run could see an effect of that
# size depends on how many images PIC scored and how much VAR − vanilla varies between them. Per method:
# the smallest true mean difference a two-sided test at the 5% level would find with 80% probability
# (`var.report.claims.detectable`), from the reference run's own spread:

# %%
ins_table = reference.load("insertion")["table"]
power = []
for metric in ("sic", "aic"):
    diffs = var.report.claims.paired_differences(ins_table[ins_table["method"].isin(methods)], metric)
    for method, group in diffs.groupby("method"):
        power.append({"metric": metric, "method": method, "n": len(group),
                      "sd of VAR - vanilla": group["diff"].std(), "detectable at 80%":
                      var.report.claims.detectable(group["diff"].to_numpy())})
power = pd.DataFrame(power)
display(power.round(4))
display(Markdown(
    f"With these sizes the run resolves effects from {power['detectable at 80%'].min():.3f} to "
    f"{power['detectable at 80%'].max():.3f}: an effect of +0.01 is "
    + ("below what it can resolve for every method" if (power["detectable at 80%"] > 0.01).all()
       else "resolvable for some methods only") + ". A run of ≥ 300 scored images would shrink these by "
    f"√(300 / {power['n'].max()}) ≈ {(300 / power['n'].max()) ** 0.5:.1f}×."))

# %% [markdown]
# ## Summary

# %%
g, paper_gains = var.pages.sections.reference_gains("insertion", "sic"), var.report.paper.architecture_gains()
Markdown(f"* On the `insertion` reference run ({g.units} units, {g.scored} of them scored; intervals over units, not "
         "items), VAR − vanilla sic: " + ", ".join(f"{r.method} {r.mean:+.3f} [{r.ci95_low:+.3f}, {r.ci95_high:+.3f}]"
                                                 for r in g.rows.itertuples())
         + f". {g.good} of {len(g.rows)} methods have their whole interval on the higher (better) side of 0.\n"
         "* The paper claims a slight insertion gain for ResNet50. The paper's Tables 3–4, VAR − vanilla over its "
         "five methods: " + "; ".join(f"{arch} " + ", ".join(f"{r.metric.upper()} {r.low:+.2f} to {r.high:+.2f}"
                                                           for r in part.itertuples())
                                      for arch, part in paper_gains.groupby("arch", sort=False))
         + ". The power table above says how small an effect this run can see.\n"
         "* How ties are ordered matters for sparse maps: the tie-rule table shows both rules on the same images.")

# %% [markdown]
# ## Exercise
# In the example, VAR keeps few pixels of the image. What does PIC restore once the threshold passes the
# share of pixels VAR kept, and how does that show in the curve?
#
# ```{admonition} How to check
# :class: dropdown
# Past VAR's kept share every remaining pixel of the VAR map is zero: with our seeded tie order PIC restores
# zero-saliency pixels in a random order, so the VAR curve then rises like a random map's. Under PAIR's
# untouched rule (`--option ties=quantile`) the whole tie enters at once, a jump in the curve. Compare the
# restored images at 34% for the two maps above.
# ```
