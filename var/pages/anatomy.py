"""VAR's steps 2-3 taken apart, for the book's "VAR steps" page: one element by hand, the margin rule that
does the selecting at small t, and the share kept against t, tau and the scale.

The page's tables and the numbers of its sentences come from these functions, on the page's own maps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..core.protocol import TAU, TEMPERATURE
from ..core.relevance import Relevance, kept_share, relevance, spatial_softmax

__all__ = ["kept_by_tau", "kept_grid", "pair_cosines", "by_hand", "margin_rule", "kept_by_temperature"]


def kept_by_tau(h: torch.Tensor, taus, class_names, temperature: float = TEMPERATURE) -> pd.DataFrame:
    """The share of locations each class keeps at each tau (columns tau, class, kept)."""
    shares = {tau: kept_share(relevance(h, Relevance(temperature, tau, warn_below=None))).tolist() for tau in taus}
    return pd.DataFrame([{"tau": tau, "class": name, "kept": share} for tau in taus
                         for name, share in zip(class_names, shares[tau])])


def kept_grid(h: torch.Tensor, temperatures, taus, class_names) -> pd.DataFrame:
    """Percent of the locations each class (columns) keeps at each (t, tau) (rows): an explorer's grid in numbers."""
    long = pd.concat([kept_by_tau(h, taus, class_names, t).assign(t=t) for t in temperatures])
    table = long.pivot_table(index=["t", "tau"], columns="class", values="kept", sort=False)
    table = (100 * table[list(class_names)]).round(1) + 0.0
    table.index.names = ["t", "τ"]
    table.columns.name = "% kept"
    return table


def pair_cosines(explanation) -> dict[str, float]:
    """How alike the two most probable classes' maps are: ``{"vanilla": ..., "VAR": ...}``, the cosine of |map|
    (1 = the same map; the sweep's class cosine), NaN where one of the two maps is empty.
    """
    from ..benchmarks.metrics import class_cosine

    e = explanation
    return {name: float(class_cosine(maps[None, :2])[0, 0]) for name, maps in (("vanilla", e.attributions),
                                                                               ("VAR", e.maps))}


def by_hand(h: torch.Tensor, class_names, temperature: float = TEMPERATURE, tau: float = TAU
            ) -> tuple[tuple[int, int, int], pd.DataFrame]:
    """Steps 2-3 at one element, column by column as on paper, beside :func:`var.spatial_softmax`.

    The element: among those the first class keeps, the one with the median ``|H|`` (a typical kept element).

    Returns:
        ((channel, row, column), a table with one row per class).
    """
    kept = (relevance(h, Relevance(temperature, tau, warn_below=None))[0] != 0).flatten().nonzero().squeeze(1)
    if not len(kept):
        raise ValueError("the first class keeps no element at this t and tau: pick another image or method.")
    pick = int(kept[h[0].abs().flatten()[kept].argsort()[len(kept) // 2]])
    ch, i, j = (int(v) for v in np.unravel_index(pick, h.shape[1:]))
    hand = pd.DataFrame({"class": list(class_names), "|H_c|": h[:, ch, i, j].abs().numpy()})
    hand["|H_c| / t"] = hand["|H_c|"] / temperature
    hand["exp(|H_c| / t)"] = np.exp(hand["|H_c| / t"])
    hand["M_c"] = hand["exp(|H_c| / t)"] / hand["exp(|H_c| / t)"].sum()
    hand["M_c - 1/|K|"] = hand["M_c"] - 1 / len(hand)
    hand[f"kept (> {tau:g})"] = hand["M_c - 1/|K|"] > tau
    hand["var.spatial_softmax"] = spatial_softmax(h, temperature)[:, ch, i, j].numpy()
    return (ch, i, j), hand


def margin_rule(h: torch.Tensor, temperature: float = TEMPERATURE, tau: float = TAU) -> dict[str, float]:
    """How well "keep where |H_c| beats the classes' mean by |K| t tau" reproduces the exact mask.

    Where |H|/t is small the softmax is nearly linear, M_c ~ 1/|K| + (|H_c| - mean |H|) / (|K| t), so the mask
    M_c - 1/|K| > tau becomes that margin rule.

    Returns:
        ``margin`` (|K| t tau), ``near_linear`` (share of elements with |H|/t < 0.5), ``agreement`` (of the
        two masks over all class-element pairs), ``exact_kept`` and ``margin_kept`` (shares kept by each).
    """
    k = h.shape[0]
    margin = k * temperature * tau
    exact = (spatial_softmax(h, temperature) - 1 / k) > tau
    linear = (h.abs() - h.abs().mean(0, keepdim=True)) > margin
    return {"margin": margin, "near_linear": float((h.abs() / temperature < 0.5).float().mean()),
            "agreement": float((linear == exact).float().mean()), "exact_kept": float(exact.float().mean()),
            "margin_kept": float(linear.float().mean())}


def kept_by_temperature(maps: dict[str, torch.Tensor], temperatures, tau: float = TAU,
                        normalizations=(None, "joint_max")) -> pd.DataFrame:
    """Mean share kept over the classes, per method x normalisation x t, with each method's scale beside.

    Args:
        maps: method name -> its step-1 maps (|K|, C, H, W) of one image.
        temperatures: the t values.
        tau: VAR's tau.
        normalizations: ``None`` (the raw magnitudes, as the paper) and/or ``"joint_max"``.
    """
    return pd.DataFrame([
        {"method": name, "normalize": str(norm), "t": t,
         "kept": float(kept_share(relevance(h, Relevance(t, tau, normalize=norm, warn_below=None))).mean()),
         "median |H|": float(h.abs().median()), "max |H|": float(h.abs().max())}
        for name, h in maps.items() for norm in normalizations for t in temperatures])
