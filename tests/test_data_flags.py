"""Real-data quality flags, the one data end, and distance units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data import Dataset, data_end, data_quality_summary, load_dataset, quality_flags
from workbench.data.flags import stray_mask
from workbench.data.units import band_label, format_distance, parse_distance, parse_distances

TZ = "America/New_York"


def _dataset(times, lon=None, lat=None, ids=None) -> Dataset:
    t = pd.DatetimeIndex(pd.to_datetime(times)).tz_localize(TZ)
    n = len(t)
    rng = np.random.default_rng(0)
    inc = pd.DataFrame({
        "incident_id": ids or [f"I{k}" for k in range(n)],
        "occurred_at": t,
        "lon": lon if lon is not None else -75.15 + rng.random(n) * 0.05,
        "lat": lat if lat is not None else 39.95 + rng.random(n) * 0.05,
        "kind": "nonfatal_shooting",
    })
    return Dataset(tables={"incidents": inc}, timezone=TZ, crs="EPSG:32618")


def _daily(start: str, end: str, per_day: int = 3) -> list[pd.Timestamp]:
    days = pd.date_range(start, end, freq="D")
    return [d + pd.Timedelta(hours=6 + 5 * k) for d in days for k in range(per_day)]


def test_lone_record_months_after_the_rest_is_stray_and_ignored_by_the_data_end():
    times = _daily("2024-01-01", "2024-12-31") + [pd.Timestamp("2025-11-26 23:54")]
    ds = _dataset(times)
    mask = stray_mask(ds.tables["incidents"]["occurred_at"])
    assert mask.sum() == 1 and mask[-1]
    end = data_end(ds)
    assert end.through == pd.Timestamp("2024-12-31", tz=TZ)
    assert end.end == pd.Timestamp("2025-01-01", tz=TZ)
    flags = quality_flags(ds)
    assert list(flags["flag"]) == ["stray dates"]
    assert "2025-11" in flags["detail"].iloc[0] and "2025-11-26" not in flags["detail"].iloc[0]


def test_partial_last_month_moves_the_data_end_back():
    ds = _dataset(_daily("2024-01-01", "2025-01-26"))
    end = data_end(ds)
    assert end.through == pd.Timestamp("2024-12-31", tz=TZ)
    assert "January 2025 incomplete" in end.rule
    flags = quality_flags(ds)
    row = flags[flags["flag"] == "partial month"].iloc[0]
    assert "last month 2025-01 ends on day 26" in row["detail"]
    assert row["n_rows"] == 26 * 3


def test_sparse_data_last_month_complete_within_three_typical_gaps():
    # one record every 2 days; last one 1.5 days before the month's end: complete
    times = list(pd.date_range("2024-01-01 12:00", "2024-12-30 00:00", freq="2D"))
    ds = _dataset(times)
    assert data_end(ds).through == pd.Timestamp("2024-12-31", tz=TZ)
    assert "partial month" not in set(quality_flags(ds)["flag"])


def test_same_place_and_time_and_stacked_points():
    times = _daily("2024-01-01", "2024-03-31")
    n = len(times)
    lon = -75.15 + np.random.default_rng(1).random(n) * 0.05
    lat = 39.95 + np.random.default_rng(2).random(n) * 0.05
    times[1] = times[0]
    lon[1], lat[1] = lon[0], lat[0]  # one event under two ids
    lon[10:30], lat[10:30] = -75.1635, 39.9526  # 20 records geocoded to one default point
    ds = _dataset(times, lon, lat)
    flags = quality_flags(ds, examples=2).set_index("flag")
    assert flags.loc["same place and time", "n_rows"] == 2
    assert "(e.g. I0, I1)" in flags.loc["same place and time", "detail"]
    assert flags.loc["stacked coordinates", "n_rows"] == 20
    assert "(-75.16350, 39.95260)" in flags.loc["stacked coordinates", "detail"]
    assert "-75.16350" not in quality_flags(ds).set_index("flag").loc["stacked coordinates", "detail"]


def test_implausible_values():
    ds = _dataset(_daily("2024-01-01", "2024-01-31"))
    ds.tables["people"] = pd.DataFrame({"person_id": ["p1", "p2"], "birth_year": pd.array([1850, 1990], "Int64"),
                                        "sex": "male", "race_ethnicity": "black"})
    ds.tables["victimizations"] = pd.DataFrame({"incident_id": ["I0", "I1"], "person_id": ["p1", "p2"],
                                                "fatal": [False, False]})
    at = ds.tables["incidents"]["occurred_at"].iloc[:2].reset_index(drop=True)
    ds.tables["responses"] = pd.DataFrame({"response_id": ["r1", "r2"], "incident_id": ["I0", "I1"],
                                           "arrived_at": at, "departed_at": at - pd.Timedelta("1h")})
    flags = quality_flags(ds)
    got = {(r.table, r.column): r.n_rows for r in flags.itertuples()}
    assert got[("people", "birth_year")] == 1
    assert got[("victimizations", "age")] == 1
    assert got[("responses", "arrived_at/departed_at")] == 2


def test_flags_reach_the_quality_summary_at_load(tmp_path):
    rows = "\n".join(f"I{k},{t:%Y-%m-%d %H:%M},-75.15,{39.95 + k * 1e-4:.4f}"
                     for k, t in enumerate(_daily("2024-01-01", "2024-02-14")))
    (tmp_path / "e.csv").write_text("id,when,lon,lat\n" + rows + "\n")
    ds = load_dataset({"source": str(tmp_path), "timezone": TZ, "tables": {"incidents": {
        "files": "e.csv", "columns": {"incident_id": "id", "occurred_at": "when"},
        "constants": {"kind": "nonfatal_shooting"}}}})
    q = data_quality_summary(ds)
    table_note = q[(q.table == "incidents") & (q.column == "(table)")]["notes"].iloc[0]
    assert "data through 2024-01-31" in table_note
    col_note = q[(q.table == "incidents") & (q.column == "occurred_at")]["notes"].iloc[0]
    assert "partial month: last month 2024-02" in col_note


def test_synthetic_city_has_no_false_flags(synthetic_tiny):
    flags = quality_flags(synthetic_tiny.dataset)
    assert not set(flags["flag"]) & {"stray dates", "stacked coordinates", "same place and time"}
    assert data_end(synthetic_tiny.dataset).through == pd.Timestamp("2024-12-31", tz="America/Chicago")


# -- units ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "meters, unit, label",
    [(121.92, "ft", "400 ft"), (365.761, "m", "370 m"), (365.76, "ft", "1,200 ft"), (100, "m", "100 m"),
     (30.48, "ft", "100 ft"), (0, "ft", "0 ft")],
)
def test_format_distance(meters, unit, label):
    assert format_distance(meters, unit) == label


def test_bands_in_either_unit():
    assert parse_distances([0, "400 ft", "120 m"]) == pytest.approx([0, 121.92, 120])
    assert parse_distance(400, "ft") == pytest.approx(121.92)
    assert band_label(0, 121.92, "ft") == "0-400 ft"
    assert band_label(182.88, float("inf"), "ft") == "600 ft or more"
    with pytest.raises(ValueError, match="400 ft"):
        parse_distance("four hundred feet")


def test_distance_unit_kept_with_the_dataset(tmp_path):
    ds = _dataset(_daily("2024-01-01", "2024-01-10"))
    ds.distance_unit = "ft"
    back = Dataset.from_folder(ds.to_folder(tmp_path / "c"))
    assert back.distance_unit == "ft"


def test_same_location_pairs_counts_pairs_and_same_time_share():
    from workbench.data.flags import same_location_pairs

    t = pd.Timestamp("2024-01-01 10:00", tz=TZ)
    inc = pd.DataFrame({"lon": [1.0, 1.0, 1.0, 2.0, 3.0], "lat": [5.0, 5.0, 5.0, 6.0, 7.0],
                        "occurred_at": [t, t, t + pd.Timedelta("1D"), t, t]})
    s = same_location_pairs(inc)
    assert s["pairs"] == 3 and s["same_time"] == 1
    assert s["share_same_time"] == pytest.approx(1 / 3) and s["share_incidents"] == pytest.approx(0.6)


def test_knox_bands_in_feet_end_to_end(synthetic_tiny):
    from workbench.sections import places as pl
    from workbench.data.units import relabel_bands

    ds = synthetic_tiny.dataset
    bands = parse_distances(["0 ft", "330 ft", "660 ft", "1000 ft"])
    res = pl.analyze_places(ds, spatial_bands_m=bands, permutations=19)
    assert res.knox.table_["distance_from_m"].max() == pytest.approx(1000 * 0.3048)
    shown = relabel_bands(pl.knox_display(res.knox, 11), "ft")
    assert list(shown.index) == ["same location", "0-330 ft", "330-660 ft", "660-1,000 ft", "1,000 ft or more"]
    assert list(shown.attrs["p"].index) == list(shown.index)
    assert relabel_bands(shown, "m") is shown
