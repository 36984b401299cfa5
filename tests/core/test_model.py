"""The model protocol: training mode, threads sharing a model, and a model left as it was."""

import threading
import warnings

import pytest
import torch
import torchvision
from torch import nn

import var


def tiny_resnet(train: bool):
    torch.manual_seed(0)
    net = torchvision.models.resnet18(weights=None, num_classes=10)
    net.fc = nn.Sequential(nn.Dropout(0.5), net.fc)
    return net.train(train)


def buffers(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


X = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))


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


@pytest.mark.integration
def test_library_methods_beside_var_in_threads_leave_the_model_and_the_maps_intact(small_resnet):
    """Zennit swaps the network's parameters while it runs, var's Score-CAM hooks a layer: in four threads beside
    var's own methods every map equals the sequential one and no weight is lost.
    """
    from concurrent.futures import ThreadPoolExecutor

    pytest.importorskip("zennit")
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    before = {name: t.clone() for name, t in small_resnet.module.state_dict().items()}
    methods = ["zennit:EpsilonPlusFlat", "gradient", "scorecam", "gradcam"] * 3
    expected = {m: var.attribute(small_resnet, x, [1, 2], m) for m in set(methods)}
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda m: var.attribute(small_resnet, x, [1, 2], m), methods))
    for method, maps in zip(methods, got):
        torch.testing.assert_close(maps, expected[method], msg=method)
    after = small_resnet.module.state_dict()
    assert all(torch.equal(after[name], t) for name, t in before.items())
