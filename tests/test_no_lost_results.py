"""No command shrinks, recomputes or rewrites a finished table (issue: runs that can lose committed results)."""

import shutil

import pandas as pd
import pytest

from var.bench import main as bench_main
from var.benchmarks import BenchConfig, reference
from var.benchmarks.runner import _start, collect


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
    assert "nothing to do" in capsys.readouterr().out
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
