"""A live VAR explorer for a running Jupyter kernel (JupyterLab, Notebook, VS Code, Voilà).

Pick an example photo or upload one, the method, the class-set strategy and
its parameters, then t and tau; the explorer shows the image, the vanilla maps
H, the class softmax M and the VAR maps of every class, the probabilities and
the share of locations kept. Attributions are cached per (image, method, class
set): moving t or tau only reruns VAR steps 2-3 and redraws. Errors (a file
that is not an image, a class set VAR cannot use) appear in the widget.

    >>> import var
    >>> widget = var.viz.live_explorer.live_explorer(var.load_model())  # display(widget), or end a cell with it
"""

from __future__ import annotations

import io
import time

from ..core import class_sets, registry
from ..core.attribution import attribute
from ..core.checks import check_choice, check_list
from ..core.images import EXAMPLE_IMAGES, load_image
from ..core.methods import METHOD_TITLES
from ..core.model import VarModel
from ..core.relevance import Relevance, kept_share, relevance, resolve
from .heatmap import colour_bar, colour_map, display_max, label_empty, to_heatmap

__all__ = ["LiveExplorer", "live_explorer", "preview"]

_UPLOAD = "(uploaded image)"


class LiveExplorer:
    """The widgets and the cache of the live explorer; ``widget`` is what a notebook displays.

    Attributes:
        model: the :class:`~var.core.model.VarModel` explained.
        attributions_computed: how many attribution calls ran (a t/tau change runs none).
        last_update_s: wall time of the last redraw, attribution included when one ran.
    """

    def __init__(self, model: VarModel, images=None, method: str = "guided_backprop", strategy: str = "top_k",
                 cmap: str | None = None, settings: Relevance | None = None):
        import ipywidgets as W

        if not isinstance(model, VarModel):
            raise TypeError("live_explorer needs a VarModel; wrap your network with var.wrap_model(...).")
        images = check_list("images", list(EXAMPLE_IMAGES) if images is None else images)
        registry.get(method)  # a known name, or one error naming the choices
        check_choice("strategy", strategy, class_sets.STRATEGIES)
        self.model = model
        self.cmap = cmap
        self.settings = resolve(settings, {}, "live_explorer").replace(warn_below=None)  # the table shows the share
        self.attributions_computed = 0
        self.last_update_s = 0.0
        self._cache: dict = {}
        self._uploaded = None
        names = [str(im) for im in images]
        self.image = W.Dropdown(options=names + [_UPLOAD], value=names[0], description="image")
        self.upload = W.FileUpload(accept="image/*", multiple=False, description="upload")
        listed = [e.name for e in registry.entries()] + [method]  # a registered method of the user's too
        self.method = W.Dropdown(options=[(METHOD_TITLES.get(m, m), m) for m in dict.fromkeys(listed)], value=method,
                                 description="method")
        self.strategy = W.Dropdown(options=list(class_sets.STRATEGIES), value=strategy, description="class set")
        self.k = W.IntSlider(value=3, min=1, max=8, description="k")
        self.classes = W.TagsInput(value=[], allowed_tags=list(model.class_names), allow_duplicates=False,
                                   description="classes")
        self.temperature = W.FloatLogSlider(value=self.settings.temperature, base=10, min=-3, max=1, step=0.25,
                                            description="t")
        self.tau = W.FloatSlider(value=self.settings.tau, min=0.0, max=0.3, step=0.01, description="τ")
        self.status = W.HTML()
        self.figure = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.table = W.HTML()
        for control in (self.image, self.method, self.strategy, self.k, self.classes, self.temperature, self.tau):
            control.observe(self._on_change, names="value")
        self.upload.observe(self._on_upload, names="value")
        controls = W.VBox([W.HBox([self.image, self.upload]), W.HBox([self.method, self.strategy, self.k]),
                           self.classes, W.HBox([self.temperature, self.tau])])
        self.widget = W.VBox([controls, self.status, self.figure, self.table])
        self.refresh()

    # ------------------------------------------------------------------ events
    def _on_change(self, _change=None):
        self.refresh()

    def _on_upload(self, change):
        files = change["new"]
        if not files:
            return
        item = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        try:
            from PIL import Image

            self._uploaded = load_image(Image.open(io.BytesIO(bytes(item["content"]))))
        except Exception as err:  # any unreadable upload: say so in the widget
            self._error(f"Could not read {item.get('name', 'the upload')} as an image ({err}).")
            return
        self._cache = {k: v for k, v in self._cache.items() if k[0] != _UPLOAD}
        if self.image.value == _UPLOAD:
            self.refresh()
        else:
            self.image.value = _UPLOAD  # triggers refresh

    # ------------------------------------------------------------------ work
    def refresh(self) -> None:
        """Recompute what changed (attributions only when not cached) and redraw; errors go to ``status``."""
        start = time.perf_counter()
        try:
            x, logits = self._input()
            chosen = self._class_set(logits)
            key = (self.image.value, self.method.value, tuple(chosen))
            if key not in self._cache:  # a t/tau change finds its key here: no attribution
                self.status.value = (f"computing {METHOD_TITLES.get(self.method.value, self.method.value)} for "
                                     f"{len(chosen)} classes…")
                self._cache[key] = attribute(self.model, x, chosen, self.method.value)
                self.attributions_computed += 1
            self._draw(x, logits, chosen, self._cache[key])
        except (ValueError, TypeError, FileNotFoundError) as err:  # a bad choice: the message names the fix
            self._error(str(err))
            return
        except Exception as err:  # a widget callback that raises dies unseen in the browser: show it
            self._error(f"{self.method.value} failed: {type(err).__name__}: {err}")
            return
        self.last_update_s = time.perf_counter() - start
        self.status.value = f"<span style='color:#555'>updated in {self.last_update_s:.2f} s</span>"

    def _input(self):
        name = self.image.value
        if name == _UPLOAD:
            if self._uploaded is None:
                raise ValueError("Upload an image first (the upload button), or pick an example.")
            image = self._uploaded
        else:
            image = name
        cached = self._cache.get((name, "input"))
        if cached is None:
            x = self.model.prepare(image)
            cached = self._cache[(name, "input")] = (x, self.model.logits(x)[0])
        return cached

    def _class_set(self, logits) -> list[int]:
        strategy = self.strategy.value
        self.k.disabled = strategy != "top_k"
        self.classes.disabled = strategy != "predefined"
        names = self.model.class_names
        picked = [names.index(n) for n in self.classes.value] if strategy == "predefined" else None
        if picked is not None and len(picked) < 2:
            raise ValueError("A predefined class set needs at least 2 classes: type their names in 'classes'.")
        return class_sets.choose(strategy, logits, classes=picked, k=self.k.value)

    def _draw(self, x, logits, chosen, h) -> None:
        settings = self.settings.replace(temperature=self.temperature.value, tau=self.tau.value)
        self.figure.value, self.table.value = _view(self.model, x, logits, chosen, h, settings, self.cmap)

    def _error(self, message: str) -> None:
        self.status.value = f"<span style='color:#b00'>⚠ {message}</span>"


def live_explorer(model: VarModel, images=None, method: str = "guided_backprop", strategy: str = "top_k",
                  cmap: str | None = None, settings: Relevance | None = None):
    """The live explorer's widget for ``model`` (display it as the last expression of a cell).

    Args:
        model: a :class:`~var.core.model.VarModel`.
        images: example image names to offer (default: :data:`var.core.images.EXAMPLE_IMAGES`).
        method: the method shown first.
        strategy: the class-set strategy shown first.
        cmap: a matplotlib colour map for the vanilla and VAR rows (default :data:`var.viz.heatmap.CMAP`).
        settings: VAR steps 2-3 (:class:`var.Relevance`): the t and tau the sliders start at, and the
            ``normalize`` and ``reduce_channels`` every view applies (None: the paper's).

    Returns:
        An ``ipywidgets.VBox``; its ``explorer`` attribute is the :class:`LiveExplorer`.
    """
    explorer = LiveExplorer(model, images, method, strategy, cmap, settings)
    explorer.widget.explorer = explorer
    return explorer.widget


def preview(model: VarModel, image=None, method: str = "guided_backprop", strategy: str = "top_k",
            k: int = 3, cmap: str | None = None, settings: Relevance | None = None) -> tuple[bytes, str]:
    """What the live explorer shows first, without its widgets: the figure (PNG bytes) and the table (HTML).

    For a static page: a displayed widget would store its figure in the page's widget state a second time.
    ``image`` defaults to the explorer's first example; ``cmap`` and ``settings`` as in :func:`live_explorer`.
    """
    settings = resolve(settings, {}, "preview").replace(warn_below=None)
    x = model.prepare(next(iter(EXAMPLE_IMAGES)) if image is None else image)
    logits = model.logits(x)[0]
    chosen = class_sets.choose(strategy, logits, k=k)
    return _view(model, x, logits, chosen, attribute(model, x, chosen, method), settings, cmap)


def _view(model, x, logits, chosen, h, settings: Relevance, cmap: str | None = None) -> tuple[bytes, str]:
    """The explorer's figure (vanilla, M, VAR per class) and its table (probability, locations kept)."""
    maps, m = relevance(h, settings, return_softmax=True)
    png = _panel_png(model, x, h, m, maps, [model.class_names[c] for c in chosen], cmap)
    prob = logits.softmax(-1)[chosen]
    rows = "".join(f"<tr><td>{model.class_names[c]}</td><td>{p:.3f}</td><td>{s:.1%}</td></tr>"
                   for c, p, s in zip(chosen, prob.tolist(), kept_share(maps).tolist()))
    return png, f"<table><tr><th>class</th><th>probability</th><th>locations kept</th></tr>{rows}</table>"


def _panel_png(model, x, h, m, maps, names, cmap: str | None = None) -> bytes:
    """Image and, per class, the vanilla map, M and the VAR map (shared colour scale per row), as PNG bytes."""
    from matplotlib.figure import Figure

    k = h.shape[0]
    fig = Figure(figsize=(1.9 * (k + 1) + 0.8, 5.6), dpi=80, layout="constrained")
    axes = fig.subplots(3, k + 1, squeeze=False)
    rgb = model.unnormalize(x[0]).permute(1, 2, 0).numpy()
    axes[0, 0].imshow(rgb)
    for ax in axes.ravel():
        ax.axis("off")
    rows = (("vanilla H", [to_heatmap(a) for a in h], colour_map(False, cmap), "|vanilla map|"),
            ("M (softmax)", [m_c.mean(0).numpy() if m_c.dim() == 3 else m_c.numpy() for m_c in m], "viridis",
             "M (channel mean)"),
            ("VAR", [to_heatmap(a) for a in maps], colour_map(False, cmap), "|VAR map|, own scale"))
    for r, (label, heats, cmap, scale) in enumerate(rows):
        vmax = 1.0 if label.startswith("M") else display_max(heats)
        if r:
            axes[r, 0].text(0.5, 0.5, label, ha="center", va="center", fontsize=10)
        for c, heat in enumerate(heats):
            image = axes[r, c + 1].imshow(heat, cmap=cmap, vmin=0, vmax=vmax)
            if r == 2:
                label_empty(axes[r, c + 1], heat)
            if r == 0:
                axes[r, c + 1].set_title(names[c][:18], fontsize=8)
        colour_bar(fig, axes[r, 1:], image, scale)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
