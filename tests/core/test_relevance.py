import warnings

import matplotlib
import pytest
import torch
from torch import nn

import var
from var import Relevance, relevance, spatial_softmax


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_softmax_sums_to_one_over_classes():
    m = spatial_softmax(rand(5, 3, 8, 8))
    torch.testing.assert_close(m.sum(0), torch.ones(3, 8, 8))


def test_two_classes_are_symmetric():
    h = rand(2, 3, 6, 6)
    out, m = relevance(h, return_softmax=True)
    out_swapped, m_swapped = relevance(h.flip(0), return_softmax=True)
    torch.testing.assert_close(out_swapped, out.flip(0))
    torch.testing.assert_close(m[0], 1 - m[1])
    # with |K| = 2 a location is kept for exactly one class (or neither when tied)
    kept = (out != 0)
    assert not (kept[0] & kept[1]).any()


def test_larger_tau_keeps_a_subset():
    h = rand(4, 3, 16, 16)
    prev = None
    for tau in [0.0, 0.01, 0.05, 0.2, 0.5, 0.9]:
        kept = relevance(h, Relevance(tau=tau)) != 0
        if prev is not None:
            assert not (kept & ~prev).any()
        prev = kept
    assert prev.sum() < (relevance(h, Relevance(tau=0.0)) != 0).sum()


def test_large_temperature_gives_empty_map():
    assert (relevance(rand(4, 3, 8, 8), Relevance(temperature=1e6)) == 0).all()


def test_uniform_and_zero_inputs_give_zeros():
    for h in [torch.zeros(3, 2, 4, 4), torch.full((3, 2, 4, 4), 7.5), torch.full((5, 4), -2.0)]:
        out = relevance(h, Relevance(tau=0.0))
        assert torch.isfinite(out).all() and (out == 0).all()


def test_hand_computed_2x2_example():
    # two classes, one channel, 2x2 pixels; t = 1, tau = 0.01
    h = torch.tensor([[[[1.0, 0.0], [-2.0, 0.5]]],
                      [[[0.0, 0.0], [1.0, 0.5]]]])
    e = torch.exp(torch.tensor(1.0))
    m_top_left = e / (e + 1)            # |1| vs |0|
    m_bottom_left = e**2 / (e**2 + e)   # |-2| vs |1|
    out, m = relevance(h, Relevance(temperature=1.0, tau=0.01), return_softmax=True)
    torch.testing.assert_close(m[0, 0], torch.tensor([[m_top_left, 0.5], [m_bottom_left, 0.5]]))
    expected0 = torch.tensor([[1.0 * m_top_left, 0.0], [-2.0 * m_bottom_left, 0.0]])
    torch.testing.assert_close(out[0, 0], expected0)
    torch.testing.assert_close(out[1, 0], torch.zeros(2, 2))  # class 1 never beats chance by tau


def test_stable_for_tiny_temperature_and_huge_values():
    h = rand(3, 3, 8, 8) * 1e30
    out, m = relevance(h, Relevance(temperature=1e-4), return_softmax=True)
    assert torch.isfinite(out).all() and torch.isfinite(m).all()
    torch.testing.assert_close(m.sum(0), torch.ones(3, 8, 8))
    # t -> 0 makes M one-hot at the largest magnitude
    winner = h.abs().argmax(0)
    assert (m.argmax(0) == winner).all() and (m.amax(0) > 0.999).all()


def test_joint_max_normalisation_makes_temperature_scale_free():
    h = rand(3, 3, 8, 8)
    a = relevance(h, Relevance(normalize="joint_max"))
    b = relevance(h * 1e-4, Relevance(normalize="joint_max"))
    torch.testing.assert_close(b, a * 1e-4)
    # unnormalised, the same t means something else at another scale
    assert not torch.allclose(relevance(h * 1e-4) * 1e4, relevance(h))


def test_reduce_channels_shares_one_mask_per_pixel():
    h = rand(4, 3, 8, 8)
    out, m = relevance(h, Relevance(reduce_channels="sum"), return_softmax=True)
    assert m.shape == (4, 1, 8, 8)
    kept = out != 0
    assert (kept.all(1) | ~kept.any(1)).all()  # all channels of a pixel kept, or none
    assert kept.any()
    m_direct = torch.softmax(h.abs().sum(1, keepdim=True) / 0.1, dim=0)
    torch.testing.assert_close(m, m_direct)


@pytest.mark.parametrize("attributions, error", [
    (torch.zeros(1, 3, 4, 4), "at least two"),
    (torch.zeros(4), "no location axis"),
    (torch.zeros(2, 4, dtype=torch.int64), "floating"),
    (torch.tensor([[1.0, float("nan")], [0.0, 1.0]]), "NaN or Inf"),
    (torch.tensor([[1.0, float("inf")], [0.0, 1.0]]), "NaN or Inf"),
])
def test_bad_attributions_raise(attributions, error):
    with pytest.raises((ValueError, TypeError), match=error):
        relevance(attributions)


@pytest.mark.parametrize("kwargs, error", [
    (dict(temperature=0.0), "temperature"),
    (dict(temperature=-1.0), "temperature"),
    (dict(temperature="0.1"), "temperature must be a number"),
    (dict(tau=1.0), "tau"),
    (dict(tau=-0.1), "tau"),
    (dict(reduce_channels="mean"), "reduce_channels"),
    (dict(normalize="l2"), "normalize"),
    (dict(warn_below=2.0), "warn_below"),
])
def test_bad_settings_raise_where_the_value_is_made(kwargs, error):
    with pytest.raises((ValueError, TypeError), match=error):
        Relevance(**kwargs)


def test_the_settings_value_is_the_papers_by_default_and_applies_itself():
    h = torch.randn(3, 2, 6, 6, generator=torch.Generator().manual_seed(5))
    assert (Relevance().temperature, Relevance().tau) == (var.core.protocol.TEMPERATURE, var.core.protocol.TAU)
    settings = Relevance(temperature=0.5, tau=0.02, normalize="joint_max")
    torch.testing.assert_close(settings(h), relevance(h, settings), rtol=0, atol=0)
    assert settings.replace(tau=0.05) == Relevance(0.5, 0.05, normalize="joint_max")
    assert Relevance(**settings.as_dict()) == settings
    with pytest.raises(TypeError, match="must be a var.Relevance"):
        relevance(h, {"temperature": 0.5})


@pytest.mark.parametrize("call", [
    lambda h: relevance(h, 0.5, 0.02),
    lambda h: relevance(h, temperature=0.5, tau=0.02),
    lambda h: relevance(h, 0.5, tau=0.02),
])
def test_loose_settings_still_work_with_a_deprecation_naming_the_value(call):
    h = torch.randn(3, 2, 6, 6, generator=torch.Generator().manual_seed(5))
    with pytest.warns(DeprecationWarning, match=r"settings=var\.Relevance\(temperature=0\.5, tau=0\.02\)"):
        got = call(h)
    torch.testing.assert_close(got, relevance(h, Relevance(0.5, 0.02)), rtol=0, atol=0)


def test_settings_given_twice_or_unknown_keywords_are_refused():
    h = torch.randn(3, 2, 6, 6)
    with pytest.raises(TypeError, match="pass the VAR settings once"):
        relevance(h, Relevance(), tau=0.02)
    with pytest.raises(TypeError, match="unexpected keyword argument.*'temprature'"):
        relevance(h, temprature=0.5)


def test_a_batch_is_taken_image_by_image():
    """(B, |K|, C, H, W) from var.attribute on a batch: the softmax runs over classes, never over images."""
    h = torch.randn(3, 4, 2, 5, 5, generator=torch.Generator().manual_seed(3))
    maps, m = relevance(h, Relevance(0.5, 0.02), return_softmax=True)
    torch.testing.assert_close(m.sum(1), torch.ones(3, 2, 5, 5))
    for b in range(3):
        torch.testing.assert_close(maps[b], relevance(h[b], Relevance(0.5, 0.02)))
        torch.testing.assert_close(m[b], spatial_softmax(h[b], 0.5))
    assert var.kept_share(maps).shape == (3, 4)


def test_per_image_class_sets_keep_the_batch_axis_for_one_image(small_resnet):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    one = var.attribute(small_resnet, x, [[1, 2]], "gradient")
    assert one.shape == (1, 2, 3, 64, 64)  # as for B = 3: a data loader's last batch of one keeps its axis
    torch.testing.assert_close(one[0], var.attribute(small_resnet, x, [1, 2], "gradient"))
    assert var.attribute(small_resnet, x, torch.tensor([[1, 2]]), "gradient").shape == (1, 2, 3, 64, 64)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_low_precision_maps_are_decided_in_float32(dtype):
    h = rand(3, 3, 8, 8, seed=5).clamp(-2, 2) * 3e4  # each |H| < 65504, their channel sum overflows float16
    got, m = relevance(h.to(dtype), Relevance(0.1, 0.01, reduce_channels="sum"), return_softmax=True)
    assert got.dtype == dtype and m.dtype == torch.float32 and torch.isfinite(m).all()
    expected = relevance(h.to(dtype).float(), Relevance(0.1, 0.01, reduce_channels="sum"))
    assert torch.equal(got != 0, expected != 0)  # the same keep decisions as in float32


matplotlib.use("Agg")


GEN = torch.Generator().manual_seed(0)


H = torch.randn(3, 3, 16, 16, generator=GEN, dtype=torch.float64)


def sparse_warnings(fn) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if issubclass(w.category, var.SparseMapWarning)]


@pytest.mark.parametrize("temperature", [1e-30, 1e-45, 5e-324])
def test_a_tiny_temperature_gives_a_one_hot_softmax_not_nan(temperature):
    h = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    m = var.spatial_softmax(h, temperature)
    assert torch.isfinite(m).all()
    torch.testing.assert_close(m, nn.functional.one_hot(h.abs().argmax(0), 3).movedim(-1, 0).float())
    assert torch.isfinite(var.relevance(h, var.Relevance(temperature))).all()


def test_tiny_attributions_warn_with_their_scale_and_the_options_that_help():
    messages = sparse_warnings(lambda: var.relevance(H * 1e-4))  # gradients' scale: M ~ 1/|K| at t = 0.1
    assert len(messages) == 1
    assert "kept 0.00% of the locations" in messages[0] and "largest |H| 0.000" in messages[0]
    assert "smaller temperature" in messages[0] and "joint_max" in messages[0]
    # the options it names do help: joint_max keeps a lot of the same attributions, silently
    assert not sparse_warnings(lambda: var.relevance(H * 1e-4, var.Relevance(normalize="joint_max")))
    assert not sparse_warnings(lambda: var.relevance(H * 1e-4, var.Relevance(temperature=1e-5)))


def test_one_class_keeping_nothing_is_vars_answer_not_a_warning():
    h = H.clone()
    h[2] *= 1e-3  # class 2 loses every location (as top_k's least probable class usually does)
    maps = var.relevance(h, var.Relevance(warn_below=None))
    assert not maps[2].any() and maps[:2].any()
    assert not sparse_warnings(lambda: var.relevance(h))


def test_a_batch_names_the_first_sparse_image_and_counts_the_rest():
    batch = torch.stack([H, H * 1e-4, H * 1e-4])
    [message] = sparse_warnings(lambda: var.relevance(batch))
    assert message.startswith("image 1 (and 1 more): ")


def test_warn_below_none_silences_and_maps_are_unchanged():
    assert not sparse_warnings(lambda: var.relevance(H * 1e-4, var.Relevance(warn_below=None)))
    quiet = var.relevance(H * 1e-4, var.Relevance(warn_below=None))
    torch.testing.assert_close(quiet, torch.zeros_like(H), rtol=0, atol=0)
    with pytest.raises(ValueError, match="warn_below"):
        var.Relevance(warn_below=2.0)


def test_maps_that_keep_plenty_do_not_warn():
    assert not sparse_warnings(lambda: var.relevance(H))
