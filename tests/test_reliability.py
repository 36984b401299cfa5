"""Misuse ends in a correct result or one clear error, and leaves the user's model and files as they were."""

import os
import threading
import time
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torchvision
from captum.attr import InputXGradient, IntegratedGradients
from PIL import Image
from torch import nn

import var
from var.bench import main as bench_main
from var.core.methods import make_method


def tiny_resnet(train: bool):
    torch.manual_seed(0)
    net = torchvision.models.resnet18(weights=None, num_classes=10)
    net.fc = nn.Sequential(nn.Dropout(0.5), net.fc)
    return net.train(train)


def buffers(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


X = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))


# ---------------------------------------------------------------- 1. training mode
@pytest.mark.parametrize("via", ["module", "wrap_model", "explain"])
def test_training_mode_model_is_attributed_in_eval_mode_and_restored(via):
    net = tiny_resnet(train=True)
    before = buffers(net)
    reference = var.attribute(tiny_resnet(train=False), X, [1, 2], "integrated_gradients", steps=4)
    with pytest.warns(UserWarning, match="training mode"):
        if via == "explain":
            model = var.wrap_model(net, gradcam_layer=net.layer4, input_size=64)
            got = var.explain(model, X, "integrated_gradients", "predefined", classes=[1, 2], steps=4).attributions
        else:
            model = net if via == "module" else var.wrap_model(net, input_size=64)
            got = var.attribute(model, X, [1, 2], "integrated_gradients", steps=4)
            again = var.attribute(model, X, [1, 2], "integrated_gradients", steps=4)
            torch.testing.assert_close(got, again, rtol=0, atol=0)  # no dropout: identical calls agree
    torch.testing.assert_close(got, reference)
    assert net.training and all(m.training for m in net.modules())
    for k, v in buffers(net).items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0, msg=f"buffer {k} changed")


def test_model_is_left_as_it_was():
    net = tiny_resnet(train=False)
    relu_inplace = [m.inplace for m in net.modules() if isinstance(m, nn.ReLU)]
    grads = [p.requires_grad for p in net.parameters()]
    model = var.wrap_model(net, gradcam_layer=net.layer4, input_size=64)
    for method in ("guided_backprop", "guided_gradcam", "gradcam"):
        var.attribute(model, X, [0, 1], method)
    assert [m.inplace for m in net.modules() if isinstance(m, nn.ReLU)] == relu_inplace
    assert [p.requires_grad for p in net.parameters()] == grads
    assert all(p.grad is None for p in net.parameters())
    assert not any(m._forward_hooks or m._backward_hooks for m in net.modules())


# ---------------------------------------------------------------- 2. images keep their values
def test_images_keep_their_values(tmp_path):
    grey16 = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)  # 0..65520
    Image.fromarray(grey16).save(tmp_path / "grey16.png")
    loaded = np.asarray(var.load_image(tmp_path / "grey16.png"))
    np.testing.assert_allclose(loaded[..., 0], np.round(grey16 / 65535 * 255), atol=1)
    assert loaded.std() > 50  # not all white
    rgb = np.random.default_rng(0).integers(0, 256, (8, 8, 3))
    for array in (rgb.astype(np.int64), rgb.astype(np.uint16) * 257, rgb / 255.0):
        np.testing.assert_array_equal(np.asarray(var.load_image(array)), rgb.astype(np.uint8))
    with pytest.raises(ValueError, match="array / 255"):
        var.load_image(rgb.astype(np.float64))  # 0..255 floats are not guessed
    with pytest.raises(ValueError, match="NaN"):
        var.load_image(np.full((8, 8, 3), np.nan))
    with pytest.raises(ValueError, match="0..255"):
        var.load_image(np.full((8, 8, 3), 300, dtype=np.int64))


def test_transparent_png_is_composited_on_white(tmp_path):
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[..., 0] = 255  # red hidden under alpha 0 ...
    rgba[:4, :, 3] = 255  # ... except the top half
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    img = np.asarray(var.load_image(tmp_path / "t.png"))
    assert (img[:4] == [255, 0, 0]).all() and (img[4:] == 255).all()
    np.testing.assert_array_equal(np.asarray(var.load_image(rgba)), img)


# ---------------------------------------------------------------- 3. weights
def test_weights_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        var.load_model("resnet50", weights="/path/that/does/not/exist.pth")
    with pytest.raises(TypeError, match="weights must be"):
        var.load_model("resnet50", weights=True)
    with pytest.raises(ValueError, match="Unknown weights"):
        var.load_model("resnet50", weights="IMAGENET1K_V9")
    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="state_dict") as err:
        var.load_model("resnet50", weights=tmp_path / "bad.pth")
    assert "weights_only" not in str(err.value)
    torch.save(torchvision.models.resnet18().state_dict(), tmp_path / "r18.pth")
    with pytest.raises(ValueError, match="does not fit resnet50"):
        var.load_model("resnet50", weights=str(tmp_path / "r18.pth"))


# ---------------------------------------------------------------- 4. threads
def test_two_threads_sharing_one_model_get_their_own_maps(small_resnet):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    expected = {m: var.attribute(small_resnet, x, [1, 2], m) for m in ("gradient", "guided_backprop")}
    got = {m: [] for m in expected}

    def work(method):
        for _ in range(8):
            got[method].append(var.attribute(small_resnet, x, [1, 2], method))

    threads = [threading.Thread(target=work, args=(m,)) for m in expected]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for method, maps in got.items():
        for m in maps:
            torch.testing.assert_close(m, expected[method])


# ---------------------------------------------------------------- 5-6. the CLI checks first
@pytest.fixture
def no_model(monkeypatch):
    """Any attempt to load a model fails the test: bad input must be refused before."""
    from var.benchmarks import base

    def refuse(name):
        raise AssertionError("the model was loaded before the options were checked")

    monkeypatch.setattr(base, "get_model", refuse)


@pytest.mark.parametrize("args, message", [
    (["--tau", "2"], "tau"), (["--temperature", "0"], "temperature"), (["--ig-steps", "0"], "ig_steps"),
    (["--methods", "gradientz"], "gradientz"), (["--model", "resnet-50"], "resnet-50"), (["--n", "0"], "n must"),
    (["--n", "-1"], "n must"), (["--methods", "gradcam", "gradcam"], "more than once"), (["--threads", "0"], "threads"),
    (["--data", "/nonexistent"], "/nonexistent"),
    (["--internal-batch-size", "0"], "internal_batch_size"),
    (["--option", "confidence=2"], "confidence"), (["--option", "cell=quarter"], "cell"),
    (["--temperature", "nan"], "finite"), (["--shard", "3/2"], "shard"),
])
def test_cli_refuses_bad_input_before_loading_anything(tmp_path, capsys, no_model, args, message):
    start = time.perf_counter()
    assert bench_main(["grid", "--out", str(tmp_path / "run")] + args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith("var-bench: error:") and "Traceback" not in err and "\n" not in err
    assert not (tmp_path / "run").exists()  # no config.json that would block the corrected rerun
    assert time.perf_counter() - start < 5


def test_cli_bad_out_folders(tmp_path, capsys, no_model):
    (tmp_path / "file").write_text("x")
    assert bench_main(["grid", "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "config.json").write_text("{not json")
    assert bench_main(["grid", "--out", str(tmp_path / "corrupt")]) == 2
    assert "not a readable run configuration" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to read-only folders")
def test_cli_read_only_folder(tmp_path, capsys, no_model):
    (tmp_path / "ro").mkdir(mode=0o500)
    assert bench_main(["grid", "--out", str(tmp_path / "ro" / "run")]) == 2
    assert "writable" in capsys.readouterr().err


def test_a_run_can_be_extended_to_a_larger_n(tmp_path, imagenet_sample):
    args = ["grid", "--methods", "gradcam", "--option", "scan=40", "--option", "cell=half", "--out", str(tmp_path)]
    assert bench_main(args + ["--n", "1"]) == 0
    first = __import__("pandas").read_parquet(tmp_path / "results.parquet")
    assert bench_main(args + ["--n", "2"]) == 0
    table = __import__("pandas").read_parquet(tmp_path / "results.parquet")
    assert sorted(table.unit.unique()) == [0, 1]
    __import__("pandas").testing.assert_frame_equal(table[table.unit == 0].reset_index(drop=True), first)


# ---------------------------------------------------------------- 7-10. attribute
def test_attribute_inside_no_grad(small_resnet):
    with torch.no_grad():
        got = var.attribute(small_resnet, X, [1, 2], "input_x_gradient")
    torch.testing.assert_close(got, var.attribute(small_resnet, X, [1, 2], "input_x_gradient"))


def test_captum_object_gets_its_own_options_and_refuses_other_networks(small_resnet):
    with pytest.raises(TypeError, match="steps"):  # Captum's own error: its options pass through unchanged
        var.attribute(small_resnet, X, [1, 2], IntegratedGradients(small_resnet.module), steps=5)
    other = torchvision.models.resnet18(num_classes=10).eval()
    with pytest.raises(ValueError, match="another network"):
        var.attribute(small_resnet, X, [1, 2], InputXGradient(other))


@pytest.mark.parametrize("options, message", [
    (dict(method="smoothgrad", noise_level=float("nan")), "finite"),
    (dict(method="integrated_gradients", baseline=float("nan")), "finite"),
    (dict(method="integrated_gradients", baseline=torch.full((1, 3, 64, 64), float("inf"))), "NaN or Inf"),
    (dict(method="integrated_gradients", blur_sigma=float("nan")), "finite"),
    (dict(method="integrated_gradients", steps=2.5), "integer"),
    (dict(method="integrated_gradients", steps=True), "integer"),
    (dict(method="gradient", internal_batch_size=2.5), "integer"),
    (dict(method="gradient", steps=7), "unknown option"),
    (dict(method="gradient", backward="fast"), "backward"),
])
def test_bad_method_options(small_resnet, options, message):
    with pytest.raises((ValueError, TypeError), match=message):
        var.attribute(small_resnet, X, [1, 2], **options)


class Wrapped(nn.Module):
    def __init__(self, net, how):
        super().__init__()
        self.net, self.how = net, how

    def forward(self, x):
        out = self.net(x)
        return {"tuple": lambda: (out, out.detach()), "dict": lambda: {"logits": out},
                "object": lambda: SimpleNamespace(logits=out, hidden_states=None)}[self.how]()


@pytest.mark.parametrize("how", ["tuple", "dict", "object"])
def test_models_returning_tuples_dicts_or_logits_objects(small_resnet, how):
    net = Wrapped(small_resnet.module, how).eval()
    model = var.wrap_model(net, gradcam_layer=small_resnet.module.layer4, input_size=64)
    assert len(model.class_names) == 10
    for method in ("gradient", "gradcam", "contrastive_gradient"):
        torch.testing.assert_close(var.attribute(model, X, [1, 2], method), var.attribute(small_resnet, X, [1, 2],
                                                                                          method))


# ---------------------------------------------------------------- the smaller cases
def test_smaller_cases(small_resnet):
    with pytest.raises(ValueError, match="channels-last"):
        var.attribute(small_resnet, X.permute(0, 2, 3, 1), [1, 2])
    for classes in ("12", {1, 2}, (c for c in [1, 2])):
        with pytest.raises(TypeError, match="list of class indices"):
            var.attribute(small_resnet, X, classes)
    for classes in ([281.9], np.array([1.0, 2.5])):
        with pytest.raises(ValueError, match="integer class indices"):
            var.class_sets.predefined(classes + [3] if isinstance(classes, list) else classes)
    with pytest.raises(ValueError, match="did not run in the forward pass"):
        var.attribute(small_resnet, X, [1, 2], "gradcam", layer=nn.Conv2d(3, 3, 1))
    with pytest.raises(ValueError, match="10 outputs"):
        var.wrap_model(small_resnet.module, class_names=["a", "b"], input_size=64)
    with pytest.raises(ValueError, match="equal"):
        var.class_sets.best_vs_worst(torch.zeros(5))
    with pytest.raises(ValueError, match="no location axis"):
        var.relevance(torch.zeros(3))
    with pytest.warns(UserWarning, match="all zero"):
        assert not var.relevance(torch.rand(4, 5), tau=0.8).any()
    with pytest.warns(UserWarning, match="slow"):
        make_method("integrated_gradients", steps=10_000)


def test_guided_backprop_warns_without_relu_modules():
    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(3, 4, 3), nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(torch.relu(self.conv(x)).mean((2, 3)))

    with pytest.warns(UserWarning, match="no nn.ReLU modules"):
        var.attribute(Functional().eval(), X, [0, 1], "guided_backprop")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        var.attribute(Functional().eval(), X, [0, 1], "gradient")
