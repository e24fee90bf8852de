"""Exposure zones (areal interpolation by hand on two squares), doses, canvass ranking, trauma index."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from workbench.data.errors import DataError
from workbench.spatial import canvass_list, exposure_dose, exposure_zones, standardize, trauma_index

CRS = "EPSG:32618"
TZ = "America/New_York"
R = 400.0
CIRCLE = np.pi * R**2


def squares(pop=(1000, 3000), children=(200, 600)) -> gpd.GeoDataFrame:
    """A = [0, 1000] x [0, 1000], B = [1000, 2000] x [0, 1000] (1 km^2 each), in WGS84 like the contract."""
    g = gpd.GeoDataFrame(
        {"area_id": ["A", "B"], "population": list(pop), "children": list(children)},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
        crs=CRS,
    )
    return g.to_crs("EPSG:4326")


def incidents() -> gpd.GeoDataFrame:
    ts = pd.to_datetime(["2024-06-10 12:00", "2024-03-01 09:00", "2024-06-10 20:00"]).tz_localize(TZ)
    return gpd.GeoDataFrame(
        {"incident_id": ["i1", "i2", "i3"], "occurred_at": ts},
        geometry=gpd.points_from_xy([1000, 500, 1500], [500, 500, 500]),  # boundary, inside A, inside B
        crs=CRS,
    )


def places() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"place_id": ["S1", "P1"], "kind": ["school", "park"], "name": ["School", "Park"]},
        geometry=gpd.points_from_xy([1100, 700], [520, 500]),
        crs=CRS,
    ).to_crs("EPSG:4326")


def test_exposure_zone_areal_interpolation_by_hand():
    ex = exposure_zones(incidents(), squares(), places(), radius_m=R, days=7)
    rows = ex.areas.set_index(["incident_id", "area_id"])
    # i1 sits on the shared edge: half its disc in each square (1 km^2 each)
    assert rows.loc[("i1", "A"), "residents_exposed"] == pytest.approx(1000 * CIRCLE / 2 / 1e6, rel=1e-3)
    assert rows.loc[("i1", "B"), "residents_exposed"] == pytest.approx(3000 * CIRCLE / 2 / 1e6, rel=1e-3)
    assert rows.loc[("i1", "B"), "children_exposed"] == pytest.approx(600 * CIRCLE / 2 / 1e6, rel=1e-3)
    assert rows.loc[("i1", "A"), "share"] == pytest.approx(rows.loc[("i1", "B"), "share"], rel=1e-9)
    # i2 lies wholly inside A
    assert ("i2", "B") not in rows.index
    assert rows.loc[("i2", "A"), "overlap_m2"] == pytest.approx(ex.zones.geometry.iloc[1].area, rel=1e-12)
    assert rows.loc[("i2", "A"), "residents_exposed"] == pytest.approx(1000 * CIRCLE / 1e6, rel=1e-3)
    z = ex.zones.set_index("incident_id")
    assert z.loc["i1", "residents_exposed"] == pytest.approx(4000 * CIRCLE / 2 / 1e6, rel=1e-3)
    assert (z["end"] - z["start"] == pd.Timedelta(days=7)).all()
    assert str(z["start"].dt.tz) == TZ
    # places in each zone, with distances
    p = ex.places.set_index(["incident_id", "place_id"])["distance_m"]
    assert p.loc[("i1", "S1")] == pytest.approx(np.hypot(100, 20), abs=0.01)
    assert p.loc[("i1", "P1")] == pytest.approx(300, abs=0.01)
    assert p.loc[("i2", "P1")] == pytest.approx(200, abs=0.01)
    assert ("i3", "S1") not in p.index  # 400.5 m away
    assert z["n_places"].tolist() == [2, 1, 0]


def test_exposure_plain_xy_needs_crs_and_tz():
    df = pd.DataFrame({"x": [500.0], "y": [500.0], "occurred_at": pd.Timestamp("2024-01-01", tz=TZ), "incident_id": ["a"]})
    with pytest.raises(DataError, match="crs"):
        exposure_zones(df, squares())
    ex = exposure_zones(df, squares(), crs=CRS)
    assert ex.zones["residents_exposed"].iloc[0] == pytest.approx(1000 * CIRCLE / 1e6, rel=1e-3)
    with pytest.raises(DataError, match="tz-aware"):
        exposure_zones(df.assign(occurred_at=pd.Timestamp("2024-01-01")), squares(), crs=CRS)
    with pytest.raises(DataError, match="population"):
        exposure_zones(df, squares().drop(columns="population"), crs=CRS)


def test_exposure_dose_and_repeat():
    ex = exposure_zones(incidents(), squares(), radius_m=R)
    start, end = pd.Timestamp("2024-01-01", tz=TZ), pd.Timestamp("2025-01-01", tz=TZ)
    years = (end - start).total_seconds() / (365.25 * 86400)
    dose = exposure_dose(ex, start=start, end=end).set_index("area_id")
    a_res = 1000 * CIRCLE / 2 / 1e6 + 1000 * CIRCLE / 1e6
    assert dose.loc["A", "exposures"] == 2 and dose.loc["B", "exposures"] == 2
    assert dose.loc["A", "resident_exposures"] == pytest.approx(a_res, rel=1e-3)
    assert dose.loc["A", "dose_per_resident_year"] == pytest.approx(a_res / 1000 / years, rel=1e-3)
    assert dose.loc["B", "dose_per_child_year"] == pytest.approx(1.5 * CIRCLE / 1e6 / years, rel=1e-3)
    assert dose["repeat_exposed"].tolist() == [True, True]
    short = exposure_dose(ex, start=start, end=end, repeat_window_days=30).set_index("area_id")
    assert short.loc["A", "max_exposures_in_window"] == 1  # March and June
    assert short.loc["B", "max_exposures_in_window"] == 2  # same day
    only_june = exposure_dose(ex, start="2024-06-01", end="2024-07-01").set_index("area_id")
    assert only_june.loc["A", "exposures"] == 1


def test_canvass_ranking_by_residents_then_prior_exposure():
    ex = exposure_zones(incidents(), squares(), places(), radius_m=R)
    day = canvass_list(ex, date="2024-06-10")
    assert set(day.incident_id) == {"i1", "i3"}
    i1 = day[day.incident_id == "i1"]
    assert i1.target_id.tolist() == ["B", "A", "P1", "S1"]  # residents: B > A; places: P1 has a prior zone
    assert i1["rank"].tolist() == [1, 2, 3, 4]
    assert i1.set_index("target_id").loc["P1", "prior_exposures"] == 1
    i3 = day[day.incident_id == "i3"].set_index("target_id")
    assert i3.loc["B", "prior_exposures"] == 1  # i1, eight hours earlier
    # equal residents: prior exposure breaks the tie (A had i2 in March)
    tie = canvass_list(exposure_zones(incidents(), squares(pop=(2000, 2000)), radius_m=R), "i1")
    areas = tie[tie.target == "area"]
    assert areas.target_id.tolist() == ["A", "B"]
    assert areas.prior_exposures.tolist() == [1, 0]
    with pytest.raises(DataError, match="i9"):
        canvass_list(ex, ["i9"])
    with pytest.raises(ValueError):
        canvass_list(ex)


def test_trauma_index_by_hand_with_missing_component():
    areas = pd.DataFrame(
        {
            "area_id": ["a1", "a2", "a3", "a4"],
            "unemployment_rate": [0.05, 0.10, 0.15, 0.20],
            "vacancy_rate": [0.1, np.nan, 0.3, 0.2],
        }
    )
    violence = pd.Series({"a1": 0.0, "a2": 1.0, "a3": 2.0, "a4": 5.0})
    out = trauma_index(areas, violence, weights={"violence": 0.5, "unemployment_rate": 0.25, "vacancy_rate": 0.25, "food_insecurity_rate": 0.1})
    assert any("food_insecurity_rate" in n for n in out.attrs["notes"])
    z = lambda v: (v - np.nanmean(v)) / np.nanstd(v)  # noqa: E731
    zv, zu, zx = z(violence.to_numpy()), z(areas.unemployment_rate.to_numpy()), z(areas.vacancy_rate.to_numpy())
    expect = (0.5 * zv + 0.25 * zu + 0.25 * np.nan_to_num(zx)) / np.where(np.isnan(zx), 0.75, 1.0)
    got = out.set_index("area_id").loc[["a1", "a2", "a3", "a4"], "index"].to_numpy()
    np.testing.assert_allclose(got, expect)
    row2 = out.set_index("area_id").loc["a2"]
    assert "vacancy_rate" in row2["missing"] and row2["weight_used"] == pytest.approx(0.75 / 1.1)
    assert out["rank"].tolist() == [1, 2, 3, 4] and out.area_id.iloc[0] == "a4"
    pct = trauma_index(areas, violence, method="percentile", min_weight=0.9)
    assert pct.set_index("area_id").loc["a2", "index"] is pd.NA or np.isnan(pct.set_index("area_id").loc["a2", "index"])
    assert standardize(pd.Series([1.0, 2.0, 3.0]), "percentile").tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_dataset_inputs_are_accepted():
    from workbench.data.dataset import Dataset
    from workbench.spatial import KernelDensity, KnoxTest

    inc = incidents()
    ll = inc.to_crs("EPSG:4326")
    table = pd.DataFrame({"incident_id": inc.incident_id, "occurred_at": inc.occurred_at, "lon": ll.geometry.x, "lat": ll.geometry.y, "kind": "nonfatal_shooting"})
    ds = Dataset({"areas": squares(), "places": places(), "incidents": table}, timezone=TZ, crs=CRS, name="two squares")
    via_ds = exposure_zones(ds, radius_m=R)
    direct = exposure_zones(inc, squares(), places(), radius_m=R)
    pd.testing.assert_frame_equal(
        via_ds.areas.drop(columns=["overlap_m2", "share", "residents_exposed", "children_exposed"]),
        direct.areas.drop(columns=["overlap_m2", "share", "residents_exposed", "children_exposed"]),
    )
    np.testing.assert_allclose(via_ds.areas.residents_exposed, direct.areas.residents_exposed, rtol=1e-6)
    assert KnoxTest(permutations=9, seed=1).fit(ds).n_ == 3
    assert KernelDensity(bandwidth=100, cell_size=20).fit(ds).n_ == 3
    empty = Dataset({"incidents": table}, timezone=TZ, crs=CRS, name="no areas")
    with pytest.raises(DataError, match="areas"):
        exposure_zones(empty)


def test_exposure_chunks_give_the_same_result(monkeypatch):
    """Zones are built and overlaid in chunks (memory bound on 2 M incidents); chunk size never changes a value."""
    from workbench.sections.places import period_points
    from workbench.spatial import exposure as mod
    from workbench.synth import generate_city

    ds = generate_city("tiny", seed=1).dataset
    inc = period_points(ds)
    whole = exposure_zones(inc, ds["areas"], ds.get("places"))
    monkeypatch.setattr(mod, "_CHUNK", 7)
    chunked = exposure_zones(inc, ds["areas"], ds.get("places"))
    assert len(whole.zones) == len(inc) and len(whole.areas) > len(inc) and len(whole.places) > 0
    pd.testing.assert_frame_equal(whole.areas, chunked.areas, check_exact=True)
    pd.testing.assert_frame_equal(whole.places, chunked.places, check_exact=True)
    pd.testing.assert_frame_equal(pd.DataFrame(whole.zones), pd.DataFrame(chunked.zones), check_exact=True)


def test_zones_without_polygons_give_the_same_figures():
    """``keep_polygons=False`` keeps each shooting's point (the zone is its buffer): every figure is
    the same, and buffering the points gives back the zone polygons."""
    inc = incidents()
    full = exposure_zones(inc, squares(), places(), radius_m=R)
    light = exposure_zones(inc, squares(), places(), radius_m=R, keep_polygons=False)
    pd.testing.assert_frame_equal(full.summary_, light.summary_, check_exact=True)
    pd.testing.assert_frame_equal(full.areas_, light.areas_, check_exact=True)
    pd.testing.assert_frame_equal(full.places_, light.places_, check_exact=True)
    assert set(light.zones_.geom_type) == {"Point"} and set(full.zones_.geom_type) == {"Polygon"}
    rebuilt = light.zones_.buffer(R, quad_segs=32)
    np.testing.assert_allclose(rebuilt.area, full.zones_.area, rtol=1e-9)
    assert float(shapely.hausdorff_distance(rebuilt.to_numpy(), full.zones_.geometry.to_numpy()).max()) < 1e-6 * R
