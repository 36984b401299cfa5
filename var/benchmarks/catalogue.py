"""``var-bench methods``: every method of the registry with its family, library and cost per map.

Without ``--measure`` the cost column comes from the committed cost table (``var-bench cost``), where
the method has a row. ``--measure`` times one call per method on one image at |K| = 1 and |K| = 4 and
reports seconds per map and the ratio t(|K| = 4) / t(|K| = 1): about 1 where all |K| maps come from
shared passes (var's engine, var's occlusion), about 4 for a per-class loop. Timings share the
machine with whatever else runs; run it alone for numbers to quote.
"""

from __future__ import annotations

import time

import pandas as pd

from .. import registry
from ..checks import CliParser

__all__ = ["catalogue", "measure", "main"]


def catalogue() -> pd.DataFrame:
    """One row per listed method: name, library, family, signed, resolution, one call for all |K|, available."""
    from .reference import load_cost

    cost = load_cost()  # read once for all methods
    units = cost["units"] if cost is not None else pd.DataFrame(columns=["benchmark", "part", "seconds"])
    rows = []
    for entry in registry.entries():
        rows.append({"method": entry.name, "library": entry.library, "family": entry.family,
                     "signed": entry.signed, "resolution": entry.resolution, "all |K| in one call": entry.multi_target,
                     "committed s per grid (4 maps)": _committed_cost(units, entry.name)})
    return pd.DataFrame(rows)


def _committed_cost(units: pd.DataFrame, name: str) -> float | None:
    rows = units[(units["benchmark"] == "grid") & (units["part"] == f"attribution: {name}")]
    return round(float(rows["seconds"].median()), 3) if len(rows) else None


def measure(model_name: str = "efficientnet_lite0", image: str = "skimage:chelsea", repeats: int = 1,
            methods=None) -> pd.DataFrame:
    """Seconds per call at |K| = 1 and 4 for each method (the best of ``repeats``), and their ratio."""
    import var

    model = var.load_model(model_name)
    x = model.prepare(image)
    top = model.logits(x)[0].argsort(descending=True)[:4].tolist()
    rows = []
    for name in methods or [e.name for e in registry.entries()]:
        times = {}
        for k in (1, 4):
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                var.attribute(model, x, top[:k], name)
                best = min(best, time.perf_counter() - start)
            times[k] = best
        rows.append({"method": name, "s (|K|=1)": round(times[1], 3), "s per map (|K|=4)": round(times[4] / 4, 3),
                     "t(|K|=4) / t(|K|=1)": round(times[4] / times[1], 2)})
    return pd.DataFrame(rows)


def main(argv: list[str]) -> int:
    """``var-bench methods [--measure]``: print the catalogue (and the timings)."""
    p = CliParser(prog="var-bench methods", description=__doc__)
    p.add_argument("--measure", action="store_true", help="time every method on one image at |K| = 1 and 4")
    p.add_argument("--model", default="efficientnet_lite0", help="the model --measure times")
    p.add_argument("--methods", nargs="+", default=None, metavar="METHOD", help="only these (--measure)")
    args = p.parse_args(argv)
    table = catalogue()
    if args.measure:
        table = table.merge(measure(args.model, methods=args.methods), on="method",
                            how="inner" if args.methods else "left")
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.to_string(index=False))
    print(f"\n{len(table)} methods from {table['library'].nunique()} libraries. Pass any of them to --methods, "
          "or any captum:<Class>, gradcam:<CAM>, zennit:<Composite>, module:function.")
    return 0
