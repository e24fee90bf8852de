"""The data overview page's section (workbench.sections.overview) on synthetic cities: counts equal
the incidents, suppressed cells are markers, figure inputs hide what the tables hide, and the
index describes each notebook as it is."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from workbench.data import Dataset, data_end, incident_area_ids, incidents_in_period, validate
from workbench.privacy import suppressed_mask, suppression_marker
from workbench.sections.overview import (
    OverviewSection,
    area_rates,
    monthly_counts,
    monthly_hidden,
    overview_section,
    readings,
    table_overview,
)
from workbench.synth import generate_city

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=[3, 11])
def city(request) -> Dataset:
    ds = generate_city("tiny", seed=request.param).dataset
    return validate(Dataset(tables={k: v for k, v in ds.tables.items() if len(v)}, timezone=ds.timezone,
                            crs=ds.crs, name=f"seed {request.param}"))


@pytest.fixture(scope="module")
def page(city) -> OverviewSection:
    return overview_section(city, 11)


def _local_months(ds: Dataset, inc: pd.DataFrame) -> pd.Series:
    return inc["occurred_at"].dt.tz_convert(ds.timezone).dt.strftime("%Y-%m")


def test_period_ends_at_the_data_end_and_counts_equal_the_incidents(city, page):
    de = data_end(city)
    assert page.end == f"{de.end:%Y-%m-%d}" and f"through {de.through:%Y-%m-%d} (the data end)" in page.lede
    inc = incidents_in_period(city, None, page.end)
    assert len(inc) == int((city["incidents"]["occurred_at"] < de.end).sum())
    raw = monthly_counts(city, None, page.end)
    assert int(raw["total"].sum()) == len(inc)
    want = pd.crosstab(_local_months(city, inc), inc["kind"].astype(str))
    for kind in want.columns:
        got = raw.set_index("month")[kind]
        assert (got.reindex(want.index) == want[kind]).all(), kind


def test_monthly_table_shows_markers_and_the_chart_hides_the_same_months(city, page):
    raw = monthly_counts(city, None, page.end)
    kinds = [c for c in raw.columns if c not in ("month", "total")]
    table, marker = page.monthly_table, suppression_marker(11)
    small = suppressed_mask(raw[kinds].to_numpy(), 11)
    assert (table[kinds].to_numpy()[small] == marker).all()
    shown = ~(table[kinds].astype(str).isin([marker, "n/s"]).to_numpy())
    assert (table[kinds].to_numpy()[shown].astype(int) == raw[kinds].to_numpy()[shown]).all()
    hidden_total = table["total"].astype(str).isin([marker, "n/s"]).to_numpy()
    assert (page.monthly["hidden"].to_numpy() == hidden_total).all()
    assert (page.monthly["hidden"].to_numpy() == monthly_hidden(raw, 11)).all()
    assert page.monthly.loc[page.monthly["hidden"], "total"].isna().all()  # the figure input holds no hidden total
    assert (page.monthly.loc[~page.monthly["hidden"], "total"] == raw.loc[~hidden_total, "total"]).all()


def test_tables_quality_and_readings(city, page):
    t = table_overview(city).set_index("table")
    rows = page.tables.set_index("table")["rows"]
    for name, n in rows.items():
        assert n == (suppression_marker(11) if 0 < t.loc[name, "rows"] < 11 else t.loc[name, "rows"])
    assert set(rows.index) == set(t.index[t["present"]])
    assert {"table", "column", "rows", "nulls"} <= set(page.quality.columns)
    assert any(n.startswith(f"**Data through {data_end(city).through:%Y-%m-%d}**") for n in page.quality_notes)
    rates = area_rates(city, None, page.end, 11)
    assert page.readings == readings(monthly_counts(city, None, page.end), rates, 11)
    in_period = len(incidents_in_period(city, None, page.end))
    assert int(page.rates["incidents"].sum()) + page.rates.attrs["outside_areas"] == in_period


def test_maps_with_boundaries(city, page):
    assert page.rates is not None and page.rates_table is None and page.outlines is city["areas"]
    assert page.rates["suppressed"].tolist() == suppressed_mask(page.rates["incidents"].to_numpy(), 11).tolist()
    total = np.nansum(overview_section(city, 1).density.density) * (page.density.cell_m / 1000) ** 2
    assert total == pytest.approx(len(incidents_in_period(city, None, page.end)), rel=0.2)
    assert page.area_notes == []


def test_area_codes_without_boundaries_give_a_table(city):
    areas = pd.DataFrame(city["areas"].drop(columns="geometry"))
    inc = city["incidents"].assign(area_id=incident_area_ids(city).to_numpy()).dropna(subset=["area_id"])
    codes = Dataset(tables={**city.tables, "areas": areas, "incidents": inc}, timezone=city.timezone,
                    crs=city.crs, name="codes")
    page = overview_section(codes, 11)
    assert page.outlines is None and page.density is not None
    t = page.rates_table
    assert list(t.columns) == ["area_id", "incidents", "rate per 1,000 residents"]
    counts = inc.loc[inc["occurred_at"] < data_end(codes).end, "area_id"].value_counts()
    for aid, n in zip(t["area_id"], t["incidents"]):
        want = int(counts.get(aid, 0))
        assert n == (suppression_marker(11) if 0 < want < 11 else want)
    hidden = t["incidents"].astype(str) == suppression_marker(11)
    assert t.loc[hidden, "rate per 1,000 residents"].isna().all()  # no rate of a hidden count
    assert any("without boundaries" in n for n in page.area_notes)


def test_no_areas_and_hostile_names(city):
    ds = Dataset(tables={k: v for k, v in city.tables.items() if k != "areas"}, timezone=city.timezone,
                 crs=city.crs, name="<b>x</b> [link](http://e.vil) _y_")
    page = overview_section(ds, 11, start="2024-03-01")
    assert page.rates is None and page.density is None and page.rates_table is None
    assert page.area_notes == ["These data have no areas, so no map can be drawn."]
    assert "<b>" not in page.lede and "](" not in page.lede and "\\_y\\_" in page.lede
    assert page.lede.endswith(f"period from 2024\\-03\\-01 through {data_end(ds).through:%Y-%m-%d} (the data end).")
    assert page.monthly["month"].iloc[0] == "2024-03"


def test_an_end_parameter_is_kept(city):
    page = overview_section(city, 11, end="2024-07-01")
    assert page.end == "2024-07-01" and page.monthly["month"].iloc[-1] == "2024-06"
    assert "to 2024\\-07\\-01" in page.lede


# -- the index's one line per section ------------------------------------------------------------

_SKIP = {"methods and caveats", "reading the numbers"}


def _words(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3}


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "notebooks").glob("0*.ipynb")))
def test_index_description_matches_the_notebook(name):
    """Every policy heading of the notebook shares a word with the index's line, and the line
    shares words with the notebook's opening paragraph."""
    from workbench.report.index import SECTION_DESCRIPTIONS

    desc = _words(SECTION_DESCRIPTIONS[name])
    md = [c.source for c in nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells
          if c.cell_type == "markdown"]
    assert len(desc & _words(md[0])) >= 5, name
    for cell in md[1:]:
        for line in cell.splitlines():
            heading = line.lstrip("#").strip()
            if line.startswith("## ") and heading.lower() not in _SKIP and "research" not in heading.lower():
                assert desc & _words(heading), (name, heading)


def test_notebook_is_calls_and_prose():
    nb = nbformat.read(ROOT / "notebooks" / "00_data_overview.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert sum(len(s.splitlines()) for s in code) < 80
    text = "\n".join(code)
    for computed_here in ("suppress_counts(", "monthly_counts(", "overview.area_rates(", "density_grid(", "quality_table(",
                          "except Exception", "warnings.simplefilter", ">= min_count"):
        assert computed_here not in text, computed_here
    assert "overview_section(ds, min_count, start, end)" in text
