"""The rules that choose the paper figures' examples, on constructed inputs of known answer."""

import pandas as pd
import pytest
import torch

from var.pages import paper_figures


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


def test_shared_shares_count_elements_both_classes_keep():
    maps = torch.zeros(3, 2, 4, 4)
    maps[0, 0, :2] = 1  # a keeps 8 elements
    maps[1, 0, :1] = -1  # b keeps 4 of them (a negative attribution is kept too) ...
    maps[1, 1] = 1  # ... and 16 more
    shares = paper_figures.shared_shares(maps)
    assert shares == {"both": pytest.approx(4 / 32), "of_own": [pytest.approx(4 / 8), pytest.approx(4 / 20)]}


def test_pair_settings_summary_names_the_least_alike_live_setting():
    settings = pd.DataFrame({"t": [0.1, 0.01, 1.0], "τ": [0.01, 0.05, 0.05], "cosine": [0.8, 0.3, 0.1],
                             "kept: a": [0.2, 0.05, 0.001], "kept: b": [0.4, 0.5, 0.2],
                             "kept by both": [0.2, 0.01, 0.0]})
    facts = paper_figures.pair_settings_summary(settings)
    assert facts["paper"]["cosine"] == 0.8 and facts["both_of_smaller"] == pytest.approx(1.0)
    assert facts["least_alike"][["t", "τ"]].tolist() == [0.01, 0.05]  # t = 1 is less alike but keeps < 1% of a
    assert facts["own"] == {"a": pytest.approx(0.8), "b": pytest.approx(0.98)}  # (0.05 - 0.01) / 0.05, ...
    assert paper_figures.pair_settings_summary(settings, min_kept=0.9)["least_alike"] is None
