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

import var.benchmarks.speed as speed

rows = speed.run(model_name, class_counts, repeats, steps=4, internal_batch_size=64, methods=methods)
pd.DataFrame(rows).round(3)

# %%
import matplotlib.pyplot as plt
import seaborn as sns

times = pd.DataFrame(rows).melt(id_vars=["method", "K"], value_vars=["captum_s", "var_s", "floor_s"],
                                var_name="how", value_name="seconds")
g = sns.catplot(times, x="method", y="seconds", hue="how", col="K", kind="bar", height=3.2, aspect=1.4)
g.set_xticklabels(rotation=30, ha="right")
plt.show()
