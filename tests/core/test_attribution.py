"""The batched engine equals Captum's per-class results, method by method.

Every test here claims that two computations are the same function of the input (engine vs Captum,
one chunk size vs another, a batch vs each image, loop vs vmap). They run in float64, on float64
copies of the networks and inputs: float64 rounding is ~1e-16, so a tolerance of 1e-10 of the map's
scale still catches any real difference (a wrong class, step, baseline or hook changes maps by far
more), while float32 would fail on CPUs whose kernels round differently (AVX-512/AMX pick other
oneDNN paths, and the batch size changes the path: IG on the random ResNet differed by 2.2e-3 of
its scale between chunk sizes 1 and 1000 on one such machine).
"""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torchvision
from captum._utils.gradient import compute_layer_gradients_and_eval
from captum.attr import (
    GuidedBackprop,
    GuidedGradCam,
    InputXGradient,
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    Saliency,
)
from torch import nn

import var
from var.core.methods import make_baseline, make_method, smoothgrad_noise

TOL = 1e-10  # max abs difference relative to the map's scale, in float64 (rounding: ~1e-16)
# Captum multiplies IG's gradients by its step weights cast to float32 (6e-8 relative): in float64
# Captum's IG is 1.5e-8 off the exact Gauss-Legendre sum, so against Captum's IG we allow 1e-6.
CAPTUM_IG_TOL = 1e-6


def assert_same(mine, ref, tol=TOL):
    assert mine.shape == ref.shape, (mine.shape, ref.shape)
    assert mine.dtype == ref.dtype == (torch.float64 if tol <= CAPTUM_IG_TOL else torch.float32)  # tol fits dtype
    scale = ref.abs().max()
    assert scale > 0
    assert ((mine - ref).abs().max() / scale) <= tol


def per_class(fn, classes):
    return torch.cat([fn(c) for c in classes])


def cam_reference(model, x, c, size, mode="bilinear"):
    """GradCAM from Captum's per-class layer gradients, with the model's reshape (ViT tokens -> grid)."""
    (grads,), (acts,) = compute_layer_gradients_and_eval(model.module, model.gradcam_layer, x, target_ind=c)
    if model.reshape is not None:
        grads, acts = model.reshape(grads), model.reshape(acts)
    cam = torch.relu((grads.mean((2, 3), keepdim=True) * acts).sum(1, keepdim=True))
    return LayerAttribution.interpolate(cam, size, interpolate_mode=mode)


def references(model, x, classes, steps=8):
    net, size = model.module, tuple(x.shape[-2:])
    base = make_baseline(x, "blur")
    out = {
        "gradient": per_class(lambda c: Saliency(net).attribute(x, target=c, abs=False), classes),
        "input_x_gradient": per_class(lambda c: InputXGradient(net).attribute(x, target=c), classes),
        "guided_backprop": per_class(lambda c: GuidedBackprop(net).attribute(x, target=c), classes),
        "integrated_gradients": per_class(
            lambda c: IntegratedGradients(net).attribute(x, baselines=base, target=c, n_steps=steps), classes),
    }
    if model.reshape is None:  # Captum's LayerGradCam works on conv feature maps
        lgc = LayerGradCam(net, model.gradcam_layer)
        out["gradcam"] = per_class(lambda c: LayerAttribution.interpolate(
            lgc.attribute(x, target=c, relu_attributions=True), size, "bilinear"), classes)
        ggc = GuidedGradCam(net, model.gradcam_layer)
        out["guided_gradcam"] = per_class(lambda c: ggc.attribute(x, target=c, interpolate_mode="bilinear"), classes)
    else:
        out["gradcam"] = per_class(lambda c: cam_reference(model, x, c, size), classes)
        out["guided_gradcam"] = out["guided_backprop"] * out["gradcam"]
    return out


def check_all_methods(model, x, classes, tol=TOL):
    refs = references(model, x, classes)
    for method, ref in refs.items():
        opts = dict(steps=8) if method == "integrated_gradients" else {}
        for backward in ("loop", "vmap"):
            mine = var.attribute(model, x, classes, method, internal_batch_size=12, backward=backward, **opts)
            assert_same(mine, ref, max(tol, CAPTUM_IG_TOL) if method == "integrated_gradients" else tol)


def randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.integration
def test_lite0_all_methods_match_captum(lite0, chelsea):
    """The real-weight EfficientNet-Lite0 (TF padding, ReLU6), in float32 as users run it.

    float64 would take minutes here (no fast float64 depthwise kernels on CPU), so this one test
    uses a float32 tolerance from a measured noise floor: 1e-4 of the map's scale, against at most
    2e-7 measured on AVX2 (1.5e-7; 2.0e-7 with oneDNN limited to SSE4.1; 1.5e-7 with ATen's default
    kernels) and under 1e-5 on AVX-512/AMX. The float64 tests above hold the tight check.
    """
    check_all_methods(lite0, chelsea, [281, 282, 285, 967], tol=1e-4)


def test_small_resnet_all_methods_match_captum(small_resnet64):
    check_all_methods(small_resnet64, randn(1, 3, 64, 64, seed=1), [0, 3, 7])


def test_small_vit_all_methods_match_captum(small_vit64):
    x = randn(1, 3, 32, 32, seed=2)
    check_all_methods(small_vit64, x, [1, 2, 5, 9])
    # no ReLU modules in a ViT: Guided Backprop is the plain gradient (GELU is left alone)
    assert_same(var.attribute(small_vit64, x, [1, 2], "guided_backprop"), var.attribute(small_vit64, x, [1, 2]))


@pytest.mark.integration
def test_float32_chunking_differs_only_by_rounding(small_resnet):
    """What float32 gives users: chunk sizes agree to float32 rounding through a deep net's IG.

    1e-2 of the map's scale lies between the measured noise (2.2e-3 on an AVX-512/AMX CPU, 3.8e-7
    on AVX2, 1.0e-7 there with oneDNN off) and one IG step fewer (8.4e-2, asserted below).
    """
    x = randn(1, 3, 64, 64, seed=4).float()
    a = var.attribute(small_resnet, x, [1, 2, 3], "integrated_gradients", steps=10, internal_batch_size=1)
    b = var.attribute(small_resnet, x, [1, 2, 3], "integrated_gradients", steps=10, internal_batch_size=1000)
    assert a.dtype == torch.float32
    assert_same(a, b, tol=1e-2)
    c = var.attribute(small_resnet, x, [1, 2, 3], "integrated_gradients", steps=9)
    assert ((c - b).abs().max() / b.abs().max()) > 1e-2  # one step fewer is no rounding


@pytest.mark.integration
@pytest.mark.parametrize("base", ["gradient", "guided_backprop", "gradcam", "integrated_gradients"])
def test_smoothgrad_is_the_mean_over_the_same_noisy_copies(small_resnet64, base):
    x = randn(1, 3, 64, 64, seed=3)
    classes = [0, 4]
    noise = smoothgrad_noise(x, 4, 0.2, seed=7)
    opts = dict(steps=2, baseline=make_baseline(x)) if base == "integrated_gradients" else {}
    # the reference one noisy copy at a time, SmoothGrad's points in chunks of 3 maps
    expected = torch.stack([var.attribute(small_resnet64, x + n, classes, base, **opts) for n in noise]).mean(0)
    got = var.attribute(small_resnet64, x, classes, "smoothgrad", base=base, n_samples=4, noise_level=0.2, seed=7,
                        internal_batch_size=3, **opts)
    assert_same(got, expected)
    # and the per-point maps themselves are Captum's
    if base == "gradient":
        net = small_resnet64.module
        ref = torch.stack([per_class(lambda c: Saliency(net).attribute(x + n, target=c, abs=False), classes)
                           for n in noise]).mean(0)
        assert_same(got, ref)


@pytest.mark.integration
def test_internal_batch_size_does_not_change_maps(small_resnet64):
    x = randn(1, 3, 64, 64, seed=4)
    a = var.attribute(small_resnet64, x, [1, 2, 3], "integrated_gradients", steps=6, internal_batch_size=1)
    b = var.attribute(small_resnet64, x, [1, 2, 3], "integrated_gradients", steps=6, internal_batch_size=1000)
    assert_same(a, b)


@pytest.mark.integration
@pytest.mark.parametrize("method, options", [
    ("gradient", {}), ("contrastive_gradient", {}), ("input_x_gradient", {}), ("guided_backprop", {}),
    ("gradcam", {}), ("guided_gradcam", {}), ("integrated_gradients", {"steps": 3}),
    ("smoothgrad", {"n_samples": 3, "base": "input_x_gradient"})])
def test_batch_equals_each_image(small_resnet64, method, options):
    """(B, C, H, W) with one class set per image -> (B, |K|, C, H, W), each image's own result."""
    model, x = small_resnet64, randn(3, 3, 64, 64, seed=8)
    sets = [[1, 2], [7, 1], [0, 9]]
    # a chunk of 4 maps = 2 points: chunks straddle images
    batch = var.attribute(model, x, sets, method, internal_batch_size=4, **options)
    assert batch.shape[:2] == (3, 2)
    for b, classes in enumerate(sets):
        assert_same(batch[b], var.attribute(model, x[b:b + 1], classes, method, **options))
    shared = var.attribute(model, x, [1, 2], method, **options)  # one class set for all images
    assert_same(shared[1], var.attribute(model, x[1:2], [1, 2], method, **options))


@pytest.mark.integration
def test_ig_completeness(small_resnet):
    """IG attributions sum to S_c(x) - S_c(baseline) (Sundararajan et al. 2017)."""
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(5))
    classes = [2, 6]
    ig = var.attribute(small_resnet, x, classes, "integrated_gradients", steps=200, baseline="zero")
    with torch.no_grad():
        delta = small_resnet(x)[0, classes] - small_resnet(torch.zeros_like(x))[0, classes]
    torch.testing.assert_close(ig.sum((1, 2, 3)), delta, rtol=0.02, atol=1e-3)


@pytest.mark.integration
def test_contrastive_gradient_is_gradient_minus_expected_gradient(small_resnet64):
    model, x = small_resnet64, randn(1, 3, 64, 64, seed=6)
    grads = var.attribute(model, x, list(range(10)))
    with torch.no_grad():
        p = model(x).softmax(-1)[0]
    expected = grads - torch.einsum("j,j...->...", p, grads)
    assert_same(var.attribute(model, x, [3, 8], "contrastive_gradient"), expected[[3, 8]])


def test_captum_object_is_accepted(small_resnet64):
    model, x = small_resnet64, randn(1, 3, 64, 64, seed=9)
    got = var.attribute(model, x, [1, 2], InputXGradient(model.module))
    assert_same(got, var.attribute(model, x, [1, 2], "input_x_gradient"))
    cam = var.attribute(model, x, [1, 2], LayerGradCam(model.module, model.gradcam_layer))
    assert cam.shape == (2, 1, 64, 64)


def test_output_shapes(lite0, chelsea):
    assert var.attribute(lite0, chelsea, [1, 2, 3], "gradcam").shape == (3, 1, 224, 224)
    assert var.attribute(lite0, chelsea[0], [1, 2], "gradient").shape == (2, 3, 224, 224)


def test_methods_are_plans_of_points_and_weights():
    """What each method asks of the engine, read off its Plan without running a network."""

    x = randn(1, 3, 16, 16, seed=9).float()
    for name in var.METHODS:
        plan = make_method(name).plan(x, x)
        assert abs(float(plan.weights.sum()) - 1) < 1e-6, name  # an average over its points (IG: float32 weights)
        assert len(plan.weights) == len(plan.points), name
    assert make_method("gradcam").plan(x, x).target == "cam"
    assert make_method("guided_gradcam").plan(x, x).kind() == ("input", True, True, True)
    assert make_method("input_x_gradient").plan(x, x).scale is x
    ig = make_method("integrated_gradients", steps=4, baseline="zero").plan(x, x)
    assert len(ig.points) == 4
    path = ig.points[0:4]  # each point lies on the line from the baseline (0) to x, at a Gauss-Legendre node
    alphas = (path.flatten(1) @ x.flatten()) / float(x.flatten() @ x.flatten())
    assert torch.allclose(path, alphas.view(-1, 1, 1, 1) * x, atol=1e-6) and ((alphas > 0) & (alphas < 1)).all()
    assert torch.allclose(ig.scale[0:4], x.expand(4, -1, -1, -1))  # times x - baseline
    smooth = make_method("smoothgrad", base="integrated_gradients", steps=3, n_samples=5).plan(x, x)
    assert len(smooth.points) == 15  # a path of 3 steps for each of 5 noisy copies


X = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))


class Wrapped(nn.Module):
    def __init__(self, net, how):
        super().__init__()
        self.net, self.how = net, how

    def forward(self, x):
        out = self.net(x)
        return {"tuple": lambda: (out, out.detach()), "dict": lambda: {"logits": out},
                "object": lambda: SimpleNamespace(logits=out, hidden_states=None)}[self.how]()


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


@pytest.mark.parametrize("how", ["tuple", "dict", "object"])
def test_models_returning_tuples_dicts_or_logits_objects(small_resnet, how):
    net = Wrapped(small_resnet.module, how).eval()
    model = var.wrap_model(net, gradcam_layer=small_resnet.module.layer4, input_size=64)
    assert len(model.class_names) == 10
    for method in ("gradient", "gradcam", "contrastive_gradient"):
        torch.testing.assert_close(var.attribute(model, X, [1, 2], method), var.attribute(small_resnet, X, [1, 2],
                                                                                          method))


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


@pytest.mark.parametrize("inputs, classes, method, error", [
    ("not a tensor", [1, 2], "gradient", "torch.Tensor"),
    (torch.zeros(2, 3, 64, 64), [[1, 2], [1]], "gradient", "one size"),
    (torch.zeros(2, 3, 64, 64), [[1, 2]], "gradient", "one per image"),
    (torch.zeros(2, 3, 64, 64), [[1, 2], [3, 3]], "gradient", "duplicates"),
    (torch.zeros(64, 64), [1, 2], "gradient", r"\(B, C, H, W\)"),
    (torch.zeros(1, 3, 64, 64, dtype=torch.uint8), [1, 2], "gradient", "float"),
    (torch.full((1, 3, 64, 64), float("nan")), [1, 2], "gradient", "NaN"),
    (torch.zeros(1, 3, 64, 64), [1, 1], "gradient", "duplicates"),
    (torch.zeros(1, 3, 64, 64), [1, 10], "gradient", "out of range"),
    (torch.zeros(1, 3, 64, 64), [-1, 2], "gradient", "out of range"),
    (torch.zeros(1, 3, 64, 64), [], "gradient", "non-empty"),
    (torch.zeros(1, 3, 64, 64), [0.5, 1.5], "gradient", "class indices"),
    (torch.zeros(1, 3, 64, 64), [1, 2], "saliency", "Unknown method"),
])
def test_attribute_bad_input(small_resnet, inputs, classes, method, error):
    with pytest.raises((ValueError, TypeError), match=error):
        var.attribute(small_resnet, inputs, classes, method)


def test_attribute_bad_options(small_resnet):
    x = torch.zeros(1, 3, 64, 64)
    with pytest.raises(TypeError, match="unknown option"):
        var.attribute(small_resnet, x, [1, 2], "gradient", stepz=3)
    with pytest.raises(ValueError, match="baseline"):
        var.attribute(small_resnet, x, [1, 2], "integrated_gradients", baseline="gray")
    with pytest.raises(ValueError, match="SmoothGrad base"):
        var.attribute(small_resnet, x, [1, 2], "smoothgrad", base="smoothgrad")
    with pytest.raises(ValueError, match="needs a layer"):
        var.attribute(small_resnet.module, x, [1, 2], "gradcam")
