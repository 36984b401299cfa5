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


def test_captum_objects_get_internal_batch_size_or_refuse_it(small_resnet):
    net = small_resnet.module
    ig = IntegratedGradients(net)
    a = var.attribute(net, X, [1, 2], ig, n_steps=8, internal_batch_size=3)  # passed on to Captum
    torch.testing.assert_close(a, var.attribute(net, X, [1, 2], ig, n_steps=8))
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
