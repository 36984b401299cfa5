"""Speed of the batched multi-class engine against Captum's per-class loop.

For each method and class-set size |K| this times, in one run and on one model:

* ``captum``: Captum's per-class loop (|K| forward + backward passes);
* ``var``: ``var.attribute`` (one forward, then |K| backward passes over its graph);
* ``var_vmap``: the same with ``backward="vmap"`` (one vectorised backward);
* ``floor``: one forward plus |K| plain backward passes over the same points,
  the cost the engine cannot beat (for GradCAM: one forward plus |K|
  backwards from the logits to the layer).

and checks the targets: ``var`` within 1.15x of ``floor`` for the gradient
methods; ``captum / var`` >= 1.2 (|K| = 4) and >= 1.5 (|K| = 16) for them; for
GradCAM >= 3 and >= 8. ``--memory`` reports peak memory of Integrated
Gradients for several ``internal_batch_size`` values (each in a fresh process).

    python -m var.bench speed --model resnet50 --classes 4 16 --memory
    python -m var.bench speed --model resnet50 --library-memory   # var.VAR over a Captum object vs Captum alone
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch
from captum.attr import GuidedBackprop, InputXGradient, IntegratedGradients, LayerAttribution, LayerGradCam, Saliency

import var
from var.core.checks import CliParser, check_device, check_int, check_writable, out_path
from var.core.methods import make_baseline

TARGETS = {  # method group -> {|K|: minimum speed-up over Captum}
    "gradient": {4: 1.2, 16: 1.5},
    "gradcam": {4: 3.0, 16: 8.0},
}
FLOOR_RATIO = 1.15


def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def median_time(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs, after one warm-up run."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        _sync()
        start = time.perf_counter()
        fn()
        _sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def floor_fn(net, points, classes, chunk, layer=None):
    """One forward per chunk, then one plain backward per class (to the input or the layer)."""

    def run():
        for start in range(0, points.shape[0], chunk):
            pts = points[start:start + chunk].clone().requires_grad_(True)
            store = {}
            handle = layer.register_forward_hook(lambda m, i, o: store.update(act=o)) if layer is not None else None
            out = net(pts)
            if handle is not None:
                handle.remove()
            wrt = store["act"] if layer is not None else pts
            for c in classes:
                torch.autograd.grad(out[:, c].sum(), wrt, retain_graph=True)
    return run


def run(model_name: str, ks: list[int], repeats: int, steps: int, internal_batch_size: int,
        methods: list[str] | None = None, device: str = "cpu") -> list[dict]:
    """Time every method at every |K|; ``methods`` restricts the table (default: all five)."""
    warnings.filterwarnings("ignore", category=UserWarning, module="captum")  # "requires_grad set" notes
    torch.manual_seed(0)
    model = var.load_model(model_name, weights=None)
    net = model.module.to(device)
    x = torch.randn(1, 3, model.input_size, model.input_size).to(device)
    base = make_baseline(x)
    alphas = torch.linspace(0, 1, steps, device=device).view(-1, 1, 1, 1)
    path = base + alphas * (x - base)
    rows = []
    for k in ks:
        classes = list(range(0, 1000, 1000 // k))[:k]
        chunk = max(1, internal_batch_size // k)
        opts = dict(internal_batch_size=internal_batch_size)
        cases = {
            "gradient": (lambda c: Saliency(net).attribute(x, target=c, abs=False), {}, x),
            "input_x_gradient": (lambda c: InputXGradient(net).attribute(x, target=c), {}, x),
            "guided_backprop": (lambda c: GuidedBackprop(net).attribute(x, target=c), {}, x),
            "integrated_gradients": (
                lambda c: IntegratedGradients(net).attribute(x, baselines=base, target=c, n_steps=steps,
                                                             internal_batch_size=chunk),
                dict(steps=steps, baseline=base), path),
        }
        for method, (captum_one, extra, points) in cases.items():
            if methods is not None and method not in methods:
                continue
            t_captum = median_time(lambda: [captum_one(c) for c in classes], repeats)
            t_var = median_time(lambda: var.attribute(model, x, classes, method, **opts, **extra), repeats)
            t_vmap = median_time(lambda: var.attribute(model, x, classes, method, backward="vmap", **opts, **extra),
                                 repeats)
            t_floor = median_time(floor_fn(net, points, classes, chunk), repeats)
            rows.append(dict(model=model_name, device=device, method=method, K=k, captum_s=t_captum, var_s=t_var,
                             var_vmap_s=t_vmap, floor_s=t_floor))
        if methods is not None and "gradcam" not in methods:
            continue
        lgc = LayerGradCam(net, model.gradcam_layer)
        size = x.shape[-2:]
        t_captum = median_time(lambda: [LayerAttribution.interpolate(
            lgc.attribute(x, target=c, relu_attributions=True), size, "bilinear") for c in classes], repeats)
        t_var = median_time(lambda: var.attribute(model, x, classes, "gradcam"), repeats)
        t_vmap = median_time(lambda: var.attribute(model, x, classes, "gradcam", backward="vmap"), repeats)
        t_floor = median_time(floor_fn(net, x, classes, 1, layer=model.gradcam_layer), repeats)
        rows.append(dict(model=model_name, device=device, method="gradcam", K=k, captum_s=t_captum, var_s=t_var,
                         var_vmap_s=t_vmap, floor_s=t_floor))
    for r in rows:
        r["speedup_vs_captum"] = r["captum_s"] / r["var_s"]
        r["var_over_floor"] = r["var_s"] / r["floor_s"]
        group = "gradcam" if r["method"] == "gradcam" else "gradient"
        need = TARGETS[group].get(r["K"])
        ok = r["speedup_vs_captum"] >= need if need else True
        if group == "gradient":
            ok = ok and r["var_over_floor"] <= FLOOR_RATIO
        r["target"] = (f">= {need}x" if need else "-") + (f", <= {FLOOR_RATIO}x floor" if group == "gradient" else "")
        r["meets_target"] = ok
    return rows


def _peak_memory(model_name: str, k: int, steps: int, internal_batch_size: int | None,
                 call: str = "var") -> tuple[int, int]:
    """(resident bytes after loading, peak during IG); runs in a fresh process so earlier runs do not count.

    ``call``: ``"var"`` (var's engine), ``"captum"`` (Captum's own IntegratedGradients, one class: the bound a
    library object should meet) or ``"var_over_captum"`` (``var.VAR`` over that Captum object, all |K| classes).
    """
    import os
    import threading

    torch.manual_seed(0)
    model = var.load_model(model_name, weights=None)
    x = torch.randn(1, 3, model.input_size, model.input_size)
    page = os.sysconf("SC_PAGE_SIZE")

    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * page

    base, peak, done = rss(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    if call == "var":
        var.attribute(model, x, list(range(k)), "integrated_gradients", steps=steps,
                      internal_batch_size=internal_batch_size)
    elif call == "captum":
        IntegratedGradients(model.module).attribute(x, target=0, n_steps=steps)
    else:
        var.VAR(model, IntegratedGradients(model.module), "predefined", classes=list(range(k)),
                settings=var.Relevance(warn_below=None)).attribute(x, target=0, n_steps=steps)
    done.set()
    sampler.join()
    return base, peak[0]


def memory(model_name: str, sizes: list[int], k: int, steps: int) -> list[dict]:
    """Peak resident memory above the loaded model while IG runs, per internal_batch_size (fresh processes)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    rows = []
    for ibs in sizes:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            base, peak = pool.submit(_peak_memory, model_name, k, steps, ibs).result()
        rows.append(dict(model=model_name, K=k, steps=steps, internal_batch_size=ibs,
                         points_per_forward=max(1, ibs // k), peak_extra_mib=(peak - base) / 2**20))
    return rows


#: A Captum object called through VAR for |K| classes may hold at most this much more memory than Captum's own
#: call for one class (never |K| times it).
LIBRARY_MEMORY_RATIO = 1.2


def library_memory(model_name: str, k: int, steps: int) -> dict:
    """Peak resident memory above the loaded model: Captum's IntegratedGradients for one class, and ``var.VAR``
    over the same Captum object for |K| = ``k`` classes (fresh processes), with the ratio and its target.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    extra = {}
    for call in ("captum", "var_over_captum"):
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            base, peak = pool.submit(_peak_memory, model_name, k, steps, None, call).result()
        extra[call] = (peak - base) / 2**20
    ratio = extra["var_over_captum"] / extra["captum"]
    return dict(model=model_name, K=k, n_steps=steps, captum_one_class_mib=extra["captum"],
                var_over_captum_mib=extra["var_over_captum"], ratio=ratio,
                meets_target=ratio <= LIBRARY_MEMORY_RATIO)


def markdown(rows: list[dict]) -> str:
    """Rows of dicts as a Markdown table."""
    cols = list(rows[0])
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m var.bench speed``: print the speed table; exit status 1 if a target is missed."""
    parser = CliParser(prog="var-bench speed", description=__doc__)
    parser.add_argument("--model", default="resnet50", choices=var.MODEL_NAMES, metavar="MODEL",
                        help="a var.MODEL_NAMES entry, random weights")
    parser.add_argument("--classes", type=int, nargs="+", default=[4, 16], help="class-set sizes |K|")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per cell (the median is reported)")
    parser.add_argument("--steps", type=int, default=4, help="IG steps (the paper's 50 scale linearly)")
    parser.add_argument("--internal-batch-size", type=int, default=64, help="(point, class) maps per chunk")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--memory", action="store_true", help="also measure peak memory vs internal_batch_size")
    parser.add_argument("--library-memory", action="store_true",
                        help="only compare the peak memory of var.VAR over a Captum IntegratedGradients object "
                             f"(|K| = 4, 50 steps) with Captum's own call for one class (target <= "
                             f"{LIBRARY_MEMORY_RATIO}x)")
    parser.add_argument("--out", type=out_path, default=Path("results/bench/speed.json"), help="JSON file written")
    args = parser.parse_args(argv)
    for k in args.classes:  # checked before any model is built (a bad value used to hang or trace back)
        check_int("--classes", k, 1)
        if k > 1000:
            raise ValueError(f"--classes {k}: the models have 1,000 classes.")
    check_int("--repeats", args.repeats, 1)
    check_int("--steps", args.steps, 1)
    check_int("--internal-batch-size", args.internal_batch_size, 1)
    check_device(args.device)
    check_writable(args.out, folder=False)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    if args.library_memory:
        library = library_memory(args.model, 4, 50)
        print(markdown([library]))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"library_memory": library}, indent=1))
        return 0 if library["meets_target"] else 1
    rows = run(args.model, args.classes, args.repeats, args.steps, args.internal_batch_size, device=args.device)
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"{torch.get_num_threads()} threads"
    print(f"## {args.model}, {where}, medians of {args.repeats}\n")
    print(markdown(rows))
    result = {"speed": rows}
    if args.memory:
        mem = memory(args.model, [4, 16, 64], 4, 16)
        print("\n" + markdown(mem))
        result["memory"] = mem
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    missed = [r for r in rows if not r["meets_target"]]
    print(f"\n{len(rows) - len(missed)}/{len(rows)} targets met" + ("" if not missed else ": missed " + ", ".join(
        f"{r['method']} K={r['K']}" for r in missed)))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
