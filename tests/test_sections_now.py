"""The index's Now block: names the planted recent spots of the demo city, suppresses counts,
escapes text, and says what it cannot compute."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.data import area_names
from workbench.data.dataset import Dataset
from workbench.privacy import suppression_marker
from workbench.report.now import render_now
from workbench.sections import now_block

REPO = Path(__file__).resolve().parents[1]
PHILLY = REPO.parent / "shared" / "data" / "philadelphia"
EMERGING_NOW = ("new hot spot", "consecutive hot spot", "intensifying hot spot")


@pytest.fixture(scope="module")
def demo_now(synthetic_demo):
    return now_block(synthetic_demo.dataset, min_count=11)


def _names(city):
    return area_names(city.dataset["areas"])


def _assert_suppressed(table: pd.DataFrame, columns, min_count=11):
    marker = suppression_marker(min_count)
    for c in columns:
        for v in table[c]:
            assert v == marker or v == 0 or (isinstance(v, (int, np.integer)) and v >= min_count), (c, v)


def test_demo_now_names_the_planted_emerging_spot(synthetic_demo, demo_now):
    planted = synthetic_demo.truth["planted"]
    name = _names(synthetic_demo)[planted["emerging_area"]]
    em = demo_now.item("emerging")
    row = em.table[em.table["Area"] == name]
    assert len(row) == 1 and row["Pattern"].iloc[0] in EMERGING_NOW
    assert any(name in s for s in em.readings)
    _assert_suppressed(em.table, [c for c in em.table.columns if c.startswith("Shootings")])


def test_demo_now_names_the_planted_near_repeat_chain_and_its_gaps(synthetic_demo, demo_now):
    planted = synthetic_demo.truth["planted"]
    name = _names(synthetic_demo)[planted["chain_area"]]
    nr = demo_now.item("near_repeat")
    assert nr.available and name in nr.table["Area"].tolist()
    # the chain's four shootings: after the emerging spot's six, the most of any area
    assert name in nr.table["Area"].iloc[:2].tolist()
    counts = ["Shootings here with an open window", "Open near-repeat windows touching it"]
    assert nr.table.columns.tolist()[:4] == ["Area", *counts, "Raised risk until"]
    _assert_suppressed(nr.table, counts)
    gaps = demo_now.item("gaps")
    assert name in gaps.table["Area"].tolist()  # police only, never referred
    _assert_suppressed(gaps.table, gaps.table.columns[1:])


def test_demo_now_dose_names_the_over_patrolled_areas(synthetic_demo, demo_now):
    dose = demo_now.item("dose")
    names = _names(synthetic_demo)
    biased = {names[a] for a in synthetic_demo.truth["patrols"]["biased_areas"]}
    flagged = set(dose.table["Area"])
    assert len(flagged & biased) >= 0.8 * len(biased)
    assert len(flagged - biased) <= 2
    assert all("A0" not in s for s in dose.readings)  # names, not ids


def test_every_item_has_sentences_and_json_round_trips(demo_now):
    js = demo_now.to_json()
    assert [i["key"] for i in js["items"]] == ["near_repeat", "emerging", "gaps", "dose"]
    for it in js["items"]:
        assert it["readings"] and all(isinstance(s, str) and s.endswith(".") for s in it["readings"])
        for row in it["rows"]:
            assert all(isinstance(v, (int, float, str)) for v in row.values())
            assert "nan" not in {str(v).lower() for v in row.values()}


def test_render_now_escapes_text_and_links_pages(demo_now):
    js = demo_now.to_json()
    js["items"][1]["rows"][0]["Area"] = "<script>alert(1)</script>"
    js["items"][1]["readings"].append("Area <b>x</b> & y.")
    out = render_now(js, {"01_places": "01_places.html"}, 11)
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;b&gt;x&lt;/b&gt; &amp; y." in out
    assert 'href="01_places.html"' in out and 'id="now-emerging"' in out
    assert "03_response.html" not in out  # that page did not run: no link
    assert render_now(None) == ""


def test_tiny_city_and_missing_tables_say_what_cannot_be_computed(synthetic_tiny):
    ds = synthetic_tiny.dataset
    block = now_block(ds, min_count=11)
    assert all(it.readings for it in block.items)
    bare = Dataset(tables={"incidents": ds["incidents"]}, timezone=ds.timezone, crs=ds.crs, name="bare")
    b2 = now_block(bare, min_count=11)
    assert not b2.item("gaps").available and not b2.item("dose").available
    assert not b2.item("emerging").available
    assert "no areas" in b2.item("emerging").readings[0]


def test_short_days_must_not_exceed_long_days(synthetic_tiny):
    with pytest.raises(ValueError, match="short_days"):
        now_block(synthetic_tiny.dataset, short_days=30, long_days=7)


def test_now_params_validate(tmp_path):
    from workbench.report.params import NowParams

    assert NowParams().long_days == 28
    with pytest.raises(Exception, match="short_days"):
        NowParams(short_days=30, long_days=7)


@pytest.mark.philadelphia
@pytest.mark.skipif(not PHILLY.is_dir(), reason=f"real data not found at {PHILLY}")
def test_philadelphia_now_block_names_real_neighbourhoods():
    import yaml

    from workbench.data import load_dataset

    params = yaml.safe_load((REPO / "parameters" / "philadelphia.yaml").read_text())
    ds = load_dataset(REPO / "parameters" / "philadelphia.yaml")
    block = now_block(ds, time_window=params["now"]["time_window"])
    hoods = set(ds["areas"]["name"])
    nr, em = block.item("near_repeat"), block.item("emerging")
    assert len(nr.table) and set(nr.table["Area"]) <= hoods
    assert len(em.table) and set(em.table["Area"]) <= hoods
    assert "Hunting Park-Fairhill" in set(em.table["Area"])
    assert not block.item("gaps").available  # no response records in these data
    assert block.end < pd.Timestamp("2025-02-01", tz="America/New_York")  # the stray late record is left out


def test_places_page_shows_the_emerging_hot_spots(tmp_path, tiny_city):
    from conftest import html_text, notebook_report_params

    from workbench.report import load_params, run_report

    params = notebook_report_params(tmp_path, tiny_city, ["01_places"], name="tinyplaces",
                                    **{"01_places": {"permutations": 99}})
    run_report(load_params(params), out=tmp_path / "out", progress=False)
    page = html_text((tmp_path / "out" / "01_places.html").read_text())
    assert "Which areas are heating up or cooling down?" in page
    assert "Emerging Hot Spot Analysis" in page
    index = (tmp_path / "out" / "index.html").read_text()
    assert 'href="01_places.html"' in index[index.index('id="now-emerging"'):]
