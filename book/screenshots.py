"""Screenshots of the built book in headless Chromium, to read a page's layout and figures without a browser.

    python book/screenshots.py                       # every page -> book/_build/screenshots/<page>.png
    python book/screenshots.py --pages intro chapters/04_class_sets --out book/screenshots --height 2400

Pages are taken at 1280 px wide (a laptop window) as the reader sees them: served over HTTP, figures and widgets
loaded; ``--height`` keeps the top of a long page (0: the whole page). Needs ``make book`` and Chromium.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import threading
from pathlib import Path

import build

HTML = Path(__file__).resolve().parent / "_build" / "html"


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A quiet local HTTP server of ``folder`` and its address."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def shoot(pages: list[str], out: Path, height: int, width: int = 1280, chromium: str = "/usr/bin/chromium"):
    """Save one PNG per page under ``out`` (``/`` in a page's path becomes ``__``)."""
    from playwright.sync_api import sync_playwright

    if not (HTML / "index.html").exists():
        raise SystemExit(f"{HTML} is not built: run `make book` first.")
    out.mkdir(parents=True, exist_ok=True)
    httpd, root = serve(HTML)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": width, "height": 900})
            for name in pages:
                page.goto(f"{root}/{name}.html", wait_until="networkidle")
                page.wait_for_timeout(1500)  # widgets and MathJax render after load
                full = page.evaluate("document.documentElement.scrollHeight")
                clip = {"x": 0, "y": 0, "width": width, "height": min(full, height) if height else full}
                target = out / f"{name.replace('/', '__')}.png"
                page.screenshot(path=str(target), full_page=True, clip=clip)
                print(f"{target} ({clip['height']} of {full} px)")
            browser.close()
    finally:
        httpd.shutdown()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", nargs="+", default=build.page_paths(), help="page paths without .html")
    parser.add_argument("--out", type=Path, default=HTML.parent / "screenshots")
    parser.add_argument("--height", type=int, default=0, help="keep the top HEIGHT px (0: the whole page)")
    args = parser.parse_args(argv)
    shoot(args.pages, args.out, args.height)


if __name__ == "__main__":
    main()
