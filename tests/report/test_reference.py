"""The committed reference runs: complete, with provenance, and reproducible by the code as it is now."""

import contextlib
import functools
import io
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import torch

from var.benchmarks import grid, metrics
from var.benchmarks.runner import resolved, same_run, summarize, validate
from var.report import reference

NAMES = list(reference.REFERENCE)


@pytest.mark.integration
@pytest.mark.parametrize("name", NAMES)
def test_reference_run_is_committed_at_its_size(name):
    ref = reference.load(name)
    assert ref is not None, f"results/reference/{name} is missing: run 'python -m var.bench reference {name}'"
    wanted = resolved(validate(reference.REFERENCE[name]))
    assert same_run(ref["config"], wanted) and ref["config"].n >= wanted.n
    assert ref["config"].ig_steps == 50
    prov = ref["provenance"]
    assert prov["sessions"] and prov["wall_s_total"] > 0
    for session in prov["sessions"]:
        assert {"commit", "date", "machine", "torch", "threads", "wall_s", "command"} <= set(session)
    # the summary is the table's summary (nothing edited by hand), through the same CSV round trip
    again = pd.read_csv(io.StringIO(summarize(ref["table"]).to_csv(index=False)))
    pd.testing.assert_frame_equal(again, ref["summary"], check_exact=False, rtol=1e-9)


def test_reference_sizes():
    grid, coco, ins, sanity, intervention = (reference.load(n)["table"] for n in NAMES[:5])
    assert grid["unit"].nunique() >= 250
    assert reference.load("coco")["config"].n >= 128  # every COCO128 image tried
    assert coco["unit"].nunique() >= 80  # those with an object kept by the paper's filters
    assert ins[ins["metric"] == "sic"]["unit"].nunique() >= 50  # images that passed PIC's filters
    assert sanity["unit"].nunique() >= 50
    assert intervention["unit"].nunique() >= 50
    study = {name[len("methods-"):]: reference.load(name)["table"] for name in NAMES if name.startswith("methods-")}
    assert set(study) == {"grid", "coco", "intervention", "sanity"}  # "does it generalise?" beside all four
    assert all(table["method"].nunique() == 18 for table in study.values())
    assert study["grid"]["unit"].nunique() >= 80 and study["coco"]["unit"].nunique() >= 40
    assert study["intervention"]["unit"].nunique() >= 30 and study["sanity"]["unit"].nunique() >= 8
    # the runs of the choices: three random networks per sanity image, PAIR's tie rule, the sweeps
    networks = reference.load("sanity-networks")["table"]
    assert networks["unit"].nunique() >= 15 and set(networks["network"]) == {0, 1, 2}
    assert reference.load("insertion-quantile")["table"]["unit"].nunique() >= 20  # PIC skips some of 40
    for name, units, settings in (("sweep-grid", 60, 100), ("sweep-coco", 29, 100),  # 29 of 40 COCO images
                                  ("sweep-intervention", 20, 50), ("sweep-sanity", 12, 50),  # have an object
                                  ("sweep-insertion", 5, 6)):  # of 12 images, those PIC's SIC filter keeps
        sweep = reference.load(name)["table"]
        assert sweep["unit"].nunique() >= units
        assert {"vanilla", "var", "matched", "random_k"} <= set(sweep["variant"])
        assert "nearest" in set(sweep["variant"]) or name == "sweep-insertion"  # too costly there
        assert sweep[sweep["variant"] == "var"].groupby(["temperature", "tau", "scale", "softmax"]).ngroups == settings
    for name in ("sweep-intervention", "sweep-sanity"):
        assert reference.load(name)["table"]["class_set"].nunique() >= 2  # top 5 and 10; top 1, 2 and 5


@pytest.fixture
def keep_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@contextlib.contextmanager
def onednn(enabled: bool):
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = enabled
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


#: methods re-run where a unit of all six would cost minutes: insertion's PIC curves cost per map, and
#: sanity's IG runs on five randomised networks (IG is re-run on grid, COCO and the intervention).
SUBSETS = {"insertion": ("integrated_gradients", "guided_backprop"),
           "sanity": ("gradcam", "guided_backprop", "guided_gradcam", "input_x_gradient", "contrastive_gradient"),
           # the study grid: the methods the grid run does not already check, but captum:GradientShap (the
           # committed run predates Benchmark.maps seeding torch's and NumPy's RNGs per unit, so its GradientShap
           # rows depend on what ran before; the other study runs are seeded); the other study runs: one method
           # of each library (sanity's run on five randomised networks, so cheap ones)
           "methods-grid": tuple(m for m in reference.REFERENCE["methods-grid"].methods
                                 if m not in reference.REFERENCE["grid"].methods and m != "captum:GradientShap"),
           **dict.fromkeys(("methods-coco", "methods-intervention"),
                           ("smoothgrad", "captum:GradientShap", "captum:DeepLift", "gradcam:LayerCAM",
                            "zennit:EpsilonPlusFlat")),
           "methods-sanity": ("gradient", "captum:Deconvolution", "captum:GradientShap", "gradcam:LayerCAM"),
           # the runs of the choices: a unit scores three random networks (sanity), the PIC curves (insertion),
           # every setting and control (sweep; CGI always re-runs): cheap methods suffice to show the code holds
           "sanity-networks": ("gradcam", "guided_backprop"),
           "insertion-quantile": ("integrated_gradients", "guided_backprop"),
           **dict.fromkeys(("sweep-grid", "sweep-coco", "sweep-intervention", "sweep-sanity"),
                           ("gradcam", "guided_gradcam")),
           "sweep-insertion": ("gradcam",)}  # PIC: ~5 s per map, and every setting and control is a map


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_scored_unit_reproduces(name, keep_threads):
    """The committed rows of a fully scored unit, recomputed now: equal up to float rounding (any CPU)."""
    result = reference.reproduce(name, **({"methods": SUBSETS[name]} if name in SUBSETS else {}))
    assert result.ok, result.report()


def test_scored_unit_is_fully_scored():
    table = reference.load("insertion")["table"]
    unit = reference.scored_unit(table)
    assert set(table[table["unit"] == unit]["metric"]) == {"sic", "aic"}  # unit 0 is skipped by PIC's filters
    assert reference.scored_unit(reference.load("grid")["table"]) == 0


def _blur(kernel):
    sigma = 0.3 * ((kernel - 1) / 2 - 1) + 0.8  # OpenCV's default sigma, as for the 11 x 11 kernel
    return functools.partial(metrics.blur_positive, kernel=kernel, sigma=sigma)


@pytest.mark.slow
@pytest.mark.parametrize("change", ["tau 0.02", "temperature 0.11", "ig_steps 49", "blur 9", "seed 1"])
def test_a_changed_protocol_does_not_reproduce(change, monkeypatch, keep_threads):
    """Drift is caught: each small change of the protocol fails the comparison.

    Grid, re-running Guided Backprop only (cheap; a method's rows do not depend on the others), and for
    the IG steps COCO's IG rows.
    """
    field, value = change.split()
    name, changes = "grid", {"methods": ("guided_backprop",)}
    if field == "blur":
        monkeypatch.setattr(grid, "blur_positive", _blur(int(value)))
    else:
        changes[field] = type(getattr(reference.REFERENCE["grid"], field))(value)
    if field == "ig_steps":
        name, changes["methods"] = "coco", ("integrated_gradients",)
    result = reference.reproduce(name, **changes)
    assert not result.ok, f"{change} passed for the committed protocol:\n{result.report()}"


@pytest.mark.slow
@pytest.mark.parametrize("path", ["onednn off", "1 thread"])
def test_another_kernel_path_reproduces(path, keep_threads):
    """Rounding is tolerated: other float kernels on this machine still reproduce (COCO; with oneDNN off,
    whose convolutions are slow, the methods but IG)."""
    if path == "onednn off":
        methods = tuple(m for m in reference.REFERENCE["coco"].methods if m != "integrated_gradients")
        with onednn(False):
            result = reference.reproduce("coco", methods=methods)
    else:
        result = reference.reproduce("coco", threads=1)
    assert result.ok, result.report()


def test_provenance_names_the_cpu_and_its_kernels():
    env = reference.environment()
    cpu = env["cpu"]
    assert cpu["cpu"] and cpu["torch"] == torch.__version__ and cpu["torch_threads"] == torch.get_num_threads()
    assert cpu["torch_cpu_capability"] in {"DEFAULT", "NO AVX", "AVX2", "AVX512", "ZVECTOR", "VSX"}
    assert isinstance(cpu["vector_extensions"], list) and isinstance(cpu["onednn_enabled"], bool)
    with onednn(False):
        assert reference.environment()["cpu"]["onednn_enabled"] is False


def test_make_clean_keeps_the_committed_results(tmp_path):
    """``make clean`` removes the book's outputs and scratch runs, never results/reference/."""
    root = Path(__file__).resolve().parents[2]
    shutil.copy(root / "Makefile", tmp_path / "Makefile")
    kept = [tmp_path / "results/reference/grid/results.parquet", tmp_path / "results/reference/grid/parts/0.parquet"]
    gone = [tmp_path / "results/grid/results.parquet", tmp_path / "book/_build/html/index.html",
            tmp_path / "book/chapters/01.ipynb", tmp_path / "book/_vendor/x.js"]
    for path in kept + gone:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    subprocess.run(["make", "-s", "clean"], cwd=tmp_path, check=True)
    assert all(p.exists() for p in kept) and not any(p.exists() for p in gone)
    shutil.rmtree(tmp_path / "results")
    subprocess.run(["make", "-s", "clean"], cwd=tmp_path, check=True)  # and works with nothing to clean
