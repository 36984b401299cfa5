"""Sliders for temperature t and threshold tau that work in a static page, without a kernel.

VAR steps 2-3 are cheap, so the explorer precomputes the VAR map of every class
for a small grid of (t, tau) values, renders each as a PNG and stacks them:
``Stack[class] -> Stack[t] -> Stack[tau]``. The class dropdown and the two
sliders are linked to the stacks' ``selected_index`` with ``jslink``, i.e. in
the browser. Saved with the notebook's widget state, the page keeps working
once rendered by Jupyter Book, with no Python behind it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import torch

from .class_relevance import relevance
from .plotting import display_max, to_heatmap

__all__ = ["var_explorer", "DEFAULT_TEMPERATURES", "DEFAULT_TAUS"]

DEFAULT_TEMPERATURES = (0.01, 0.03, 0.1, 0.3, 1.0)
DEFAULT_TAUS = (0.0, 0.01, 0.05, 0.1, 0.2)


def _png(heat: np.ndarray, vmax: float, title: str, cmap: str = "inferno") -> bytes:
    """One map as PNG bytes; a bare Figure (no pyplot), so no backend or global state is touched."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.6, 2.8), dpi=80)
    ax = fig.subplots()
    ax.imshow(heat, cmap=cmap, vmin=0, vmax=vmax)
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def var_explorer(
    attributions: torch.Tensor,
    class_names: Sequence[str],
    temperatures: Sequence[float] = DEFAULT_TEMPERATURES,
    taus: Sequence[float] = DEFAULT_TAUS,
    *,
    image: torch.Tensor | None = None,
    unnormalize=None,
    normalize: str | None = None,
    initial: tuple[float, float] = (0.1, 0.01),
):
    """A widget showing the VAR map of a chosen class for chosen t and tau.

    Args:
        attributions: vanilla maps H, (|K|, C, H, W), e.g. ``explanation.attributions``.
        class_names: names of the classes in K.
        temperatures, taus: the values the sliders offer (each map is precomputed).
        image, unnormalize: optionally show the input and the vanilla map beside it.
        normalize: passed to :func:`var.relevance`.
        initial: (t, tau) shown first (must be in the lists).

    Returns:
        An ``ipywidgets.VBox``; display it as the last expression of a cell.

    Example:
        >>> e = var.explain(model, "skimage:coffee", "guided_backprop", k=2)
        >>> var.widgets.var_explorer(e.attributions, e.class_names)
    """
    import ipywidgets as W

    if len(class_names) != attributions.shape[0]:
        raise ValueError(f"{len(class_names)} class names for {attributions.shape[0]} maps.")
    temperatures, taus = list(temperatures), list(taus)
    for value, values, name in ((initial[0], temperatures, "temperature"), (initial[1], taus, "tau")):
        if value not in values:
            raise ValueError(f"initial {name} {value} is not one of {values}.")
    heats = {}
    for t in temperatures:
        for tau in taus:
            maps = relevance(attributions, t, tau, normalize=normalize)
            for c in range(len(class_names)):
                heats[c, t, tau] = (to_heatmap(maps[c]), float((maps[c] != 0).float().mean()))
    vmax = display_max([h for h, _ in heats.values()])
    stacks = []
    for c in range(len(class_names)):
        per_t = []
        for t in temperatures:
            imgs = [W.Image(value=_png(heats[c, t, tau][0], vmax, f"VAR · t={t:g} · τ={tau:g}\n"
                                                                  f"kept {heats[c, t, tau][1]:.1%}"),
                            format="png", layout=W.Layout(width="240px"))
                    for tau in taus]
            per_t.append(W.Stack(imgs, selected_index=taus.index(initial[1])))
        stacks.append(W.Stack(per_t, selected_index=temperatures.index(initial[0])))
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
        panels = [_side_panels(image, attributions, class_names, unnormalize, pick), by_class]
    return W.VBox([W.HBox([pick, t_slider, tau_slider]), W.HBox(panels)])


def _side_panels(image, attributions, class_names, unnormalize, pick):
    """The input and the vanilla map of the selected class (linked to the class dropdown)."""
    import ipywidgets as W

    rgb = unnormalize(image.detach().reshape(-1, *image.shape[-3:])[0]).permute(1, 2, 0).numpy()
    heats = [to_heatmap(a) for a in attributions]
    vmax = display_max(heats)
    buf = io.BytesIO()
    from PIL import Image

    Image.fromarray((rgb * 255).round().astype(np.uint8)).resize((200, 200)).save(buf, format="png")
    vanilla = W.Stack([W.Image(value=_png(h, vmax, f"vanilla · {n[:20]}\n"), format="png",
                               layout=W.Layout(width="240px")) for h, n in zip(heats, class_names)],
                      selected_index=0)
    W.jslink((pick, "index"), (vanilla, "selected_index"))
    return W.HBox([W.Image(value=buf.getvalue(), format="png", layout=W.Layout(width="200px")), vanilla])
