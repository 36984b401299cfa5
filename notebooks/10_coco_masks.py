# %% [markdown]
# # Benchmark: mask localisation on COCO
#
# The same metrics as the grid pointing game, against COCO instance masks.
# Each COCO category that has ImageNet counterparts becomes one object: its
# region is the union of its instance masks, its target the most probable
# ImageNet class of the category. Objects under 1% of the image and objects
# the model gives probability below $10^{-4}$ are dropped (paper §5.1);
# $K$ = the targets in the image, and where only one object remains, the
# least probable class joins $K$ (VAR needs two classes; the paper does not
# say what it does there). The reference section below checks the claims on
# both kinds of image apart.
#
# **Deviations from the paper on this page:** COCO128-seg (128 train2017
# images; paper: the 5k val2017 images, `data_scripts/coco.py --val2017`
# prepares them); an ImageNet classifier scored on COCO objects through the
# COCO→ImageNet mapping below (the paper does not say how it maps categories);
# the image's short side resized to the model input and centre-cropped, masks
# alike; Integrated Gradients with `ig_steps` steps (paper: 50);
# EfficientNet-Lite0 (paper: ResNet50, ViT-B/16).
#
# **You will learn** how a map is scored against an object's mask, why COCO's objects make VAR's job harder
# than the grid's (objects overlap, K is small, the classes are related), and what the added class of a
# single-object image does to the verdicts. The [reference run](#reference-run) (every usable COCO128 image)
# is the one to draw conclusions from; the live run is a small version you can change.

# %% tags=["parameters"]
from var.core import protocol  # the paper's settings

model_name = "efficientnet_lite0"
methods = list(protocol.PAPER_METHODS)  # any registry names: `var-bench methods` lists them
n_images = 16
ig_steps = 16
out = "../results/book"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

import var
from var.benchmarks import table as results
from var.benchmarks import BenchConfig, run, run_key, summarize
from var.benchmarks.coco import CocoBenchmark
from var.benchmarks.coco_imagenet import mapping_table

pd.set_option("display.max_colwidth", 120)
config = BenchConfig("coco", model=model_name, methods=tuple(methods), n=n_images, ig_steps=ig_steps)
Markdown(f"Run: {n_images} images, IG with {ig_steps} steps, model `{model_name}`.")

# %% [markdown]
# ## COCO → ImageNet classes
# Categories without an ImageNet counterpart (person, giraffe, fork, ...) are skipped.

# %%
mapping_table().query("n_imagenet > 0")

# %% [markdown]
# **How one map is scored.** The COCO128 image with the most ImageNet-mappable categories (the rule), its
# first kept object: the mask outlined, Guided Backprop's blurred map with its RA, and the binarised map
# (pixels above its mean) with precision, recall and IoU; vanilla above, VAR below (its own colour scale).

# %%
from var.benchmarks.coco import load_item, multi_object_images, targets
from var.benchmarks.data import find_data

model = var.load_model(model_name)
item = multi_object_images(find_data("coco128-seg"), 1)[0]
x, objects = load_item(model, item)
kept, classes = targets(objects, model.predict(x)[0])
h = var.attribute(model, x, classes, "guided_backprop")
display(Markdown(f"`{item.path.name}`: K = " + ", ".join(model.class_names[c] for c in classes) + "."))
var.pages.examples.localisation_example(x, h, 0, kept[0][2], model.class_names[kept[0][1]], model.unnormalize)
plt.show()

# %% [markdown]
# ## Try it small: the live run

# %%
table = run(config, f"{out}/{run_key(config)}")
summary = summarize(table)
Markdown(f"{table.unit.nunique()} images with at least one kept object, "
         f"{table.groupby(['unit', 'item']).ngroups} objects.")

# %% [markdown]
# ## Which binarisation reproduces the paper?
# Our vanilla rows under each rule (mean over the paper's five methods) beside
# the paper's vanilla COCO rows. The paper's recall of 1.00 with precision =
# IoU ≈ 0.09 is what "every pixel the blurred map touches" (`positive`) gives.

# %%
fit = var.report.paper.binarization_fit(summary, "coco")
fit.round(3)

# %% [markdown]
# ## Paper vs ours
# Each cell is vanilla → VAR (rule `positive`, `CocoBenchmark.paper_rule`).
# Paper: ResNet50 on COCO val2017 (Table 1); ours: the run above.

# %%
rule = CocoBenchmark.paper_rule
var.pages.sections.paper_vs_ours(summary, "coco", rule).show()

# %% [markdown]
# (reference-run)=
# ## Reference run
# The same comparison on the committed reference run (every COCO128 image with a
# usable object, IG with 50 steps; `make reference` makes it, see
# `results/reference/coco/provenance.json`). Its intervals are the ones to draw
# conclusions from; the [claims page](15_claims.ipynb) sums them up.

# %%
var.pages.sections.reference_section("coco", rule).show()

# %% [markdown]
# ### With and without the added class
# An image with a single usable object has one target, and VAR needs at least two classes, so
# the benchmark adds the least probable class to K (as the top-k strategy does); images with
# several objects use their targets only. The claims page pools both. Here the COCO claims are
# checked on each kind of image apart: where the verdict differs, it rests on the added class.

# %%
ref = var.report.reference.load("coco")
if ref is not None:
    display(var.report.study.coco_by_objects(ref["table"]).style.hide(axis="index"))

# %% [markdown]
# ## All numbers

# %%
var.report.charts.metric_bars(results.localisation(table, rule))
plt.show()

# %%
Markdown(f"Every number above comes from the run's tidy table, `{out}/{run_key(config)}/results.csv` ({len(table):,} "
         "rows: one per map, metric and binarisation rule; `var.benchmarks.table.COLUMNS` says what each column is).")

# %% [markdown]
# ## Summary

# %%
g = var.pages.sections.reference_gains("coco", "ra", "none")
ratios = var.pages.sections.gain_ratios("coco", "grid", "ra")
Markdown(f"* On the `coco` reference run ({g.units} units; intervals over units, not items), VAR − vanilla ra: "
         + ", ".join(f"{r.method} {r.mean:+.3f} [{r.ci95_low:+.3f}, {r.ci95_high:+.3f}]" for r in g.rows.itertuples())
         + f". {g.good} of {len(g.rows)} methods have their whole interval on the higher (better) side of 0.\n"
         + ("* VAR − vanilla ra per method on `coco` vs `grid`: " + ", ".join(
             f"{r.method} {r.coco:+.3f} vs {r.grid:+.3f}" for r in ratios.itertuples()) + "."
            if (ratios["ratio"] <= 0).any() else  # a gain of opposite sign: "times smaller" would mislead
            f"* VAR − vanilla ra is {ratios['ratio'].min():.1f}–{ratios['ratio'].max():.1f}× smaller on `coco` than "
            "on `grid` (per method: " + ", ".join(f"{r.method} {r.ratio:.1f}×" for r in ratios.itertuples()) + ").")
         + " COCO objects are large and overlap, "
         "and a single-object image competes only with the least probable class.\n"
         "* Precision, recall and F1 depend on the binarisation rule (the paper's vanilla rows fit `positive`); "
         "the claims page reads them under one rule fixed in advance and names the rules that change a verdict.")

# %% [markdown]
# ## Exercise
# In the example above, which of the image's objects does VAR's map of the first object give up, and why
# would that raise precision but lower recall?
#
# ```{admonition} How to check
# :class: dropdown
# Draw the example for every kept object (change the index `0` and `kept[0]` to `i` and `kept[i]`).
# Where two objects' classes both attribute a region, VAR's softmax gives it to the class with the larger
# |H| there, so each map loses pixels inside its own mask that another class claims more strongly: the
# marked pixels are more often inside the mask (precision) while fewer of the mask's pixels are marked
# (recall).
# ```
