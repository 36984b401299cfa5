"""The book's page furniture (a Sphinx extension, listed in ``_config.yml``): a clean console, room for figures.

* ``static/var.css``: the article uses the page's width (figures of several maps with colour bars were shown
  at ~690 px beside an empty column), wide tables scroll instead of hiding columns, the sweep explorer's look.

* Jupyter Book registers sphinx-thebe's and sphinx-togglebutton's inline configuration twice, so every page
  declared ``const THEBE_JS_URL`` twice (a SyntaxError in the console): scripts with the same file and body
  are kept once.
* The widget manager (``@jupyter-widgets/html-manager``) typesets widget labels with the MathJax 2 API
  (``MathJax.Hub.Queue``); the book serves MathJax 3, which has no ``Hub``, so every slider threw "Cannot read
  properties of undefined (reading 'Queue')". A small shim gives whichever object ``window.MathJax`` is (the
  inline configuration first, MathJax 3 once loaded) a ``Hub.Queue`` that calls MathJax 3's
  ``typesetPromise``.
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"

_HUB_SHIM = """(function () {
  var hub = {Queue: function (job) {
    var mj = window.MathJax, el = job && job[2];
    if (el && mj && mj.typesetPromise) { mj.typesetPromise([el]).catch(function () {}); }
  }};
  var current = window.MathJax;
  function withHub(v) { if (v && typeof v === "object" && !v.Hub) { v.Hub = hub; } return v; }
  Object.defineProperty(window, "MathJax", {configurable: true, enumerable: true,
    get: function () { return current; }, set: function (v) { current = withHub(v); }});
  withHub(current);
})();"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        # an inline script's filename is None from one extension and "" from another: the same script
        key = (getattr(script, "filename", str(script)) or "", tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    if "script_files" in context:
        context["script_files"][:] = kept


def _add_static(app):
    app.config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("builder-inited", _add_static)
    app.add_css_file("var.css")
    app.add_js_file(None, body=_HUB_SHIM, priority=1)  # before MathJax's inline configuration and the widgets
    # early: the event stops at the first handler that returns a value; the duplicates are there from the start
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
