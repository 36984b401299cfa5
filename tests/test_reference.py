"""The committed reference runs: complete, with provenance, and reproducible by the code as it is now."""

import io
import json

import pandas as pd
import pytest

from var.benchmarks import reference
from var.benchmarks.runner import summarize

NAMES = list(reference.REFERENCE)


@pytest.mark.parametrize("name", NAMES)
def test_reference_run_is_committed_at_its_size(name):
    ref = reference.load(name)
    assert ref is not None, f"results/reference/{name} is missing: run 'python -m var.bench reference {name}'"
    wanted = reference.REFERENCE[name].validate().resolved()
    assert ref["config"].same_run(wanted) and ref["config"].n >= wanted.n
    assert ref["config"].ig_steps == 50
    prov = ref["provenance"]
    assert prov["sessions"] and prov["wall_s_total"] > 0
    for session in prov["sessions"]:
        assert {"commit", "date", "machine", "torch", "threads", "wall_s", "command"} <= set(session)
    # the summary is the table's summary (nothing edited by hand), through the same CSV round trip
    again = pd.read_csv(io.StringIO(summarize(ref["table"]).to_csv(index=False)))
    pd.testing.assert_frame_equal(again, ref["summary"], check_exact=False, rtol=1e-9)


def test_reference_sizes():
    grid, coco, ins, sanity, intervention = (reference.load(n)["table"] for n in NAMES)
    assert grid["unit"].nunique() >= 250
    assert reference.load("coco")["config"].n >= 128  # every COCO128 image tried
    assert coco["unit"].nunique() >= 80  # those with an object kept by the paper's filters
    assert ins[ins["metric"] == "sic"]["unit"].nunique() >= 50  # images that passed PIC's filters
    assert sanity["unit"].nunique() >= 50
    assert intervention["unit"].nunique() >= 50


@pytest.mark.parametrize("name", NAMES)
def test_first_unit_reproduces(name):
    committed, fresh = reference.rerun_first_unit(name)
    assert len(committed) == len(fresh) > 0
    extra = sorted(set(committed.columns) - set(fresh.columns))  # columns only other units fill (curves)
    assert committed[extra].isna().all().all() and set(fresh.columns) <= set(committed.columns)
    committed = committed.drop(columns=extra)
    columns = list(committed.columns)
    fresh = fresh[columns]
    if "curve" in columns:  # insertion: curve points as JSON text, compared as numbers
        for a, b in zip(committed.pop("curve"), fresh.pop("curve")):
            pd.testing.assert_frame_equal(pd.DataFrame(json.loads(a)), pd.DataFrame(json.loads(b)), rtol=1e-5)
    pd.testing.assert_frame_equal(committed, fresh, check_dtype=False, check_exact=False, rtol=1e-5, atol=1e-6)
