# %% [markdown]
# # Benchmark: insertion (SIC and AIC)
#
# Performance Information Curves (Kapishnikov et al. 2019): start from a
# blurred image, restore the most salient pixels step by step and follow the
# model's softmax for the label (**SIC**) or its accuracy (**AIC**) against
# the information restored (lossless-WebP size). The area under the curve is
# the score; higher is better. Our implementation equals PAIR's reference
# `saliency.metrics.pic` (a test checks it); VAR's sparse maps are tie-broken
# by a seeded random order, so each step restores exactly its share of pixels.
# Images whose original prediction is below 0.8 (SIC) or wrong (AIC), or whose
# blurred version is still recognised, are skipped, as in PAIR.

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
n_images = 6
ig_steps = 16
methods = ["gradcam", "guided_backprop", "guided_gradcam", "input_x_gradient", "integrated_gradients",
           "contrastive_gradient"]
out = "../results/book/insertion"

# %%
import matplotlib.pyplot as plt

import var
from var.benchmarks import BenchConfig, run, summarize

config = BenchConfig("insertion", model=model_name, methods=tuple(methods), n=n_images, ig_steps=ig_steps)
table = run(config, out)
scores = table[table.metric.isin(["sic", "aic"])]
skipped = table[table.metric.str.endswith("skipped")]
print(f"{scores.unit.nunique()} images scored; skipped (method, var, curve) cases: {len(skipped)}")

# %%
if scores.empty:
    print("every image was filtered out by PIC's conditions: increase n_images")
else:
    var.plotting.metric_bars(scores, col_wrap=2)
    plt.show()

# %% [markdown]
# ## Paper vs ours
# Paper: ResNet50 and ViT-B/16 on the first 1,000 ImageNet validation images (Table 2).

# %%
var.paper.side_by_side(summarize(scores), var.paper.insertion_table(), model_name).round(3)
