"""Bring your own model: timm, Hugging Face and torchvision classifiers with random weights.

For each: the GradCAM layer and token grid are found automatically, the maps equal Captum's per-class
loop, and GradCAM maps have the input's size and are not empty.
"""

import pytest
import torch
from captum.attr import Saliency

import var


def check(model, classes=(0, 3), forward=None):
    x = torch.randn(1, 3, model.input_size, model.input_size, generator=torch.Generator().manual_seed(0))
    forward = forward or model.module
    ref = torch.cat([Saliency(forward).attribute(x, target=c, abs=False) for c in classes])
    got = var.attribute(model, x, list(classes), "gradient")
    assert ((got - ref).abs().max() / ref.abs().max()) <= 1e-5
    cam = var.attribute(model, x, list(classes), "gradcam")
    assert cam.shape == (len(classes), 1, model.input_size, model.input_size)
    assert torch.isfinite(cam).all() and cam.abs().sum() > 0
    return cam


@pytest.mark.integration
@pytest.mark.parametrize("name, layer, prefix", [
    ("resnet18", "layer4", None),
    ("convnext_atto", "stages.3", None),
    ("swin_tiny_patch4_window7_224", "layers.3", None),
    ("vit_tiny_patch16_224", "blocks.11.norm1", 1),
    ("deit_tiny_distilled_patch16_224", "blocks.11.norm1", 2),  # class + distillation token
])
def test_timm_models(name, layer, prefix):
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    net = timm.create_model(name, pretrained=False, num_classes=10).eval()
    model = var.from_timm(net)
    assert model.gradcam_layer is net.get_submodule(layer)
    if prefix is not None:
        assert model.reshape.keywords["prefix"] == prefix
    if name.startswith("swin"):
        assert model.reshape is var.models.adapters.channels_last_grid
    assert model.class_names == [f"class {i}" for i in range(10)]
    check(model)


@pytest.mark.integration
def test_timm_register_tokens():
    timm = pytest.importorskip("timm")
    net = timm.create_model("vit_small_patch14_reg4_dinov2", pretrained=False, num_classes=5, img_size=56).eval()
    model = var.from_timm(net)
    assert model.reshape.keywords["prefix"] == 5 and model.input_size == 56  # class + 4 registers
    check(model, (1, 2))


@pytest.mark.integration
def test_hugging_face_vit():
    transformers = pytest.importorskip("transformers")
    config = transformers.ViTConfig(image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=2,
                                    num_attention_heads=2, intermediate_size=64, num_labels=5,
                                    id2label={i: f"thing {i}" for i in range(5)},
                                    label2id={f"thing {i}": i for i in range(5)})
    torch.manual_seed(0)
    net = transformers.ViTForImageClassification(config).eval()
    model = var.from_hf(net)
    assert model.class_names == [f"thing {i}" for i in range(5)]
    layers = net.vit.encoder.layer if hasattr(net.vit, "encoder") else net.vit.layers  # transformers 4 / 5
    assert model.gradcam_layer is layers[-1].layernorm_before
    check(model, (1, 4), forward=lambda x: net(x).logits)
    e = var.explain(model, "skimage:coffee", "gradcam", "top_k", k=2)
    assert e.maps.shape == (3, 1, 64, 64)
    # Captum reads a tensor: its classes through var get the logits, and the usual lambda is accepted
    from captum.attr import Saliency

    x = model.prepare("skimage:coffee")
    ours = var.attribute(model, x, [1, 2], "captum:Saliency", abs=False)
    theirs = var.attribute(model, x, [1, 2], Saliency(lambda inputs: net(inputs).logits), abs=False)
    torch.testing.assert_close(ours, var.attribute(model, x, [1, 2], "gradient"), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(theirs, ours)


@pytest.mark.integration
@pytest.mark.parametrize("builder", ["mobilenet_v3_small", "vit_b_16"])
def test_torchvision_models(builder):
    import torchvision

    torch.manual_seed(0)
    net = getattr(torchvision.models, builder)(weights=None, num_classes=10).eval()
    if builder == "vit_b_16":
        torch.nn.init.normal_(net.heads.head.weight, std=0.01)  # torchvision zero-initialises the head
    model = var.from_torchvision(net)
    check(model)


def test_overrides_win():
    timm = pytest.importorskip("timm")
    net = timm.create_model("resnet18", pretrained=False, num_classes=10).eval()
    model = var.from_timm(net, gradcam_layer=net.layer3, class_names=list("abcdefghij"))
    assert model.gradcam_layer is net.layer3 and model.reshape is None and model.class_names[0] == "a"


# ---------------------------------------------------------------- layers that mean something, or a refusal
def hf_models():
    transformers = pytest.importorskip("transformers")
    small = dict(image_size=64, num_labels=5)
    vit_like = dict(small, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64)
    return {
        "swin": (transformers.SwinForImageClassification(transformers.SwinConfig(
            patch_size=4, embed_dim=16, depths=[1, 1], num_heads=[1, 2], window_size=4, **small)), "swin.layernorm", 0),
        "dinov2": (transformers.Dinov2ForImageClassification(transformers.Dinov2Config(**vit_like)),
                   "dinov2.encoder.layer.1.norm1", 1),
        "dinov2_registers": (transformers.Dinov2WithRegistersForImageClassification(
            transformers.Dinov2WithRegistersConfig(num_register_tokens=4, **vit_like)),
            "dinov2_with_registers.encoder.layer.1.norm1", 5),
    }


@pytest.mark.parametrize("name", ["swin", "dinov2", "dinov2_registers"])
def test_hugging_face_swin_and_dinov2_get_their_last_stage(name):
    torch.manual_seed(0)
    net, layer, prefix = hf_models()[name]
    model = var.from_hf(net.eval())
    # it picked a position-bias table (Swin) and the patch-embedding convolution (DINOv2) before
    assert model.gradcam_layer is net.get_submodule(layer) and model.reshape.keywords["prefix"] == prefix
    check(model, forward=lambda x: net(x).logits)


def test_a_spatial_output_before_token_outputs_is_refused():
    torch.manual_seed(0)
    net, _, _ = hf_models()["dinov2"]
    with pytest.raises(ValueError, match="not the last stage"):
        var.models.adapters.find_gradcam_layer(net.eval(), 64)  # its only 4-D output is the patch embedding


@pytest.mark.integration
@pytest.mark.parametrize("options, message", [
    (dict(num_classes=0), "headless"), (dict(global_pool=""), "classification head"),
    (dict(features_only=True), "not \\(batch, classes\\)"),
])
def test_timm_backbones_are_refused(options, message):
    timm = pytest.importorskip("timm")
    net = timm.create_model("resnet18", pretrained=False, **options).eval()
    with pytest.raises(ValueError, match=message):
        var.from_timm(net)


def test_a_given_layer_is_used_without_searching_and_grey_models_wrap():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.LazyLinear(3)).eval()
    net(torch.zeros(1, 1, 32, 32))  # a grey-image model (one input channel)
    identity = lambda x: x
    model = var.wrap_model(net, preprocess=identity, unnormalize=identity, input_size=32, gradcam_layer=net[1])
    assert len(model.class_names) == 3
    flat = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 2)).eval()  # no spatial layer to find
    given = torch.nn.Identity()
    net2 = torch.nn.Sequential(given, flat).eval()
    wrapped = var.from_torchvision(net2, gradcam_layer=given, input_size=2)
    assert wrapped.gradcam_layer is given


# ---------------------------------------------------------------- preprocessed as the hub does
PHOTO = (512, 300)  # non-square: where a centre crop and a squash differ


@pytest.mark.integration
@pytest.mark.parametrize("name", ["resnet18", "vit_tiny_patch16_224"])
def test_timm_preprocessing_is_timms_own(name):
    timm_data = pytest.importorskip("timm.data")
    photo = var.load_image("skimage:astronaut").resize(PHOTO)
    net = pytest.importorskip("timm").create_model(name, pretrained=False, num_classes=10).eval()
    hub = timm_data.create_transform(**timm_data.resolve_model_data_config(net), is_training=False)(photo)
    model = var.from_timm(net)
    assert (model.prepare(photo)[0] - hub).abs().max() <= 1e-6  # was 1.32 (ResNet-18) and 0.45 (ViT-tiny)
    torch.testing.assert_close(model.normalize(model.unnormalize(hub)), hub, atol=1e-5, rtol=0)


@pytest.mark.parametrize("given", [True, False])
def test_hugging_face_preprocessing_is_the_processors(given):
    transformers = pytest.importorskip("transformers")
    photo = var.load_image("skimage:astronaut").resize(PHOTO)
    if given:  # a ConvNeXt processor: shortest edge, then a centre crop
        net = transformers.ConvNextForImageClassification(transformers.ConvNextConfig(
            hidden_sizes=[8, 16], depths=[1, 1], num_stages=2, num_labels=5, image_size=64)).eval()
        processor = transformers.ConvNextImageProcessor(size={"shortest_edge": 64}, crop_pct=0.875)
        model = var.from_hf(net, processor=processor)
    else:  # a random ViT has no checkpoint: ViT's processor rule, a squash to the square size
        net = transformers.ViTForImageClassification(transformers.ViTConfig(
            image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
            intermediate_size=64, num_labels=5)).eval()
        processor = transformers.ViTImageProcessor(size={"height": 64, "width": 64})
        model = var.from_hf(net)
    hub = processor(images=photo, return_tensors="pt")["pixel_values"][0]
    assert model.input_size == 64 and (model.prepare(photo)[0] - hub).abs().max() <= 1e-6  # was 1.96
