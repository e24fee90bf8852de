"""Every page of a report opens offline: no script, style sheet or frame fetched over http(s).

nbconvert's ``lab`` template loads require.js, MathJax, MermaidJS and the widget manager from
CDNs; the export template empties those blocks. Folium maps are iframes with ``srcdoc``: their
documents are checked too. Also: every image has alt text and the summary is written.
"""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest

from report_fixtures import NOTEBOOKS, tiny_report  # noqa: F401  (fixture)

from workbench.maps import external_references
from workbench.report.export import OFFLINE_TEMPLATE, add_alt_text, export_html

#: one worker builds the shared tiny report and runs these tests (Makefile: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("tiny_report")

SCRIPT_HTTP = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)
LINK_HTTP = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)
IMPORT_HTTP = re.compile(r"@import\s+(?:url\()?[\"']?\s*(?:https?:)?//", re.IGNORECASE)
SRCDOC = re.compile(r"<iframe\b[^>]*?\ssrcdoc=\"([^\"]*)\"", re.IGNORECASE | re.DOTALL)


def _documents(page: str) -> list[str]:
    """The page and, recursively, every srcdoc frame inside it."""
    docs, todo = [], [page]
    while todo:
        d = todo.pop()
        docs.append(d)
        todo += [html_lib.unescape(f) for f in SRCDOC.findall(d)]
    return docs


def _pages(report):
    pages = sorted(report.glob("*.html"))
    assert [p.stem for p in pages] == sorted(["index", *NOTEBOOKS])
    return pages


def test_no_page_fetches_anything_online(tiny_report):
    for page in _pages(tiny_report):
        docs = _documents(page.read_text(encoding="utf-8"))
        for doc in docs:
            assert not SCRIPT_HTTP.search(doc), f"{page.name}: <script src=http...>"
            assert not LINK_HTTP.search(doc), f"{page.name}: <link href=http...>"
            assert not IMPORT_HTTP.search(doc), f"{page.name}: @import of an online style sheet"
            assert external_references(doc) == [], (page.name, external_references(doc)[:3])
        scripts = " ".join(re.findall(r"<script\b[^>]*>", " ".join(docs), re.IGNORECASE))
        for cdn in ("require", "MathJax", "mermaid", "embed-amd", "unpkg.com", "cdnjs", "jsdelivr"):
            assert cdn.lower() not in scripts.lower(), (page.name, cdn)


def test_every_image_has_alt_text(tiny_report):
    n_img = 0
    for page in _pages(tiny_report):
        for doc in _documents(page.read_text(encoding="utf-8")):
            for tag in re.findall(r"<img\b[^>]*>", doc, re.IGNORECASE):
                n_img += 1
                alt = re.search(r"\balt=\"([^\"]*)\"", tag)
                assert alt and alt.group(1).strip(), (page.name, tag[:120])
                assert "No description has been provided" not in alt.group(1)
    assert n_img >= 5


def test_pages_carry_report_style_with_print_rules(tiny_report):
    for page in _pages(tiny_report):
        text = page.read_text(encoding="utf-8")
        assert "@media print" in text and "--wb-accent:#0072B2" in text, page.name


def test_index_has_summary_and_links(tiny_report):
    index = (tiny_report / "index.html").read_text(encoding="utf-8")
    assert 'id="summary"' in index and index.index('id="summary"') < index.index('id="sections"')
    for name in NOTEBOOKS:
        assert f'href="{name}.html"' in index
    for label in ("Shootings", "Resident exposures", "Co-response coverage", "Median time to engagement",
                  "Past victims still unserved", "What changed since the last run"):
        assert label in index
    summary = json.loads((tiny_report / "summary.json").read_text())
    assert [n["key"] for n in summary["numbers"]] == [
        "shootings", "people_exposed", "coresponse_coverage", "median_days_to_engagement", "past_victims_unserved"]
    assert summary["period"]["months"] == 12 and summary["fingerprint"]


def test_template_empties_cdn_blocks():
    for block in ("html_head_js_requirejs", "html_head_js_mathjax", "html_head_js_mermaidjs", "jupyter_widgets"):
        assert f"{{%- block {block} -%}}{{%- endblock {block} -%}}" in OFFLINE_TEMPLATE


def test_alt_text_from_nearest_heading():
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

    def img():
        return new_output("display_data", data={"image/png": png})

    heading = new_output("display_data", data={"text/markdown": "## Time on scene"})
    nb = new_notebook(cells=[
        new_markdown_cell("# Title\n\n## Shootings by month"),
        new_code_cell("x", outputs=[img(), img()]),
        new_code_cell("y", outputs=[heading, img()]),
        new_code_cell("z", outputs=[new_output("display_data", data={"image/png": png},
                                               metadata={"alt": "Given"})]),
    ])
    assert add_alt_text(nb) == 3
    alts = [o.metadata.get("alt") for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "image/png" in o.data]
    assert alts == ["Chart: Shootings by month", "Chart: Shootings by month (2)", "Chart: Time on scene", "Given"]
    page = export_html(nbformat.from_dict(nb), "t")
    assert 'alt="Chart: Time on scene"' in page and "No description" not in page
    assert not SCRIPT_HTTP.search(page) and not LINK_HTTP.search(page)
    assert "x\n" not in page.split("<main>")[1]  # no code
