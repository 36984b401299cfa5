"""var.quantus.explain_func inside Quantus metrics of every family, and var's RA against Quantus' own."""

import numpy as np
import pytest
import torch

import var
from var.benchmarks.metrics import blur_positive, localisation

quantus = pytest.importorskip("quantus")

X = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(0))


@pytest.fixture(autouse=True)
def numpy_seed():
    """Seed NumPy's global RNG for each test and restore it after.

    Quantus draws its perturbations and subsets from that legacy global RNG, so without a seed a score
    depends on which tests ran before (one full run met a failure here).
    """
    state = np.random.get_state()  # noqa: NPY002  (the RNG Quantus uses)
    np.random.seed(0)  # noqa: NPY002
    yield
    np.random.set_state(state)  # noqa: NPY002


@pytest.fixture(scope="module")
def batch(small_resnet):
    x = X.numpy()
    y = small_resnet.logits(X).argmax(-1).numpy()
    masks = np.zeros((3, 1, 64, 64), dtype=bool)
    masks[:, :, :32, :32] = True  # the top-left quadrant as the "object"
    return x, y, masks


def explain_kwargs(small_resnet, method="guided_backprop"):
    return {"method": method, "var_model": small_resnet, "class_set": "top_k", "k": 3}


def test_explain_func_is_var(small_resnet, batch):
    x, y, _ = batch
    got = var.quantus.explain_func(small_resnet.module, x, y, **explain_kwargs(small_resnet))
    explainer = var.VAR(small_resnet, "guided_backprop", "top_k", k=3)
    expected = explainer.attribute(torch.as_tensor(x), target=y.tolist()).sum(1, keepdim=True).numpy()
    assert got.shape == (3, 1, 64, 64) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("metric", [
    lambda: quantus.Sparseness(disable_warnings=True),  # complexity
    lambda: quantus.MaxSensitivity(nr_samples=2, disable_warnings=True),  # robustness
    lambda: quantus.FaithfulnessCorrelation(nr_runs=8, subset_size=512, return_aggregate=False,
                                            disable_warnings=True),  # faithfulness
    lambda: quantus.RelevanceMassAccuracy(disable_warnings=True),  # localisation
], ids=["Sparseness", "MaxSensitivity", "FaithfulnessCorrelation", "RelevanceMassAccuracy"])
def test_quantus_metrics_run_on_var_maps(small_resnet, batch, metric):
    # Not RandomLogit: it explains a random other class, whose VAR map is empty (the point of VAR), and
    # Quantus refuses all-zero explanations (see var.quantus).
    x, y, masks = batch
    scores = metric()(model=small_resnet.module, x_batch=x, y_batch=y, a_batch=None, s_batch=masks,
                      explain_func=var.quantus.explain_func, explain_func_kwargs=explain_kwargs(small_resnet),
                      device="cpu")
    assert len(scores) == 3 and np.isfinite(np.asarray(scores, dtype=float)).all()


def test_var_region_attribution_equals_quantus_relevance_mass(small_resnet, batch):
    """Both are the map's mass inside the region over its total: fed var's blurred positive map, they agree.

    (var's RA first sums channels, keeps the positive part and blurs, as the paper; Quantus takes the map as
    given and normalises by its maximum, which leaves the ratio unchanged.)
    """
    x, y, masks = batch
    maps = var.VAR(small_resnet, "gradcam", "top_k", k=3).attribute(torch.as_tensor(x), target=y.tolist())
    blurred = blur_positive(maps)
    ours = [localisation(b, torch.as_tensor(m[0]))["ra"] for b, m in zip(blurred, masks)]
    theirs = quantus.RelevanceMassAccuracy(disable_warnings=True)(
        model=small_resnet.module, x_batch=x, y_batch=y, a_batch=blurred.unsqueeze(1).numpy(), s_batch=masks)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
