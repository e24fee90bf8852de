"""The contract and ``validate``: every bad input gives one DataError naming source, column,
count of bad rows and first ids."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from data_fixtures import TZ, X0, Y0, tiny_dataset, tiny_tables
from shapely.geometry import Point

from workbench.data import (
    REFERENCES,
    SCHEMAS,
    TABLES,
    DataError,
    Dataset,
    data_quality_summary,
    validate,
)


def _problems(ds: Dataset, **kw) -> list:
    with pytest.raises(DataError) as exc:
        validate(ds, **kw)
    return exc.value.problems


def test_schemas_and_references_cover_the_contract():
    assert set(SCHEMAS) == set(TABLES)
    assert {"incident_id", "occurred_at", "lon", "lat", "kind"} <= set(SCHEMAS["incidents"].columns)
    assert not SCHEMAS["areas"].columns["households"].required
    refs = {str(r) for r in REFERENCES}
    assert "victimizations.incident_id -> incidents.incident_id" in refs
    assert "followups.referral_id -> referrals.referral_id" in refs
    assert "people.home_area_id -> areas.area_id" in refs
    assert "patrols.area_id -> areas.area_id" in refs
    assert "incidents.area_id -> areas.area_id" in refs  # areas given as codes
    assert len(refs) == 10


def test_valid_dataset_passes_and_keeps_contract_types():
    ds = validate(tiny_dataset())
    inc = ds["incidents"]
    assert list(inc.columns) == ["incident_id", "occurred_at", "lon", "lat", "kind"]
    assert str(inc["occurred_at"].dtype) == f"datetime64[ns, {TZ}]"
    assert ds["victimizations"]["fatal"].dtype == bool
    assert str(ds["people"]["birth_year"].dtype) == "Int64"
    assert isinstance(ds["areas"], gpd.GeoDataFrame) and ds["areas"].crs.to_epsg() == 4326
    assert ds.crs == "EPSG:32616"
    assert ds.fingerprint() == validate(tiny_dataset()).fingerprint()


def test_auto_crs_is_the_utm_zone():
    ds = tiny_dataset()
    ds.crs = "auto"
    assert validate(ds).crs == "EPSG:32616"  # Chicago: UTM 16N


def test_missing_required_column_names_closest_source_column():
    inc = tiny_tables()["incidents"].rename(columns={"occurred_at": "occured_at"})
    (p,) = _problems(tiny_dataset(incidents=inc))
    assert p.source == "incidents" and p.column == "occurred_at"
    assert "missing required column 'occurred_at'" in p.message
    assert "closest source column: 'occured_at'" in p.message


def test_unparseable_dates_name_rows_by_key():
    inc = tiny_tables()["incidents"]
    inc["occurred_at"] = ["2024-01-05 22:10", "not a date", "2024-07-04 23:55", "31/31/2024"]
    (p,) = _problems(tiny_dataset(incidents=inc), localize=True)
    assert p.column == "occurred_at" and p.message == "unparseable date"
    assert p.n_rows == 2 and p.first_ids == ("I2", "I4")
    assert "(2 rows; first: I2, I4)" in str(p)


def test_duplicate_id_is_reported_with_the_id():
    inc = tiny_tables()["incidents"]
    inc.loc[2, "incident_id"] = "I1"
    problems = _problems(tiny_dataset(incidents=inc))
    dup = [p for p in problems if p.message == "duplicate key"]
    assert len(dup) == 1
    assert dup[0].column == "incident_id" and dup[0].n_rows == 2 and dup[0].first_ids == ("I1",)


def test_duplicate_composite_key():
    vic = tiny_tables()["victimizations"]
    vic = pd.concat([vic, vic.iloc[[1]]], ignore_index=True)
    (p,) = _problems(tiny_dataset(victimizations=vic))
    assert p.column == "incident_id/person_id" and p.first_ids == ("I2/p2",) and p.n_rows == 2


def test_unknown_code_lists_values_and_allowed_codes():
    inc = tiny_tables()["incidents"]
    inc.loc[[1, 3], "kind"] = ["shooting", "homicide"]
    (p,) = _problems(tiny_dataset(incidents=inc))
    assert p.column == "kind" and p.n_rows == 2 and p.first_ids == ("I2", "I4")
    assert p.message.startswith("unknown code 'shooting', 'homicide'")
    assert "allowed: fatal_shooting, nonfatal_shooting, shots_fired" in p.message


def test_missing_value_and_out_of_range():
    areas = tiny_tables()["areas"]
    areas["unemployment_rate"] = [0.1, 1.7]
    inc = tiny_tables()["incidents"]
    inc.loc[0, "lat"] = np.nan
    problems = _problems(tiny_dataset(areas=areas, incidents=inc))
    by_col = {p.column: p for p in problems}
    assert by_col["unemployment_rate"].first_ids == ("A2",)
    assert "out of range (must be <= 1)" in by_col["unemployment_rate"].message
    assert by_col["lat"].message == "missing value" and by_col["lat"].first_ids == ("I1",)


def test_bad_key_is_reported_by_row_number():
    inc = tiny_tables()["incidents"]
    inc.loc[2, "incident_id"] = None
    (p,) = _problems(tiny_dataset(incidents=inc))
    assert p.column == "incident_id" and p.first_ids == ("row 3",)


def test_reference_to_missing_incident():
    vic = tiny_tables()["victimizations"]
    vic.loc[3, "incident_id"] = "I99"
    (p,) = _problems(tiny_dataset(victimizations=vic))
    assert p.source == "victimizations" and p.column == "incident_id"
    assert p.message == "refers to incident_id not in incidents: 'I99'"
    assert p.n_rows == 1 and p.first_ids == ("I99/p4",)


def test_references_skip_absent_tables():
    ds = validate(tiny_dataset(people=None, arrests=None, referrals=None, followups=None))
    assert "people" not in ds


def test_point_outside_the_study_area():
    inc = tiny_tables()["incidents"]
    inc.loc[1, ["lon", "lat"]] = [X0 - 0.05, Y0]  # ~4 km west
    inc.loc[2, ["lon", "lat"]] = [X0 - 0.0001, Y0 + 0.005]  # ~8 m west: inside the buffer
    (p,) = _problems(tiny_dataset(incidents=inc))
    assert p.column == "lon/lat" and p.n_rows == 1 and p.first_ids == ("I2",)
    assert "point outside the study area (union of areas, buffer 25 m)" in p.message
    # no tolerance: both are out
    (p,) = _problems(tiny_dataset(incidents=inc), study_area_buffer_m=0)
    assert p.n_rows == 2


def test_explicit_study_area_boundary():
    inc = tiny_tables()["incidents"]
    boundary = gpd.GeoSeries([Point(X0 + 0.001, Y0 + 0.002).buffer(0.003)], crs="EPSG:4326")
    (p,) = _problems(tiny_dataset(incidents=inc, places=None), study_area=boundary)
    assert p.n_rows == 3 and p.first_ids == ("I2", "I3", "I4")


def test_empty_table_and_missing_incidents():
    empty = tiny_tables()["arrests"].iloc[0:0]
    problems = _problems(tiny_dataset(arrests=empty, incidents=None, victimizations=None,
                                      responses=None, referrals=None, followups=None))
    text = [str(p) for p in problems]
    assert "tiny: required table 'incidents' is missing" in text
    assert "arrests: table is empty" in text


def test_naive_timestamps_are_reported_unless_localize():
    inc = tiny_tables()["incidents"]
    inc["occurred_at"] = inc["occurred_at"].dt.tz_localize(None)  # naive local wall time
    (p,) = _problems(tiny_dataset(incidents=inc))
    assert p.column == "occurred_at" and p.n_rows == 0
    assert p.message.startswith("timestamps have no time zone (dtype datetime64[ns])")
    ds = validate(tiny_dataset(incidents=inc), localize=True)
    assert ds["incidents"]["occurred_at"].dt.tz is not None
    assert ds["incidents"]["occurred_at"].iloc[0] == pd.Timestamp("2024-01-05 22:10", tz=TZ)


def test_aware_timestamps_in_another_zone_are_converted():
    inc = tiny_tables()["incidents"]
    inc["occurred_at"] = inc["occurred_at"].dt.tz_convert("UTC")
    ds = validate(tiny_dataset(incidents=inc))
    assert str(ds["incidents"]["occurred_at"].dt.tz) == TZ
    assert ds["incidents"]["occurred_at"].iloc[0] == pd.Timestamp("2024-01-05 22:10", tz=TZ)


def test_all_problems_in_one_error():
    inc = tiny_tables()["incidents"]
    inc.loc[0, "kind"] = "bad"
    vic = tiny_tables()["victimizations"]
    vic["fatal"] = ["maybe", "false", "false", "true"]
    with pytest.raises(DataError) as exc:
        validate(tiny_dataset(incidents=inc, victimizations=vic))
    assert len(exc.value.problems) == 2
    assert str(exc.value).startswith("Bad input data (2 problems):")
    assert "victimizations, column 'fatal': not true/false (1 row; first: I1/p1)" in str(exc.value)


def test_drop_policy_removes_and_reports_bad_rows():
    inc = tiny_tables()["incidents"]
    inc.loc[3, "lon"] = np.nan
    ds = validate(tiny_dataset(incidents=inc), on_bad_rows="drop")
    assert list(ds["incidents"]["incident_id"]) == ["I1", "I2", "I3"]
    assert list(ds["victimizations"]["incident_id"]) == ["I1", "I2", "I2"]  # cascade
    q = data_quality_summary(ds)
    row = q[(q["table"] == "incidents") & (q["column"] == "(table)")].iloc[0]
    assert row["rows"] == 3 and "1 of 4 rows dropped" in row["notes"]
    lon = q[(q["table"] == "incidents") & (q["column"] == "lon")].iloc[0]
    assert "dropped 1 row: missing value" in lon["notes"]


def test_quality_summary_counts():
    ds = validate(tiny_dataset())
    q = data_quality_summary(ds)
    by = q.set_index(["table", "column"])
    assert by.loc[("people", "birth_year"), "nulls"] == 1
    assert by.loc[("people", "birth_year"), "share_null"] == pytest.approx(0.25)
    assert by.loc[("people", "birth_year"), "min"] == 1980
    assert by.loc[("incidents", "kind"), "distinct"] == 3
    assert by.loc[("incidents", "occurred_at"), "min"].startswith("2024-01-05 22:10:00-06:00")
    assert by.loc[("incidents", "(table)"), "rows"] == 4


def test_docs_describe_every_table_and_column():
    from pathlib import Path

    from workbench.data import COLUMNS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "data-contract.md").read_text()
    for table, columns in COLUMNS.items():
        assert f"### {table}" in doc
        section = doc.split(f"### {table}", 1)[1].split("###", 1)[0]
        for col in columns:
            assert f"| `{col.name}` |" in section, (table, col.name)


def test_auto_crs_ignores_stray_geocodes():
    inc = tiny_tables()["incidents"]
    inc.loc[3, ["lon", "lat"]] = [0.0, 0.0]  # a failed geocode at "null island"
    ds = tiny_dataset(incidents=inc, victimizations=None, responses=None, referrals=None,
                      followups=None)
    ds.crs = "auto"
    (p,) = _problems(ds)
    assert "point outside the study area" in p.message and p.first_ids == ("I4",)
    ds = validate(ds, on_bad_rows="drop")
    assert ds.crs == "EPSG:32616" and len(ds["incidents"]) == 3
