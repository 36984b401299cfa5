"""An Explanation saved and loaded again; the model identity it records."""

import dataclasses
import json

import numpy as np
import pytest
import torch

import var
from var.core.explanation import _TENSORS

GEN = torch.Generator().manual_seed(0)


@pytest.fixture(scope="module")
def explanation(small_resnet):
    x = torch.randn(1, 3, 64, 64, generator=GEN)
    return var.explain(small_resnet, x, "gradient", "top_k", k=2,
                       settings=var.Relevance(temperature=0.3, tau=0.02, normalize="joint_max"))


def test_save_load_round_trips_exactly(explanation, tmp_path):
    path = explanation.save(tmp_path / "e")
    assert path.name == "e.npz"
    loaded = var.load_explanation(path)
    for f in dataclasses.fields(var.Explanation):
        ours, theirs = getattr(explanation, f.name), getattr(loaded, f.name)
        if f.name in _TENSORS:
            assert theirs.dtype == torch.float32 and torch.equal(theirs, ours), f.name
        else:
            assert theirs == ours, f.name
    assert loaded.normalize == "joint_max" and loaded.tau == 0.02 and loaded.model["name"] == "resnet18-small"
    assert torch.equal(loaded.masks, explanation.masks)  # derived properties follow


def test_float16_halves_the_file_and_stays_close(explanation, tmp_path):
    full = explanation.save(tmp_path / "full.npz")
    half = explanation.save(tmp_path / "half.npz", precision="float16")
    assert half.stat().st_size < 0.6 * full.stat().st_size
    loaded = var.load_explanation(half)
    scale = explanation.attributions.abs().max()
    assert (loaded.attributions - explanation.attributions).abs().max() <= 1e-3 * scale
    assert not torch.equal(loaded.attributions, explanation.attributions)  # float16 rounds: it is not float32


def test_load_refuses_what_save_did_not_write(tmp_path, explanation):
    with pytest.raises(FileNotFoundError, match="Explanation.save"):
        var.load_explanation(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not an explanation saved by Explanation.save"):
        var.load_explanation(tmp_path / "other.npz")
    path = explanation.save(tmp_path / "e.npz")
    with np.load(path) as data:
        arrays = dict(data)
    meta = json.loads(str(arrays["meta"]))
    meta["version"] = 99
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="version 99"):
        var.load_explanation(path)
    meta["version"] = 1
    del meta["signed"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="lacks signed"):
        var.load_explanation(path)
    with pytest.raises(ValueError, match="precision"):
        explanation.save(tmp_path / "x", precision="int8")


def test_a_file_of_var_0_2_loads_with_its_settings(tmp_path, explanation):
    """Version 1 (var 0.2) wrote temperature, tau, reduce_channels and normalize as fields of their own."""
    path = explanation.save(tmp_path / "e.npz")
    with np.load(path) as data:
        arrays = dict(data)
    meta = json.loads(str(arrays["meta"]))
    settings = meta.pop("settings")
    meta.update(version=1, **{k: settings[k] for k in ("temperature", "tau", "reduce_channels", "normalize")})
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    assert var.load_explanation(path).settings == explanation.settings.replace(warn_below=var.Relevance().warn_below)
    del meta["tau"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="lacks settings.tau"):  # never filled with today's default
        var.load_explanation(path)


def test_a_saved_explanation_runs_no_code_when_loaded(tmp_path, explanation):
    # An object array needs pickle to load; load_explanation refuses it instead of running it.
    path = explanation.save(tmp_path / "e.npz")
    with np.load(path) as data:
        arrays = dict(data)
    arrays["maps"] = np.array([object()], dtype=object)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="not an explanation"):
        var.load_explanation(path)


def test_identity_follows_the_weights(small_resnet):
    before = small_resnet.identity()
    assert before["weights_sha256"] == var.core.model.weights_fingerprint(small_resnet.module)
    other = var.wrap_model(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4)).eval(),
                           input_size=8)
    assert other.identity()["weights_sha256"] != before["weights_sha256"]
    weight = other.module[1].weight
    fingerprint = other.identity()["weights_sha256"]
    original = weight[0, 0].item()
    with torch.no_grad():
        weight[0, 0] = original + 1.0  # an in-place change must not be hidden by the cache
    assert other.identity()["weights_sha256"] != fingerprint
    with torch.no_grad():
        weight[0, 0] = original
    assert other.identity()["weights_sha256"] == fingerprint


def test_every_entry_takes_one_settings_value_and_the_loose_keywords_still_work(small_resnet):
    """explain, VAR and Quantus's explain_func: settings=Relevance(...), or (deprecated) the loose keywords."""
    from var.interop.quantus import explain_func

    x = torch.randn(1, 3, 64, 64, generator=GEN)
    settings = var.Relevance(temperature=0.3, tau=0.02, normalize="joint_max")
    loose = dict(temperature=0.3, tau=0.02, normalize="joint_max")
    calls = {
        "explain": lambda **kw: var.explain(small_resnet, x, "gradient", "top_k", k=2, **kw).maps,
        "VAR": lambda **kw: var.VAR(small_resnet, "gradient", k=2, **kw).attribute(x, target=0),
        "explain_func": lambda **kw: torch.from_numpy(explain_func(small_resnet.module, x.numpy(), [0],
                                                                    method="gradient", k=2, **kw)),
    }
    for where, call in calls.items():
        expected = call(settings=settings)
        with pytest.warns(DeprecationWarning, match=rf"{where}\(temperature=0.3, tau=0.02, normalize='joint_max'\)"):
            torch.testing.assert_close(call(**loose), expected, rtol=0, atol=0)
        with pytest.raises(TypeError, match="pass the VAR settings once"):
            call(settings=settings, tau=0.05)
    assert var.explain(small_resnet, x, "gradient", k=2, settings=settings).settings == settings
