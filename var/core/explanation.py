"""One call from an image to vanilla and VAR maps: ``var.explain``; an :class:`Explanation` saved and loaded
again (:meth:`Explanation.save`, :func:`load_explanation`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from . import class_sets
from .attribution import attribute, check_inputs
from .checks import check_choice
from .model import VarModel
from .registry import is_signed
from .relevance import Relevance, keep_mask, kept_share, relevance, resolve, split_loose
from .version import __version__

__all__ = ["Explanation", "explain", "load_explanation"]

#: What a saved explanation's metadata says it is, and the layout's version (bumped when the fields change).
FORMAT, FORMAT_VERSION = "var-explanation", 2
_TENSORS = ("inputs", "probabilities", "attributions", "softmax", "maps")
_PRECISIONS = {"float32": np.float32, "float16": np.float16}
#: The settings every saved explanation records (version 1 files have no ``warn_below``, which changes no map).
_V1_SETTINGS = ("temperature", "tau", "reduce_channels", "normalize")


@dataclass
class Explanation:
    """Everything a plot or a table needs about one explained image.

    Attributes:
        inputs: the preprocessed image, (1, C, H, W).
        classes: the class set K.
        class_names: names of K.
        probabilities: the model's softmax for each class in K.
        attributions: vanilla maps H (VAR step 1), (|K|, C, H, W).
        softmax: M (step 2), same shape as ``attributions`` (or one channel).
        maps: VAR maps C_H (step 3).
        method: the attribution method that made H.
        settings: VAR steps 2-3's settings (:class:`var.Relevance`); ``temperature``, ``tau``,
            ``reduce_channels`` and ``normalize`` read them.
        model: the model's identity (:meth:`VarModel.identity <var.core.model.VarModel.identity>`: name, network,
            weights fingerprint), empty when the explanation was made without a ``VarModel``.
        signed: whether the maps are read with their sign (the method's fact, with its options: SmoothGrad over
            Input x Gradient is signed); None when unknown.
    """

    inputs: torch.Tensor
    classes: list[int]
    class_names: list[str]
    probabilities: torch.Tensor
    attributions: torch.Tensor
    softmax: torch.Tensor
    maps: torch.Tensor
    method: str
    settings: Relevance = field(default_factory=Relevance)
    model: dict = field(default_factory=dict)
    signed: bool | None = None

    @property
    def temperature(self) -> float:
        return self.settings.temperature

    @property
    def tau(self) -> float:
        return self.settings.tau

    @property
    def reduce_channels(self) -> str | None:
        return self.settings.reduce_channels

    @property
    def normalize(self) -> str | None:
        return self.settings.normalize

    @property
    def masks(self) -> torch.Tensor:
        """The kept locations, 1[M_c - 1/|K| > tau]."""
        return keep_mask(self.softmax, self.tau)

    @property
    def kept_share(self) -> torch.Tensor:
        """Share of locations VAR keeps, per class (|K|,): :func:`var.kept_share` of the VAR maps."""
        return kept_share(self.maps)

    def save(self, path, precision: str = "float32") -> Path:
        """Write the explanation to one ``.npz`` file that :func:`var.load_explanation` reads back.

        The file holds the input, the probabilities, H, M and the VAR maps as arrays, and the class set, names,
        method, settings, model identity and var's version as JSON; no pickled objects, so loading one runs no
        code. ``precision="float16"`` halves the file (maps to about 3 significant digits; loaded back as
        float32); ``"float32"`` round-trips exactly.

        Returns:
            The path written (``.npz`` appended when missing).
        """
        check_choice("precision", precision, tuple(_PRECISIONS))
        path = Path(path)
        path = path if path.suffix == ".npz" else path.with_name(path.name + ".npz")
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "var_version": __version__, "precision": precision,
                **{f.name: getattr(self, f.name) for f in fields(self) if f.name not in _TENSORS},
                "settings": self.settings.as_dict()}
        arrays = {name: getattr(self, name).detach().cpu().numpy().astype(_PRECISIONS[precision])
                  for name in _TENSORS}
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)
        return path


def load_explanation(path) -> Explanation:
    """Read an :class:`Explanation` written by :meth:`Explanation.save` (tensors as float32, on the CPU).

    Example:
        >>> e = var.explain(var.load_model(), "skimage:coffee", "gradient", k=2)
        >>> path = e.save(tmp_path / "coffee")
        >>> torch.equal(var.load_explanation(path).maps, e.maps)
        True
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No saved explanation at {path}; Explanation.save(path) writes one.")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {name: torch.from_numpy(data[name].astype(np.float32)) for name in _TENSORS}
    except (ValueError, KeyError, OSError) as err:
        raise ValueError(f"{path} is not an explanation saved by Explanation.save ({err}).") from None
    if meta.get("format") != FORMAT or meta.get("version") not in (1, FORMAT_VERSION):
        raise ValueError(f"{path} holds {meta.get('format')!r} version {meta.get('version')!r}; this var reads "
                         f"{FORMAT!r} versions 1-{FORMAT_VERSION} (saved by var {meta.get('var_version')}).")
    if meta["version"] == 1:  # var 0.2 wrote four settings as fields of their own
        meta["settings"] = {name: meta.pop(name) for name in _V1_SETTINGS if name in meta}
    names = [f.name for f in fields(Explanation) if f.name not in _TENSORS]
    missing = [name for name in names if name not in meta]
    missing += [f"settings.{name}" for name in _V1_SETTINGS if name not in meta.get("settings", {})]
    if missing:  # never filled with today's defaults: the file says how it was made, or it is refused
        raise ValueError(f"{path} lacks {', '.join(missing)}; it was not written by Explanation.save.")
    meta["settings"] = Relevance(**meta["settings"])
    return Explanation(**arrays, **{name: meta[name] for name in names})


def explain(
    model: VarModel,
    image,
    method: str = "guided_backprop",
    class_set: str = "top_k",
    *,
    classes=None,
    k: int = 3,
    target: int | None = None,
    settings: Relevance | None = None,
    **method_options,
) -> Explanation:
    """Attribute an image for a class set and apply VAR.

    Args:
        model: a :class:`~var.core.model.VarModel`.
        image: path, PIL image, array, example name (``"skimage:chelsea"``) or a
            preprocessed (1, C, H, W) tensor.
        method: an attribution method: a name of :data:`var.METHODS` or of :mod:`var.core.registry`
            (``var-bench methods`` lists them).
        class_set: ``"top_k"`` (k most probable + least probable, plus ``target``),
            ``"best_vs_worst"`` or ``"predefined"`` (then pass ``classes``).
        settings: VAR steps 2-3 as a :class:`var.Relevance` (None: the paper's t = 0.1, tau = 0.01).
        **method_options: passed to :func:`var.attribute` (the loose ``temperature``, ``tau``, ... of earlier
            versions still work, with a DeprecationWarning).

    Returns:
        An :class:`Explanation`.

    Example:
        >>> e = var.explain(var.load_model(), "skimage:coffee", "guided_backprop", "top_k", k=2)
        >>> e.class_names[:2]
        ['espresso', 'cup']
    """
    loose, method_options = split_loose(method_options)
    settings = resolve(settings, loose, "explain")
    if not isinstance(model, VarModel):
        raise TypeError("explain needs a VarModel; wrap your network with var.wrap_model(...).")
    x = check_inputs(image) if isinstance(image, torch.Tensor) else model.prepare(image)
    if x.shape[0] != 1:  # an Explanation names one image's classes
        raise ValueError(f"explain explains one image; got a batch of {x.shape[0]}. Call it per image, or use "
                         "var.attribute (one class set per image) and var.relevance for a batch.")
    logits = model.logits(x)[0]
    chosen = class_sets.choose(class_set, logits, classes=classes, k=k, target=target)
    h = attribute(model, x, chosen, method, **method_options)
    maps, m = relevance(h, settings, return_softmax=True)
    return Explanation(x, chosen, [model.class_names[c] for c in chosen], logits.softmax(-1)[chosen], h, m, maps,
                       method, settings, model.identity(), is_signed(method, **method_options))
