# %% [markdown]
# # Benchmark: mask localisation on COCO
#
# The same metrics as the grid pointing game, against COCO instance masks.
# Each COCO category that has ImageNet counterparts becomes one object: its
# region is the union of its instance masks, its target the most probable
# ImageNet class of the category. Objects under 1% of the image and objects
# the model gives probability below $10^{-4}$ are dropped (paper §5.1);
# $K$ = the targets in the image. The default run uses the 128 images of
# COCO128-seg; `data_scripts/coco.py` prepares COCO val2017 for the full run.

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
n_images = 16
ig_steps = 16
out = "../results/book/coco"

# %%
import matplotlib.pyplot as plt
import pandas as pd

import var
from var.benchmarks import BenchConfig, run, summarize
from var.benchmarks.coco_imagenet import mapping_table

pd.set_option("display.max_colwidth", 120)
config = BenchConfig("coco", model=model_name, n=n_images, ig_steps=ig_steps)

# %% [markdown]
# ## COCO → ImageNet classes
# Categories without an ImageNet counterpart (person, giraffe, fork, ...) are skipped.

# %%
mapping_table().query("n_imagenet > 0")

# %%
table = run(config, out)
summary = summarize(table)
print(f"{table.unit.nunique()} images with at least one kept object, "
      f"{table.groupby(['unit', 'item']).ngroups} objects")

# %%
var.plotting.metric_bars(table)
plt.show()

# %% [markdown]
# ## Paper vs ours
# Paper: ResNet50 on COCO val2017 (Table 1). Ours: the model and run above.

# %%
var.paper.side_by_side(summary, var.paper.localisation_table("coco"), model_name).round(3)
