"""VAR: Visualizing Actually Relevant features.

Walter, Vreeken & Fischer, "Now you see me! A framework for obtaining
class-relevant saliency maps". Pipeline: ``load_model`` -> ``attribute`` (step 1,
maps H_c for a class set K) -> ``relevance`` (steps 2-3: softmax across classes
per location, keep H_c * M_c where M_c beats chance by tau).

The folders are the layers; each imports only from those above it in this list:

* :mod:`var.core` — the protocol (paper's settings), checks, the model protocol, methods as plans, the
  engine, step 1 (``attribute``), steps 2-3 (``relevance``), class sets, ``explain``;
* :mod:`var.models` — the zoo (``load_model``), ``wrap_model``, preprocessing, adapters, EfficientNet-Lite;
* :mod:`var.viz` — the heatmap renderer, map figures, the explorers;
* :mod:`var.interop` — ``VAR`` as a Captum attribution, Quantus's ``explain_func``;
* :mod:`var.benchmarks` — the paper's benchmarks, the results table, metrics, the runner, provenance;
* :mod:`var.perf` — speed, insertion speed, cost;
* :mod:`var.report` — the committed reference runs, the paper's tables, claims, report charts;
* :mod:`var.pages` — the book's page helpers (not API: figures and facts for one page each);
* :mod:`var.bench` — the one CLI.
"""

from .core import class_sets, methods, registry
from .core.attribution import attribute
from .core.explanation import Explanation, explain, load_explanation
from .core.images import load_image
from .core.methods import METHOD_DESCRIPTIONS, METHOD_TITLES, METHODS, make_baseline
from .core.model import VarModel
from .core.relevance import Relevance, SparseMapWarning, kept_share, relevance, spatial_softmax
from .core.version import __version__ as __version__  # the one version source
from .interop.attributor import VAR
from .models.adapters import from_hf, from_timm, from_torchvision
from .models.preprocessing import imagenet_classes
from .models.zoo import MODEL_NAMES, WeightsUnavailableError, load_model, wrap_model

__all__ = ["attribute", "VAR", "Relevance", "relevance", "spatial_softmax", "kept_share", "SparseMapWarning", "explain",
           "Explanation", "load_explanation", "class_sets", "methods", "registry", "load_model", "wrap_model",
           "load_image", "imagenet_classes", "make_baseline", "VarModel", "METHODS", "METHOD_TITLES",
           "METHOD_DESCRIPTIONS", "MODEL_NAMES", "WeightsUnavailableError", "from_timm", "from_hf", "from_torchvision"]


#: The layers loaded on first use (not by ``import var``) and the extra each needs (pyproject.toml).
_EXTRAS = {"viz": "plot", "report": "bench", "benchmarks": "bench", "perf": "bench", "pages": "bench"}


def __getattr__(name: str):
    if name in _EXTRAS:
        import importlib

        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:  # an extra that is not installed: say which
            raise ModuleNotFoundError(f"var.{name} needs {err.name}, which the core install leaves out: "
                                      f"pip install 'var-saliency[{_EXTRAS[name]}]'.", name=err.name) from err
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
