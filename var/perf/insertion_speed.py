"""Speed of the insertion metric against PAIR's reference ``saliency.metrics.pic`` (same image, model, maps).

``python -m var.bench insertion-speed`` times, on one photo and the maps of
several methods (vanilla and VAR, tie-broken ranks), in one run:

* ``pair``: PAIR's ``compute_pic_metric`` for SIC and for AIC, per map;
* ``per_map``: :func:`~var.benchmarks.pic.pic_curves` per map (SIC and AIC share the model calls);
* ``per_image``: :func:`~var.benchmarks.pic.pic_curves_many` for all maps of the image (per-image work once,
  batched model calls) — what the insertion benchmark runs;

and checks the target: ``per_image`` at least 4x faster than ``pair`` with every AUC within 1e-6 of PAIR's.
For ``pair`` and ``per_image`` it also splits the time into the stages: blurred fills,
lossless-WebP entropy estimates, model calls, and the rest.
Needs the ``saliency`` package (``pip install saliency``; the ``test`` extra has it).
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from contextlib import contextmanager

import numpy as np
import torch

import var

from ..benchmarks import pic as pic_module
from ..benchmarks.insertion import predictor, uint8_crop
from ..benchmarks.pic import THRESHOLDS, pic_curves, pic_curves_many, random_mask, strict_ranking
from ..benchmarks.runner import scope_threads
from ..core.checks import CliParser

TARGET = 4.0
TOLERANCE = 1e-6


def measure(model_name: str = "efficientnet_lite0", image: str = "skimage:coffee",
            methods=("gradcam", "guided_backprop", "input_x_gradient")) -> dict:
    """One timing of the three ways on the same inputs, the speed-ups and the largest AUC difference to PAIR."""
    try:
        from saliency.metrics import pic as pair
    except ImportError:
        raise ValueError("insertion-speed compares with PAIR's code: pip install saliency") from None
    if not hasattr(np, "trapz"):
        np.trapz = np.trapezoid  # noqa: NPY201  (removed in NumPy 2.4; PAIR still calls it)
    model = var.load_model(model_name)
    img = uint8_crop(model, image)
    x = model.from_rgb(img)
    logits = model.logits(x)[0]
    target = int(logits.argmax())
    classes = var.class_sets.top_k(logits, 3)
    maps = []
    for method in methods:
        h = var.attribute(model, x, classes, method)
        for m in (h, var.relevance(h)):
            maps.append(strict_ranking(m[0].abs().sum(0).numpy()))
    mask = random_mask(*img.shape[:2], seed=0)
    predict = predictor(model, target)
    times, aucs, stages = {}, {}, {}
    start = time.perf_counter()
    with _timed(pair, {"fill": "create_blurred_image", "entropy": "estimate_image_entropy"}) as spent:
        model_call = _timer(predict, spent)
        aucs["pair"] = [(pair.compute_pic_metric(img, s, mask, lambda b: model_call(b)[0], list(THRESHOLDS),
                                                 min_pred_value=0.8).auc,
                         pair.compute_pic_metric(img, s, mask, lambda b: model_call(b)[1], list(THRESHOLDS),
                                                 min_pred_value=0.5).auc) for s in maps]
    times["pair"] = time.perf_counter() - start
    stages["pair"] = dict(spent)
    start = time.perf_counter()
    aucs["per_map"] = [_aucs(pic_curves(img, s, mask, predict)) for s in maps]
    times["per_map"] = time.perf_counter() - start
    start = time.perf_counter()
    with _timed(pic_module, {"fill": "blurred_image", "entropy": "webp_entropy"}) as spent:
        aucs["per_image"] = [_aucs(r) for r in pic_curves_many(img, maps, mask, _timer(predict, spent))]
    times["per_image"] = time.perf_counter() - start
    stages["per_image"] = dict(spent)
    diff = max(abs(a - b) for way in ("per_map", "per_image") for ours, ref in zip(aucs[way], aucs["pair"])
               for a, b in zip(ours, ref))
    return {"model": model_name, "image": image, "maps": len(maps), "threads": torch.get_num_threads(),
            **{f"{k}_s": v for k, v in times.items()},
            "speedup_per_map": times["pair"] / times["per_map"],
            "speedup_per_image": times["pair"] / times["per_image"], "max_abs_auc_diff": diff,
            "stages": {way: {**st, "rest": times[way] - sum(st.values())} for way, st in stages.items()}}


@contextmanager
def _timed(module, functions: dict[str, str]):
    """Accumulate the seconds spent in ``module``'s named functions (stage -> function name) while inside."""
    spent = defaultdict(float)
    originals = {stage: getattr(module, name) for stage, name in functions.items()}
    for stage, name in functions.items():
        setattr(module, name, _timer(originals[stage], spent, stage))
    try:
        yield spent
    finally:
        for stage, name in functions.items():
            setattr(module, name, originals[stage])


def _timer(fn, spent, stage: str = "model"):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - start
    return timed


def _aucs(result) -> tuple[float, float]:
    curves, _ = result
    return curves["sic"].auc, curves["aic"].auc


def main(argv=None) -> int:
    """``python -m var.bench insertion-speed``: print the table; exit status 1 if the target is missed."""
    parser = CliParser(prog="var-bench insertion-speed", description=__doc__)
    parser.add_argument("--model", default="efficientnet_lite0", choices=var.MODEL_NAMES, metavar="MODEL",
                        help="a var.MODEL_NAMES entry (its weights must be on this machine)")
    parser.add_argument("--image", default="skimage:coffee",
                        help="a path or an example name (var.core.images.EXAMPLE_IMAGES)")
    args = parser.parse_args(argv)
    var.load_image(args.image)  # a missing or damaged image is named before the model loads
    var.models.zoo.check_weights_available(args.model)
    scope_threads(min(2, torch.get_num_threads()))  # as the benchmark runs (PAIR's code gets the same threads)
    r = measure(args.model, args.image)
    print(f"## insertion (SIC + AIC), {r['model']}, {r['image']}, {r['maps']} maps, {r['threads']} threads\n")
    print("| way | seconds | per map s | speed-up vs PAIR |\n|---|---|---|---|")
    for way in ("pair", "per_map", "per_image"):
        speed = r["pair_s"] / r[f"{way}_s"]
        print(f"| {way} | {r[f'{way}_s']:.2f} | {r[f'{way}_s'] / r['maps']:.2f} | {speed:.2f}x |")
    print("\n| way | fill s | entropy s | model s | rest s |\n|---|---|---|---|---|")
    for way, st in r["stages"].items():
        print(f"| {way} | {st.get('fill', 0):.2f} | {st.get('entropy', 0):.2f} | {st.get('model', 0):.2f} | "
              f"{st['rest']:.2f} |")
    ok = r["speedup_per_image"] >= TARGET and r["max_abs_auc_diff"] < TOLERANCE
    print(f"\nmax |AUC - PAIR's AUC| = {r['max_abs_auc_diff']:.1e}; target (>= {TARGET}x, < {TOLERANCE:g}): "
          f"{'met' if ok else 'missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
