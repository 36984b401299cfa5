"""The rules that choose the paper figures' examples, on constructed inputs of known answer."""

import pandas as pd
import pytest
import torch

from var.report import paper_figures


def test_typical_grid_is_the_median_gain_not_the_best():
    rows = []
    for unit, gain in enumerate([0.5, 0.1, 0.3, -0.2, 0.2]):  # sorted: -0.2, 0.1, 0.2, 0.3, 0.5
        for method in ("a", "b"):
            rows += [{"unit": unit, "method": method, "metric": "ra", "var": False, "item": 0, "value": 0.3},
                     {"unit": unit, "method": method, "metric": "ra", "var": True, "item": 0, "value": 0.3 + gain}]
    rows.append({"unit": 0, "method": "c", "metric": "ra", "var": True, "item": 0, "value": -9.0})  # not chosen
    assert paper_figures.typical_grid(pd.DataFrame(rows), ("a", "b")) == 4


def test_shared_concepts_are_locations_both_classes_keep():
    maps = torch.zeros(3, 2, 2, 2)
    maps[0, 0, 0, 0] = maps[1, 0, 0, 0] = 1.0  # one element kept by both: shared
    maps[0, 0, 1, 1] = maps[1, 1, 1, 1] = 1.0  # one pixel, but each class keeps another channel of it
    maps[2, 0, 1, 0] = maps[0, 0, 1, 0] = 1.0  # the third class is not one of the pair
    assert paper_figures.shared_concepts(maps).tolist() == [[True, False], [False, False]]


@pytest.mark.integration
def test_close_pair_refuses_when_no_candidate_qualifies(lite0):
    items = [("skimage:coffee", 0)]
    with pytest.raises(ValueError, match="raise candidates or lower min_kept"):
        paper_figures.close_pair(lite0, items, "gradient", candidates=1, min_kept=1.01)


def test_shared_reading_counts_elements_both_classes_keep():
    import torch

    from var.report.paper_figures import shared_reading

    maps = torch.zeros(3, 2, 4, 4)
    maps[0, 0, :2] = 1  # a keeps 8 elements
    maps[1, 0, :1] = -1  # b keeps 4 of them (a negative attribution is kept too) ...
    maps[1, 1] = 1  # ... and 16 more
    assert shared_reading(maps, ["a", "b", "c"]).startswith(
        "Both classes keep 12.5% of the elements (channel and pixel): 50% of what a keeps, 20% of what b keeps.")


def test_pair_settings_reading_names_the_least_alike_live_setting():
    import pandas as pd

    from var.report.paper_figures import pair_settings_reading

    settings = pd.DataFrame({"t": [0.1, 0.01, 1.0], "τ": [0.01, 0.05, 0.05], "cosine": [0.8, 0.3, 0.1],
                             "kept: a": [0.2, 0.05, 0.001], "kept: b": [0.4, 0.5, 0.2],
                             "kept by both": [0.2, 0.01, 0.0]})
    text = pair_settings_reading(settings)
    assert text.startswith("At the paper's setting (t = 0.1, τ = 0.01) the two VAR maps have cosine 0.80, and 100%")
    assert "t = 0.01, τ = 0.05 (cosine 0.30; kept 5.0%, 50.0%)" in text  # t = 1 is less alike but keeps < 1% of a
    assert "other class does not keep, over the grid: a 80%, b 98%" in text  # (0.05 - 0.01) / 0.05, (0.5 - 0.01) / 0.5
