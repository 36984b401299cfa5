"""The built book in headless Chromium: pages load with figures and a clean console, t/tau sliders change the map,
no outside requests.

Needs ``make book`` first (CI does it). Without a built book these tests skip,
unless ``VAR_REQUIRE_BOOK=1`` (set by .ci/run) makes that an error.
"""

import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

HTML = Path(__file__).resolve().parents[2] / "book" / "_build" / "html"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "book"))
import build  # noqa: E402

PAGES = build.page_paths()
CHROMIUM = os.environ.get("VAR_CHROMIUM", "/usr/bin/chromium")


def _need(condition: bool, why: str):
    if not condition:
        if os.environ.get("VAR_REQUIRE_BOOK") == "1":
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def server():
    _need((HTML / "index.html").exists(), f"{HTML} not built: run `make book`")
    _need(Path(CHROMIUM).exists() or shutil.which("chromium") is not None, "chromium not installed")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.outside = []
    page.failed = []
    page.on("request", lambda r: None if r.url.startswith((server, "data:", "blob:", "about:"))
            else page.outside.append(r.url))
    page.on("requestfailed", lambda r: page.failed.append(r.url))
    page.on("response", lambda r: page.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # a clean console: no uncaught exception, no console.error (the widget manager's schema warning is a warning)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_with_figures_and_no_outside_request(page, server, name):
    response = page.goto(f"{server}/{name}.html", wait_until="networkidle")
    assert response.status == 200
    assert page.locator("h1").count() >= 1
    if name.startswith("chapters/"):
        figures = page.locator("div.cell_output img")
        assert figures.count() >= 1, f"{name}: no figure"
        assert all(figures.nth(i).evaluate("e => e.naturalWidth > 0") for i in range(figures.count()))
    assert page.outside == [], f"{name} requested {page.outside}"
    assert page.failed == [], f"{name}: failed requests {page.failed}"
    page.wait_for_timeout(500)  # widgets render and typeset their labels after the load
    assert page.errors == [], f"{name}: console errors {page.errors}"


def _visible_map(page) -> str:
    """The src of the VAR map currently shown by the explorer."""
    imgs = page.locator(".var-maps img")
    visible = [imgs.nth(i) for i in range(imgs.count()) if imgs.nth(i).is_visible()]
    assert len(visible) == 1, f"{len(visible)} maps visible"
    return visible[0].get_attribute("src")


def _move(page, cls: str, key: str = "ArrowRight"):
    handle = page.locator(f".{cls} .noUi-handle").first
    handle.focus()
    handle.press(key)
    page.wait_for_timeout(300)


@pytest.mark.parametrize("name", ["chapters/01_quickstart", "chapters/03_var_steps"])
def test_sliders_change_the_map_without_a_kernel(page, server, name):
    page.goto(f"{server}/{name}.html", wait_until="networkidle")
    page.locator(".var-temperature").first.wait_for(timeout=20000)
    before = _visible_map(page)
    _move(page, "var-temperature")
    after_t = _visible_map(page)
    assert after_t != before, "moving t did not change the map"
    _move(page, "var-tau")
    after_tau = _visible_map(page)
    assert after_tau != after_t, "moving tau did not change the map"
    assert page.outside == []


def _visible_src(page, cls: str) -> str:
    imgs = page.locator(f".{cls} img")
    visible = [imgs.nth(i) for i in range(imgs.count()) if imgs.nth(i).is_visible()]
    assert len(visible) == 1, f"{len(visible)} {cls} images visible"
    return visible[0].get_attribute("src")


def test_static_explorer_controls_change_the_maps_without_a_kernel(page, server):
    page.goto(f"{server}/chapters/05_explorers.html", wait_until="networkidle")
    page.locator(".var-explorer-method select").first.wait_for(timeout=20000)
    seen = {(_visible_src(page, "var-explorer-vanilla"), _visible_src(page, "var-explorer-var"))}
    for control, option in (("method", 2), ("classset", 1), ("image", 1)):
        page.locator(f".var-explorer-{control} select").first.select_option(index=option)
        page.wait_for_timeout(300)
        now = (_visible_src(page, "var-explorer-vanilla"), _visible_src(page, "var-explorer-var"))
        assert now not in seen, f"changing {control} did not change the maps"
        seen.add(now)
    _move(page, "var-explorer-t")
    assert _visible_src(page, "var-explorer-var") != now[1], "moving t did not change the VAR maps"
    assert page.outside == []


def test_sweep_explorer_follows_its_controls_without_a_kernel(page, server):
    """The sensitivity page's t/tau sliders and toggles pick another setting of the committed sweep."""
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/chapters/16_sensitivity.html", wait_until="networkidle")
    explorer = page.locator(".var-sweep-explorer").first
    explorer.wait_for(timeout=20000)
    table = explorer.locator("table.var-sweep")
    start = table.inner_text()
    assert "average" in start and "the paper's setting" in explorer.inner_text()
    seen = {start}
    for control, value in (("t", "0"), ("tau", "4"), ("scale", "joint_max"), ("softmax", "pixel"), ("metric", "f1")):
        explorer.locator(f"[data-control='{control}']").evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", value)
        now = table.inner_text()
        assert now not in seen, f"moving {control} did not change the table"
        seen.add(now)
    assert "the paper's setting" not in explorer.locator(".var-paper").inner_text()
    assert explorer.locator(".var-sweep-chart circle").count() >= 5  # one point per method and the average
    assert errors == [] and page.outside == []


def test_every_sweep_has_an_explorer_that_follows_its_t_slider(page, server):
    """One explorer per committed sweep run (grid, COCO, intervention, sanity, insertion), each one live."""
    from var.report import reference, sweep

    page.goto(f"{server}/chapters/16_sensitivity.html", wait_until="networkidle")
    explorers = page.locator(".var-sweep-explorer")
    explorers.first.wait_for(timeout=20000)
    runs = [on for on in sweep.SCORE if reference.load(f"sweep-{on}") is not None]
    assert explorers.count() == len(runs) == 5
    for i in range(len(runs)):
        table = explorers.nth(i).locator("table.var-sweep")
        start = table.inner_text()
        explorers.nth(i).locator("[data-control='t']").evaluate(
            "el => { el.value = '0'; el.dispatchEvent(new Event('input')); }")
        assert table.inner_text() != start, f"the {runs[i]} explorer did not follow its t slider"


TUTORIAL = ["chapters/01_quickstart", "chapters/methods/gradient", "chapters/03_var_steps", "chapters/04_class_sets",
            "chapters/06_your_model", "chapters/07_gallery", "chapters/08_your_method"]


@pytest.mark.parametrize("name", TUTORIAL)
def test_tutorial_pages_have_exercises_with_hidden_solutions_and_a_notebook_download(page, server, name):
    page.goto(f"{server}/{name}.html", wait_until="networkidle")
    assert page.get_by_role("heading", name="Exercises").count() == 1
    solutions = page.locator(".admonition.dropdown")
    assert solutions.count() >= 1
    body = solutions.first.locator("p").last
    assert not body.is_visible(), "the solution shows before it is clicked"
    solutions.first.locator(".admonition-title").click()
    page.wait_for_timeout(300)
    assert body.is_visible(), "clicking does not reveal the solution"
    downloads = page.locator("a[href$='.ipynb']")
    assert downloads.count() >= 1, "no .ipynb download"
    href = downloads.first.get_attribute("href")
    assert page.request.get(page.url.rsplit("/", 1)[0] + "/" + href).ok


def test_the_colab_setup_cell_is_hidden_but_in_the_download(page, server):
    page.goto(f"{server}/chapters/01_quickstart.html", wait_until="networkidle")
    assert "google.colab" not in page.locator("article").inner_text()
    href = page.locator("a[href$='.ipynb']").first.get_attribute("href")
    notebook = page.request.get(page.url.rsplit("/", 1)[0] + "/" + href).text()
    assert "google.colab" in notebook and "remove-cell" in notebook


def test_the_api_reference_documents_the_package(page, server):
    page.goto(f"{server}/api/core.html", wait_until="networkidle")
    for name in ("var.attribute", "var.relevance", "var.explain", "var.load_explanation", "var.VarModel"):
        assert page.locator(f"dt[id='{name}']").count() == 1, f"{name} is not documented"
    text = page.locator("article").inner_text()
    assert "|K|" in text and "Undefined substitution" not in text  # the docstrings' bars survive
    assert "Parameters" in text and "Return type" in text  # napoleon's sections, type hints in the descriptions
    page.goto(f"{server}/api/cli.html", wait_until="networkidle")
    assert page.locator("h2").filter(has_text="var-bench grid").count() == 1


def test_citations_link_to_the_bibliography(page, server):
    page.goto(f"{server}/chapters/12_sanity.html", wait_until="networkidle")
    cites = page.locator("a[href*='references.html#id'], a[href*='references.html#']")
    assert cites.count() >= 2, "no citation links on the sanity page"
    page.goto(f"{server}/references.html", wait_until="networkidle")
    text = page.locator("article").inner_text().lower()  # the style writes titles in sentence case
    assert "hidden in plain sight" in text and "sanity checks for saliency maps" in text
    page.goto(f"{server}/intro.html", wait_until="networkidle")
    assert "@inproceedings{walter2026hidden" in page.locator("article").inner_text()
