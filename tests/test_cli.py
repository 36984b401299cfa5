"""The CLI: every subcommand checks its input first and fails in one line with exit status 2."""

import os
import time

import pytest
import torch

import var
from var.bench import main as bench_main


@pytest.fixture
def no_model(monkeypatch):
    """Any attempt to load a model fails the test: bad input must be refused before."""
    from var.benchmarks import base

    def refuse(name):
        raise AssertionError("the model was loaded before the options were checked")

    monkeypatch.setattr(base, "get_model", refuse)


@pytest.mark.parametrize("args, message", [
    (["--tau", "2"], "tau"), (["--temperature", "0"], "temperature"), (["--ig-steps", "0"], "ig_steps"),
    (["--methods", "gradientz"], "gradientz"), (["--model", "resnet-50"], "resnet-50"), (["--n", "0"], "n must"),
    (["--n", "-1"], "n must"), (["--methods", "gradcam", "gradcam"], "more than once"), (["--threads", "0"], "threads"),
    (["--data", "/nonexistent"], "/nonexistent"),
    (["--internal-batch-size", "0"], "internal_batch_size"),
    (["--option", "confidence=2"], "confidence"), (["--option", "cell=quarter"], "cell"),
    (["--temperature", "nan"], "finite"), (["--shard", "3/2"], "shard"),
])
def test_cli_refuses_bad_input_before_loading_anything(tmp_path, capsys, no_model, args, message):
    start = time.perf_counter()
    assert bench_main(["grid", "--out", str(tmp_path / "run")] + args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith("var-bench: error:") and "Traceback" not in err and "\n" not in err
    assert not (tmp_path / "run").exists()  # no config.json that would block the corrected rerun
    assert time.perf_counter() - start < 5


def test_cli_bad_out_folders(tmp_path, capsys, no_model):
    (tmp_path / "file").write_text("x")
    assert bench_main(["grid", "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "config.json").write_text("{not json")
    assert bench_main(["grid", "--out", str(tmp_path / "corrupt")]) == 2
    assert "not a readable run configuration" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to read-only folders")
def test_cli_read_only_folder(tmp_path, capsys, no_model):
    (tmp_path / "ro").mkdir(mode=0o500)
    assert bench_main(["grid", "--out", str(tmp_path / "ro" / "run")]) == 2
    assert "writable" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["speed", "--classes", "0"], "--classes"), (["speed", "--repeats", "0"], "--repeats"),
    (["speed", "--steps", "0"], "--steps"),  # it used to run forever
    (["speed", "--internal-batch-size", "0"], "--internal-batch-size"),
    (["speed", "--device", "cuda:7" if torch.cuda.is_available() else "cuda"], "--device"),
    (["speed", "--device", "gpu"], "not a torch device"), (["speed", "--out", "/dev/null/x"], "/dev/null is a file"),
    (["speed", "--classes", "x"], "invalid int"),
    (["insertion-speed", "--image", "missing.jpg"], "missing.jpg"),
    (["cost", "--out", "/dev/null/x"], "/dev/null is a file"), (["cost", "--out", ""], "empty path"),
    (["machine", "--foo"], "unrecognized"), (["reference", "nope"], "nope"),
    (["grid", "--out", ""], "empty path"), (["grid", "--out", "/dev/null/x"], "/dev/null is a file"),
    (["grid", "--dask", "local:0", "--out", "{tmp}/run"], "at least one worker"),  # it used to hang
    (["grid", "--dask", "local:x", "--out", "{tmp}/run"], "local:N"),
    (["grid", "--dask", "local:1", "--shards", "0", "--out", "{tmp}/run"], "--shards"),
    (["grid", "--model", "resnet50", "--out", "{tmp}/run"], "resnet50"),  # offline: weights absent (or cached)
])
def test_every_subcommand_fails_in_one_line(tmp_path, capsys, args, message):
    from var.bench import main as bench_main
    from var.models.zoo import check_weights_available

    if "resnet50" in args:
        try:
            check_weights_available("resnet50")
            pytest.skip("resnet50's weights are cached on this machine")
        except var.models.zoo.WeightsUnavailableError:
            pass
    assert bench_main([a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and "\n" not in err, err
    assert err.startswith("var-bench") and not (tmp_path / "run").exists()


@pytest.mark.integration
def test_a_damaged_image_among_the_data_is_named(tmp_path, imagenet_sample, capsys):
    from var.bench import main as bench_main

    data = tmp_path / "imagenet-sample"
    data.mkdir()
    for f in sorted(imagenet_sample.glob("*.JPEG")):  # every image cut short: whichever is read first is named
        (data / f.name).write_bytes(f.read_bytes()[:2000])
    assert bench_main(["grid", "--n", "1", "--methods", "gradcam", "--data", str(tmp_path),
                       "--out", str(tmp_path / "run")]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress bar: one line
    assert last.startswith("var-bench: error: load_image: " + str(data)) and ".JPEG is damaged" in last, last


def test_methods_measure_never_writes_its_provenance_over_the_timings(tmp_path):
    from var.report.catalogue import main

    with pytest.raises(ValueError, match=r"\.csv file"):  # timings.json would be overwritten by its provenance
        main(["--measure", "--out", str(tmp_path / "timings.json")])
    (tmp_path / "timings.json").write_text("{}")
    with pytest.raises(ValueError, match="timings.json exists"):  # nor an earlier run's provenance
        main(["--measure", "--out", str(tmp_path / "timings.csv")])
