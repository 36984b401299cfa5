"""The engine's memory bounds (points built chunk by chunk), under a probe."""

import pytest

PROBE = """
import resource, numpy as np, torch, var
from torch import nn
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                    nn.Linear(8, 4)).eval()
x = torch.randn(1, 3, 224, 224)

def extra_peak_mib(run):  # how far the process's peak memory rises above all earlier peaks
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024

ig = lambda steps: var.attribute(net, x, [0, 1], "integrated_gradients", steps=steps, internal_batch_size=4)
sg = lambda n: var.attribute(net, x, [0, 1], "smoothgrad", n_samples=n, internal_batch_size=4)
ig(50), sg(50)
model = var.wrap_model(net)
strip = np.zeros((1, 10000, 3), dtype=np.uint8)
print(extra_peak_mib(lambda: ig(1000)), extra_peak_mib(lambda: sg(1000)), extra_peak_mib(lambda: model.prepare(strip)))
"""


@pytest.mark.integration
def test_internal_batch_size_and_prepare_bound_memory():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    ig, sg, strip = (float(v) for v in out.split())
    # unbounded, 1000 IG steps held 2 x 1000 images (~1.2 GB), 1000 SmoothGrad samples ~0.6 GB and the strip ~3 GB
    assert ig < 60 and sg < 60 and strip < 60, out
