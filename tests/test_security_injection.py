"""Hostile text in every text column, id, name and text parameter stays inert on every page.

One tiny policy report (every section) and one tiny research report are run on a copy of the
tiny city whose area ids, place names, agencies, providers, patrol units, person ids, data set
name and report title carry script, event-handler, SVG, ``</script>``, Markdown-link and
spreadsheet-formula payloads; the 05_dosage ``program_areas`` parameter lists hostile area ids.
Every page (index and sections, the map frames included, after switching every map layer on and
moving the mouse over the maps so that tooltips open) is opened in headless Chromium: no dialog
may open and no payload element (an ``on*`` attribute, a script whose text is a payload, a
``javascript:`` link, a link made from Markdown, an ``<img src=x>``) may exist in the DOM, while the
payload text itself is shown as text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from test_browser import browser  # noqa: F401  (fixture: headless Chromium, skipped without it)

pytestmark = pytest.mark.xdist_group("security_injection")

#: Each payload calls alert(<n>) when it runs.
PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<svg onload=alert(3)>",
    "</script><script>alert(4)</script>",
    "[click](javascript:alert(5))",
    '=HYPERLINK("http://evil.example/x","y")',
    '" onmouseover="alert(6)" x="',
    "<a href=javascript:alert(7)>a</a><iframe srcdoc='<script>alert(8)</script>'></iframe>",
)
TITLE = "City " + PAYLOADS[0] + PAYLOADS[4]
DATA_NAME = "data " + PAYLOADS[1]

POLICY_NOTEBOOKS = ["00_data_overview", "01_places", "02_people", "03_response", "04_past_victims", "05_dosage"]
RESEARCH_NOTEBOOKS = ["01_places", "02_people", "04_past_victims"]
LIGHT = {
    "01_places": {"permutations": 99, "kde_cell_m": 100},
    "02_people": {"horizon_days": 60, "n_cutoffs": 4, "refit_months": 2, "n_boot": 3, "min_group_size": 10},
}

#: Everything on a page (one frame) that would mean a payload became markup.
PAYLOAD_DOM = r"""() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.getAttributeNames()) {
      if (a.toLowerCase().startsWith('on')) bad.push(`${el.tagName}[${a}]`);
    }
    const href = (el.getAttribute('href') || '') + (el.getAttribute('xlink:href') || '');
    if (/^\s*javascript:/i.test(href) || /evil\.example/.test(href)) bad.push(`${el.tagName}[href=${href}]`);
    if (el.tagName === 'A' && el.textContent.trim() === 'click') bad.push('markdown link');
    if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') bad.push('img[src=x]');
    if (el.tagName === 'IFRAME' && /^\s*<script>alert\(8\)<\/script>\s*$/.test(el.getAttribute('srcdoc') || '')) bad.push('iframe payload');
  }
  for (const s of document.querySelectorAll('script')) {
    if (/^\s*alert\(\d\)\s*$/.test(s.textContent)) bad.push(`script: ${s.textContent}`);
  }
  return bad;
}"""

#: Switch every overlay of every Leaflet layer control on.
ALL_LAYERS_ON = """() => {
  let n = 0;
  document.querySelectorAll('.leaflet-control-layers-overlays input[type=checkbox]').forEach(i => {
    if (!i.checked) { i.click(); n++; }
  });
  return n;
}"""


def _hostile_city(tiny_city: Path, out: Path) -> tuple[Path, list[str]]:
    """Copy of the tiny city with payloads in every text column and every id shown in pages."""
    from workbench.data.dataset import Dataset

    ds = Dataset.from_folder(tiny_city)
    t = {k: v.copy() for k, v in ds.tables.items()}

    def hostile(values, unique: bool):
        vals = list(values)
        return [None if v is None else (f"{PAYLOADS[i % len(PAYLOADS)]} {v}" if unique else PAYLOADS[i % len(PAYLOADS)])
                for i, v in enumerate(vals)]

    area_map = dict(zip(t["areas"]["area_id"], hostile(t["areas"]["area_id"], unique=True)))
    t["areas"]["area_id"] = t["areas"]["area_id"].map(area_map)
    if "home_area_id" in t["people"]:
        t["people"]["home_area_id"] = t["people"]["home_area_id"].map(lambda v: area_map.get(v, v))
    t["patrols"]["area_id"] = t["patrols"]["area_id"].map(area_map)
    person_map = dict(zip(t["people"]["person_id"], hostile(t["people"]["person_id"], unique=True)))
    for name in ("people", "victimizations", "arrests", "referrals"):
        t[name]["person_id"] = t[name]["person_id"].map(person_map)
    for name, col in (("places", "name"), ("responses", "agency"), ("referrals", "provider"), ("patrols", "unit")):
        t[name][col] = hostile(t[name][col].astype(object), unique=False)
    Dataset(tables=t, timezone=ds.timezone, crs=ds.crs, name=DATA_NAME).to_folder(out)
    return out, sorted(area_map.values())[:3]


def _params(folder: Path, city: Path, audience: str, notebooks, program_areas) -> Path:
    nb_params = {k: v for k, v in LIGHT.items() if k in notebooks}
    if "05_dosage" in notebooks:
        nb_params["05_dosage"] = {"program_areas": program_areas}
    data = {"run_name": f"hostile-{audience}", "title": TITLE, "audience": audience,
            "data": {"name": DATA_NAME, "source": str(city), "timezone": "America/Chicago"},
            "notebooks": list(notebooks), "notebook_parameters": nb_params,
            "execution": {"cell_timeout_s": 300}}
    path = folder / f"hostile-{audience}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def hostile_reports(tiny_city, tmp_path_factory):
    """``{"policy": folder, "research": folder}`` of the two hostile reports."""
    from workbench.report import run_report

    work = tmp_path_factory.mktemp("hostile")
    city, some_areas = _hostile_city(tiny_city, work / "city")
    out = {}
    for audience, notebooks in (("policy", POLICY_NOTEBOOKS), ("research", RESEARCH_NOTEBOOKS)):
        params = _params(work, city, audience, notebooks, some_areas)
        result = run_report(params, out=work / "reports" / f"hostile-{audience}", progress=False)
        assert [r.status for r in result.notebooks] == ["ok"] * len(notebooks)
        out[audience] = result.out
    return out


def _hover_maps(page) -> int:
    """Every layer on, then the mouse over a grid of each map; returns tooltips seen open."""
    seen = 0
    for frame in page.frames:
        if frame is page.main_frame or frame.locator(".leaflet-container").count() == 0:
            continue
        frame.evaluate(ALL_LAYERS_ON)
        container = frame.locator(".leaflet-container").first
        container.scroll_into_view_if_needed()
        box = container.bounding_box()
        if not box:
            continue
        for i in range(1, 12):
            for j in range(1, 8):
                page.mouse.move(box["x"] + box["width"] * i / 12, box["y"] + box["height"] * j / 8)
                seen += frame.locator(".leaflet-tooltip").count() > 0
    return seen


def _check_page(browser, path: Path) -> tuple[list[str], list[str], int, str]:
    """(dialogs, payload elements, tooltips seen, visible text of the main frame)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "about:", "blob:"))
                  else r.abort())
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        tooltips = _hover_maps(page)
        page.wait_for_timeout(200)
        bad = [f"{f.url[:40]}: {b}" for f in page.frames for b in f.evaluate(PAYLOAD_DOM)]
        text = page.main_frame.inner_text("body")
    finally:
        context.close()
    return dialogs, bad, tooltips, text


@pytest.mark.parametrize("audience", ["policy", "research"])
def test_payloads_are_inert_on_every_page(browser, hostile_reports, audience):
    folder = hostile_reports[audience]
    pages = sorted(folder.glob("*.html"))
    names = POLICY_NOTEBOOKS if audience == "policy" else RESEARCH_NOTEBOOKS
    assert sorted(p.stem for p in pages) == sorted(["index", *names])
    tooltips_total = 0
    for page in pages:
        dialogs, bad, tooltips, text = _check_page(browser, page)
        assert dialogs == [], f"{page.name}: a payload ran: {dialogs}"
        assert bad == [], f"{page.name}: payload markup in the DOM: {bad[:5]}"
        tooltips_total += tooltips
        if page.stem in ("index", "00_data_overview", "01_places"):
            assert "<script>alert(1)</script>" in text, f"{page.name}: the title is not shown as text"
    assert tooltips_total > 0, "no map tooltip opened: the hover check did not run"


def test_hostile_values_reach_the_pages_as_text(hostile_reports):
    """The payloads are in the pages (escaped), so the browser test tested something."""
    index = (hostile_reports["policy"] / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index and "<script>alert(1)" not in index
    places = (hostile_reports["policy"] / "01_places.html").read_text()
    assert "alert(2)" in places  # area ids or place names in tables, text and tooltips
    for page in hostile_reports["policy"].glob("*.html"):
        assert "<script>alert(" not in page.read_text(), page.name


def test_research_report_stays_private(hostile_reports):
    """A research report (pseudonymous person-level pages) keeps its staging folder's mode 0700."""
    assert hostile_reports["research"].stat().st_mode & 0o777 == 0o700
