"""The batched engine equals Captum's per-class results, method by method."""

import pytest
import torch
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

import var
from var.methods import make_baseline, smoothgrad_noise

TOL = 1e-5  # max abs difference relative to the map's scale


def assert_same(mine, ref):
    assert mine.shape == ref.shape, (mine.shape, ref.shape)
    scale = ref.abs().max()
    assert scale > 0
    assert ((mine - ref).abs().max() / scale) <= TOL


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


def check_all_methods(model, x, classes):
    refs = references(model, x, classes)
    for method, ref in refs.items():
        opts = dict(steps=8) if method == "integrated_gradients" else {}
        for backward in ("loop", "vmap"):
            mine = var.attribute(model, x, classes, method, internal_batch_size=12, backward=backward, **opts)
            assert_same(mine, ref)


def test_lite0_all_methods_match_captum(lite0, chelsea):
    check_all_methods(lite0, chelsea, [281, 282, 285, 967])


def test_small_resnet_all_methods_match_captum(small_resnet):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    check_all_methods(small_resnet, x, [0, 3, 7])


def test_small_vit_all_methods_match_captum(small_vit):
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    check_all_methods(small_vit, x, [1, 2, 5, 9])
    # no ReLU modules in a ViT: Guided Backprop is the plain gradient (GELU is left alone)
    assert_same(var.attribute(small_vit, x, [1, 2], "guided_backprop"), var.attribute(small_vit, x, [1, 2]))


@pytest.mark.parametrize("base", ["gradient", "guided_backprop", "gradcam", "integrated_gradients"])
def test_smoothgrad_is_the_mean_over_the_same_noisy_copies(small_resnet, base):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    classes = [0, 4]
    noise = smoothgrad_noise(x, 4, 0.2, seed=7)
    # same chunking on both sides: a random net's maps can depend on the batch size at the 1e-3 level
    opts = dict(steps=4, baseline=make_baseline(x)) if base == "integrated_gradients" else {}
    opts["internal_batch_size"] = 3
    expected = torch.stack([var.attribute(small_resnet, x + n, classes, base, **opts) for n in noise]).mean(0)
    got = var.attribute(small_resnet, x, classes, "smoothgrad", base=base, n_samples=4, noise_level=0.2, seed=7, **opts)
    assert_same(got, expected)
    # and the per-point maps themselves are Captum's
    if base == "gradient":
        ref = torch.stack([per_class(lambda c: Saliency(small_resnet.module).attribute(x + n, target=c, abs=False),
                                     classes) for n in noise]).mean(0)
        assert_same(got, ref)


def test_internal_batch_size_does_not_change_maps(small_resnet):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    a = var.attribute(small_resnet, x, [1, 2, 3], "integrated_gradients", steps=10, internal_batch_size=1)
    b = var.attribute(small_resnet, x, [1, 2, 3], "integrated_gradients", steps=10, internal_batch_size=1000)
    assert_same(a, b)


@pytest.mark.parametrize("method, options", [
    ("gradient", {}), ("contrastive_gradient", {}), ("input_x_gradient", {}), ("guided_backprop", {}),
    ("gradcam", {}), ("guided_gradcam", {}), ("integrated_gradients", {"steps": 5}),
    ("smoothgrad", {"n_samples": 3, "base": "input_x_gradient"})])
def test_batch_equals_each_image(small_resnet, method, options):
    """(B, C, H, W) with one class set per image -> (B, |K|, C, H, W), each image's own result."""
    x = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(8))
    sets = [[1, 2], [7, 1], [0, 9]]
    # a chunk of 4 maps = 2 points: chunks straddle images
    batch = var.attribute(small_resnet, x, sets, method, internal_batch_size=4, **options)
    assert batch.shape[:2] == (3, 2)
    for b, classes in enumerate(sets):
        assert_same(batch[b], var.attribute(small_resnet, x[b:b + 1], classes, method, **options))
    shared = var.attribute(small_resnet, x, [1, 2], method, **options)  # one class set for all images
    assert_same(shared[1], var.attribute(small_resnet, x[1:2], [1, 2], method, **options))


def test_ig_completeness(small_resnet):
    """IG attributions sum to S_c(x) - S_c(baseline) (Sundararajan et al. 2017)."""
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(5))
    classes = [2, 6]
    ig = var.attribute(small_resnet, x, classes, "integrated_gradients", steps=200, baseline="zero")
    with torch.no_grad():
        delta = small_resnet(x)[0, classes] - small_resnet(torch.zeros_like(x))[0, classes]
    torch.testing.assert_close(ig.sum((1, 2, 3)), delta, rtol=0.02, atol=1e-3)


def test_contrastive_gradient_is_gradient_minus_expected_gradient(small_resnet):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(6))
    all_classes = list(range(10))
    grads = var.attribute(small_resnet, x, all_classes)
    with torch.no_grad():
        p = small_resnet(x).softmax(-1)[0]
    expected = grads - torch.einsum("j,j...->...", p, grads)
    assert_same(var.attribute(small_resnet, x, [3, 8], "contrastive_gradient"), expected[[3, 8]])


def test_captum_object_is_accepted(small_resnet):
    x = torch.randn(1, 3, 64, 64)
    got = var.attribute(small_resnet, x, [1, 2], InputXGradient(small_resnet.module))
    assert_same(got, var.attribute(small_resnet, x, [1, 2], "input_x_gradient"))
    cam = var.attribute(small_resnet, x, [1, 2], LayerGradCam(small_resnet.module, small_resnet.gradcam_layer))
    assert cam.shape == (2, 1, 64, 64)


def test_output_shapes(lite0, chelsea):
    assert var.attribute(lite0, chelsea, [1, 2, 3], "gradcam").shape == (3, 1, 224, 224)
    assert var.attribute(lite0, chelsea[0], [1, 2], "gradient").shape == (2, 3, 224, 224)
