"""Exports as agencies write them: number formats, encodings, projected x/y in feet, units,
row shapes (victim x suspect), dates after the extraction date, unplaceable coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from pyproj import Transformer

from workbench.data import DataError, load_dataset
from workbench.data.numbers import parse_numbers

TZ = "America/Chicago"


def _write(folder: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))
    return folder


def _spec(folder: Path, **incidents) -> dict:
    m = {"files": "export.csv", "columns": {"incident_id": "id", "occurred_at": "when"},
         "constants": {"kind": "nonfatal_shooting"}}
    m.update(incidents)
    return {"source": str(folder), "timezone": TZ, "tables": {"incidents": m}}


# -- numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, thousands, decimal, expected",
    [
        (["1,234.5", "$2,000", "(12)", "7"], ",", ".", [1234.5, 2000.0, -12.0, 7.0]),
        (["1.234,5", "-87,65", "2 000,25"], ".", ",", [1234.5, -87.65, 2000.25]),
        (["1 164 235,12"], " ", ",", [1164235.12]),
    ],
)
def test_parse_numbers(text, thousands, decimal, expected):
    got, bad = parse_numbers(pd.Series(text), thousands, decimal)
    np.testing.assert_allclose(got, expected)
    assert not bad.any()


def test_decimal_comma_coordinates_load(tmp_path):
    folder = _write(tmp_path, "id;when;lon;lat\nA;2024-01-01 10:00;-87,6500;41,8500\n")
    ds = load_dataset(_spec(folder, delimiter=";", decimal=",", columns={
        "incident_id": "id", "occurred_at": "when"}))
    assert ds.tables["incidents"]["lon"].iloc[0] == pytest.approx(-87.65)


def test_unreadable_number_shows_the_value_and_the_fix(tmp_path):
    folder = _write(tmp_path, "id,when,lon,lat\nA,2024-01-01 10:00,\"-87,65\",41.85\n")
    with pytest.raises(DataError) as exc:
        load_dataset(_spec(folder))
    text = str(exc.value)
    assert "column 'lon': not a number (1 row; first: A): values '-87,65'" in text
    assert "thousands:/decimal:" in text


# -- encodings -----------------------------------------------------------------------------
def test_latin1_file_error_names_offset_and_option_then_loads_with_it(tmp_path):
    text = "id,when,lon,lat,street\nA,2024-01-01 10:00,-87.65,41.85,Rue Montréal\n"
    folder = _write(tmp_path, text, encoding="latin-1")
    with pytest.raises(DataError) as exc:
        load_dataset(_spec(folder))
    msg = str(exc.value)
    offset = text.encode("latin-1").index("é".encode("latin-1"))
    assert "export.csv" in msg and f"byte offset {offset}" in msg and "encoding:" in msg
    ds = load_dataset(_spec(folder, encoding="latin-1"))
    assert len(ds.tables["incidents"]) == 1
    spec = _spec(folder)
    spec["encoding"] = "latin-1"  # per source
    assert len(load_dataset(spec).tables["incidents"]) == 1


def test_unknown_encoding_is_refused():
    with pytest.raises(ValidationError, match="unknown text encoding"):
        load_dataset({"source": ".", "timezone": TZ, "encoding": "klingon-8"})


# -- projected x/y and units ------------------------------------------------------------------
def _feet_export(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    lon = np.array([-87.65, -87.70, -87.62])
    lat = np.array([41.85, 41.88, 41.80])
    x, y = Transformer.from_crs(4326, 3435, always_xy=True).transform(lon, lat)
    rows = "\n".join(f'I{k},2024-01-0{k + 1} 10:00,"{a:,.2f}","{b:,.2f}"' for k, (a, b) in enumerate(zip(x, y)))
    return _write(tmp_path, "id,when,X,Y\n" + rows + "\n"), lon, lat


def test_state_plane_feet_reprojected_to_lonlat_and_metric_crs(tmp_path):
    folder, lon, lat = _feet_export(tmp_path)
    ds = load_dataset(_spec(folder, x="X", y="Y", source_crs="EPSG:3435", thousands=","))
    inc = ds.tables["incidents"]
    np.testing.assert_allclose(inc["lon"], lon, atol=1e-7)
    np.testing.assert_allclose(inc["lat"], lat, atol=1e-7)
    assert ds.crs == "EPSG:32616"  # analyses in meters, never the feet CRS


def test_xy_without_source_crs_is_refused(tmp_path):
    folder, _, _ = _feet_export(tmp_path)
    with pytest.raises(ValidationError, match="source_crs"):
        load_dataset(_spec(folder, x="X", y="Y"))


def test_feet_analysis_crs_is_refused_with_the_fix(tmp_path):
    folder, _, _ = _feet_export(tmp_path)
    spec = _spec(folder, x="X", y="Y", source_crs="EPSG:3435", thousands=",")
    spec["crs"] = "EPSG:3435"
    with pytest.raises(DataError) as exc:
        load_dataset(spec)
    msg = str(exc.value)
    assert "US survey foot" in msg and "not meters" in msg and "distance_unit: ft" in msg


def test_projected_numbers_as_lonlat_and_swapped_columns_are_named(tmp_path):
    folder, _, _ = _feet_export(tmp_path)
    with pytest.raises(DataError) as exc:
        load_dataset(_spec(folder, thousands=",", columns={
            "incident_id": "id", "occurred_at": "when", "lon": "X", "lat": "Y"}))
    assert "projected coordinates, not degrees" in str(exc.value)
    folder2 = _write(tmp_path / "sw", "id,when,lon,lat\nA,2024-01-01 10:00,41.85,-87.65\n"
                     "B,2024-01-01 11:00,41.86,-187.6\n")
    with pytest.raises(DataError) as exc:
        load_dataset(_spec(folder2))
    assert "out of range" in str(exc.value) or "swapped" in str(exc.value)


def test_all_rows_swapped_exit_2_from_validate(tmp_path, capsys):
    from workbench.cli import main

    folder = _write(tmp_path / "d", "id,when,lon,lat\nA,2024-01-01 10:00,41.85,-187.65\n"
                    "B,2024-01-01 11:00,41.86,-187.6\n")
    params = tmp_path / "p.yaml"
    import yaml

    params.write_text(yaml.safe_dump({"run_name": "t", "data": _spec(folder)}))
    assert main(["validate", "--params", str(params)]) == 2
    err = capsys.readouterr().err
    assert "swapped" in err and "Traceback" not in err


# -- dates after the extraction date ------------------------------------------------------
def test_future_dates_refused_by_default_and_dropped_on_request(tmp_path):
    future = (pd.Timestamp.now() + pd.Timedelta(days=40)).strftime("%Y-%m-%d 10:00")
    folder = _write(tmp_path, f"id,when,lon,lat\nA,2024-01-01 10:00,-87.65,41.85\nB,{future},-87.65,41.86\n")
    with pytest.raises(DataError) as exc:
        load_dataset(_spec(folder))
    assert "dated after max_date (the load time" in str(exc.value)
    assert "first: B" in str(exc.value)
    spec = _spec(folder)
    spec["max_date"] = "2024-06-30"
    spec["tables"]["incidents"]["on_bad_rows"] = "drop"
    ds = load_dataset(spec)
    assert list(ds.tables["incidents"]["incident_id"]) == ["A"]
    spec["max_date"] = "none"
    spec["tables"]["incidents"]["on_bad_rows"] = "error"
    assert len(load_dataset(spec).tables["incidents"]) == 2


# -- row shapes ----------------------------------------------------------------------------
def test_victim_suspect_rows_person_per_victim_and_dedupe_by_unmapped_column(tmp_path):
    text = (
        "inc,victim,suspect,when,lon,lat,injury,sex\n"
        "A,V1,S1,2024-01-01 10:00,-87.65,41.85,NONFATAL,M\n"
        "A,V1,S2,2024-01-01 10:00,-87.65,41.85,NONFATAL,M\n"
        "A,V2,S1,2024-01-01 10:00,-87.65,41.85,FATAL,F\n"
        "A,V2,S2,2024-01-01 10:00,-87.65,41.85,FATAL,F\n"
        "B,V3,S3,2024-01-02 10:00,-87.66,41.86,NONFATAL,M\n"
    )
    folder = _write(tmp_path, text)
    pid = {"column": "person_id", "key": ["victim"], "per_row": False, "salt": "s"}
    spec = {
        "source": str(folder),
        "timezone": TZ,
        "tables": {
            "incidents": {
                "files": "export.csv",
                "columns": {"incident_id": "inc", "occurred_at": "when", "kind": "injury"},
                "codes": {"kind": {"FATAL": "fatal_shooting", "NONFATAL": "nonfatal_shooting"}},
                "dedupe": {"key": ["incident_id"], "order": {"kind": ["fatal_shooting"]}},
            },
            "people": {
                "files": "export.csv",
                "person_ids": pid,
                "columns": {"sex": "sex"},
                "codes": {"sex": {"M": "male", "F": "female"}},
                "constants": {"race_ethnicity": "unknown"},
                "absent": ["birth_year"],
                "dedupe": {"key": ["person_id"]},
            },
            "victimizations": {
                "files": "export.csv",
                "person_ids": pid,
                "columns": {"incident_id": "inc", "fatal": "injury"},
                "codes": {"fatal": {"FATAL": True, "NONFATAL": False}},
                "dedupe": {"key": ["incident_id", "victim"]},  # an unmapped source column
            },
        },
    }
    ds = load_dataset(spec)
    assert ds.tables["incidents"].set_index("incident_id")["kind"].to_dict() == {
        "A": "fatal_shooting", "B": "nonfatal_shooting"}
    assert len(ds.tables["people"]) == 3
    v = ds.tables["victimizations"]
    assert len(v) == 3 and int(v["fatal"].sum()) == 1


def test_duplicate_key_error_suggests_dedupe_with_distinct_keys(tmp_path):
    folder = _write(tmp_path, "id,when,lon,lat\nA,2024-01-01 10:00,-87.65,41.85\n"
                    "A,2024-01-01 10:00,-87.65,41.85\nB,2024-01-01 11:00,-87.65,41.85\n"
                    "B,2024-01-01 11:00,-87.65,41.85\n")
    with pytest.raises(DataError) as exc:
        load_dataset(_spec(folder))
    (p,) = exc.value.problems
    assert p.first_ids == ("A", "B") and p.n_rows == 4
    assert "2 distinct incident_id repeated" in p.hint and "dedupe: {key: [incident_id]" in p.hint


# -- geometry from SQL ----------------------------------------------------------------------
def test_wkb_blob_points_and_polygons_from_sql(tmp_path):
    import sqlite3

    import shapely
    from shapely.geometry import Point, box

    db = tmp_path / "city.db"
    con = sqlite3.connect(db)
    con.execute("create table calls (id text, ts text, geom blob, wkt text)")
    pts = [Point(-87.65, 41.85), Point(-87.66, 41.86)]
    con.executemany("insert into calls values (?, ?, ?, ?)", [
        (f"I{k}", f"2024-01-0{k + 1} 10:00", shapely.to_wkb(p), p.wkt) for k, p in enumerate(pts)])
    con.execute("create table beats (beat text, pop integer, geom blob)")
    con.execute("insert into beats values (?, ?, ?)", ("B1", 100, shapely.to_wkb(box(-87.7, 41.8, -87.6, 41.9))))
    con.commit()
    con.close()
    base = {"incident_id": "id", "occurred_at": "ts"}
    spec = {"source": str(db), "timezone": TZ, "tables": {
        "areas": {"sql": "beats", "columns": {"area_id": "beat", "population": "pop", "geometry": "geom"}},
        "incidents": {"sql": "calls", "columns": base, "point": "geom",
                      "constants": {"kind": "nonfatal_shooting"}}}}
    ds = load_dataset(spec)
    np.testing.assert_allclose(ds.tables["incidents"]["lon"], [-87.65, -87.66])
    assert ds.tables["areas"].geometry.iloc[0].equals(box(-87.7, 41.8, -87.6, 41.9))
    spec["tables"]["incidents"]["point"] = "wkt"  # WKT text reads the same
    np.testing.assert_allclose(load_dataset(spec).tables["incidents"]["lat"], [41.85, 41.86])
