"""VAR: Visualizing Actually Relevant features.

Walter, Vreeken & Fischer, "Now you see me! A framework for obtaining
class-relevant saliency maps". Pipeline: ``load_model`` -> ``attribute`` (step 1,
maps H_c for a class set K) -> ``relevance`` (steps 2-3: softmax across classes
per location, keep H_c * M_c where M_c beats chance by tau).

Modules: :mod:`~var.models`, :mod:`~var.methods` and :mod:`~var.engine` (step 1,
front door :mod:`~var.attribution`), :mod:`~var.class_relevance` (steps 2-3),
:mod:`~var.class_sets`, :mod:`~var.explanation`, :mod:`~var.attributor` (``VAR``, Captum-style), :mod:`~var.plotting`,
:mod:`~var.widgets`, :mod:`~var.live_explorer`, :mod:`~var.benchmarks`.
"""

from . import class_sets, methods
from .adapters import from_hf, from_timm, from_torchvision
from .attribution import attribute
from .attributor import VAR
from .class_relevance import SparseMapWarning, kept_share, relevance, spatial_softmax
from .explanation import Explanation, explain
from .images import load_image
from .methods import METHOD_DESCRIPTIONS, METHOD_TITLES, METHODS, make_baseline
from .models import MODEL_NAMES, VarModel, WeightsUnavailableError, imagenet_classes, load_model, wrap_model

__version__ = "0.1.0"
__all__ = ["attribute", "VAR", "relevance", "spatial_softmax", "kept_share", "SparseMapWarning", "explain",
           "Explanation", "class_sets", "methods", "load_model", "wrap_model", "load_image", "imagenet_classes",
           "make_baseline", "VarModel", "METHODS", "METHOD_TITLES", "METHOD_DESCRIPTIONS", "MODEL_NAMES",
           "WeightsUnavailableError", "from_timm", "from_hf", "from_torchvision"]


#: The modules loaded on first use (not by ``import var``) and the extra each needs (pyproject.toml).
_EXTRAS = {"plotting": "plot", "widgets": "plot", "live_explorer": "plot", "paper": "bench", "benchmarks": "bench",
           "claims": "bench", "quantus": "quantus"}


def __getattr__(name: str):
    if name in _EXTRAS:
        import importlib

        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:  # an extra that is not installed: say which
            raise ModuleNotFoundError(f"var.{name} needs {err.name}, which the core install leaves out: "
                                      f"pip install 'var-saliency[{_EXTRAS[name]}]'.", name=err.name) from err
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
