"""Sliders for temperature t and threshold tau that work in a static page, without a kernel.

VAR steps 2-3 are cheap, so the explorer precomputes the VAR map of every class
for a small grid of (t, tau) values, renders each as a small WebP image and stacks them:
``Stack[class] -> Stack[t] -> Stack[tau]``. The class dropdown and the two
sliders are linked to the stacks' ``selected_index`` with ``jslink``, i.e. in
the browser. Saved with the notebook's widget state, the page keeps working
once rendered by Jupyter Book, with no Python behind it. Each (t, tau) has its
own colour scale, shared by the classes, so a sparse VAR map stays visible.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Sequence

import numpy as np
import torch

from ..core.checks import check_grid, check_int, check_list
from ..core.protocol import TAU, TEMPERATURE
from ..core.relevance import Relevance, kept_share, relevance, resolve
from .heatmap import NOTHING_KEPT, colour_bar, colour_map, display_max, label_empty, to_heatmap

__all__ = ["var_explorer", "DEFAULT_TEMPERATURES", "DEFAULT_TAUS"]

DEFAULT_TEMPERATURES = (0.01, 0.03, 0.1, 0.3, 1.0)
DEFAULT_TAUS = (0.0, 0.01, 0.05, 0.1, 0.2)


def _frame(heat: np.ndarray, vmax: float, title: str, scale: str, cmap: str | None = None) -> bytes:
    """One map as image bytes (:func:`_encode`) with its colour bar (labelled ``scale``); a bare Figure (no
    pyplot), so no backend or global state is touched.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.0, 2.8), dpi=80)
    ax = fig.subplots()
    image = ax.imshow(heat, cmap=colour_map(False, cmap), vmin=0, vmax=vmax)
    label_empty(ax, heat)
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    colour_bar(fig, [ax], image, scale)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    from PIL import Image

    return _encode(Image.open(buf).convert("RGB"))


#: How precomputed frames are stored: a page holds hundreds. Lossy WebP at this quality is ~2x smaller than a
#: 64-colour palette PNG of the same frame (and 8-16x smaller than matplotlib's RGBA PNG), with legible titles.
FRAME_FORMAT, FRAME_QUALITY = "webp", 80


def _encode(image) -> bytes:
    """A PIL RGB image as :data:`FRAME_FORMAT` bytes (an ``ipywidgets.Image`` shows them with that format)."""
    buf = io.BytesIO()
    image.save(buf, format=FRAME_FORMAT, quality=FRAME_QUALITY)
    return buf.getvalue()


@functools.cache
def _font(size: int = 11):
    """Matplotlib's DejaVu Sans: PIL's built-in bitmap font has no τ (it drew a missing-glyph box). Loaded once,
    not once per frame.
    """
    from pathlib import Path

    import matplotlib
    from PIL import ImageFont

    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"), size)


def var_explorer(
    attributions: torch.Tensor,
    class_names: Sequence[str],
    temperatures: Sequence[float] = DEFAULT_TEMPERATURES,
    taus: Sequence[float] = DEFAULT_TAUS,
    *,
    image: torch.Tensor | None = None,
    unnormalize=None,
    settings: Relevance | None = None,
    cmap: str | None = None,
    **loose,
):
    """A widget showing the VAR map of a chosen class for chosen t and tau.

    Args:
        attributions: vanilla maps H, (|K|, C, H, W), e.g. ``explanation.attributions``.
        class_names: names of the classes in K.
        temperatures, taus: the values the sliders offer (each map is precomputed).
        image, unnormalize: optionally show the input and the vanilla map beside it.
        settings: VAR steps 2-3 (:class:`var.Relevance`, None: the paper's): its t and tau are shown first (they
            must be in the lists), its ``normalize`` and ``reduce_channels`` make every frame. The loose
            ``normalize=`` and ``initial=(t, tau)`` of earlier versions still work, with a DeprecationWarning.
        cmap: a matplotlib colour map for the magnitudes (default :data:`var.viz.heatmap.CMAP`).

    Returns:
        An ``ipywidgets.VBox``; display it as the last expression of a cell.

    Example:
        >>> e = var.explain(model, "skimage:coffee", "guided_backprop", k=2)
        >>> widget = var.viz.widgets.var_explorer(e.attributions, e.class_names, temperatures=[0.1, 1.0],
        ...                                       taus=[0.0, 0.01])  # display(widget), or end a cell with it
    """
    import ipywidgets as W

    initial = loose.pop("initial", None)
    settings = resolve(settings, loose, "var_explorer").replace(warn_below=None)  # the frames show "kept"
    if initial is not None:
        warnings.warn("var_explorer(initial=(t, tau)) is deprecated (it stops working in var 0.4): pass "
                      f"settings=var.Relevance(temperature={initial[0]!r}, tau={initial[1]!r}).", DeprecationWarning,
                      stacklevel=2)
        settings = settings.replace(temperature=initial[0], tau=initial[1])
    initial = settings.temperature, settings.tau
    class_names, temperatures, taus = _checked(attributions, class_names, temperatures, taus, initial)
    heats = {}
    for t in temperatures:
        for tau in taus:
            maps = relevance(attributions, settings.replace(temperature=t, tau=tau))
            for c, share in enumerate(kept_share(maps).tolist()):
                heats[c, t, tau] = (to_heatmap(maps[c]), share)
    # one colour scale per (t, tau), shared by the classes: on one scale for every setting the sparse maps of
    # large t or tau come out faint or black
    vmax = {(t, tau): display_max([heats[c, t, tau][0] for c in range(len(class_names))])
            for t in temperatures for tau in taus}
    frame_layout, stack_layout = W.Layout(width="270px"), W.Layout()  # shared: one model each, not one per frame
    stacks = []
    for c in range(len(class_names)):
        per_t = []
        for t in temperatures:
            imgs = [W.Image(value=_frame(heats[c, t, tau][0], vmax[t, tau], f"VAR · t={t:g} · τ={tau:g}\n"
                                                                           f"kept {heats[c, t, tau][1]:.1%}",
                                       "|VAR map| (scale of this t, τ)", cmap),
                            format=FRAME_FORMAT, layout=frame_layout)
                    for tau in taus]
            per_t.append(W.Stack(imgs, selected_index=taus.index(initial[1]), layout=stack_layout))
        stacks.append(W.Stack(per_t, selected_index=temperatures.index(initial[0]), layout=stack_layout))
    by_class = W.Stack(stacks, selected_index=0)

    pick = W.Dropdown(options=[(n, i) for i, n in enumerate(class_names)], value=0, description="class")
    t_slider = W.SelectionSlider(options=[f"{t:g}" for t in temperatures], value=f"{initial[0]:g}",
                                 description="t", continuous_update=True)
    tau_slider = W.SelectionSlider(options=[f"{v:g}" for v in taus], value=f"{initial[1]:g}",
                                   description="τ", continuous_update=True)
    t_slider.add_class("var-temperature")
    tau_slider.add_class("var-tau")
    by_class.add_class("var-maps")
    W.jslink((pick, "index"), (by_class, "selected_index"))
    for per_t in stacks:
        W.jslink((t_slider, "index"), (per_t, "selected_index"))
        for per_tau in per_t.children:
            W.jslink((tau_slider, "index"), (per_tau, "selected_index"))

    panels = [by_class]
    if image is not None and unnormalize is not None:
        panels = [_side_panels(image, attributions, class_names, unnormalize, pick, cmap), by_class]
    return W.VBox([W.HBox([pick, t_slider, tau_slider]), W.HBox(panels)])


def _checked(attributions, class_names, temperatures, taus, initial):
    """:func:`var_explorer`'s inputs checked: (class names, temperatures, taus) as lists, or one clear error."""
    if not isinstance(attributions, torch.Tensor):
        raise TypeError(f"attributions must be a (|K|, C, H, W) tensor, not {type(attributions).__name__}.")
    if attributions.dim() != 4 or attributions.shape[0] < 2:
        hint = "; for a batch (B, |K|, C, H, W) pick one image: maps[b]" if attributions.dim() == 5 else ""
        raise ValueError(f"attributions must be one image's maps, (|K|, C, H, W) with |K| >= 2, got shape "
                         f"{tuple(attributions.shape)}{hint}.")
    class_names = check_list("class_names", class_names)
    if len(class_names) != attributions.shape[0]:
        raise ValueError(f"{len(class_names)} class names for {attributions.shape[0]} maps.")
    temperatures, taus = check_grid(temperatures, taus)
    for value, values, name in ((initial[0], temperatures, "temperature"), (initial[1], taus, "tau")):
        if value not in values:
            raise ValueError(f"initial {name} {value} is not one of {values}.")
    return class_names, temperatures, taus


def _side_panels(image, attributions, class_names, unnormalize, pick, cmap=None):
    """The input and the vanilla map of the selected class (linked to the class dropdown)."""
    import ipywidgets as W

    rgb = unnormalize(image.detach().reshape(-1, *image.shape[-3:])[0]).permute(1, 2, 0).numpy()
    heats = [to_heatmap(a) for a in attributions]
    vmax = display_max(heats)
    buf = io.BytesIO()
    from PIL import Image

    Image.fromarray((rgb * 255).round().astype(np.uint8)).resize((200, 200)).save(buf, format="jpeg", quality=85)
    frame_layout = W.Layout(width="270px")  # shared by the frames, as in var_explorer
    vanilla = W.Stack([W.Image(value=_frame(h, vmax, f"vanilla · {n[:20]}\n", "|vanilla map|", cmap),
                               format=FRAME_FORMAT, layout=frame_layout) for h, n in zip(heats, class_names)],
                      selected_index=0)
    W.jslink((pick, "index"), (vanilla, "selected_index"))
    photo = W.Image(value=buf.getvalue(), format="jpeg", layout=W.Layout(width="200px", height="200px"))
    return W.HBox([photo, vanilla], layout=W.Layout(align_items="flex-start"))  # no stretching to the maps' height


#: The static method explorer's grid of (t, tau): small on purpose, every combination is a frame in the page.
EXPLORER_TEMPERATURES = (0.03, 0.1, 0.3)
EXPLORER_TAUS = (0.0, 0.01, 0.1)


def method_explorer(
    model,
    images: Sequence[str] = ("skimage:coffee", "skimage:chelsea"),
    methods: Sequence[str] | None = None,
    strategies: Sequence[str] = ("top_k", "best_vs_worst"),
    temperatures: Sequence[float] = EXPLORER_TEMPERATURES,
    taus: Sequence[float] = EXPLORER_TAUS,
    *,
    k: int = 3,
    method_options: dict | None = None,
    map_size: int = 88,
    cmap: str | None = None,
):
    """A kernel-free widget: pick the image, the method, the class-set strategy, then t and tau.

    Every combination is precomputed: per (image, method, strategy) one row of
    vanilla maps, and per (t, tau) one row of VAR maps, each a small image with its colour bar
    (``map_size`` pixels per class) linked to the controls with ``jslink``, so
    the page works in a static book. Page weight grows with
    images x methods x strategies x temperatures x taus; the defaults keep it
    to a few MB.

    Args:
        model: a :class:`~var.core.model.VarModel`.
        images: example names or paths.
        methods: default all of :data:`var.METHODS` but the contrastive gradient.
        strategies: class-set strategies (``top_k`` uses ``k``).
        temperatures, taus: the values offered.
        k: for ``top_k``.
        method_options: per method, options for :func:`var.attribute`.
        map_size: side of each map in the frames.
        cmap: a matplotlib colour map for the magnitudes (default :data:`var.viz.heatmap.CMAP`).

    Returns:
        An ``ipywidgets.VBox``.
    """
    import ipywidgets as W

    from ..core import class_sets
    from ..core.attribution import attribute
    from ..core.methods import METHOD_TITLES, METHODS

    images = check_list("images", images)
    methods = check_list("methods", [m for m in METHODS if m != "contrastive_gradient"] if methods is None
                         else methods, METHODS)
    strategies = check_list("strategies", strategies, class_sets.STRATEGIES)
    temperatures, taus = check_grid(temperatures, taus)
    check_int("k", k, 1)
    check_int("map_size", map_size, 16)
    method_options = method_options or {}
    controls = {  # CSS suffix -> control; the order is the order of the stacks' levels
        "image": W.Dropdown(options=[(str(im), i) for i, im in enumerate(images)], value=0, description="image"),
        "method": W.Dropdown(options=[(METHOD_TITLES[m], i) for i, m in enumerate(methods)], value=0,
                             description="method"),
        "classset": W.Dropdown(options=[(s, i) for i, s in enumerate(strategies)], value=0,
                               description="class set"),
        "t": W.SelectionSlider(options=[f"{t:g}" for t in temperatures], description="t",
                               value=f"{TEMPERATURE if TEMPERATURE in temperatures else temperatures[0]:g}"),
        "tau": W.SelectionSlider(options=[f"{v:g}" for v in taus], value=f"{TAU:g}" if TAU in taus
                                 else f"{taus[0]:g}", description="τ"),
    }
    for name, control in controls.items():
        control.add_class(f"var-explorer-{name}")
    order = list(controls.values())
    layout = W.Layout()  # one for every frame and stack (see _linked_stacks)
    vanilla, var_maps = [], []
    for image in images:
        x = model.prepare(image)
        logits = model.logits(x)[0]
        v_i, r_i = [], []
        for method in methods:
            v_m, r_m = [], []
            for strategy in strategies:
                chosen = class_sets.choose(strategy, logits, k=k)
                names = [model.class_names[c] for c in chosen]
                h = attribute(model, x, chosen, method, **method_options.get(method, {}))
                heats = [to_heatmap(a) for a in h]
                v_m.append(_row_frame(heats, names, "vanilla", map_size, model.unnormalize(x[0]), cmap=cmap))
                # VAR's row on its own scale: on the vanilla row's, its few kept locations come out faint
                r_m.append([[_row_frame([to_heatmap(a) for a in relevance(h, Relevance(t, tau, warn_below=None))],
                                        names, f"VAR t={t:g} τ={tau:g}", map_size, cmap=cmap)
                             for tau in taus] for t in temperatures])
            # Each method's widgets are made right after its maps, so the kernel sends their messages in
            # small bursts between computations: one burst of hundreds can overflow the kernel's output
            # queue (ZeroMQ drops messages past 1,000) and lose widgets from the saved page state.
            v_i.append(_linked_stacks(v_m, order[2:3], W, layout))
            r_i.append(_linked_stacks(r_m, order[2:], W, layout))
        vanilla.append(v_i)
        var_maps.append(r_i)
    top = _linked_stacks(vanilla, order[:2], W, layout)
    bottom = _linked_stacks(var_maps, order[:2], W, layout)
    top.add_class("var-explorer-vanilla")
    bottom.add_class("var-explorer-var")
    return W.VBox([W.HBox(order[:3]), W.HBox(order[3:]), top, bottom])


def _linked_stacks(tree, controls, W, layout=None):
    """Nested lists of frame bytes (or of widgets already made) -> nested Stacks, level i linked to
    ``controls[i]`` (index) in the browser.

    Every Image and Stack made here shares one ``layout``: a widget's default is a Layout model of its own,
    and hundreds of them weighed a fifth of the explorer page.
    """
    layout = layout or W.Layout()
    if isinstance(tree, bytes):
        return W.Image(value=tree, format=FRAME_FORMAT, layout=layout)
    if isinstance(tree, W.Widget):
        return tree
    control = controls[0]
    stack = W.Stack([_linked_stacks(t, controls[1:], W, layout) for t in tree], selected_index=control.index,
                    layout=layout)
    W.jslink((control, "index"), (stack, "selected_index"))
    return stack


def _row_frame(heats, names, label: str, size: int, image=None, vmax: float | None = None,
               cmap: str | None = None) -> bytes:
    """One row of maps (and optionally the input first) on one colour scale, with titles and a colour bar drawn
    in, as :func:`_encode` bytes.
    """
    from matplotlib import colormaps
    from PIL import Image, ImageDraw

    vmax = vmax or display_max(heats)
    font = _font()
    if image is not None:  # the first column: the input, or the row's label (columns align across rows)
        rgb = (image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        first = Image.fromarray(rgb).resize((size, size))
    else:
        first = Image.new("RGB", (size, size), "white")
        for i, line in enumerate(label.split(" ")):
            ImageDraw.Draw(first).text((2, 4 + 14 * i), line, fill="black", font=font)
    cmap = colormaps[colour_map(False, cmap)]
    tiles = [first] + [Image.fromarray(cmap(np.clip(h / vmax, 0, 1), bytes=True)[..., :3]).resize(
        (size, size), Image.BILINEAR) for h in heats]
    title, bar = 14, 60
    row = Image.new("RGB", (len(tiles) * (size + 4) + bar, size + title), "white")
    draw = ImageDraw.Draw(row)
    for i, tile in enumerate(tiles):
        if i and not np.any(heats[i - 1]):  # an empty map is labelled, not left to look faint
            ImageDraw.Draw(tile).text((4, size // 2 - 6), NOTHING_KEPT, fill="white", font=font)
        row.paste(tile, (i * (size + 4), title))
        draw.text((i * (size + 4) + 1, 0), names[i - 1][:14] if i else ("vanilla" if image is not None else ""),
                  fill="black", font=font)
    # the colour bar: the row's scale, top = vmax (the display maximum, see display_max), bottom = 0
    x0 = len(tiles) * (size + 4)
    gradient = cmap(np.linspace(1, 0, size)[:, None].repeat(8, 1), bytes=True)[..., :3]
    row.paste(Image.fromarray(gradient), (x0, title))
    draw.text((x0 + 11, title - 2), f"{vmax:.2g}", fill="black", font=font)
    draw.text((x0 + 11, title + size - 12), "0", fill="black", font=font)
    draw.text((x0 + 11, title + size // 2 - 6), "|map|", fill="black", font=font)
    return _encode(row)
