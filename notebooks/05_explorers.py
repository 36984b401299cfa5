# %% [markdown]
# # Explore: methods, class sets, t and τ
#
# Two explorers. The **static explorer** below works in this published page
# without Python: pick the image, the attribution method and the class-set
# strategy, then $t$ and $\tau$; every combination was computed when the book
# was built. The **live explorer** needs a running Jupyter kernel and takes any
# model, any image (upload your own), any class set.

# %% tags=["parameters"]
model_name = "efficientnet_lite0"
images = ["skimage:coffee", "skimage:chelsea"]
methods = None  # all seven
strategies = ["top_k", "best_vs_worst"]
method_options = {"integrated_gradients": {"steps": 16}, "smoothgrad": {"n_samples": 8}}

# %%
import var
from var.viz.widgets import method_explorer

model = var.load_model(model_name)

# %% [markdown]
# ## Static explorer
# Top row: the vanilla maps of the class set (the input first); bottom row: the
# VAR maps for the chosen $t$ and $\tau$. Each row has its own colour scale, its
# colour bar at the right end (black: 0, brightest: the row's strongest 0.5% of
# non-zero locations), so VAR's few kept locations stay visible; a map that keeps
# nothing says so.
# Integrated Gradients runs with 16 steps and SmoothGrad with 8 samples here,
# to keep the build short.

# %%
explorer = method_explorer(model, images, methods, strategies, method_options=method_options)
explorer

# %% [markdown]
# ## Live explorer
# In JupyterLab, Notebook, VS Code or Voilà, two lines:
#
# ```python
# import var
# var.viz.live_explorer.live_explorer(var.load_model())
# ```
#
# It offers the example photos and an upload button, every method, the three
# class-set strategies (top-$k$ with its $k$; predefined classes by name, with
# search), and sliders for $t$ and $\tau$. It shows the image, the vanilla maps,
# the class softmax $M$ and the VAR maps of every class, the probabilities and
# the share of locations kept. Attributions are cached per image, method and
# class set, so moving $t$ or $\tau$ only redraws. This is what it shows for
# its first example, the cat photo (a static rendering; the controls need a kernel):

# %%
from IPython.display import HTML, Image, display

figure, table = var.viz.live_explorer.preview(model)
display(Image(figure), HTML(table))
