"""The cost and stage timers split time without changing what they time."""

import numpy as np
import pytest

from var.benchmarks import pic as pic_module
from var.perf import cost
from var.perf.insertion_speed import _timed

pytestmark = pytest.mark.integration  # runs a reference unit of every benchmark


def test_unit_costs_time_every_method_inside_the_unit():
    from var.benchmarks.reference import REFERENCE

    table = cost.unit_costs(["coco"])
    methods = table[table["part"].str.startswith("attribution: ")]
    assert set(methods["part"].str.removeprefix("attribution: ")) == set(REFERENCE["coco"].methods)
    assert (methods["seconds"] > 0).all()
    rest = table.loc[table["part"].str.startswith("rest"), "seconds"].item()
    assert rest >= 0  # each method's timer runs inside the unit's: the parts never exceed the whole


def test_cost_never_replaces_committed_timings(tmp_path):
    (tmp_path / "units.csv").write_text("benchmark,unit,part,seconds\n")
    with pytest.raises(SystemExit, match="already holds timings"):
        cost.main(["--out", str(tmp_path), "--benchmarks", "grid"])
    assert (tmp_path / "units.csv").read_text() == "benchmark,unit,part,seconds\n"


def test_stage_timer_times_and_restores():
    original = pic_module.webp_entropy
    img = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    with _timed(pic_module, {"entropy": "webp_entropy"}) as spent:
        value = pic_module.webp_entropy(img)
    assert pic_module.webp_entropy is original and value == original(img) and spent["entropy"] > 0
