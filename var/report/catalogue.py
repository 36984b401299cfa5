"""``var-bench methods``: every method of the registry with its family, library and cost per map.

Without ``--measure`` the cost column comes from the committed cost tables (``var-bench cost``), where
the method has a row (a grid unit of the ``grid`` or ``methods-grid`` reference run). ``--measure`` times
one call per method on one image at |K| = 1 and |K| = 4 (median of ``--repeats`` after a warm-up) and
reports the ratio t(|K| = 4) / t(|K| = 1): about 1 where all |K| maps come from shared passes (var's
engine, var's occlusion and scorecam), up to 4 for a per-class loop. var's shared-pass perturbation
methods are also timed against a per-class loop of the library method they equal, and their maps
compared. ``--out FILE.csv`` keeps the timings with a provenance JSON beside them
(``results/reference/cost/methods.csv`` is made so). Timings share the machine with whatever else
runs; run it alone for numbers to quote.
"""

from __future__ import annotations

import json

import pandas as pd
import torch

from ..core import registry
from ..core.checks import CliParser, check_writable, out_path

__all__ = ["catalogue", "kept_summary", "measure", "main", "LIBRARY_TWINS"]


def catalogue() -> pd.DataFrame:
    """One row per listed method: name, library, family, signed, resolution, one call for all |K|, available."""
    from .reference import COST, load_cost

    costs = [load_cost(which=which) for which in COST]  # read once for all methods
    frames = [cost["units"] for cost in costs if cost is not None and "units" in cost]
    units = pd.concat(frames) if frames else pd.DataFrame(columns=["benchmark", "part", "seconds"])
    rows = []
    for entry in registry.entries():
        rows.append({"method": entry.name, "library": entry.library, "family": entry.family,
                     "signed": entry.signed, "resolution": entry.resolution, "all |K| in one call": entry.multi_target,
                     "committed s per grid (4 maps)": _committed_cost(units, entry.name)})
    return pd.DataFrame(rows)


def kept_summary(kept: pd.DataFrame, families: pd.Series) -> dict:
    """The facts of a gallery's kept-share table: ``nothing`` (how many methods' least probable class, the last
    column, keeps less than 0.1%), ``methods``, ``most`` ((method, share) where that class keeps most) and
    ``by_family`` (each family's median share kept of the top class, the first column, largest first).

    Args:
        kept: methods x classes of K (top class first, least probable last), the share of locations VAR keeps.
        families: method -> family (:func:`catalogue`'s column).
    """
    last, top = kept.iloc[:, -1], kept.iloc[:, 0]
    return {"nothing": int((last < 1e-3).sum()), "methods": len(kept), "most": (last.idxmax(), float(last.max())),
            "by_family": top.groupby(families.reindex(kept.index)).median().sort_values(ascending=False)}


def _committed_cost(units: pd.DataFrame, name: str) -> float | None:
    rows = units[units["benchmark"].isin(["grid", "methods-grid"]) & (units["part"] == f"attribution: {name}")]
    return round(float(rows["seconds"].median()), 3) if len(rows) else None


#: var's methods that compute all |K| maps from one set of passes, and the library method each equals per class.
LIBRARY_TWINS = {"occlusion": "captum:Occlusion", "scorecam": "gradcam:ScoreCAM"}


def measure(model_name: str = "efficientnet_lite0", image: str = "skimage:chelsea", repeats: int = 3,
            methods=None) -> pd.DataFrame:
    """Seconds per call at |K| = 1 and 4 for each method (median of ``repeats`` after a warm-up), their ratio,
    and for var's shared-pass methods (:data:`LIBRARY_TWINS`) the per-class loop of the library's own call
    at |K| = 4 and the largest difference of the two sets of maps (relative to the largest |map|).
    """
    import var

    model = var.load_model(model_name)
    x = model.prepare(image)
    top = model.logits(x)[0].argsort(descending=True)[:4].tolist()
    rows = []
    for name in methods or [e.name for e in registry.entries()]:
        one, four = (_seconds(model, x, [top[:k]], name, repeats) for k in (1, 4))
        row = {"method": name, "s (|K|=1)": round(one, 3), "s (|K|=4)": round(four, 3),
               "t(|K|=4) / t(|K|=1)": round(four / one, 2)}
        twin = LIBRARY_TWINS.get(name)
        if twin is not None:
            loop = _seconds(model, x, [[c] for c in top], twin, repeats)
            ours = var.attribute(model, x, top, name)
            theirs = torch.cat([var.attribute(model, x, [c], twin) for c in top])
            row.update({"library": twin, "library per-class loop s (|K|=4)": round(loop, 3),
                        "max |difference| / max |map|": float((ours - theirs).abs().max() / theirs.abs().max())})
        rows.append(row)
    return pd.DataFrame(rows)


def _seconds(model, x, class_sets: list[list[int]], name: str, repeats: int) -> float:
    """Median seconds of one call of ``name`` per class set (one set: |K| maps in one call; |K| sets: a loop)."""
    import var

    from ..perf.speed import median_time

    return median_time(lambda: [var.attribute(model, x, k, name) for k in class_sets], repeats)


def main(argv: list[str]) -> int:
    """``var-bench methods [--measure]``: print the catalogue (and the timings)."""
    p = CliParser(prog="var-bench methods", description=__doc__)
    p.add_argument("--measure", action="store_true", help="time every method on one image at |K| = 1 and 4")
    p.add_argument("--model", default="efficientnet_lite0", help="the model --measure times")
    p.add_argument("--methods", nargs="+", default=None, metavar="METHOD", help="only these (--measure)")
    p.add_argument("--repeats", type=int, default=3, help="timed calls per method and |K| (--measure)")
    p.add_argument("--out", type=out_path, default=None,
                   help="write the timings to this CSV, with a provenance JSON beside it (--measure)")
    args = p.parse_args(argv)
    if args.out is not None and not args.measure:
        raise ValueError("--out writes the timings of --measure; add --measure.")
    if args.repeats < 1:
        raise ValueError(f"--repeats {args.repeats}: time each call at least once (--repeats 1 or more).")
    if args.out is not None:
        if args.out.suffix != ".csv":  # its provenance goes beside it as .json: never over the timings
            raise ValueError(f"--out {args.out}: write the timings to a .csv file (its provenance goes beside it "
                             f"as {args.out.with_suffix('.json').name}).")
        for path in (args.out, args.out.with_suffix(".json")):
            if path.exists():  # a committed table is never replaced (or shrunk) by a later run
                raise ValueError(f"--out: {path} exists; write to a new file and compare, or delete it first.")
        check_writable(args.out.parent, folder=True)  # before minutes of timing
    table = catalogue()
    if args.measure:
        timings = measure(args.model, repeats=args.repeats, methods=args.methods)
        if args.out is not None:
            _write(timings, args.out, args.model, args.repeats)
        table = table.merge(timings.rename(columns={"library": "timed against"}), on="method",
                            how="inner" if args.methods else "left")
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.to_string(index=False))
    print(f"\n{len(table)} methods from {table['library'].nunique()} libraries. Pass any of them to --methods, "
          "or any captum:<Class>, gradcam:<CAM>, zennit:<Composite>, module:function.")
    return 0


def _write(timings: pd.DataFrame, out, model: str, repeats: int) -> None:
    from ..benchmarks.provenance import environment, git
    from ..benchmarks.runner import atomic_write

    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda p: timings.to_csv(p, index=False))
    provenance = {**environment(), "commit": git("rev-parse", "HEAD"), "model": model, "repeats": repeats,
                  "torch_threads": torch.get_num_threads()}
    out.with_suffix(".json").write_text(json.dumps(provenance, indent=1) + "\n")
    print(f"timings -> {out} (provenance {out.with_suffix('.json')})")
