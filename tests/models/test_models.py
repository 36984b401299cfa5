import glob

import pytest
import torch
import torchvision

import var
from var.models.efficientnet_lite import ReLU6


def top(model, image, n=3):
    p = model.predict(model.prepare(image))[0]
    return [model.class_names[i] for i in p.topk(n).indices]


def test_lite0_knows_cats_and_espresso(lite0):
    assert {"tiger cat", "Egyptian cat", "tabby"} & set(top(lite0, "skimage:chelsea"))
    assert top(lite0, "skimage:coffee", 1) == ["espresso"]


def test_lite0_relu6_counts_as_relu_for_guided_backprop(lite0):
    relus = [m for m in lite0.module.modules() if isinstance(m, torch.nn.ReLU)]
    assert relus and all(isinstance(m, ReLU6) for m in relus)
    x = torch.linspace(-3, 9, 13)
    torch.testing.assert_close(relus[0](x), x.clamp(0, 6))


@pytest.mark.integration
def test_lite_family_loads_strictly_with_its_resolution():
    for name, size in [("efficientnet_lite1", 240), ("efficientnet_lite2", 260)]:
        m = var.load_model(name)
        assert m.input_size == size and m.prepare("skimage:coffee").shape == (1, 3, size, size)


@pytest.mark.slow
def test_lite0_top1_on_imagenet_sample(lite0, imagenet_sample):
    files = sorted(glob.glob(str(imagenet_sample / "*.JPEG")))
    assert len(files) == 1000
    correct = 0
    for start in range(0, len(files), 100):
        batch = torch.stack([lite0.preprocess(var.load_image(f)) for f in files[start:start + 100]])
        with torch.no_grad():
            pred = lite0.module(batch).argmax(-1)
        correct += (pred == torch.arange(start, start + len(batch))).sum().item()
    assert correct / len(files) >= 0.85


@pytest.mark.integration
@pytest.mark.parametrize("name", ["resnet50", "vit_b_16", "vgg16", "densenet121", "wide_resnet50_2",
                                  "convnext_tiny"])
def test_torchvision_architectures_with_random_weights(name):
    m = var.load_model(name, weights=None)
    assert m.gradcam_layer is not None and len(m.class_names) == 1000
    x = torch.randn(1, 3, 224, 224)
    cam = var.attribute(m, x, [0, 1], "gradcam")
    assert cam.shape == (2, 1, 224, 224) and torch.isfinite(cam).all()
    if name == "vit_b_16":
        assert m.reshape is var.models.preprocessing.vit_token_grid


@pytest.mark.integration
def test_local_checkpoint_path(tmp_path):
    net = torchvision.models.resnet50(weights=None)
    torch.save(net.state_dict(), tmp_path / "r50.pth")
    m = var.load_model("resnet50", weights=tmp_path / "r50.pth")
    torch.testing.assert_close(m.module.fc.weight, net.fc.weight)


def test_missing_weights_offline_gives_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # empty cache

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(var.WeightsUnavailableError, match="weights=<path>"):
        var.load_model("resnet50")


def test_unknown_model_name():
    with pytest.raises(ValueError, match="efficientnet_lite0"):
        var.load_model("resnet51")


def test_vit_token_grid():
    tokens = torch.arange(2 * 5 * 3, dtype=torch.float32).view(2, 5, 3)  # class token + 2x2 patches, dim 3
    grid = var.models.preprocessing.vit_token_grid(tokens)
    assert grid.shape == (2, 3, 2, 2)
    torch.testing.assert_close(grid[1, :, 0, 1], tokens[1, 2])
    with pytest.raises(ValueError, match="square"):
        var.models.preprocessing.vit_token_grid(torch.zeros(1, 4, 3))


@pytest.mark.integration
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
