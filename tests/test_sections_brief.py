"""The co-responder brief: per-area figures, the canvass list formatted for people, the command."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from workbench.data import area_names
from workbench.privacy import check_export, suppression_marker
from workbench.report.brief import MARKER, render_brief
from workbench.sections.brief import brief


@pytest.fixture(scope="module")
def chain_week(synthetic_demo):
    inc = synthetic_demo.dataset["incidents"].set_index("incident_id")
    first = inc.loc[synthetic_demo.truth["planted"]["chain_incident_ids"], "occurred_at"].min()
    return first.normalize()


def test_brief_names_the_chain_area_with_its_figures(synthetic_demo, chain_week):
    b = brief(synthetic_demo.dataset, chain_week, days=7)
    name = area_names(synthetic_demo.dataset["areas"])[synthetic_demo.truth["planted"]["chain_area"]]
    assert name in b.areas["Area"].tolist()
    assert b.canvass is None  # policy audience
    row = b.areas.set_index("Area").loc[name]
    assert int(row["Residents in the zones"].replace(",", "")) % 10 == 0
    assert row["Raised risk until"] != "-"
    for c in b.areas.columns:
        assert not b.areas[c].astype(str).str.lower().isin(["nan", "none", "<na>"]).any(), c
    marker = suppression_marker(11)
    for v in b.areas["Shootings whose zone reaches it"]:
        assert v == marker or (isinstance(v, int) and (v == 0 or v >= 11))
    assert b.readings[0].endswith(".") and "shooting" in b.readings[0]
    html = render_brief(b, title="Demo", min_count=11)
    assert html.startswith(MARKER) and "Canvass list" not in html
    check_export(html, synthetic_demo.dataset, audience="policy")


def test_research_canvass_list_is_formatted_for_people(synthetic_demo, chain_week):
    b = brief(synthetic_demo.dataset, chain_week, days=7, audience="research")
    cv = b.canvass
    assert list(cv.columns) == ["Shooting", "Visit", "Where", "Kind", "Residents in zone", "Children in zone",
                                "Earlier zones here", "Distance (m)"]
    text = cv.astype(str)
    assert not text.isin(["nan", "NaN", "None", "<NA>"]).any().any()
    assert not text.apply(lambda c: c.str.contains(r"\b(?:I|P|A|L)\d{4,}\b", regex=True)).any().any()  # no ids
    assert cv["Shooting"].str.match(r"Shooting \d+, \w{3} \d{2} \w{3} \d{4} \d{2}:\d{2}, ").all()
    res = cv["Residents in zone"][cv["Residents in zone"] != ""].str.replace(",", "").astype(int)
    assert (res % 10 == 0).all()
    assert set(cv["Kind"]) >= {"area"} and "_" not in "".join(cv["Kind"])
    html = render_brief(b, title="Demo", min_count=11)
    assert "Canvass list" in html and "restricted" in html.lower()
    check_export(html, synthetic_demo.dataset, audience="research")


def test_a_day_without_shootings(synthetic_tiny):
    b = brief(synthetic_tiny.dataset, "2030-01-01")
    assert b.readings == ["No shootings on Tue 01 Jan 2030."] and b.areas.empty


def test_brief_escapes_area_names(synthetic_tiny):
    ds = synthetic_tiny.dataset
    day = ds["incidents"].loc[ds["incidents"]["kind"] != "shots_fired", "occurred_at"].iloc[-1]
    b = brief(ds, day.normalize(), days=7)
    b.areas.loc[0, "Area"] = "<img src=x onerror=alert(1)>"
    html = render_brief(b, title="<b>t</b>", min_count=11)
    assert "<img src=x" not in html and "&lt;img src=x" in html and "&lt;b&gt;t&lt;/b&gt;" in html


def test_brief_command_writes_refuses_and_reports(tmp_path, tiny_city, monkeypatch):
    from workbench.cli import main

    params = tmp_path / "p.yaml"
    params.write_text(f"run_name: t\ntitle: Tiny\ndata: {{name: tiny, source: {tiny_city}, timezone: America/Chicago, "
                      "crs: auto}\nnotebooks: [00_data_overview]\n")
    monkeypatch.chdir(tmp_path)
    assert main(["brief", "--params", str(params), "--date", "2024-06-01", "--days", "7"]) == 0
    page = tmp_path / "reports" / "t-briefs" / "brief-2024-06-01-7d.html"
    assert page.read_text().startswith(MARKER)
    assert main(["brief", "--params", str(params), "--date", "2024-06-01", "--days", "7"]) == 0  # its own file
    other = tmp_path / "mine.html"
    other.write_text("not a brief")
    assert main(["brief", "--params", str(params), "--date", "2024-06-01", "--out", str(other)]) == 2
    assert other.read_text() == "not a brief"
    assert main(["brief", "--params", str(params), "--date", "not-a-date"]) == 2
    assert main(["brief", "--params", str(tmp_path / "missing.yaml"), "--date", "2024-06-01"]) == 2


def test_brief_notebook_runs_in_a_report_with_the_now_block(tmp_path, tiny_city):
    from conftest import html_text, notebook_report_params

    from workbench.report import load_params, run_report

    params = notebook_report_params(tmp_path, tiny_city, ["06_brief"], name="tinybrief")
    result = run_report(load_params(params), out=tmp_path / "out", progress=False)
    assert [r.status for r in result.notebooks] == ["ok"]
    page = html_text((tmp_path / "out" / "06_brief.html").read_text())
    assert "shooting" in page and "Not shown in the policy view." in page
    index = (tmp_path / "out" / "index.html").read_text()
    assert index.index('id="now"') < index.index('id="summary"')  # the Now block comes first
    assert 'id="now-emerging"' in index and 'id="now-gaps"' in index
    import json

    top = json.loads((tmp_path / "out" / "summary.json").read_text())["top_areas"]
    assert top and all(a["name"] in index and a["name"] != a["area_id"] for a in top)  # names, not ids
