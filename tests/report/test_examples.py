"""The pages' readings of their drawn examples say what the numbers say."""

import pytest

from var.report.examples import NEGLIGIBLE, intervention_reading


def _results(vanilla, var):
    def one(selectivities):
        return {"scores": [{"selectivity": s} for s in selectivities]}
    return {"vanilla": one(vanilla), "VAR": one(var)}


@pytest.mark.parametrize("vanilla, var, says", [
    ((0.30, 0.10), (0.50, 0.30), "VAR is more selective"),
    ((0.30, 0.10), (0.05, 0.05), "VAR is less selective"),
    ((0.30, 0.10), (0.21, 0.20), f"VAR changes it by less than {NEGLIGIBLE}"),
    ((0.01, -0.2), (0.0, 0.01), "neither map is selective"),
])
def test_intervention_reading(vanilla, var, says):
    line = intervention_reading("cat", ["tabby", "tiger cat"], _results(vanilla, var))
    assert says in line and "tabby vs tiger cat" in line
    assert f"vanilla {sum(vanilla) / 2:+.3f}, VAR {sum(var) / 2:+.3f}" in line
