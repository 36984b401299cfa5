"""``python -m var.demo``: explain two offline photos with and without VAR and save the figure."""

from __future__ import annotations

import argparse
from pathlib import Path

import var


def main(argv=None) -> None:
    """Run the demo CLI."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="efficientnet_lite0", choices=var.MODEL_NAMES)
    parser.add_argument("--method", default="guided_backprop", choices=var.METHODS)
    parser.add_argument("--images", nargs="+", default=["skimage:coffee", "skimage:chelsea"])
    parser.add_argument("--out", type=Path, default=Path("results/demo"))
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    model = var.load_model(args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    for image in args.images:
        e = var.explain(model, image, args.method, "top_k", k=3)
        fig = var.viz.figures.show_explanation(e, model.unnormalize)
        path = args.out / f"{image.replace(':', '_').replace('/', '_')}_{args.method}.png"
        fig.savefig(path, dpi=100)
        kept = e.kept_share.mean().item()
        print(f"{image}: K = {list(zip(e.class_names, [round(p, 3) for p in e.probabilities.tolist()]))}; "
              f"VAR keeps {kept:.1%} of locations -> {path}")


if __name__ == "__main__":
    main()
