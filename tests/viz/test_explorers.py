"""The live explorer reacts to every control, uses its cache for t/tau, reports errors in the widget;
the static explorer precomputes every combination and links it in the browser."""

import datetime
import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

import var
from var.viz.live_explorer import LiveExplorer
from var.viz.widgets import method_explorer


@pytest.fixture
def explorer(small_resnet):
    pytest.importorskip("ipywidgets")
    return LiveExplorer(small_resnet, images=["skimage:coffee", "skimage:chelsea"], method="gradient")


def test_first_draw(explorer):
    assert explorer.attributions_computed == 1
    assert explorer.figure.value[:4] == b"\x89PNG" and "locations kept" in explorer.table.value
    assert "⚠" not in explorer.status.value


def test_preview_is_the_first_draw_without_widgets(explorer, small_resnet):
    from var.viz.live_explorer import preview

    figure, table = preview(small_resnet, "skimage:coffee", method="gradient")
    assert figure == explorer.figure.value and table == explorer.table.value


@pytest.mark.integration
def test_t_and_tau_redraw_from_the_cache(explorer):
    before, table = explorer.figure.value, explorer.table.value
    explorer.temperature.value = 0.001
    assert explorer.figure.value != before
    explorer.tau.value = 0.2
    assert explorer.table.value != table
    assert explorer.attributions_computed == 1  # steps 2-3 only


@pytest.mark.integration
def test_method_image_and_class_set_changes_attribute_once_each(explorer):
    first = explorer.figure.value
    explorer.method.value = "gradcam"
    assert explorer.attributions_computed == 2 and explorer.figure.value != first
    explorer.method.value = "gradient"  # back to a cached combination
    assert explorer.attributions_computed == 2 and explorer.figure.value == first
    explorer.image.value = "skimage:chelsea"
    assert explorer.attributions_computed == 3
    explorer.k.value = 2
    assert explorer.attributions_computed == 4
    explorer.strategy.value = "best_vs_worst"
    assert explorer.attributions_computed == 5 and explorer.k.disabled


def test_predefined_classes_by_name_and_errors_in_the_widget(explorer):
    explorer.strategy.value = "predefined"
    assert "⚠" in explorer.status.value and "at least 2" in explorer.status.value
    explorer.classes.value = ["class 3"]
    assert "at least 2" in explorer.status.value
    explorer.classes.value = ["class 3", "class 7"]
    assert "⚠" not in explorer.status.value and "class 7" in explorer.table.value


def upload(name, data):
    return {"name": name, "type": "image/png", "size": len(data), "content": memoryview(data),
            "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)}


@pytest.mark.integration
def test_upload(explorer):
    explorer.upload.value = (upload("notes.txt", b"not an image"),)
    assert "Could not read notes.txt" in explorer.status.value
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(buf, "png")
    explorer.upload.value = (upload("mine.png", buf.getvalue()),)
    assert explorer.image.value == "(uploaded image)" and "⚠" not in explorer.status.value
    assert explorer.attributions_computed == 2


def test_live_explorer_refuses_a_bare_module(small_resnet):
    with pytest.raises(TypeError, match="VarModel"):
        var.viz.live_explorer.live_explorer(small_resnet.module)


def test_static_method_explorer_links_every_combination(small_resnet):
    pytest.importorskip("ipywidgets")
    box = method_explorer(small_resnet, ["skimage:coffee"], ["gradient", "gradcam"], ["top_k", "best_vs_worst"],
                          temperatures=[0.03, 0.1], taus=[0.0, 0.1], k=2)
    controls = [c for row in box.children[:2] for c in row.children]
    vanilla, var_maps = box.children[2:]
    # image -> method -> strategy stacks for the vanilla row; + t -> tau for VAR
    leaves = var_maps.children[0].children[1].children[0].children
    assert len(leaves) == 2 and all(len(s.children) == 2 for s in leaves)
    pngs = {leaf.value for t in leaves for leaf in t.children}
    assert len(pngs) == 4  # every (t, tau) its own picture
    methods = {vanilla.children[0].children[m].children[0].value for m in range(2)}
    assert len(methods) == 2
    assert [c.index for c in controls] == [0, 0, 0, 1, 0]  # the paper's t = 0.1 first; tau 0.01 not offered: the first
    assert var_maps.children[0].children[0].children[0].selected_index == controls[3].index
    # the controls drive the stacks in the browser (jslink); the browser test moves them


matplotlib.use("Agg")


def test_explorer_tiles_label_empty_maps():
    from PIL import Image

    from var.viz.widgets import _row_frame

    frame = _row_frame([np.zeros((8, 8)), np.ones((8, 8))], ["a", "b"], "VAR τ=0.01", 96)
    row = np.asarray(Image.open(__import__("io").BytesIO(frame)).convert("L"))
    empty_tile, full_tile = row[14:, 100:196], row[14:, 200:296]
    assert empty_tile.max() > 200  # the white label on the black tile
    assert empty_tile.mean() < 60 and full_tile.mean() > 200


@pytest.mark.integration
def test_every_offered_method_draws_or_says_why_in_the_status(small_resnet):
    """Each dropdown entry, picked as a reader would, draws; where the library itself cannot run on this network
    (Captum's DeepLift refuses torchvision's ResNet, whose blocks call one ReLU module twice) the status line says
    why and the dropdown keeps the choice.
    """
    pytest.importorskip("ipywidgets")
    explorer = LiveExplorer(small_resnet, images=["skimage:coffee"], method="gradient")
    explorer.k.value = 1  # K = the top class and the least probable one: the cheapest class set
    for value in [v for _, v in explorer.method.options]:
        explorer.method.value = value
        status = explorer.status.value
        assert explorer.method.value == value, value
        if value == "captum:DeepLift":
            assert "⚠ captum:DeepLift failed" in status and "more than once" in status, status
            continue
        assert "updated in" in status and any(key[1] == value for key in explorer._cache), (value, status)


def test_the_sweep_explorers_data_cannot_close_its_script_element():
    import json

    from var.viz.sweep_explorer import _script_safe

    data = {"method": "mine</script><script>alert(1)</script>"}
    text = _script_safe(json.dumps(data))
    assert "</" not in text and json.loads(text) == data  # the same data, read by JSON.parse alike
