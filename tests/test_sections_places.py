"""The places page section (workbench.sections.places): values equal the analyses', counts hidden,
bands defaulted once, distances in the reader's unit, cold spots named, unavailable parts say why."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from workbench import StatisticalWarning
from workbench import spatial as sp
from workbench.data import Dataset
from workbench.sections import cautions, places_section
from workbench.sections import places as pl
from workbench.synth import generate_city

MIN = 11


@pytest.fixture(scope="module")
def city():
    return generate_city("tiny", seed=3).dataset


@pytest.fixture(scope="module")
def page(city):
    return places_section(city, min_count=MIN, permutations=19, kde_cell_m=100)


def test_items_and_period_stop_at_the_data_end(page, city):
    from workbench.data import data_end

    assert [i.key for i in page.items] == ["near_repeat", "hotspots", "emerging", "areas", "canvass"]
    assert page.end == f"{data_end(city).end:%Y-%m-%d}"
    t = page.result.incidents["occurred_at"].dt.tz_convert(city.timezone)
    assert t.max() < pd.Timestamp(page.end, tz=city.timezone)
    assert "map cells" in page.heading("Places <b>x</b>") and "<b>" not in page.heading("Places <b>x</b>")


def test_knox_table_is_the_fit_with_small_cells_hidden(page):
    knox = page.result.knox
    assert list(knox.spatial_bands) == list(sp.DEFAULT_SPATIAL_BANDS)  # None: the one default
    assert list(knox.temporal_bands) == list(sp.DEFAULT_TEMPORAL_BANDS)
    shown, t = page.knox_table, knox.table_
    for _, r in t.iterrows():
        v = shown.loc[r.spatial_band, r.temporal_band]
        if 0 < r.observed < MIN or r.expected <= 0:
            assert np.isnan(v)
        else:
            assert v == pytest.approx(r.knox_ratio)
    item = page.item("near_repeat")
    assert item.available and item.readings and item.figure["ratios"] is shown


def test_map_cells_count_every_incident_and_hide_small_counts(page):
    cells = page.cells
    assert cells["count"].sum() == len(page.result.incidents)
    small = cells["count"] < MIN
    assert (cells.loc[small, "label"] == f"<{MIN}").all() and cells.loc[small, "suppressed"].all()
    assert (cells.loc[~small, "label"] == cells.loc[~small, "count"].astype(str)).all()
    assert page.map_inputs["cells"] is cells and page.map_inputs["cell_m"] == page.cell_m
    gi = page.result.gi
    assert (gi.loc[(gi["count"] > 0) & (gi["count"] < MIN), "label"] == f"<{MIN}").all()


def test_auto_cell_width_is_the_spatial_choice(page):
    want = sp.choose_cell_size(page.result.incidents, shape="hexagon", min_count=MIN, min_share_shown=0.5)
    assert page.cell_m == want


def test_ranked_table_has_names_not_ids(page, city):
    areas = page.item("areas")
    ranked = areas.figure["ranked"]
    assert areas.available and len(areas.table) == len(ranked)
    assert "area_id" not in areas.table and "area" in areas.table
    assert list(areas.table.columns) == ["area", str(ranked["measure"].iloc[0]), "incidents in period", "rank"]
    # the incidents column equals the count of period incidents within each area, suppressed
    a = city["areas"].to_crs(page.result.incidents.crs)
    n = gpd.sjoin(page.result.incidents[["geometry"]], a[["area_id", "geometry"]], predicate="within") \
        .groupby("area_id").size()
    for aid, lab in zip(ranked["area_id"], ranked["incidents"]):
        c = int(n.get(aid, 0))
        assert lab == (f"<{MIN}" if 0 < c < MIN else str(c))


def test_canvass_only_in_the_researcher_view(page, city):
    cv = page.item("canvass")
    assert not cv.available and cv.readings == ["Not shown in the policy view."] and not len(cv.table)
    res = pl.canvass_item(page.result, researcher_mode=True)
    assert res.available and 0 < len(res.table) <= pl.CANVASS_ROWS


@pytest.mark.parametrize("seed", [5, 8])
def test_other_seeds_agree_with_the_analyses(seed):
    ds = generate_city("tiny", seed=seed).dataset
    page = places_section(ds, "2024-01-01", None, min_count=MIN, permutations=9, kde_cell_m=100, cell_m=500)
    res = page.result
    assert page.cell_m == 500.0 and res.cell_m == 500.0
    assert page.cells["count"].sum() == len(res.incidents)
    gi = sp.gi_cells(res.incidents, ds["areas"], 500.0, seed=20261125)
    assert (gi["count"].to_numpy() == res.gi["count"].to_numpy()).all()
    assert (gi["cls"].to_numpy() == res.gi["cls"].to_numpy()).all()
    said = pl.readings(res, MIN)
    assert page.item("hotspots").readings == said["hotspots"] + said["exposure"]


def test_bands_in_feet_and_distances_in_the_readers_unit(city):
    ds = Dataset(tables=city.tables, timezone=city.timezone, crs=city.crs, name="feet", distance_unit="ft")
    page = places_section(ds, min_count=MIN, permutations=9, kde_cell_m=100, cell_m=152.4,
                          spatial_bands_m=["0 ft", "330 ft", "660 ft"], temporal_bands_days=[0, 14, 28])
    assert page.result.knox.table_["distance_to_m"].replace(np.inf, np.nan).max() == pytest.approx(660 * 0.3048)
    assert "330-660 ft" in list(page.knox_table.index)
    assert "500 ft wide" in page.heading("Places")
    assert page.map_inputs["distance_unit"] == "ft"


def _square(x0: float, y0: float, side: float) -> shapely.Polygon:
    return shapely.box(x0, y0, x0 + side, y0 + side)


def test_cold_spots_are_named_in_one_sentence():
    crs = "EPSG:32616"
    areas = gpd.GeoDataFrame({"area_id": ["A", "B"], "name": ["Northside", "Riverside"]},
                             geometry=[_square(0, 0, 1000), _square(1000, 0, 1000)], crs=crs)
    cells = gpd.GeoDataFrame({"count": [30, 3, 0, 12], "cls": ["hot spot 95%", "cold spot 95%", "cold spot 99%",
                                                             "not significant"]},
                             geometry=[_square(0, 0, 250), _square(1200, 100, 250), _square(1500, 500, 250),
                                       _square(300, 300, 250)], crs=crs)
    res = pl.PlacesResult(incidents=None, gi=pl.label_counts(cells, MIN), areas=areas)
    said = pl.readings(res, MIN)["hotspots"]
    assert len(said) == 2
    hot, cold = said
    assert hot.startswith("1 grid cell is a statistically significant hot spot") and "Northside" in hot
    assert "cold spot" in cold and "Riverside" in cold and "Northside" not in cold
    assert "fewer than 11" in cold and " 3 " not in cold  # 3 incidents in the cold cells: hidden
    none = pl.readings(pl.PlacesResult(incidents=None, gi=pl.label_counts(cells.assign(cls="not significant"), MIN)),
                       MIN)["hotspots"]
    assert none == ["No grid cell is a statistically significant hot or cold spot after adjusting for multiple "
                    "testing."]
    only_hot = pl.readings(pl.PlacesResult(incidents=None, gi=pl.label_counts(cells.assign(
        cls=["hot spot 95%"] + ["not significant"] * 3), MIN)), MIN)["hotspots"]
    assert only_hot[1] == "No grid cell is a statistically significant cold spot after adjusting for multiple testing."


def test_unavailable_parts_say_why(city):
    no_areas = Dataset(tables={"incidents": city["incidents"]}, timezone=city.timezone, crs=city.crs, name="x")
    page = places_section(no_areas, min_count=MIN, permutations=9, kde_cell_m=100, cell_m=500)
    assert not page.item("areas").available and not page.item("emerging").available
    assert "no areas" in page.item("emerging").readings[0]
    assert any("no areas" in n for n in page.item("areas").readings)
    few = Dataset(tables={"incidents": city["incidents"].iloc[:2]}, timezone=city.timezone, crs=city.crs, name="y")
    page = places_section(few, min_count=MIN, cell_m=500)
    assert page.knox_table is None and not page.item("near_repeat").available
    assert page.item("near_repeat").readings == ["Too few incidents for the test."]


def test_typed_warnings_from_the_analyses_reach_the_page(city, monkeypatch):
    original = sp.risk_window

    def warned(knox):
        warnings.warn("few pairs in the first band", StatisticalWarning, stacklevel=2)
        return original(knox)

    monkeypatch.setattr(sp, "risk_window", warned)
    shown: list[str] = []
    monkeypatch.setattr("workbench.sections.page.notice", shown.append)
    with cautions("the places analyses") as said:
        places_section(city, min_count=MIN, permutations=9, kde_cell_m=100, cell_m=500)
    assert said == ["few pairs in the first band"]
    assert shown == ["Caution from the places analyses: few pairs in the first band"]


def test_bad_cell_width_is_refused(city):
    with pytest.raises(ValueError, match="cell_m"):
        pl.analyze_places(city, cell_m="fine")
    with pytest.raises(ValueError, match="cell_m"):
        sp.cell_counts(np.zeros((2, 2)), cell_m=-1)


def test_band_parameters_default_once_and_accept_units():
    from workbench.report.params import DEFAULT_NOTEBOOKS_DIR, check_notebook_value, notebook_parameter_specs

    specs = notebook_parameter_specs(DEFAULT_NOTEBOOKS_DIR / "01_places.ipynb")
    for name in ("spatial_bands_m", "temporal_bands_days"):
        assert specs[name]["default"] == "None" and "DEFAULT_" in specs[name]["help"]
    assert check_notebook_value("spatial_bands_m", specs["spatial_bands_m"], ["0 ft", "330 ft", 200]) is None
    assert check_notebook_value("spatial_bands_m", specs["spatial_bands_m"], [0, -100]) is not None
    assert pl.band_edges() == (list(map(float, sp.DEFAULT_SPATIAL_BANDS)), list(map(float, sp.DEFAULT_TEMPORAL_BANDS)))
    assert pl.band_edges(["400 ft"], [0, 7])[0] == [pytest.approx(121.92)]


def test_emerging_cold_spot_areas_are_named(city, monkeypatch):
    from workbench.sections import now
    from workbench.sections._common import Item

    ids = city["areas"]["area_id"].astype(str).tolist()[:3]
    names = dict(zip(city["areas"]["area_id"].astype(str), city["areas"]["name"]))

    def fake(dataset, shots, end, **kw):
        return Item("emerging", "Emerging hot spots", page="01_places",
                    readings=["New hot spot (...): X.", "2 areas are cold spots (fewer shootings ...).", "Method: ..."],
                    figure={"area_id": ids, "pattern": ["new hot spot", "persistent cold spot", "new cold spot"]})

    monkeypatch.setattr(now, "emerging_item", fake)
    item = pl.emerging_places_item(city, None, MIN)
    cold = [r for r in item.readings if "cold spot" in r]
    assert len(cold) == 1 and names[ids[1]] in cold[0] and names[ids[2]] in cold[0] and names[ids[0]] not in cold[0]
    assert item.readings[-1] == "Method: ..." and item.readings[0].startswith("New hot spot")
