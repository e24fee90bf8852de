"""Layout of the tiny report at a 1280 px wide window (issue 12 section 4, plain language and layout).

No page may scroll sideways (wide tables scroll inside their own box), and no table cell of a policy
page may show a raw ``nan``/``inf``/``None`` or a number in scientific notation. Same browser setup
as ``tests/test_browser.py`` (Debian's ``/usr/bin/chromium`` through Playwright, network blocked).
"""

from __future__ import annotations

import re

import pytest
from report_fixtures import NOTEBOOKS, tiny_report  # noqa: F401  (fixture)
from test_browser import _open, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.xdist_group("tiny_report")

WIDTH = 1280
#: whole-cell texts that mean a number was printed raw
RAW = re.compile(r"^(?:-?nan|-?inf|none|nat|<na>)$", re.IGNORECASE)
SCIENTIFIC = re.compile(r"\b\d+(?:\.\d+)?[eE][-+]?\d+\b")

CELLS = "els => els.map(e => e.innerText.trim())"


def test_no_page_scrolls_sideways_and_no_raw_numbers(browser, tiny_report):  # noqa: F811
    wide, raw = {}, {}
    for name in ["index", *NOTEBOOKS]:
        context, page, _ = _open(browser, tiny_report / f"{name}.html", tiny_report)
        try:
            assert page.viewport_size["width"] == WIDTH
            width = page.evaluate("() => document.scrollingElement.scrollWidth")
            if width > WIDTH:
                wide[name] = width
            cells = page.eval_on_selector_all("table td, table th", CELLS)
            bad = [c for c in cells if RAW.match(c) or SCIENTIFIC.search(c)]
            if bad:
                raw[name] = bad[:5]
        finally:
            context.close()
    assert wide == {}, f"pages wider than {WIDTH} px: {wide}"
    assert raw == {}, f"raw numbers in tables: {raw}"


def test_technical_material_is_collapsed(browser, tiny_report):  # noqa: F811
    for name, summary in (("index", "parameters"), ("00_data_overview", "every column")):
        context, page, _ = _open(browser, tiny_report / f"{name}.html", tiny_report)
        try:
            details = page.locator("details.wb-appendix")
            assert details.count() >= 1, name
            assert summary in details.first.locator("summary").inner_text().lower()
            assert details.first.get_attribute("open") is None  # collapsed
        finally:
            context.close()
