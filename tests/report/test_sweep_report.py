"""The sweep's report and the choices' tables on constructed sweep tables of known truth."""

import numpy as np
import pandas as pd
import pytest

from var.benchmarks.sweep import PAPER_SETTING
from var.report import choices, sweep

METHODS = ("gradcam", "guided_backprop")
OTHER = {"temperature": 1.0, "tau": 0.0, "scale": "raw", "softmax": "element"}


def _rows(unit, method, variant, var, value, metric="ra", **setting):
    return {"unit": unit, "item": 0, "model": "m", "method": method, "var": var, "variant": variant,
            "target": 1, "binarize": "none", "metric": metric, "value": value,
            **{k: setting.get(k, np.nan) for k in PAPER_SETTING}}


def constructed(n=12, seed=0):
    """VAR at the paper's setting = vanilla + 0.2, at the other setting + 0.1; matched = vanilla + 0.1;
    random K = VAR - 0.05; CGI above VAR by 0.3; noise sd 0.01 per unit."""
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(n):
        for method in (*METHODS, "input_x_gradient", "contrastive_gradient"):
            base = 0.4 + rng.normal(0, 0.01)
            paper = base + 0.2 + rng.normal(0, 0.01)
            rows += [_rows(unit, method, "vanilla", False, base),
                     _rows(unit, method, "var", True, paper, **PAPER_SETTING),
                     _rows(unit, method, "var", True, base + 0.1, **OTHER),
                     _rows(unit, method, "matched", False, base + 0.1),
                     _rows(unit, method, "random_k", True, paper - 0.05, **PAPER_SETTING),
                     _rows(unit, method, "var", True, 0.1, metric="kept", **PAPER_SETTING),
                     _rows(unit, method, "var", True, 0.3, metric="kept", **OTHER)]
        rows.append(_rows(unit, "cgi", "vanilla", False, 0.95))
    return pd.DataFrame(rows)


def test_settings_summary_and_where_the_papers_setting_sits():
    summary = sweep.settings_summary(constructed(), "ra", methods=METHODS)
    avg = summary[summary["method"] == "average"].set_index("temperature")
    assert avg.loc[0.1, "diff"] == pytest.approx(0.2, abs=0.01) and avg.loc[1.0, "diff"] == pytest.approx(0.1, abs=0.01)
    assert avg.loc[0.1, "kept"] == pytest.approx(0.1) and avg.loc[0.1, "n"] == 12
    where = sweep.sensitivity(summary)
    assert where["rank"] == 1 and where["settings"] == 2 and where["better"] == 0
    assert sweep.sensitivity(summary, higher_is_better=False)["rank"] == 2


def test_controls_give_the_constructed_verdicts():
    table = sweep.controls({"grid": constructed(), "coco": None}, methods=(*METHODS, "input_x_gradient"))
    verdict = dict(zip(table["claim"], table["verdict"]))
    assert verdict["VAR localises better than the vanilla map kept to VAR's sparsity (its largest |H|)"] == "holds"
    assert verdict["VAR localises better with the relevant classes in K than with random ones"] == "holds"
    assert verdict["VAR on input x gradient localises better than CGI (competition among labels)"] == "does not hold"
    assert verdict["VAR localises better than the contrastive gradient"] == "holds"
    assert set(table["on"]) == {"grid"}
    assert sweep.controls({"grid": None}).empty


def test_upsampling_reads_both_modes():
    table = constructed()
    extra = []
    for unit in range(12):
        extra += [_rows(unit, "guided_gradcam", "vanilla", False, 0.5), _rows(unit, "guided_gradcam", "var", True,
                                                                               0.7 + unit * 1e-3, **PAPER_SETTING),
                  _rows(unit, "guided_gradcam", "nearest", False, 0.5), _rows(unit, "guided_gradcam", "nearest", True,
                                                                              0.4 + unit * 1e-3, **PAPER_SETTING)]
    out = choices.upsampling(pd.concat([table, pd.DataFrame(extra)]))
    assert out["VAR - vanilla"].tolist() == pytest.approx([0.2055, -0.0945])  # + mean(unit) x 1e-3
    assert out["verdict"].tolist() == ["holds", "does not hold"]


def sanity_like(n=10, seed=1):
    """Sanity rows (lower is better, fraction 0 ignored): VAR 0.3 below vanilla, matched 0.1 below VAR (so VAR
    does not beat it); K = top 1 is 0.05 above the benchmark's K, K = top 5 equal within noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(n):
        for method in METHODS:
            for fraction in (0.0, 0.5, 1.0):
                base = 1.0 if fraction == 0 else 0.6 + rng.normal(0, 0.01)
                var = base if fraction == 0 else base - 0.3
                for variant, is_var, value, setting in (
                        ("vanilla", False, base, {}), ("var", True, var, PAPER_SETTING),
                        ("matched", False, var - 0.1, {}), ("random_k", True, var + 0.2, PAPER_SETTING),
                        ("class_set", True, var + 0.05, {**PAPER_SETTING, "class_set": "top1"}),
                        ("class_set", True, var + rng.normal(0, 0.01), {**PAPER_SETTING, "class_set": "top5"})):
                    for metric, v in (("spearman_abs", value), ("kept", 0.1)):
                        row = _rows(unit, method, variant, is_var, v, metric=metric, **setting)
                        rows.append({**row, "fraction": fraction, "class_set": setting.get("class_set")})
    return pd.DataFrame(rows).drop(columns="binarize")


def test_sanity_controls_and_class_sets_read_lower_as_better():
    table = sweep.controls({"sanity": sanity_like()}, methods=METHODS)
    verdict = dict(zip(table["claim"], table["verdict"]))
    assert not any("CGI" in claim for claim in verdict)  # the sanity sweep has no CGI
    matched = [c for c in verdict if "kept to VAR's sparsity" in c][0]
    assert verdict[matched] == "does not hold"  # matched loses more similarity than VAR
    assert verdict[[c for c in verdict if "random ones" in c][0]] == "holds"
    sets = sweep.class_set_table(sanity_like(), "sanity", methods=METHODS).set_index("class set")
    assert sets.loc["top1", "better than K"] == "no" and sets.loc["top1", "gradcam"] == pytest.approx(0.05)
    assert sets.loc["top5", "n"] == 10
    summary = sweep.settings_summary(sanity_like(), "spearman_abs", methods=METHODS)
    assert summary.loc[summary["method"] == "average", "diff"].item() == pytest.approx(-0.3)  # fraction 0 left out


def test_control_counts_count_verdicts_per_benchmark():
    import pandas as pd

    from var.report.sweep import control_counts

    table = pd.DataFrame({"on": ["grid", "grid", "coco"], "claim": ["beats matched", "beats CGI", "beats matched"],
                          "n": [60, 60, 29], "verdict": ["holds", "does not hold", "cannot tell"]})
    assert control_counts(table).to_dict("records") == [
        {"on": "grid", "n": 60, "holds": 1, "does not hold": 1, "cannot tell": 0, "held": ["beats matched"]},
        {"on": "coco", "n": 29, "holds": 0, "does not hold": 0, "cannot tell": 1, "held": []}]
