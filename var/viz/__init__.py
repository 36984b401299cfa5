"""Pictures of maps (the ``plot`` extra).

* :mod:`~var.viz.heatmap` — the one renderer: map -> array, scale, colour bar, "nothing kept";
* :mod:`~var.viz.figures` — vanilla vs VAR figures, the gallery, the intervention figure;
* :mod:`~var.viz.widgets` — kernel-free explorers for the static book; :mod:`~var.viz.live_explorer` — the
  explorer for a running kernel; :mod:`~var.viz.sweep_explorer` — sliders over the committed sweep's numbers.
"""

from . import figures, heatmap, live_explorer, sweep_explorer, widgets
from .figures import show_explanation, show_gallery, show_intervention, show_vanilla_var

__all__ = ["figures", "heatmap", "widgets", "live_explorer", "sweep_explorer", "show_explanation", "show_vanilla_var",
           "show_gallery", "show_intervention"]
