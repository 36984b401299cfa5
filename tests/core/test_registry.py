"""The method registry: every library method equals its library's own per-class output, and the guards fire.

Equalities run in float64 (small_resnet64): the registry's single call over |K| copies and the library's
per-class calls may round differently in float32 on other CPUs.
"""

import sys
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import var
from var.core import registry
from var.core.libraries import grad_cam
from var.core.libraries import zennit as zennit_lib

captum_attr = pytest.importorskip("captum.attr")

CLASSES = [3, 7]


@pytest.fixture(scope="module")
def x64():
    return torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


@pytest.fixture(scope="module")
def small_cnn64():
    """A plain CNN, each module used once (Captum's DeepLift refuses ResNet's reused ReLU module)."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                              torch.nn.Flatten(), torch.nn.Linear(16, 10)).double().eval()
    return var.wrap_model(net, name="cnn-small", gradcam_layer=net[4], input_size=64)


def per_class(fn, classes=CLASSES):
    return torch.cat([fn(c) for c in classes])


def seed(value: int = 0) -> None:
    """Captum's GradientShap draws from torch's and NumPy's global RNGs."""
    torch.manual_seed(value)
    np.random.seed(value)  # noqa: NPY002  (the RNG Captum draws from)


def assert_same(ours, theirs, tol=1e-10):
    torch.testing.assert_close(ours, theirs.expand_as(ours).to(ours.dtype), rtol=tol, atol=tol)


def test_var_occlusion_reads_every_class_from_one_set_of_passes_and_equals_captum(small_resnet64, x64):
    calls = []
    hook = small_resnet64.module.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    try:
        ours = var.attribute(small_resnet64, x64, CLASSES, "occlusion", window=32, stride=16)
        passes_k2 = len(calls)
        calls.clear()
        var.attribute(small_resnet64, x64, CLASSES[:1] + [0, 1, 2], "occlusion", window=32, stride=16)
    finally:
        hook.remove()
    assert len(calls) == passes_k2  # |K| = 4 runs the same forward passes as |K| = 2
    occlusion = captum_attr.Occlusion(small_resnet64.module)
    theirs = per_class(lambda c: occlusion.attribute(x64, (3, 32, 32), strides=(3, 16, 16), target=c, baselines=0.0))
    assert_same(ours, theirs, 1e-6)  # Captum sums the windows in float32


def test_var_scorecam_scores_every_class_from_one_set_of_masked_passes_and_equals_the_library(small_cnn64, x64):
    pytorch_grad_cam = pytest.importorskip("pytorch_grad_cam")
    calls = []
    hook = small_cnn64.module.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    try:
        ours = var.attribute(small_cnn64, x64, CLASSES, "scorecam")
        passes = sum(calls)
        calls.clear()
        var.attribute(small_cnn64, x64, [3], "scorecam")
    finally:
        hook.remove()
    assert sum(calls) == passes == 1 + 16  # the image, then one masked copy per channel, for any |K|
    raw = grad_cam.raw_cams(pytorch_grad_cam.ScoreCAM, small_cnn64, x64, CLASSES)  # the library's, per copy
    # the library turns its scores into float32 (torch.Tensor(list)), so it agrees to float32 rounding
    assert_same(ours, F.interpolate(raw, size=(64, 64), mode="bilinear", align_corners=False), 1e-5)
    assert ours[0].amax() > 0 and not torch.equal(ours[0], ours[1])


@pytest.mark.parametrize("name, make, options", [
    ("DeepLift", lambda net, layer: captum_attr.DeepLift(net), {}),
    ("Deconvolution", lambda net, layer: captum_attr.Deconvolution(net), {}),
    ("Occlusion", lambda net, layer: captum_attr.Occlusion(net), {"sliding_window_shapes": (3, 32, 32),
                                                                  "strides": (3, 16, 16)}),
    ("IntegratedGradients", lambda net, layer: captum_attr.IntegratedGradients(net), {"n_steps": 8}),
])
def test_captum_methods_equal_captum_per_class(small_cnn64, x64, name, make, options):
    ours = var.attribute(small_cnn64, x64, CLASSES, f"captum:{name}", **options)
    method = make(small_cnn64.module, small_cnn64.gradcam_layer)
    assert_same(ours, per_class(lambda c: method.attribute(x64, target=c, **options)), 1e-6 if name == "Occlusion"
                else 1e-9)


def test_captum_layer_gradcam_is_relu_by_default_and_upsampled_like_var(small_resnet64, x64):
    ours = var.attribute(small_resnet64, x64, CLASSES, "captum:LayerGradCam")
    method = captum_attr.LayerGradCam(small_resnet64.module, small_resnet64.gradcam_layer)
    raw = per_class(lambda c: method.attribute(x64, target=c, relu_attributions=True))
    assert_same(ours, F.interpolate(raw, size=(64, 64), mode="bilinear", align_corners=False))
    assert_same(ours, var.attribute(small_resnet64, x64, CLASSES, "gradcam"))  # GradCAM is GradCAM
    with pytest.warns(registry.MethodWarning, match="without relu_attributions=True keeps negative values"):
        var.attribute(small_resnet64, x64, CLASSES, "captum:LayerGradCam", relu_attributions=False)
    with pytest.warns(registry.MethodWarning, match="LayerGradCam object without relu_attributions=True"):
        var.attribute(small_resnet64, x64, CLASSES, method)  # a user's own object: Captum's default, warned


def test_captum_stochastic_methods_are_the_librarys_own_seeded_calls(small_resnet64, x64):
    seed(1)
    ours = var.attribute(small_resnet64, x64, CLASSES, "captum:GradientShap", baselines="zero", n_samples=3)
    seed(1)
    method = captum_attr.GradientShap(small_resnet64.module)
    theirs = per_class(lambda c: method.attribute(x64, torch.zeros_like(x64), target=c, n_samples=3))
    assert_same(ours, theirs)  # n_samples reaches Captum: no clash with SmoothGrad's option name


@pytest.mark.parametrize("cam", ["GradCAMPlusPlus", "XGradCAM", "LayerCAM", "HiResCAM", "GradCAMElementWise",
                                 pytest.param("ScoreCAM", marks=pytest.mark.slow)])  # 2 x 512 masked passes
def test_grad_cam_entries_are_the_raw_cams_the_library_scales(small_resnet, small_resnet64, x64, cam):
    pytorch_grad_cam = pytest.importorskip("pytorch_grad_cam")
    from pytorch_grad_cam.utils.image import scale_cam_image
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    cls = getattr(pytorch_grad_cam, cam)
    # ScoreCAM's 2 x 512 masked passes in float32 (float64 takes minutes); its masks batch alike, so 1e-4 holds
    model, x, tol = (small_resnet, x64.float(), 1e-4) if cam == "ScoreCAM" else (small_resnet64, x64, 1e-6)
    raw = grad_cam.raw_cams(cls, model, x, CLASSES)
    for i, c in enumerate(CLASSES):  # the library's own output is our raw CAM, min-max scaled and resized
        with cls(model=model.module, target_layers=[model.gradcam_layer]) as library:
            theirs = library(input_tensor=x, targets=[ClassifierOutputTarget(c)])
        np.testing.assert_allclose(scale_cam_image(raw[i].numpy(), (64, 64)), theirs, rtol=tol, atol=tol)
    ours = var.attribute(model, x, CLASSES, f"gradcam:{cam}")
    assert_same(ours, F.interpolate(raw, size=(64, 64), mode="bilinear", align_corners=False), tol)
    assert not torch.equal(ours[0].amax(), ours[1].amax())  # magnitudes across classes survive (unscaled)


def test_grad_cam_class_agnostic_cams_are_refused_with_the_reason():
    pytest.importorskip("pytorch_grad_cam")
    with pytest.raises(ValueError, match="not class-specific .*principal component"):
        registry.get("gradcam:EigenCAM")


@pytest.mark.integration
@pytest.mark.parametrize("composite", ["EpsilonPlusFlat", "EpsilonAlpha2Beta1Flat"])
def test_zennit_composites_equal_zennit_per_class_with_the_resnet_canonizer(small_resnet64, x64, composite):
    zennit = pytest.importorskip("zennit")
    from zennit.attribution import Gradient
    from zennit.torchvision import ResNetCanonizer

    ours = var.attribute(small_resnet64, x64, CLASSES, f"zennit:{composite}")
    cls = getattr(zennit.composites, composite)
    theirs = []
    for c in CLASSES:
        with Gradient(small_resnet64.module, cls(canonizers=[ResNetCanonizer()])) as attributor:
            out, relevance = attributor(x64.clone().requires_grad_(), torch.eye(10, dtype=torch.float64)[[c]])
        theirs.append(relevance)
    assert_same(ours, torch.cat(theirs), 1e-9)
    assert isinstance(zennit_lib.canonizers_for(small_resnet64.module)[0], ResNetCanonizer)


def test_a_registered_function_and_a_module_function_run_everywhere(small_resnet64, x64, tmp_path, monkeypatch):
    def saliency(model, x, target):
        x = x.clone().requires_grad_()
        model.module(x)[0, target].backward()
        return x.grad.abs()[0]

    registry.register("test_saliency", saliency, family="gradient")
    expected = var.attribute(small_resnet64, x64, CLASSES, "gradient").abs()
    assert_same(var.attribute(small_resnet64, x64, CLASSES, "test_saliency"), expected)
    (tmp_path / "my_methods.py").write_text(
        "def cam_like(model, x, target):\n"
        "    '''A layer-resolution map.'''\n"
        "    import torch\n"
        "    return torch.arange(16, dtype=x.dtype).reshape(4, 4) * (target + 1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    maps = var.attribute(small_resnet64, x64, CLASSES, "my_methods:cam_like")
    assert maps.shape == (2, 1, 64, 64) and torch.allclose(maps[1], 2 * maps[0])  # upsampled, scale kept
    explainer = var.VAR(small_resnet64, "my_methods:cam_like", "predefined", classes=CLASSES,
                        settings=var.Relevance(warn_below=None))
    assert explainer.attribute(x64, target=3).shape == (1, 1, 64, 64)
    sys.modules.pop("my_methods", None)


def test_captum_objects_take_a_batch_and_their_own_options(small_cnn64):
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    shap = captum_attr.GradientShap(small_cnn64.module)
    seed(0)
    ours = var.attribute(small_cnn64, x, CLASSES, shap, baselines=torch.zeros_like(x[:1]), n_samples=2)
    seed(0)
    theirs = [per_class(lambda c: shap.attribute(x[b:b + 1], torch.zeros_like(x[:1]), target=c, n_samples=2))
              for b in range(2)]
    assert_same(ours, torch.stack(theirs))


def test_a_batch_equals_its_images(small_cnn64):
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    batch = var.attribute(small_cnn64, x, [CLASSES, [0, 1]], "captum:DeepLift")
    assert batch.shape == (2, 2, 3, 64, 64)
    assert_same(batch[1], var.attribute(small_cnn64, x[1:], [0, 1], "captum:DeepLift"))


def test_guards_name_the_fix(small_resnet64, x64):
    registry.register("test_minmax", lambda model, x, target: torch.rand(3, 64, 64, dtype=x.dtype) *
                      0 + torch.linspace(0, 1, 64, dtype=x.dtype))
    with pytest.raises(ValueError, match="scaled to \\[0, 1\\] per class"):
        var.attribute(small_resnet64, x64, CLASSES, "test_minmax")
    registry.register("test_shape", lambda model, x, target: torch.ones(2, 3, 64, 64, dtype=x.dtype))
    with pytest.raises(ValueError, match="returned a map of shape"):
        var.attribute(small_resnet64, x64, CLASSES, "test_shape")
    registry.register("test_boom", lambda model, x, target: torch.full((3, 64, 64), 1e12, dtype=x.dtype) * x[0],
                      family="propagation")
    with pytest.raises(ValueError, match="relevance exploded .*canonizer"):
        var.attribute(small_resnet64, x64, CLASSES, "test_boom")
    registry.register("test_vanish", lambda model, x, target: x[0] * 1e-9, family="propagation")
    with pytest.warns(registry.MethodWarning, match="relevance vanished"):
        var.attribute(small_resnet64, x64, CLASSES, "test_vanish")
    registry.register("test_constant", lambda model, x, target: torch.ones(3, 64, 64, dtype=x.dtype) * (target == 3)
                      + (target != 3) * x[0])
    with pytest.warns(registry.MethodWarning, match="constant map for K\\[0\\]"):
        var.attribute(small_resnet64, x64, CLASSES, "test_constant")
    with pytest.raises(ValueError, match="Unknown method 'nope'.*var-bench methods"):
        var.attribute(small_resnet64, x64, CLASSES, "nope")
    with pytest.raises(ValueError, match="captum.attr has no attribution class"):
        registry.get("captum:Nope")
    with pytest.raises(ValueError, match="new name"):
        registry.register("gradcam", lambda model, x, target: x)
    with warnings.catch_warnings():
        warnings.simplefilter("error", registry.MethodWarning)  # a well-behaved library method: no guard fires
        var.attribute(small_resnet64, x64, CLASSES, "captum:Deconvolution")


def test_signedness_is_declared_once_for_names_methods_and_captum_objects(small_cnn64):
    assert registry.is_signed("integrated_gradients") and not registry.is_signed("gradcam")
    assert registry.is_signed("captum:DeepLift") and not registry.is_signed("gradcam:LayerCAM")
    assert registry.is_signed(var.methods.make_method("input_x_gradient"))
    assert not registry.is_signed(captum_attr.GuidedBackprop(small_cnn64.module))


def test_the_listing_covers_eighteen_class_specific_methods_from_three_libraries():
    listed = registry.entries()
    assert len(listed) >= 18 and len({e.library for e in listed} - {"var"}) >= 3
    assert {e.family for e in listed} >= {"gradient", "path", "perturbation", "cam", "propagation"}


def test_the_study_methods_are_eighteen_listed_methods_of_every_family():
    from var.core.protocol import STUDY_METHODS

    families = {registry.get(m).family for m in STUDY_METHODS}
    assert len(set(STUDY_METHODS)) == 18 and families == set(registry.FAMILIES) - {"user"}
    assert set(STUDY_METHODS) <= {e.name for e in registry.entries()}


def test_var_bench_methods_keeps_its_timings_with_provenance(tmp_path, capsys):
    import json

    import pandas as pd

    from var.bench import main as bench_main

    assert bench_main(["methods", "--out", str(tmp_path / "t.csv")]) == 2  # --out needs --measure
    assert "add --measure" in capsys.readouterr().err
    out = tmp_path / "t.csv"
    assert bench_main(["methods", "--measure", "--methods", "gradcam", "--repeats", "1", "--out", str(out)]) == 0
    timings = pd.read_csv(out)
    assert list(timings["method"]) == ["gradcam"] and (timings["s (|K|=4)"] > 0).all()
    assert {"commit", "cpu", "repeats"} <= set(json.loads(out.with_suffix(".json").read_text()))
    assert bench_main(["methods", "--measure", "--methods", "gradcam", "--out", str(out)]) == 2  # never replaced
    assert "exists" in capsys.readouterr().err and len(pd.read_csv(out)) == 1
    assert bench_main(["methods", "--measure", "--repeats", "0"]) == 2
