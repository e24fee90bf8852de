"""Re-take the README screenshots from a finished demo report, as headless Chromium renders it offline.

Usage (after ``make report``)::

    .venv/bin/python docs/screenshots/take.py reports/demo

Writes ``index_now.png`` (the Now block), ``index_summary.png`` (the executive summary),
``places_map.png`` (the policy map) and ``response_coverage.png`` (a chart) beside this file.
Uses Debian's ``/usr/bin/chromium`` through playwright (never ``playwright install``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent


def take(report: Path) -> list[Path]:
    """Screenshots of ``report`` (a published report folder) into this folder; returns their paths."""
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
        page.route("http*://**", lambda route: route.abort())  # offline: nothing remote may load
        page.goto((report / "index.html").as_uri())
        for selector, name in (("#now", "index_now.png"), ("#summary", "index_summary.png")):
            page.locator(selector).screenshot(path=str(HERE / name))
            out.append(HERE / name)
        page.goto((report / "01_places.html").as_uri())
        frame = next(f for f in page.frames if f is not page.main_frame)
        frame.wait_for_selector(".leaflet-container", timeout=20000)
        page.wait_for_timeout(1500)
        page.locator("iframe").first.screenshot(path=str(HERE / "places_map.png"))
        out.append(HERE / "places_map.png")
        page.goto((report / "03_response.html").as_uri())
        page.locator("img").first.screenshot(path=str(HERE / "response_coverage.png"))
        out.append(HERE / "response_coverage.png")
        browser.close()
    return out


if __name__ == "__main__":
    for path in take(Path(sys.argv[1] if len(sys.argv) > 1 else "reports/demo").resolve()):
        print(path)
