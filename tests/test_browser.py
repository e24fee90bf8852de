"""The tiny report in headless Chromium with the network blocked.

Every page (index and each section) must load with no console error and no request leaving the
machine (every request is recorded; only ``file:``, ``data:``, ``about:`` and ``blob:`` are
allowed, anything else is aborted and fails the test); Leaflet maps (inside folium's srcdoc
iframes) must draw their container and the polygons/paths of their overlay pane; charts (img) must
decode. Screenshots go to ``<report>/screenshots/``.

Uses Playwright for Python driving Debian's ``/usr/bin/chromium`` (never ``playwright install``);
skipped only when no Chromium binary exists or Playwright is not installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from report_fixtures import NOTEBOOKS, tiny_report  # noqa: F401  (fixture)

#: one worker builds the shared tiny report and runs these tests (Makefile: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("tiny_report")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
#: pages with a Leaflet map (folium iframe)
MAP_PAGES = {"01_places"}

#: In a map frame: [Leaflet maps, vector layers (L.Path) on them, drawn overlay elements]. Folium may
#: use the canvas renderer: a canvas counts when it has painted (non-transparent) pixels.
MAP_STATE = """() => {
  const maps = Object.values(window).filter(v => v && window.L && v instanceof L.Map);
  let paths = 0;
  maps.forEach(m => m.eachLayer(l => { if (l instanceof L.Path) paths++; }));
  let drawn = document.querySelectorAll(
    '.leaflet-overlay-pane path, .leaflet-overlay-pane polygon, .leaflet-overlay-pane polyline').length;
  document.querySelectorAll('.leaflet-overlay-pane canvas').forEach(c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { drawn++; break; } }
  });
  return [maps.length, paths, drawn];
}"""


def chromium_path() -> str | None:
    """Debian's chromium (``CHROMIUM`` env var overrides), or None."""
    for cand in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


@pytest.fixture(scope="module")
def browser():
    exe = chromium_path()
    if exe is None:
        pytest.skip("no Chromium binary (/usr/bin/chromium): install it with apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class PageLog:
    """Console errors, page errors and every request of one page (all its frames)."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))


def _open(browser, path: Path, shots: Path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    log_holder: dict[str, PageLog] = {}

    def route(r):
        url = r.request.url
        if url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            log_holder["log"].blocked.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    log_holder["log"] = plog = PageLog(page)
    page.goto(path.as_uri(), wait_until="load")
    return context, page, plog


def _check_images(frame, where: str) -> int:
    imgs = frame.eval_on_selector_all(
        "img", "els => els.map(e => [e.complete && e.naturalWidth > 0, e.getAttribute('alt') || ''])")
    assert all(ok for ok, _ in imgs), f"{where}: an image did not decode"
    assert all(alt.strip() for _, alt in imgs), f"{where}: an image has no alt text"
    return len(imgs)


def test_every_page_renders_offline(browser, tiny_report):
    shots = tiny_report / "screenshots"
    shots.mkdir(exist_ok=True)
    seen_maps = 0
    for name in ["index", *NOTEBOOKS]:
        context, page, plog = _open(browser, tiny_report / f"{name}.html", shots)
        try:
            if name in MAP_PAGES:
                frames = [f for f in page.frames if f is not page.main_frame]
                assert frames, f"{name}: no map iframe"
                n_maps = 0
                for f in frames:
                    f.wait_for_selector(".leaflet-container", timeout=15000)
                    f.wait_for_selector(".leaflet-overlay-pane > *", state="attached", timeout=15000)
                    maps, paths, drawn = f.evaluate(MAP_STATE)
                    assert maps >= 1 and f.locator(".leaflet-container").count() == maps, name
                    assert paths > 0, f"{name}: map has no vector layers"
                    assert drawn > 0, f"{name}: the overlay pane is empty (no path, polygon or painted canvas)"
                    _check_images(f, f"{name} (map)")
                    n_maps += maps
                seen_maps += n_maps
            n_img = _check_images(page.main_frame, name)
            if name != "index":
                assert page.locator("main").count() == 1
            if name in ("00_data_overview", "01_places", "03_response"):
                assert n_img >= 1, f"{name}: no chart"
            page.screenshot(path=str(shots / f"{name}.png"), full_page=(name == "index"))
        finally:
            context.close()
        assert plog.errors == [], f"{name}: {plog.errors[:5]}"
        assert plog.blocked == [], f"{name}: requests left the machine: {plog.blocked[:5]}"
        outside = [u for u in plog.requests if not u.startswith(LOCAL_SCHEMES)]
        assert outside == [], f"{name}: {outside[:5]}"
        assert any(u.startswith("file:") for u in plog.requests)
    assert seen_maps >= 1
    assert sorted(p.stem for p in shots.glob("*.png")) == sorted(["index", *NOTEBOOKS])
    assert all(p.stat().st_size > 5_000 for p in shots.glob("*.png"))


def test_index_summary_is_readable(browser, tiny_report):
    context, page, plog = _open(browser, tiny_report / "index.html", tiny_report)
    try:
        cards = page.locator(".wb-card")
        assert cards.count() == 5
        assert page.locator("#summary h2").inner_text() == "Summary"
        text = page.locator("#summary").inner_text()
        assert "Shootings" in text and "What changed since the last run" in text
        links = page.eval_on_selector_all("#sections a", "els => els.map(e => e.getAttribute('href'))")
        assert links == [f"{n}.html" for n in NOTEBOOKS]
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('a')).color") == "rgb(0, 0, 0)"
    finally:
        context.close()
    assert plog.errors == [] and plog.blocked == []


def _zoom_to(frame, zoom_js: str, z: int, tries: int = 40) -> int:
    """Set the map's zoom, again while the map's own start-up (fitting its bounds) still resets it."""
    got = None
    for _ in range(tries):
        got = frame.evaluate(zoom_js, z)
        if got == z:
            break
        frame.wait_for_timeout(250)
    return got


def test_now_block_and_map_labels(browser, tiny_report):
    context, page, plog = _open(browser, tiny_report / "index.html", tiny_report)
    try:
        assert page.locator("#now h2").inner_text() == "Now"
        assert page.locator("#now .wb-now-item").count() == 4
        top = page.evaluate("document.querySelector('#now').getBoundingClientRect().top")
        assert top < page.evaluate("document.querySelector('#summary').getBoundingClientRect().top")
        for href in page.eval_on_selector_all("#now a", "els => els.map(e => e.getAttribute('href'))"):
            assert (tiny_report / href).is_file(), href
    finally:
        context.close()
    assert plog.errors == [] and plog.blocked == []
    context, page, plog = _open(browser, tiny_report / "01_places.html", tiny_report)
    try:
        frame = next(f for f in page.frames if f is not page.main_frame)
        frame.wait_for_selector(".leaflet-container", timeout=15000)
        assert frame.locator(".leaflet-control-scale").count() == 1
        assert frame.locator(".wb-place-icon").count() > 0
        shown = "() => [...document.querySelectorAll('.wb-area-label')].filter(e => getComputedStyle(e).display !== 'none').length"
        zoom = "z => { const m = Object.values(window).find(v => v instanceof L.Map); m.setZoom(z, {animate: false}); return m.getZoom(); }"
        assert _zoom_to(frame, zoom, 16) == 16
        frame.wait_for_function("() => document.querySelector('.leaflet-container').classList.contains('wb-labels-on')")
        assert frame.evaluate(shown) > 0
        assert _zoom_to(frame, zoom, 9) == 9
        frame.wait_for_function("() => !document.querySelector('.leaflet-container').classList.contains('wb-labels-on')")
        assert frame.evaluate(shown) == 0
    finally:
        context.close()
    assert plog.errors == [] and plog.blocked == []
#: Try to run script the way injected markup would: an inline handler, a new inline script, a
#: remote image. Returns the number of elements inserted.
INJECT = """() => {
  document.body.insertAdjacentHTML('beforeend',
    '<img id="wb-x1" src="data:," onerror="alert(1)"><img id="wb-x2" src="https://example.invalid/x.png">');
  const s = document.createElement('script'); s.textContent = 'alert(2)'; document.body.appendChild(s);
  return document.querySelectorAll('#wb-x1, #wb-x2').length;
}"""


def test_content_security_policy_blocks_handlers_scripts_and_remote_loads(browser, tiny_report):
    """Every page has a CSP; markup injected after load can neither run script nor fetch anything."""
    for name in ["index", *NOTEBOOKS]:
        context, page, plog = _open(browser, tiny_report / f"{name}.html", tiny_report)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            csp = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
            scripts = csp.split("script-src")[1].split(";")[0] if "script-src" in csp else "'none'"
            assert "default-src 'none'" in csp and "unsafe-inline" not in scripts
            for frame in page.frames:  # the page and its map frames (which inherit the policy)
                assert frame.evaluate(INJECT) == 2
            page.wait_for_timeout(500)
        finally:
            context.close()
        assert dialogs == [], f"{name}: injected script ran: {dialogs}"
        assert plog.blocked == [], f"{name}: a remote load was attempted: {plog.blocked}"
