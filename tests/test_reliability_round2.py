"""Reliability, round two: shared-model state, axes, numerics, images, memory bounds and one-line errors."""

import threading
import warnings

import numpy as np
import pytest
import torch
import torchvision
from captum.attr import IntegratedGradients, Saliency
from torch import nn

import var

X = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))


# ---------------------------------------------------------------- shared models
def test_threads_sharing_a_training_model_leave_it_as_it_was():
    torch.manual_seed(0)
    net = torchvision.models.resnet18(weights=None, num_classes=10).train()
    with pytest.warns(UserWarning, match="training mode"):
        expected = var.attribute(net, X, [1, 2], "guided_backprop")
    errors = []

    def work():
        try:
            for _ in range(4):
                torch.testing.assert_close(var.attribute(net, X, [1, 2], "guided_backprop"), expected)
        except Exception as err:  # re-raised in the main thread below
            errors.append(err)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert all(m.training for m in net.modules())  # saved by the first caller, restored by the last
    relus = [m for m in net.modules() if isinstance(m, nn.ReLU)]
    assert relus and all(m.inplace for m in relus)


# ---------------------------------------------------------------- axes and call forms
@pytest.mark.parametrize("classes", [
    np.array([[0, 1], [2, 3]]), [torch.tensor([0, 1]), torch.tensor([2, 3])], [np.array([0, 1]), np.array([2, 3])],
    torch.tensor([[0, 1], [2, 3]]), [[0, 1], [2, 3]],
])
def test_per_image_class_sets_in_every_form(small_resnet, classes):
    x = torch.cat([X, X.flip(-1)])
    got = var.attribute(small_resnet, x, classes, "gradient")
    torch.testing.assert_close(got, var.attribute(small_resnet, x, [[0, 1], [2, 3]], "gradient"))
    assert var.attribute(small_resnet, x[:1], classes[:1], "gradient").shape == (1, 2, 3, 64, 64)


def test_explain_refuses_a_batch(small_resnet):
    with pytest.raises(ValueError, match="explains one image"):
        var.explain(small_resnet, torch.cat([X, X]), "gradient", "top_k", k=2)


def test_attribute_inside_inference_mode(small_resnet):
    expected = var.attribute(small_resnet, X, [1, 2], "integrated_gradients", steps=3)
    with torch.inference_mode():
        x = X.clone()  # an inference tensor
        got = var.attribute(small_resnet, x, [1, 2], "integrated_gradients", steps=3)
    torch.testing.assert_close(got, expected)


def test_captum_objects_get_internal_batch_size_or_refuse_it(small_resnet, small_resnet64):
    net = small_resnet.module
    ig = IntegratedGradients(small_resnet64.module)  # float64: another chunking rounds alike on every CPU
    a = var.attribute(small_resnet64.module, X.double(), [1, 2], ig, n_steps=8, internal_batch_size=3)
    torch.testing.assert_close(a, var.attribute(small_resnet64.module, X.double(), [1, 2], ig, n_steps=8))
    with pytest.raises(TypeError, match="takes no internal_batch_size"):
        var.attribute(net, X, [1, 2], Saliency(net), internal_batch_size=4)
    with pytest.raises(TypeError, match="backward="):
        var.attribute(net, X, [1, 2], Saliency(net), backward="vmap")


# ---------------------------------------------------------------- numerics
@pytest.mark.parametrize("temperature", [1e-30, 1e-45, 5e-324])
def test_a_tiny_temperature_gives_a_one_hot_softmax_not_nan(temperature):
    h = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    m = var.spatial_softmax(h, temperature)
    assert torch.isfinite(m).all()
    torch.testing.assert_close(m, nn.functional.one_hot(h.abs().argmax(0), 3).movedim(-1, 0).float())
    assert torch.isfinite(var.relevance(h, temperature)).all()


# ---------------------------------------------------------------- memory bounds, under a probe
PROBE = """
import resource, numpy as np, torch, var
from torch import nn
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                    nn.Linear(8, 4)).eval()
x = torch.randn(1, 3, 224, 224)

def extra_peak_mib(run):  # how far the process's peak memory rises above all earlier peaks
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024

ig = lambda steps: var.attribute(net, x, [0, 1], "integrated_gradients", steps=steps, internal_batch_size=4)
sg = lambda n: var.attribute(net, x, [0, 1], "smoothgrad", n_samples=n, internal_batch_size=4)
ig(50), sg(50)
model = var.wrap_model(net)
strip = np.zeros((1, 10000, 3), dtype=np.uint8)
print(extra_peak_mib(lambda: ig(1000)), extra_peak_mib(lambda: sg(1000)), extra_peak_mib(lambda: model.prepare(strip)))
"""


def test_internal_batch_size_and_prepare_bound_memory():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    ig, sg, strip = (float(v) for v in out.split())
    # unbounded, 1000 IG steps held 2 x 1000 images (~1.2 GB), 1000 SmoothGrad samples ~0.6 GB and the strip ~3 GB
    assert ig < 60 and sg < 60 and strip < 60, out


# ---------------------------------------------------------------- images
def test_exif_orientation_is_applied(tmp_path):
    from PIL import Image

    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :10] = 255  # a white band on the left
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    image.save(tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    shown = np.asarray(var.load_image(tmp_path / "phone.jpg"))
    assert shown.shape == (40, 20, 3) and shown[:10].mean() > 200 and shown[-10:].mean() < 50  # band on top
    assert np.asarray(var.load_image(tmp_path / "phone.jpg", exif_orientation=False)).shape == (20, 40, 3)


@pytest.mark.parametrize("mode, value, expected", [
    ("I", 200, 200),  # a 32-bit integer image holding 0..255 (it came out black)
    ("I;16", 65535, 255), ("F", 0.5, 128), ("L", 77, 77), ("1", 1, 255), ("La", (90, 255), 90),
    ("CMYK", (0, 0, 0, 0), 255), ("HSV", (0, 0, 255), 255), ("P", 0, 0),
])
def test_every_pil_mode_keeps_its_values(mode, value, expected):
    from PIL import Image

    rgb = np.asarray(var.load_image(Image.new(mode, (4, 4), value)))
    assert rgb.shape == (4, 4, 3) and rgb.dtype == np.uint8 and (rgb == expected).all(), rgb[0, 0]


def test_out_of_range_integer_images_and_damaged_files_name_the_fix(tmp_path):
    from PIL import Image

    with pytest.raises(ValueError, match="0..255"):
        var.load_image(Image.fromarray(np.full((4, 4), 4000, dtype=np.int32)))
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "a.jpg")
    data = (tmp_path / "a.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.jpg is damaged"):
        var.load_image(tmp_path / "cut.jpg")


# ---------------------------------------------------------------- every subcommand: one line, exit 2
@pytest.mark.parametrize("args, message", [
    (["speed", "--classes", "0"], "--classes"), (["speed", "--repeats", "0"], "--repeats"),
    (["speed", "--steps", "0"], "--steps"),  # it used to run forever
    (["speed", "--internal-batch-size", "0"], "--internal-batch-size"),
    (["speed", "--device", "cuda:7" if torch.cuda.is_available() else "cuda"], "--device"),
    (["speed", "--device", "gpu"], "not a torch device"), (["speed", "--out", "/dev/null/x"], "/dev/null is a file"),
    (["speed", "--classes", "x"], "invalid int"),
    (["insertion-speed", "--image", "missing.jpg"], "missing.jpg"),
    (["cost", "--out", "/dev/null/x"], "/dev/null is a file"), (["cost", "--out", ""], "empty path"),
    (["machine", "--foo"], "unrecognized"), (["reference", "nope"], "nope"),
    (["grid", "--out", ""], "empty path"), (["grid", "--out", "/dev/null/x"], "/dev/null is a file"),
    (["grid", "--dask", "local:0", "--out", "{tmp}/run"], "at least one worker"),  # it used to hang
    (["grid", "--dask", "local:x", "--out", "{tmp}/run"], "local:N"),
    (["grid", "--dask", "local:1", "--shards", "0", "--out", "{tmp}/run"], "--shards"),
    (["grid", "--model", "resnet50", "--out", "{tmp}/run"], "resnet50"),  # offline: weights absent (or cached)
])
def test_every_subcommand_fails_in_one_line(tmp_path, capsys, args, message):
    from var.bench import main as bench_main
    from var.models.zoo import check_weights_available

    if "resnet50" in args:
        try:
            check_weights_available("resnet50")
            pytest.skip("resnet50's weights are cached on this machine")
        except var.models.zoo.WeightsUnavailableError:
            pass
    assert bench_main([a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and "\n" not in err, err
    assert err.startswith("var-bench") and not (tmp_path / "run").exists()


def test_a_damaged_image_among_the_data_is_named(tmp_path, imagenet_sample, capsys):
    from var.bench import main as bench_main

    data = tmp_path / "imagenet-sample"
    data.mkdir()
    for f in sorted(imagenet_sample.glob("*.JPEG")):  # every image cut short: whichever is read first is named
        (data / f.name).write_bytes(f.read_bytes()[:2000])
    assert bench_main(["grid", "--n", "1", "--methods", "gradcam", "--data", str(tmp_path),
                       "--out", str(tmp_path / "run")]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress bar: one line
    assert last.startswith("var-bench: error: load_image: " + str(data)) and ".JPEG is damaged" in last, last


def test_benchmark_threads_are_scoped():
    from threadpoolctl import threadpool_info, threadpool_limits

    from var.benchmarks.runner import scope_threads

    before = torch.get_num_threads()
    with threadpool_limits(limits=None):  # restores the BLAS threads after the test
        scope_threads(1)
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(n == 1 for n in blas) and torch.get_num_threads() == 1
    torch.set_num_threads(before)
