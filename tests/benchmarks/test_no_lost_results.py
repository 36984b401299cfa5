"""No command shrinks, recomputes or rewrites a finished table (issue: runs that can lose committed results)."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from var.bench import main as bench_main
from var.benchmarks import BenchConfig
from var.benchmarks.runner import _start, collect, data_identity, resolved, validate
from var.report import reference


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def committed_copy(name, tmp_path):
    folder = tmp_path / name
    shutil.copytree(reference.ROOT / name, folder, ignore=shutil.ignore_patterns("parts", "results.csv"))
    return folder


def test_a_smaller_n_is_refused_before_anything_is_written(tmp_path, capsys):
    folder = committed_copy("coco", tmp_path)
    before = snapshot(folder)
    assert bench_main(["coco", "--n", "1", "--out", str(folder)]) == 2
    assert "would shrink its table" in capsys.readouterr().err
    assert snapshot(folder) == before


@pytest.mark.integration
def test_a_table_without_parts_gets_them_back_and_loses_no_unit(tmp_path):
    folder = committed_copy("intervention", tmp_path)
    committed = pd.read_parquet(folder / "results.parquet")
    config = BenchConfig.from_json((folder / "config.json").read_text())
    _start(config, folder)  # what a resumed or extended run does first
    units = sorted(committed["unit"].unique())
    assert len(list((folder / "parts").glob("*.parquet"))) == len(units)
    pd.testing.assert_frame_equal(collect(folder, units), committed)


def test_reference_leaves_a_complete_run_alone(tmp_path, capsys):
    folder = committed_copy("intervention", tmp_path)
    before = snapshot(folder)
    reference.run_reference(["intervention"], root=tmp_path)
    assert "nothing to run" in capsys.readouterr().out
    assert snapshot(folder) == before


def test_reference_with_other_data_fails_before_recording_a_session(tmp_path):
    folder = committed_copy("intervention", tmp_path)
    (folder / "provenance.json").write_text(
        (folder / "provenance.json").read_text().replace('"finished": true', '"finished": false'))  # resumable
    before = snapshot(folder)
    with pytest.raises(ValueError, match="another configuration"):
        reference.run_reference(["intervention"], root=tmp_path, data=str(tmp_path))
    assert snapshot(folder) == before


def test_a_cut_provenance_is_named(tmp_path):
    folder = committed_copy("intervention", tmp_path)
    text = (folder / "provenance.json").read_text()
    (folder / "provenance.json").write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="provenance.json is not valid JSON"):
        reference.load("intervention", tmp_path)


# ---------------------------------------------------------------- configuration drift
@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("ig_steps"), "lacks ig_steps"),  # never filled with today's default
    (lambda d: d.update(temprature=0.2), "has unknown temprature"),
])
def test_an_edited_config_is_refused_before_anything_is_written(tmp_path, capsys, edit, message):
    folder = committed_copy("intervention", tmp_path)
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))
    before = snapshot(folder)
    assert bench_main(["intervention", "--n", "50", "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert message in err and "config.json" in err and len(err.strip().splitlines()) == 1
    assert snapshot(folder) == before


def test_var_data_pointing_nowhere_is_an_error_not_a_fallback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VAR_DATA", str(tmp_path / "nowhere"))
    assert bench_main(["grid", "--n", "1", "--out", str(tmp_path / "run")]) == 2
    assert "$VAR_DATA" in capsys.readouterr().err and not (tmp_path / "run").exists()


def test_a_run_records_the_data_it_read_and_refuses_other_data(tmp_path, imagenet_sample, capsys):
    config = resolved(validate(BenchConfig("grid", n=1, methods=("gradcam",))))
    _start(config, tmp_path)  # config.data is None (found automatically): data.json says which folder
    recorded = json.loads((tmp_path / "data.json").read_text())
    assert recorded["folder"] == str(imagenet_sample.resolve()) and recorded["files"] == 1000
    assert recorded == data_identity(config)
    recorded["fingerprint"] = "0" * 16  # as if the folder now held other images
    (tmp_path / "data.json").write_text(json.dumps(recorded))
    before = snapshot(tmp_path)
    assert bench_main(["grid", "--n", "2", "--methods", "gradcam", "--out", str(tmp_path)]) == 2
    assert "holds other data" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_a_stale_summary_is_reported_and_rewritten_only_when_asked(tmp_path, capsys):
    folder = committed_copy("intervention", tmp_path)
    (folder / "summary.csv").write_text("stale\n")  # as if the summary rule had changed
    before = snapshot(folder)
    reference.run_reference(["intervention"], root=tmp_path)
    assert "--refresh-summaries" in capsys.readouterr().out and snapshot(folder) == before
    reference.run_reference(["intervention"], root=tmp_path, refresh_summaries=True)
    assert (folder / "summary.csv").read_bytes() == (reference.ROOT / "intervention" / "summary.csv").read_bytes()
    assert (folder / "results.parquet").read_bytes() == before[Path("results.parquet")]


@pytest.mark.integration
def test_a_run_can_be_extended_to_a_larger_n(tmp_path, imagenet_sample):
    args = ["grid", "--methods", "gradcam", "--option", "scan=40", "--option", "cell=half", "--out", str(tmp_path)]
    assert bench_main(args + ["--n", "1"]) == 0
    first = __import__("pandas").read_parquet(tmp_path / "results.parquet")
    assert bench_main(args + ["--n", "2"]) == 0
    table = __import__("pandas").read_parquet(tmp_path / "results.parquet")
    assert sorted(table.unit.unique()) == [0, 1]
    __import__("pandas").testing.assert_frame_equal(table[table.unit == 0].reset_index(drop=True), first)
