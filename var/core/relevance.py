"""VAR steps 2 and 3: softmax across classes per location, then keep what beats chance.

Walter, Vreeken & Fischer, "Now you see me! A framework for obtaining
class-relevant saliency maps", Section 4:

* step 2, spatial softmax: ``M_c = exp(H_c / t) / sum_k exp(H_k / t)`` at every
  location, temperature ``t = 0.1``;
* step 3, class-relevant attribution: ``C_c = H_c * M_c * 1[M_c - 1/|K| > tau]``,
  ``tau = 0.01``.

As in the authors' published code, the softmax sees the magnitude ``|H|`` of
each element (channel and pixel) and the output keeps the attribution's sign.

Empty maps, one policy for the whole workspace
----------------------------------------------
A class's VAR map is *empty* when no location beats chance by tau: the map is
all zero (never NaN). That is an answer ("at this t and tau no location is
relevant to this class rather than to the others"), not a failure, and it is
treated the same everywhere:

* one class keeping nothing is VAR's answer (top-k's least probable class
  usually does); but when *all* classes together keep less than
  :data:`SPARSE_SHARE` of the locations, t and tau do not fit the attributions'
  scale, and :func:`relevance` warns (:class:`SparseMapWarning`), naming the scale
  and the options that change it (``Relevance(warn_below=None)`` silences it, as the
  benchmarks and explorers do: they count and show the share instead);
* benchmark tables record one ``empty`` row (1 or 0) per VAR map, so every
  summary reports the share of empty maps next to the scores; metrics defined on
  the map's mass score an empty map as highlighting nothing (RA, precision, F1
  = 0), metrics defined on its order (rank correlations) have no value (NaN,
  counted in ``n_nan``);
* figures draw an empty map as "nothing kept" (:data:`var.viz.heatmap.NOTHING_KEPT`);
* the adapters give a defined result: :func:`var.interop.attributor.visualize_image_attr`
  draws Captum's figure of the image, titled "nothing kept", where Captum's own
  raises; :func:`var.interop.quantus.explain_func` returns the zeros, or NaN with
  ``empty="nan"`` (so that Quantus reports "no value" rather than refusing a
  batch whose maps are all zero).
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from dataclasses import dataclass

import torch

from .checks import check_choice, check_float
from .protocol import TAU, TEMPERATURE

__all__ = ["Relevance", "SCALE_FREE", "relevance", "spatial_softmax", "keep_mask", "kept_maps", "kept_share",
           "SparseMapWarning", "REDUCTIONS", "NORMALIZATIONS", "SPARSE_SHARE"]

#: How channels are reduced to one score per pixel before the softmax (None: per element).
REDUCTIONS = (None, "sum", "max")
#: How attributions are rescaled before the softmax (None: the authors' unnormalised default).
NORMALIZATIONS = (None, "joint_max")
#: Below this share of locations kept for any class :func:`relevance` warns that VAR kept (almost) nothing.
SPARSE_SHARE = 0.01


class SparseMapWarning(UserWarning):
    """VAR kept less than :data:`SPARSE_SHARE` of the locations for any class (see "Empty maps" above)."""


@dataclass(frozen=True)
class Relevance:
    """The settings of VAR's steps 2-3, one value: what :func:`relevance`, :func:`var.explain`, :class:`var.VAR`,
    Quantus's ``explain_func``, the benchmarks and the explorers take, and what an :class:`~var.Explanation` keeps.

    Args:
        temperature: t of the softmax across classes (paper: 0.1); > 0.
        tau: the margin over chance 1/|K| a location needs to be kept (paper: 0.01); in [0, 1).
        reduce_channels: None (one softmax per element, the authors'), ``"sum"`` or ``"max"``: see
            :func:`spatial_softmax`.
        normalize: None (raw magnitudes, the authors') or ``"joint_max"``: see :func:`spatial_softmax`.
        warn_below: warn (:class:`SparseMapWarning`) when all classes together keep less than this share of the
            locations; None: never (for callers that report the share themselves).

    ``Relevance()`` is the paper's setting; :meth:`replace` changes some fields, and calling the value applies it.

    Example:
        >>> settings = var.Relevance(temperature=0.1, tau=0.01)
        >>> maps = settings(var.attribute(model, x, [281, 282, 285], "gradient"))
        >>> settings.replace(normalize="joint_max").normalize
        'joint_max'
    """

    temperature: float = TEMPERATURE
    tau: float = TAU
    reduce_channels: str | None = None
    normalize: str | None = None
    warn_below: float | None = SPARSE_SHARE

    def __post_init__(self):
        # validated once, here, so that every entry point taking the value refuses the same bad settings
        object.__setattr__(self, "temperature", check_float("temperature", self.temperature, low=0.0, low_open=True))
        object.__setattr__(self, "tau", check_float("tau", self.tau, low=0.0, high=1.0, high_open=True))
        check_choice("reduce_channels", self.reduce_channels, REDUCTIONS)
        check_choice("normalize", self.normalize, NORMALIZATIONS)
        if self.warn_below is not None:
            object.__setattr__(self, "warn_below", check_float("warn_below", self.warn_below, low=0.0, high=1.0))

    def __call__(self, attributions: torch.Tensor, *, return_softmax: bool = False):
        """:func:`relevance` of ``attributions`` with these settings."""
        return relevance(attributions, self, return_softmax=return_softmax)

    def replace(self, **changes) -> Relevance:
        """A copy with some settings changed (validated like the original)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        """The settings by name, as JSON or a table row records them."""
        return dataclasses.asdict(self)


#: The setting of the entry points for other people's models and methods (:class:`var.VAR`, Quantus's
#: ``explain_func``): the paper's t and tau on the joint-max scale. On raw magnitudes t = 0.1 means something else
#: for every method and model: an LRP method's or an untrained network's |H| (~1e-5) is far below it, M stays at
#: 1/|K| and every map is empty. ``var.explain``, ``var.relevance`` and the benchmarks keep the paper's raw scale
#: (:class:`Relevance`'s defaults, the authors' code).
SCALE_FREE = Relevance(normalize="joint_max")

#: The loose keywords :class:`Relevance` replaces (accepted, with a DeprecationWarning, until var 0.4).
LOOSE = tuple(f.name for f in dataclasses.fields(Relevance))


def split_loose(options: dict) -> tuple[dict, dict]:
    """``options`` split into the deprecated loose settings keywords and the rest (a method's options)."""
    return ({k: v for k, v in options.items() if k in LOOSE}, {k: v for k, v in options.items() if k not in LOOSE})


def resolve(settings: Relevance | None, loose: dict, where: str, stacklevel: int = 3) -> Relevance:
    """The one settings value of a call: ``settings``, or (deprecated) one built from loose keywords.

    ``loose`` holds the loose keywords the caller received (its own defaults left out). Mixing both is refused:
    which one would win is not obvious.
    """
    unknown = sorted(set(loose) - set(LOOSE))
    if unknown:
        raise TypeError(f"{where}() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}.")
    if settings is not None and not isinstance(settings, Relevance):
        raise TypeError(f"{where}: settings must be a var.Relevance, not {type(settings).__name__}; "
                        f"e.g. var.Relevance(temperature=0.1, tau=0.01).")
    if not loose:
        return Relevance() if settings is None else settings
    if settings is not None:
        raise TypeError(f"{where}: pass the VAR settings once, as settings=var.Relevance(...), not also as "
                        f"{', '.join(sorted(loose))}.")
    value = Relevance(**loose)
    keywords = ", ".join(f"{k}={v!r}" for k, v in loose.items())
    warnings.warn(f"{where}({keywords}) is deprecated (it stops working in var 0.4): pass "
                  f"settings=var.Relevance({keywords}).", DeprecationWarning, stacklevel=stacklevel)
    return value


def spatial_softmax(
    attributions: torch.Tensor,
    temperature: float = TEMPERATURE,
    *,
    reduce_channels: str | None = None,
    normalize: str | None = None,
) -> torch.Tensor:
    """VAR step 2: M, the softmax over the class axis (dim 0) of |H| / t.

    Args:
        attributions: H, shape (|K|, ...), class axis first; (|K|, C, H, W) for
            ``reduce_channels``.
        temperature: t > 0. Small t makes M nearly one-hot, large t flattens it to 1/|K|.
        reduce_channels: None: one softmax per element (channel and pixel), the
            authors' choice. ``"sum"``/``"max"``: one score per pixel, the sum or
            max of |H| over channels, so all channels of a pixel share one M of
            shape (|K|, 1, H, W).
        normalize: None: softmax of the raw magnitudes, so what t means depends
            on the method's scale (IG on logits spans ~1e-2, gradients ~1e-4).
            ``"joint_max"``: divide by the largest |H| over all classes and
            locations first, which makes t scale-free while keeping the ratios
            between classes.

    Returns:
        M, summing to 1 over dim 0 (over dim 1, image by image, for a batch (B, |K|, C, H, W));
        float32 for float16/bfloat16 attributions (computed in float32 so that nothing overflows).
    """
    if isinstance(attributions, torch.Tensor) and attributions.dim() == 5:  # (B, |K|, C, H, W): per image
        return torch.stack([spatial_softmax(a, temperature, reduce_channels=reduce_channels, normalize=normalize)
                            for a in attributions])
    h = _check(attributions, temperature)
    # float16 overflows in the channel sum and bfloat16 rounds M - 1/|K| near tau: decide in float32 at least
    scores = h.abs().to(torch.promote_types(h.dtype, torch.float32))
    if reduce_channels not in REDUCTIONS:
        raise ValueError(f"reduce_channels must be one of {REDUCTIONS}, not {reduce_channels!r}.")
    if reduce_channels is not None:
        if h.dim() != 4:
            raise ValueError(f"reduce_channels needs attributions of shape (K, C, H, W), got {tuple(h.shape)}.")
        scores = scores.sum(1, keepdim=True) if reduce_channels == "sum" else scores.amax(1, keepdim=True)
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, not {normalize!r}.")
    if normalize == "joint_max":
        peak = scores.max()
        scores = scores / peak if peak > 0 else scores
    # Shift by the per-location maximum before dividing by t: exact, and finite for
    # any finite input however small t or large H (exp never overflows).
    shifted = scores - scores.amax(0, keepdim=True)
    if torch.tensor(temperature, dtype=scores.dtype) == 0:  # t underflows in float32: 0 / 0 would be NaN
        return torch.softmax(shifted.double() / temperature, dim=0).to(scores.dtype)
    return torch.softmax(shifted / temperature, dim=0)


def relevance(attributions: torch.Tensor, settings: Relevance | None = None, *loose_args,
              return_softmax: bool = False, **loose):
    """Class-relevant attributions C_c = H_c * M_c * 1[M_c - 1/|K| > tau] (VAR steps 2-3).

    Args:
        attributions: H for the class set, shape (|K|, ...) with |K| >= 2, e.g. the
            output of :func:`var.attribute`; a batch (B, |K|, C, H, W) is taken
            image by image (the softmax never mixes images).
        settings: t, tau and the other settings of steps 2-3 as one :class:`Relevance`; None: the paper's.
        return_softmax: also return M (for plots).
        *loose_args, **loose: deprecated: ``relevance(h, 0.1, 0.01, normalize=...)``, the settings as loose
            values (a DeprecationWarning names the :class:`Relevance` to pass instead).

    Returns:
        The VAR maps, same shape, sign and dtype as ``attributions``; with
        ``return_softmax=True`` the pair (maps, M).

    A map that keeps nothing is all zero, never NaN (all-zero or class-uniform
    attributions give M = 1/|K| everywhere and so empty maps): see "Empty maps"
    in :mod:`var.core.relevance` for how the workspace treats it.

    Example:
        >>> maps = var.attribute(model, x, [281, 282, 285], "guided_backprop")
        >>> var_maps, m = var.relevance(maps, var.Relevance(temperature=0.1, tau=0.01), return_softmax=True)
    """
    if isinstance(settings, numbers.Real) and not isinstance(settings, bool):  # deprecated: relevance(h, t, tau)
        loose = {**dict(zip(("temperature", "tau"), (settings, *loose_args))), **loose}
        settings, loose_args = None, loose_args[1:]
    if loose_args:
        raise TypeError("relevance takes the attributions and one var.Relevance; got more positional values.")
    s = resolve(settings, loose, "relevance")
    m = spatial_softmax(attributions, s.temperature, reduce_channels=s.reduce_channels, normalize=s.normalize)
    batched = attributions.dim() == 5  # (B, |K|, C, H, W) from var.attribute on a batch: classes on dim 1
    k = attributions.shape[1 if batched else 0]
    if s.tau >= 1.0 - 1.0 / k:
        warnings.warn(f"tau = {s.tau:g} >= 1 - 1/|K| = {1 - 1 / k:.3g}: M - 1/|K| can never exceed "
                      "it, so every VAR map is all zero. Use a smaller tau (paper: 0.01).", stacklevel=2)
    keep = torch.stack([keep_mask(mb, s.tau) for mb in m]) if batched else keep_mask(m, s.tau)
    maps = kept_maps(attributions, m, keep)
    if s.warn_below is not None:
        _warn_if_sparse(attributions, keep, s)
    return (maps, m) if return_softmax else maps


def kept_share(var_maps: torch.Tensor) -> torch.Tensor:
    """Share of locations (elements) each class's VAR map keeps, i.e. is non-zero: shape (|K|,), or (B, |K|)."""
    if not isinstance(var_maps, torch.Tensor) or var_maps.dim() < 2:
        raise ValueError(f"kept_share takes the VAR maps of a class set, shape (|K|, ...) or (B, |K|, C, H, W); got "
                         f"{tuple(getattr(var_maps, 'shape', ())) or type(var_maps).__name__}. One map is "
                         "(maps != 0).float().mean().")
    start = 2 if var_maps.dim() == 5 else 1
    return (var_maps != 0).flatten(start).float().mean(-1)


def kept_maps(attributions: torch.Tensor, softmax: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """VAR step 3 given M and its mask: H_c * M_c where kept, else 0, in H's dtype (one tau of many from one M)."""
    return (attributions * softmax * keep).to(attributions.dtype)


def keep_mask(softmax: torch.Tensor, tau: float) -> torch.Tensor:
    """VAR step 3's mask 1[M_c - 1/|K| > tau] for M of shape (|K|, ...)."""
    return (softmax - 1.0 / softmax.shape[0]) > tau


def _warn_if_sparse(h, keep, s: Relevance) -> None:
    """Warn when VAR keeps less than ``s.warn_below`` of the locations for any class: t, tau do not fit H's scale.

    One class keeping nothing is VAR's answer (top_k's least probable class usually does); *all*
    classes keeping (almost) nothing means M stays near 1/|K| everywhere, which the options change.
    """
    kept = keep.any(1 if h.dim() == 5 else 0).flatten(1 if h.dim() == 5 else 0).float().mean(-1)
    low = (kept.reshape(-1) < s.warn_below).nonzero().flatten().tolist()
    if not low:
        return
    image = (f"image {low[0]}" + (f" (and {len(low) - 1} more)" if len(low) > 1 else "") + ": "
             if h.dim() == 5 else "")
    scale = float((h[low[0]] if h.dim() == 5 else h).abs().max())
    hint = " or Relevance(normalize='joint_max') (t relative to the largest |H|)" if s.normalize is None else ""
    warnings.warn(f"{image}VAR kept {float(kept.reshape(-1)[low[0]]):.2%} of the locations (all classes together) at "
                  f"t = {s.temperature:g}, tau = {s.tau:g}: M stays within tau of 1/|K| almost everywhere, so tau is "
                  f"large or the attributions (largest |H| {scale:.3g}) are small against t. A smaller "
                  f"temperature, a smaller tau{hint} keeps more. Relevance(warn_below=None) silences this warning.",
                  SparseMapWarning, stacklevel=3)


def _check(h, temperature) -> torch.Tensor:
    if not isinstance(h, torch.Tensor):
        raise TypeError(f"attributions must be a torch.Tensor of shape (|K|, ...), not {type(h).__name__}.")
    if not h.is_floating_point():
        raise TypeError(f"attributions must be floating point, got {h.dtype}.")
    if h.dim() < 2:
        raise ValueError(f"attributions of shape {tuple(h.shape)} have no location axis: pass one map per class, "
                         "shape (|K|, ...) such as (|K|, C, H, W) from var.attribute.")
    if h.shape[0] < 2:
        raise ValueError(f"VAR compares classes: attributions need shape (|K|, ...) with |K| >= 2, "
                         f"got {tuple(h.shape)}. Use a class set of at least two classes.")
    if not torch.isfinite(h).all():
        raise ValueError("attributions contain NaN or Inf; check the attribution method and its inputs.")
    check_float("temperature", temperature, low=0.0, low_open=True)
    return h
