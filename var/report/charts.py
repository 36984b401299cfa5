"""Report charts over the results table: metric bars, paper-vs-ours dumbbells, sanity curves, the claims forest,
the sweep's t x tau grid.
"""

from __future__ import annotations

import numpy as np

__all__ = ["metric_bars", "dumbbell", "sanity_curves", "claims_forest", "cost_scaling", "sweep_grid"]


def metric_bars(table, metrics=None, col_wrap: int = 3, col: str = "metric"):
    """Bar plot of a benchmark's tidy table: mean per method, vanilla vs VAR, one panel per ``col`` value.

    The bars and their 95% intervals are :func:`var.benchmarks.summarize`'s, the numbers of the run's
    ``summary.csv`` (clustered by unit), not a separate bootstrap. ``col`` picks what the panels
    separate (e.g. ``"model"`` for one metric across models).

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    from ..benchmarks.runner import summarize
    from ..benchmarks.table import GROUPS

    if metrics is not None:
        table = table[table.metric.isin(metrics)]
    summary = summarize(table, by=[c for c in GROUPS if c in table and c != "fraction"])
    panels = [m for m in metrics if m in set(summary[col])] if metrics is not None and col == "metric" else sorted(
        summary[col].unique())
    methods = sorted(summary["method"].unique())
    ncols = min(col_wrap, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(0.55 * len(methods) * ncols + 1.5 * ncols, 3.2 * nrows),
                             squeeze=False)
    width = 0.4
    for ax, panel in zip(axes.flat, panels):
        part = summary[summary[col] == panel]
        for offset, is_var, color, label in ((-0.5, False, "tab:blue", "vanilla"), (0.5, True, "tab:red", "VAR")):
            bars = part[part["var"] == is_var].set_index("method").reindex(methods)
            error = np.nan_to_num([bars["mean"] - bars["ci95_low"], bars["ci95_high"] - bars["mean"]])
            ax.bar(np.arange(len(methods)) + offset * width, bars["mean"], width, yerr=error, capsize=2,
                   color=color, label=label)
        ax.set_title(f"{col} = {panel}")
        ax.set_xticks(range(len(methods)), methods, rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    axes.flat[0].legend(title="95% CI: as summary.csv", fontsize=8, title_fontsize=8)
    fig.tight_layout()
    return fig


def dumbbell(summary, metrics, paper=None, paper_column: str = "paper_resnet50"):
    """Vanilla → VAR per method, one panel per metric: ours as filled dots joined by a line, the paper's hollow.

    Args:
        summary: our summary (``var.benchmarks.summarize``), one model and one binarisation rule.
        metrics: the metrics (panels) to draw.
        paper: optionally a table from :mod:`var.report.paper` drawn beside ours.
        paper_column: the paper's column to draw.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    methods = sorted(summary["method"].unique())
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 0.5 * len(methods) + 1.2),
                             sharey=True, squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for y, method in enumerate(methods):
            for frame, column, style, offset in ((summary, "mean", dict(), 0.12),
                                                 (paper, paper_column, dict(mfc="none"), -0.12)):
                if frame is None:
                    continue
                rows = frame[(frame["method"] == method) & (frame["metric"] == metric)].set_index("var")
                if len(rows) < 2:
                    continue
                a, b = rows.loc[False, column], rows.loc[True, column]
                ax.plot([a, b], [y + offset] * 2, color="0.6", lw=1)
                ax.plot([a], [y + offset], "o", color="tab:blue", **style)
                ax.plot([b], [y + offset], "o", color="tab:red", **style)
        ax.set_title(metric)
        ax.set_yticks(range(len(methods)), methods)
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].plot([], [], "o", color="tab:blue", label="vanilla")
    axes[0, 0].plot([], [], "o", color="tab:red", label="VAR")
    if paper is not None:
        axes[0, 0].plot([], [], "o", color="0.3", mfc="none", label="paper (hollow, below)")
    fig.legend(loc="upper center", ncol=3, bbox_to_anchor=(0.5, 1.08), frameon=False)
    fig.tight_layout()
    return fig


def sanity_curves(table, metric: str = "spearman_abs"):
    """Similarity vs fraction of layers randomised: one line per method, dashed vanilla, solid VAR.

    One panel per value of a ``reinit`` column when the table has one.

    Returns:
        The seaborn ``FacetGrid``.
    """
    import seaborn as sns

    data = table[table.metric == metric].assign(VAR=table["var"].map({False: "vanilla", True: "VAR"}))
    g = sns.relplot(data, x="fraction", y="value", hue="method", style="VAR", style_order=["VAR", "vanilla"],
                    col="reinit" if "reinit" in data.columns else None, kind="line", marker="o", height=3.6,
                    aspect=1.3, errorbar=None, dashes={"VAR": "", "vanilla": (4, 2)})
    g.set_axis_labels("fraction of layers randomised (output first)", f"{metric} (lower is better)")
    return g


def claims_forest(details, col_wrap: int = 3):
    """One panel per claim: each method's VAR - vanilla with its 95% interval; green shade = the claimed side.

    A row of panels is as tall as its longest panel needs (a claim tested per fraction has a line per method
    and fraction), so every label keeps a legible size.

    Args:
        details: :func:`var.report.claims.details`.
        col_wrap: panels per row.

    Returns:
        The matplotlib ``Figure``.
    """
    import textwrap

    import matplotlib.pyplot as plt
    import pandas as pd

    from ..core.methods import METHOD_TITLES

    by_claim = {claim: details[details["claim"] == claim].reset_index(drop=True)
                for claim in dict.fromkeys(details["claim"])}
    tall = [claim for claim, part in by_claim.items() if len(part) > 10]  # a row of its own, last
    claims = [claim for claim in by_claim if claim not in tall] + tall
    parts = [by_claim[claim] for claim in claims]
    short = len(claims) - len(tall)
    rows = [parts[i:i + col_wrap] for i in range(0, short, col_wrap)] + [[part] for part in parts[short:]]
    heights = [0.9 + 0.22 * max(len(part) for part in row) for row in rows]  # inches: title + one line per interval
    fig, axes = plt.subplots(len(rows), col_wrap, figsize=(3.4 * col_wrap, sum(heights) + 0.4), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    panels = [ax for row, row_axes in zip(rows, axes) for ax in row_axes[:len(row)]]
    for ax in axes.flat:
        ax.set_visible(ax in panels)
    for ax, claim, part in zip(panels, claims, parts):
        y = range(len(part))
        ax.errorbar(part["mean"], y, xerr=[part["mean"] - part["ci95_low"], part["ci95_high"] - part["mean"]],
                    fmt="o", color="k", ms=4, capsize=2)
        ax.axvline(0, color="grey", lw=0.8)
        low, high = ax.get_xlim()
        span = max(abs(low), abs(high))
        side = (0, span) if part["direction"].iloc[0] > 0 else (-span, 0)
        ax.axvspan(*side, color="tab:green", alpha=0.12, lw=0)
        ax.set_xlim(-span, span)
        ax.set_ylim(len(part) - 0.5, -0.5)  # first method on top, whatever the panel's height
        labels = [METHOD_TITLES.get(m, m) + (f" at {f:g}" if pd.notna(f) else "")
                  for m, f in zip(part["method"], part["fraction"])]
        ax.set_yticks(list(y), labels, fontsize=8)
        ax.set_title(textwrap.fill(claim, 34), fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    fig.supxlabel("VAR − vanilla (paired, 95% interval)", fontsize=9)
    fig.tight_layout()
    return fig


def cost_scaling(scaling):
    """Seconds of one ``var.attribute`` call against IG steps (|K| = 4) and against |K| (a cost folder's
    ``scaling`` table).

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    ig = scaling[scaling["K"].eq(4) & scaling["method"].eq("integrated_gradients")].sort_values("steps")
    a.plot(ig["steps"], ig["seconds"], "o-")
    a.set(xlabel="IG steps (|K| = 4)", ylabel="seconds")
    by_k = scaling[scaling["steps"].isna() | scaling["steps"].eq(16)]
    for (method, steps), part in by_k.groupby(["method", by_k["steps"].fillna(0)]):
        b.plot(part["K"], part["seconds"], "o-", label=f"{method}" + (f" ({steps:.0f} steps)" if steps else ""))
    b.set(xlabel="|K|", ylabel="seconds")
    b.legend(fontsize=8)
    fig.tight_layout()
    return fig


def sweep_grid(summary, label: str, higher_is_better: bool = True, paper=None):
    """VAR - vanilla (the methods' average) over t x tau, one panel per scale and softmax; each cell also gives
    the share of elements kept, the paper's setting is outlined.

    Args:
        summary: :func:`var.report.sweep.settings_summary` of one metric.
        label: the metric's name for the colour bar.
        higher_is_better: the metric's direction (the colour map is flipped for lower-is-better metrics).
        paper: the paper's setting (``temperature``, ``tau``, ``scale``, ``softmax``) to outline.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    avg = summary[summary["method"] == "average"]
    panels = sorted({(s, m) for s, m in zip(avg["scale"], avg["softmax"])})
    ts, taus = sorted(avg["temperature"].unique()), sorted(avg["tau"].unique())
    top = float(np.nanmax(np.abs(avg["diff"]))) or 1.0
    digits = 2 if top >= 0.1 else 3  # selectivity moves in hundredths
    cols = 2 if len(panels) == 4 else len(panels)
    rows = -(-len(panels) // cols)
    fig = plt.figure(figsize=(5.2 * cols, 4.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, (scale, softmax) in zip(axes, panels):
        cells = avg[(avg["scale"] == scale) & (avg["softmax"] == softmax)].set_index(["temperature", "tau"])
        grid = np.array([[cells.loc[(t, tau), "diff"] for tau in taus] for t in ts])
        image = ax.imshow(grid, cmap="RdBu" if higher_is_better else "RdBu_r", vmin=-top, vmax=top)
        for i, t in enumerate(ts):
            for j, tau in enumerate(taus):
                ax.text(j, i, f"{grid[i, j]:+.{digits}f}\n{cells.loc[(t, tau), 'kept']:.0%}", ha="center", va="center",
                        fontsize=9, color="white" if abs(grid[i, j]) > 0.6 * top else "black")
                if paper and (t, tau, scale, softmax) == (paper["temperature"], paper["tau"], paper["scale"],
                                                          paper["softmax"]):
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2.5))
        ax.set_xticks(range(len(taus)), [f"{tau:g}" for tau in taus], fontsize=8)
        ax.set_yticks(range(len(ts)), [f"{t:g}" for t in ts], fontsize=8)
        ax.set_xlabel("τ")
        ax.set_ylabel("t")
        ax.set_title(f"scale {scale}, softmax per {softmax}", fontsize=11)
    bar = fig.colorbar(image, ax=list(axes), shrink=0.8)
    bar.set_label(f"{label}: VAR − vanilla (avg over methods); below: kept share", fontsize=8)
    return fig
