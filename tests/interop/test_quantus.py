"""var.interop.quantus.explain_func inside Quantus metrics of every family, and var's RA against Quantus' own."""

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
    got = var.interop.quantus.explain_func(small_resnet.module, x, y, **explain_kwargs(small_resnet))
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
@pytest.mark.integration
def test_quantus_metrics_run_on_var_maps(small_resnet, batch, metric):
    # RandomLogit: see the next test.
    x, y, masks = batch
    scores = metric()(model=small_resnet.module, x_batch=x, y_batch=y, a_batch=None, s_batch=masks,
                      explain_func=var.interop.quantus.explain_func, explain_func_kwargs=explain_kwargs(small_resnet),
                      device="cpu")
    assert len(scores) == 3 and np.isfinite(np.asarray(scores, dtype=float)).all()


@pytest.mark.integration
def test_random_logit_refuses_empty_maps_as_zeros_and_reports_nan_with_empty_nan(small_resnet, batch):
    # RandomLogit explains a random other class, whose VAR map is empty here (the point of VAR)
    x, y, _ = batch
    kwargs = {**explain_kwargs(small_resnet), "settings": var.Relevance(warn_below=None)}
    metric = quantus.RandomLogit(num_classes=10, seed=0, disable_warnings=True)
    with pytest.raises(AssertionError, match="all equal to zero"):
        metric(model=small_resnet.module, x_batch=x, y_batch=y, a_batch=None, device="cpu",
               explain_func=var.interop.quantus.explain_func, explain_func_kwargs=kwargs)
    scores = metric(model=small_resnet.module, x_batch=x, y_batch=y, a_batch=None, device="cpu",
                    explain_func=var.interop.quantus.explain_func, explain_func_kwargs={**kwargs, "empty": "nan"})
    assert len(scores) == 3 and np.isnan(scores).any()  # "no value" for the empty maps, not a crash
    with pytest.raises(ValueError, match="empty"):
        var.interop.quantus.explain_func(small_resnet.module, x, y, **kwargs, empty="none")


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


def test_var_grid_scoring_equals_quantus_focus(small_resnet, small_resnet64, imagenet_sample):
    """var's grid pointing game and Quantus Focus (Arias-Duart et al. 2022) score a mosaic alike.

    Both take the positive part of the map and divide its mass in the target's quadrants by its total.
    Intentional differences (see var.benchmarks.grid): var's grids hold four distinct classes, one
    target quadrant each, and var sums channels and blurs before scoring; Focus mosaics hold the
    target twice. Fed var's blurred map and the same quadrants, the two agree, for one quadrant and two.
    """
    from var.benchmarks.grid import make_grid

    spec = [(str(path), q) for q, (path, _) in enumerate(var.benchmarks.data.imagenet_items(imagenet_sample)[:4])]
    x, quadrants = make_grid(small_resnet64, spec, "half")
    x = x.double()
    maps = var.attribute(small_resnet64, x, [0, 1, 2, 3], "input_x_gradient")  # signed, spread: a scoring test
    blurred = blur_positive(maps).double()
    focus = quantus.Focus(disable_warnings=True)
    for positions in [(1, 0, 0, 0), (0, 0, 1, 0), (1, 0, 0, 1)]:
        region = sum(quadrants[q].int() for q, on in enumerate(positions) if on).bool()
        target = positions.index(1)
        ours = localisation(blurred[target], region)["ra"]
        theirs = focus(model=small_resnet.module, x_batch=x.float().numpy(), y_batch=np.array([target]),
                       a_batch=blurred[target][None, None].numpy(), custom_batch=[positions])
        np.testing.assert_allclose(theirs, [ours], rtol=1e-7)  # Focus adds 1e-9 to the total


@pytest.mark.integration
def test_var_randomisation_and_similarity_equal_quantus_mprt(small_resnet, batch):
    """Quantus MPRT (Adebayo et al. 2018) on VAR maps: var randomises layers in the same order and its
    similarity gives the same Spearman correlations on the same randomised networks.

    Intentional differences (see var.benchmarks.sanity): var re-initialises the last *fraction* of the
    layers at once, not every layer in turn, draws each layer from its own seed (Quantus re-seeds every
    layer alike) and by default from a Gaussian matched to the layer's weights; its main measure
    ranks magnitudes (``spearman_abs``). Empty VAR maps (likely on a randomised network) go to Quantus
    as NaN (``empty="nan"``): MPRT then runs and reports NaN, as var's own similarity does.
    """
    from quantus.functions.similarity_func import correlation_spearman
    from quantus.helpers.model.pytorch_model import PyTorchModel

    from var.benchmarks.metrics import similarity
    from var.benchmarks.sanity import parametrised_layers

    x, y = batch[0][:2], batch[1][:2]
    kwargs = {"method": "gradient", "k": 2, "settings": var.Relevance(normalize="joint_max", warn_below=None),
              "empty": "nan"}
    mprt = quantus.MPRT(similarity_func=correlation_spearman, abs=False, normalise=False, seed=1,
                        disable_warnings=True)
    scores = mprt(model=small_resnet.module, x_batch=x, y_batch=y, a_batch=None, batch_size=1, device="cpu",
                  explain_func=var.interop.quantus.explain_func, explain_func_kwargs=kwargs)
    layers = list(scores)[1:]
    assert layers == parametrised_layers(small_resnet.module)[::-1]  # output side first, as var's randomised()

    def explain(net):  # image by image, as MPRT with batch_size=1 (a batch may round float32 differently)
        return [var.interop.quantus.explain_func(net, x[i:i + 1], y[i:i + 1], **kwargs)[0] for i in range(len(x))]

    original = explain(small_resnet.module)
    generator = PyTorchModel(small_resnet.module, channel_first=True).get_random_layer_generator("top_down", seed=1)
    finite = []
    for i, (name, randomised) in enumerate(generator):
        if i % 4 and i != len(layers) - 1:  # every fourth network of the cascade, and the fully random one
            continue
        perturbed = explain(randomised)
        ours = [similarity(torch.from_numpy(a), torch.from_numpy(b))["spearman"] for a, b in zip(original, perturbed)]
        np.testing.assert_allclose(scores[name], ours, rtol=1e-6, atol=1e-9, err_msg=name)
        finite += np.isfinite(ours).tolist()
    assert np.mean(finite) > 0.5  # most randomised maps are not empty: the comparison is not vacuous


@pytest.mark.integration
def test_quantus_evaluate_runs_var_under_its_own_name(small_resnet, batch):
    """quantus.evaluate passes its dict key as method=: the bound explainer ignores it and explains with var's."""
    x, y, _ = batch
    f = var.interop.quantus.explainer("gradcam", var_model=small_resnet, k=2,
                                      settings=var.Relevance(normalize="joint_max", warn_below=None))
    results = quantus.evaluate(metrics={"Sparseness": quantus.Sparseness(disable_warnings=True)},
                               xai_methods={"VAR": f}, model=small_resnet.module, x_batch=x, y_batch=y,
                               explain_func_kwargs={}, call_kwargs={"0": {}})
    direct = quantus.Sparseness(disable_warnings=True)(model=small_resnet.module, x_batch=x, y_batch=y, a_batch=None,
                                                       explain_func=f, explain_func_kwargs={}, device="cpu")
    np.testing.assert_allclose(results["VAR"]["Sparseness"], direct)
    assert np.isfinite(direct).all()


@pytest.mark.integration
def test_mprt_with_var_model_follows_quantus_randomised_copy(small_resnet, batch):
    """MPRT randomises a copy of the network; the GradCAM layer is found in the copy by its qualified name."""
    x, y = batch[0][:2], batch[1][:2]
    f = var.interop.quantus.explainer("guided_gradcam", var_model=small_resnet, k=2, empty="nan",
                                      settings=var.Relevance(normalize="joint_max", warn_below=None))
    from quantus.functions.similarity_func import correlation_spearman

    # batches of two: with one image, Quantus's Spearman of an empty (NaN) map is a float it cannot index
    mprt = quantus.MPRT(similarity_func=correlation_spearman, abs=False, normalise=False, seed=1, skip_layers=True,
                        disable_warnings=True)  # skip_layers: the fully randomised copy only (one network, fast)
    scores = mprt(model=small_resnet.module, x_batch=x, y_batch=y, a_batch=None, batch_size=2, device="cpu",
                  explain_func=f, explain_func_kwargs={})
    values = np.concatenate([np.asarray(v, dtype=float) for v in scores.values()])
    assert np.isfinite(values).all()  # numbers, not a refusal or all NaN
    copy = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 64 * 64, 10))
    with pytest.raises(ValueError, match="has no module"):  # not a copy of the wrapped network
        var.interop.quantus.following(small_resnet, copy)
