import copy
import dataclasses

import pytest
import torch
import torchvision

import var

torch.set_num_threads(min(2, torch.get_num_threads()))


def in_double(model):
    """A float64 copy of a wrapped model (its GradCAM layer the copy's own).

    Equality tests run here: float64 rounding (~1e-16) cannot hide a real difference between two
    computations, and no CPU's float32 kernel choice (AVX2, AVX-512, AMX; batch-size-dependent
    oneDNN paths) can make them fail.
    """
    module = copy.deepcopy(model.module).double()
    layer = None
    if model.gradcam_layer is not None:
        name = next(n for n, m in model.module.named_modules() if m is model.gradcam_layer)
        layer = module.get_submodule(name)
    return dataclasses.replace(model, module=module, gradcam_layer=layer)


@pytest.fixture(scope="session")
def lite0():
    return var.load_model("efficientnet_lite0")


@pytest.fixture(scope="session")
def chelsea(lite0):
    return lite0.prepare("skimage:chelsea")


@pytest.fixture(scope="session")
def small_resnet():
    torch.manual_seed(0)
    net = torchvision.models.resnet18(weights=None, num_classes=10).eval()
    return var.wrap_model(net, name="resnet18-small", gradcam_layer=net.layer4, input_size=64)


@pytest.fixture(scope="session")
def small_vit():
    torch.manual_seed(0)
    net = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                               hidden_dim=32, mlp_dim=64, num_classes=10).eval()
    torch.nn.init.normal_(net.heads.head.weight)  # torchvision initialises it to zero
    return var.wrap_model(net, name="vit-small", gradcam_layer=net.encoder.layers[-1].ln_1,
                          reshape=var.models.preprocessing.vit_token_grid, input_size=32)


@pytest.fixture(scope="session")
def imagenet_sample():
    from var.benchmarks.data import find_data

    try:
        return find_data("imagenet-sample")
    except FileNotFoundError as err:
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def small_resnet64(small_resnet):
    return in_double(small_resnet)


@pytest.fixture(scope="session")
def small_vit64(small_vit):
    return in_double(small_vit)
