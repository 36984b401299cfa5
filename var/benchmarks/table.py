"""The results table: the one interface between the benchmarks and everything that reads them.

Every benchmark returns *tidy rows*, one value per (unit, item, model, method, var, metric) and any of the
optional columns below; :func:`rows` is the one builder they use. The runner stacks them into
``results.parquet``; ``summary.csv``, the paper tables, the claims, the charts and the notebooks read it through
the names declared here (:data:`KEYS`, :data:`GROUPS`, :data:`METRICS`) and its named views (:func:`scored`,
:func:`localisation`, :func:`randomised`, :func:`status`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Column", "Metric", "COLUMNS", "KEYS", "GROUPS", "METRICS", "HIGHER_IS_BETTER", "NO_RULE", "rows",
           "check", "scored", "status", "localisation", "randomised"]


@dataclass(frozen=True)
class Column:
    """A column of the results table and what it means."""

    name: str
    meaning: str
    key: bool = False  # every row has it


@dataclass(frozen=True)
class Metric:
    """A metric a benchmark records: which direction is good (None: a fact, neither good nor bad) and what it is.

    ``status`` marks a row that says what happened to a map (skipped, empty), not how good it is; ``bounds``
    is the range a value can take, which a displayed interval is clipped to (a t-interval over a few units can
    reach past it).
    """

    higher_is_better: bool | None
    meaning: str
    status: bool = False
    bounds: tuple[float, float] = (0.0, 1.0)


COLUMNS = (
    Column("unit", "the unit of sampling and of resuming: a grid, an image", key=True),
    Column("item", "a scored part of the unit: a quadrant, an object, 0 for a whole image", key=True),
    Column("model", "the model name", key=True),
    Column("method", "the attribution method's registry name", key=True),
    Column("var", "True: the VAR map; False: the vanilla map of the same method and class", key=True),
    Column("metric", "a name of METRICS", key=True),
    Column("value", "the metric's value (NaN: undefined, e.g. a rank correlation of an empty map)", key=True),
    Column("target", "the class the map is of"),
    Column("binarize", "localisation: the binarisation rule; 'none' for RA, which needs none"),
    Column("fraction", "sanity: the share of layers randomised (0: the trained network)"),
    Column("reinit", "sanity: the re-initialisation rule, where runs with several are stacked"),
    Column("network", "sanity: which of the run's independently re-initialised networks (option networks > 1)"),
    Column("image", "the image's file name"),
    Column("k", "COCO: |K| of the image's class set"),
    Column("other", "intervention: the other class of the pair"),
    Column("label", "intervention: the image's ImageNet label"),
    Column("curve", "insertion: the PIC curve's points, JSON"),
    Column("variant", "sweep: vanilla, var (under the row's setting), class_set or a control (matched, random_k, "
                      "nearest)"),
    Column("temperature", "sweep: VAR's t of the row (NaN for a vanilla map)"),
    Column("tau", "sweep: VAR's tau of the row"),
    Column("scale", "sweep: raw (the softmax of |H|) or joint_max (of |H| / its largest value)"),
    Column("softmax", "sweep: element (one softmax per channel and pixel) or pixel (per pixel, channel sum)"),
    Column("class_set", "sweep: topN, K = the N most probable classes plus the least probable (and the target)"),
)
#: The columns every row has; together with the benchmark's optional columns they identify a row.
KEYS = [c.name for c in COLUMNS if c.key and c.name != "value"]
#: The columns a summary groups by, where a table has them (the rest of the keys are what it averages over).
GROUPS = ["model", "method", "var", "variant", "temperature", "tau", "scale", "softmax", "class_set", "binarize",
          "metric", "fraction"]
#: RA's ``binarize`` value: it scores the blurred map itself.
NO_RULE = "none"

METRICS = {
    "ra": Metric(True, "relevance mass accuracy: share of the map's mass inside the region"),
    "iou": Metric(True, "intersection over union of the binarised map and the region"),
    "precision": Metric(True, "share of the binarised map inside the region"),
    "recall": Metric(True, "share of the region the binarised map covers"),
    "f1": Metric(True, "harmonic mean of precision and recall"),
    "sic": Metric(True, "area under the softmax-information curve (PIC insertion)"),
    "aic": Metric(True, "area under the accuracy-information curve (PIC insertion)"),
    "spearman_abs": Metric(False, "sanity: Spearman correlation of |map| with the trained network's", bounds=(-1, 1)),
    "spearman": Metric(False, "sanity: Spearman correlation of the signed maps", bounds=(-1, 1)),
    "pearson": Metric(False, "sanity: Pearson correlation of the maps", bounds=(-1, 1)),
    "cosine": Metric(False, "sanity: cosine similarity of the maps", bounds=(-1, 1)),
    "own_drop": Metric(True, "intervention: drop of the class's softmax when its marked pixels are deleted",
                       bounds=(-1, 1)),
    "other_drop": Metric(False, "intervention: drop of the other class's softmax under the same deletion",
                         bounds=(-1, 1)),
    "selectivity": Metric(True, "intervention: own_drop - other_drop", bounds=(-2, 2)),
    "class_cosine": Metric(False, "sweep: mean cosine similarity of the map's |H| with the other classes' maps"),
    "empty": Metric(None, "1 if the map keeps nothing (all zero), else 0", status=True),
    "kept": Metric(None, "the share of the map's elements that are non-zero", status=True),
    "sic_skipped": Metric(None, "1: PIC skipped the image for SIC (prediction below its threshold)", status=True),
    "aic_skipped": Metric(None, "1: PIC skipped the image for AIC (prediction below its threshold)", status=True),
}
#: metric -> whether higher is better (None for status rows), as ``summary.csv`` reports it.
HIGHER_IS_BETTER = {name: m.higher_is_better for name, m in METRICS.items()}


def within_bounds(summary):
    """A summary's ``ci95_low``/``ci95_high`` clipped to each metric's :attr:`Metric.bounds`, for display (the
    committed ``summary.csv`` keeps the t-interval as computed).
    """
    import numpy as np

    bounds = summary["metric"].map(lambda m: METRICS[m].bounds if m in METRICS else (-np.inf, np.inf))
    return summary.assign(ci95_low=np.maximum(summary["ci95_low"], bounds.str[0]),
                          ci95_high=np.minimum(summary["ci95_high"], bounds.str[1]))
_NAMES = {c.name for c in COLUMNS}


def rows(metrics: dict[str, float], **keys) -> list[dict]:
    """One tidy row per metric, each with the same keys (the one row builder every benchmark uses).

    Args:
        metrics: metric name (of :data:`METRICS`) -> value.
        **keys: the row's other columns (of :data:`COLUMNS`).

    Returns:
        A list of dicts, ready for ``pandas.DataFrame``.

    Example:
        >>> rows({"ra": 0.7}, unit=0, item=2, model="m", method="gradcam", var=True, binarize="none")
        [{'unit': 0, 'item': 2, 'model': 'm', 'method': 'gradcam', 'var': True, 'binarize': 'none', 'metric': 'ra',
          'value': 0.7}]
    """
    unknown = sorted(set(keys) - _NAMES)
    if unknown:  # a column nobody reads would be a silent typo
        raise ValueError(f"results rows: unknown column(s) {', '.join(unknown)}; declare them in var.benchmarks.table.")
    for name in metrics:
        if name not in METRICS:
            raise ValueError(f"results rows: unknown metric {name!r}; declare it in var.benchmarks.table.METRICS.")
    return [dict(keys, metric=name, value=float(value)) for name, value in metrics.items()]


def check(table) -> None:
    """Raise if a table lacks a key column or holds an undeclared column or metric (a table read from disk)."""
    missing = [k for k in KEYS + ["value"] if k not in table.columns]
    unknown = sorted(set(table.columns) - _NAMES)
    metrics = sorted(set(table["metric"]) - set(METRICS)) if "metric" in table.columns else []
    if missing or unknown or metrics:
        raise ValueError(f"not a results table: missing {missing}, unknown columns {unknown}, unknown metrics "
                         f"{metrics}.")


def scored(table):
    """The rows that score a map (no status rows such as ``empty`` or ``sic_skipped``)."""
    return table[~table["metric"].map(lambda m: METRICS[m].status)]


def status(table):
    """The status rows: what happened to each map (empty, skipped), beside the scores."""
    return table[table["metric"].map(lambda m: METRICS[m].status)]


def localisation(table, rule: str):
    """RA plus the binarised metrics under ``rule``: the rows a localisation benchmark reports for one rule."""
    if "binarize" not in table.columns:
        return table
    return table[table["binarize"].isna() | table["binarize"].isin([NO_RULE, rule])]


def randomised(table):
    """Sanity rows of randomised networks only (``fraction`` > 0; fraction 0 is the trained network)."""
    return table[table["fraction"] > 0]
