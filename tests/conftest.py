import pytest
import torch
import torchvision

import var

torch.set_num_threads(min(2, torch.get_num_threads()))


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
                          reshape=var.models.vit_token_grid, input_size=32)


@pytest.fixture(scope="session")
def imagenet_sample():
    from var.datasets import find_data

    try:
        return find_data("imagenet-sample")
    except FileNotFoundError as err:
        pytest.skip(str(err))
