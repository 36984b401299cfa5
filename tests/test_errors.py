"""Every bad input raises one clear error."""

import pytest
import torch

import var


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


def test_explain_bad_class_set(lite0):
    with pytest.raises(ValueError, match="class_set"):
        var.explain(lite0, "skimage:coffee", "gradient", "random")
    with pytest.raises(ValueError, match="classes="):
        var.explain(lite0, "skimage:coffee", "gradient", "predefined")
    with pytest.raises(ValueError, match="at least 2"):
        var.explain(lite0, "skimage:coffee", "gradient", "predefined", classes=[967])


def test_load_image_errors():
    with pytest.raises(FileNotFoundError, match="no file"):
        var.load_image("/nonexistent.jpg")
    with pytest.raises(ValueError, match="skimage.data has no image"):
        var.load_image("skimage:dog")
