"""The cost and stage timers split time without changing what they time."""

import numpy as np

from var.benchmarks import cost
from var.benchmarks import pic as pic_module
from var.benchmarks.insertion_speed import _timed


def test_unit_costs_add_up():
    table = cost.unit_costs(["coco"])
    parts = table[table["part"] != "unit total"]
    total = table.loc[table["part"] == "unit total", "seconds"].item()
    assert np.isclose(parts["seconds"].sum(), total)
    methods = parts[parts["part"].str.startswith("attribution: ")]
    assert len(methods) == 6 and (methods["seconds"] > 0).all()


def test_stage_timer_times_and_restores():
    original = pic_module.webp_entropy
    img = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    with _timed(pic_module, {"entropy": "webp_entropy"}) as spent:
        value = pic_module.webp_entropy(img)
    assert pic_module.webp_entropy is original and value == original(img) and spent["entropy"] > 0
