"""VAR: Visualizing Actually Relevant features.

Walter, Vreeken & Fischer, "Now you see me! A framework for obtaining
class-relevant saliency maps". Pipeline: ``load_model`` -> ``attribute`` (step 1,
maps H_c for a class set K) -> ``relevance`` (steps 2-3: softmax across classes
per location, keep H_c * M_c where M_c beats chance by tau).
"""

from . import class_sets, paper, plotting, widgets
from .attribution import METHOD_DESCRIPTIONS, METHOD_TITLES, METHODS, attribute, make_baseline
from .explain import Explanation, explain
from .images import load_image
from .models import MODEL_NAMES, VarModel, WeightsUnavailableError, imagenet_classes, load_model, wrap_model
from .relevance import relevance, spatial_softmax

__version__ = "0.1.0"
__all__ = ["attribute", "relevance", "spatial_softmax", "explain", "Explanation", "class_sets", "load_model",
           "wrap_model", "load_image", "imagenet_classes", "make_baseline", "VarModel", "METHODS", "METHOD_TITLES", "METHOD_DESCRIPTIONS", "MODEL_NAMES",
           "WeightsUnavailableError"]
