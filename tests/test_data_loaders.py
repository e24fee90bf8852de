"""Loaders: file formats and SQL round-trip a contract dataset; column mapping; time zones;
bad input raises one DataError before anything is written."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from data_fixtures import TZ, X0, Y0, tiny_tables
from shapely.geometry import box

from workbench.data import (
    DataError,
    DataSpec,
    Dataset,
    TableMapping,
    data_quality_summary,
    load_dataset,
    validate,
)

pytestmark = pytest.mark.filterwarnings("ignore:Non-conformant content:RuntimeWarning")


# -- helpers ------------------------------------------------------------------------------
def _as_points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        df.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(df.lon, df.lat), crs=4326
    )


def _csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(df).copy()
    if isinstance(df, gpd.GeoDataFrame):
        out["geometry"] = df.geometry.to_wkt()
    return out


def write_folder(folder: Path, fmt: str) -> Path:
    """Write the tiny tables in one file format (non-spatial tables as CSV where the format
    has no tables without geometry)."""
    folder.mkdir(parents=True, exist_ok=True)
    t = tiny_tables()
    for name, df in t.items():
        if fmt == "csv":
            _csv_ready(df).to_csv(folder / f"{name}.csv", index=False)
        elif fmt == "parquet":
            df.to_parquet(folder / f"{name}.parquet", index=False)
        elif fmt in ("geojson", "gpkg"):
            if name == "incidents":
                df = _as_points(df)
            if isinstance(df, gpd.GeoDataFrame):
                df.to_file(folder / f"{name}.{fmt}")
            else:
                _csv_ready(df).to_csv(folder / f"{name}.csv", index=False)
    return folder


def assert_same_tables(a: Dataset, b: Dataset) -> None:
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        x, y = a[name], b[name]
        assert list(x.columns) == list(y.columns), name
        for c in x.columns:
            if c == "geometry":
                assert x.geometry.geom_equals_exact(y.geometry, tolerance=1e-9).all(), name
            elif pd.api.types.is_float_dtype(x[c]):
                np.testing.assert_allclose(x[c], y[c], rtol=0, atol=1e-9, err_msg=f"{name}.{c}")
            else:
                pd.testing.assert_series_equal(x[c], y[c], check_names=False, obj=f"{name}.{c}")


@pytest.fixture(scope="module")
def reference() -> Dataset:
    return validate(
        Dataset(tables=tiny_tables(), timezone=TZ, crs="EPSG:32616", name="tiny")
    )


# -- formats ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "parquet", "geojson", "gpkg"])
def test_file_formats_round_trip(tmp_path, fmt, reference):
    folder = write_folder(tmp_path / fmt, fmt)
    ds = load_dataset({"source": str(folder), "timezone": TZ, "crs": "auto"})
    assert ds.crs == "EPSG:32616"
    assert_same_tables(reference, ds)


def test_contract_folder_loads_without_mapping(tmp_path, reference):
    reference.to_folder(tmp_path / "c")
    ds = load_dataset(tmp_path / "c")  # timezone and crs from dataset.json
    assert ds.timezone == TZ and ds.crs == "EPSG:32616" and ds.name == "tiny"
    assert ds.fingerprint() == reference.fingerprint()


def test_sqlite_round_trip(tmp_path, reference):
    import sqlalchemy as sa

    db = tmp_path / "city.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    for name, df in tiny_tables().items():
        out = pd.DataFrame(df).copy()
        if isinstance(df, gpd.GeoDataFrame):
            out["geometry"] = df.geometry.to_wkb()
        out.to_sql(name, engine, index=False)
    engine.dispose()
    ds = load_dataset({"source": f"sqlite:///{db}", "timezone": TZ})
    assert_same_tables(reference, ds)
    # a bare .db path is SQLite too, relative to base_dir
    assert_same_tables(reference, load_dataset({"source": "city.db", "timezone": TZ}, tmp_path))


def test_sqlite_relative_url_and_query(tmp_path):
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'src.db'}")
    inc = tiny_tables()["incidents"]
    raw = pd.DataFrame(
        {
            "case_no": inc.incident_id,
            "ts": inc.occurred_at.dt.strftime("%m/%d/%Y %H:%M"),
            "x": inc.lon,
            "y": inc.lat,
            "type": ["F", "N", "S", "N"],
        }
    )
    raw.to_sql("shootings", engine, index=False)
    engine.dispose()
    spec = {
        "source": "sqlite:///src.db",
        "timezone": TZ,
        "tables": {
            "incidents": {
                "sql": "SELECT * FROM shootings WHERE type <> 'S'",
                "columns": {"incident_id": "case_no", "occurred_at": "ts", "lon": "x", "lat": "y",
                            "kind": "type"},
                "dates": {"occurred_at": "%m/%d/%Y %H:%M"},
                "codes": {"kind": {"F": "fatal_shooting", "N": "nonfatal_shooting"}},
            }
        },
    }
    ds = load_dataset(spec, base_dir=tmp_path)
    assert list(ds["incidents"]["incident_id"]) == ["I1", "I2", "I4"]
    assert list(ds["incidents"]["kind"]) == ["fatal_shooting", "nonfatal_shooting", "nonfatal_shooting"]
    assert ds["incidents"]["occurred_at"].iloc[1] == pd.Timestamp("2024-03-10 01:30", tz=TZ)


@pytest.fixture(scope="module")
def postgres_url():
    from postgres_server import scratch_postgres

    with scratch_postgres() as url:
        if url is None:
            pytest.skip(
                "no PostgreSQL server: set WORKBENCH_TEST_POSTGRES_URL or install initdb/pg_ctl"
            )
        yield url


@pytest.mark.postgres
def test_postgresql_round_trip(reference, postgres_url):
    url = postgres_url
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    schema_tables = tiny_tables()
    with engine.begin() as conn:
        for name in schema_tables:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
    for name, df in schema_tables.items():
        out = pd.DataFrame(df).copy()
        if isinstance(df, gpd.GeoDataFrame):
            out["geometry"] = df.geometry.to_wkt()
        out.to_sql(name, engine, index=False)
    engine.dispose()
    ds = load_dataset({"source": url, "timezone": TZ})
    assert_same_tables(reference, ds)


# -- mapping ------------------------------------------------------------------------------
def _victim_rows(folder: Path) -> Path:
    """One row per victim, two yearly GeoJSON files, like many open-data portals publish."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = pd.DataFrame(
        {
            "case": ["C1", "C1", "C2", "C3", "C3", "C4"],
            "when_date": ["2023-12-31", "2023-12-31", "2024-03-10", "2024-06-01", "2024-06-01",
                          "2024-11-03"],
            "when_time": ["23:50", "23:50", "02:30", "12:00", "12:00", "01:30"],
            "died": [False, True, False, False, False, None],
            "gender": ["M", "F", "M", "X", "M", "F"],
            "race": ["B", "W", "H", "B", "A", None],
            "age": [19, 44, None, 30, 31, 25],
        }
    )
    geom = gpd.points_from_xy(
        [X0 + 0.001, X0 + 0.001, X0 + 0.004, X0 + 0.012, X0 + 0.012, X0 + 0.018],
        [Y0 + 0.002, Y0 + 0.002, Y0 + 0.007, Y0 + 0.001, Y0 + 0.001, Y0 + 0.009],
    )
    g = gpd.GeoDataFrame(rows, geometry=geom, crs=4326)
    g.iloc[:2].to_file(folder / "victims_2023.geojson")
    g.iloc[2:].to_file(folder / "victims_2024.geojson")
    hoods = gpd.GeoDataFrame(
        {"hood": ["North", "South"]},
        geometry=[box(X0, Y0, X0 + 0.01, Y0 + 0.01), box(X0 + 0.01, Y0, X0 + 0.02, Y0 + 0.01)],
        crs=4326,
    )
    hoods.to_file(folder / "hoods.geojson")
    return folder


VICTIM_MAPPING = {
    "name": "victims",
    "timezone": TZ,
    "tables": {
        "areas": {"files": "hoods.geojson", "columns": {"area_id": "hood"}, "absent": ["population"]},
        "incidents": {
            "files": "victims_*.geojson",
            "columns": {"incident_id": "case", "kind": "died"},
            "combine": {"occurred_at": ["when_date", "when_time"]},
            "codes": {"kind": {True: "fatal_shooting", False: "nonfatal_shooting",
                               None: "nonfatal_shooting"}},
            "dedupe": {"key": ["incident_id"],
                       "order": {"kind": ["fatal_shooting", "nonfatal_shooting"]}},
        },
        "people": {
            "files": "victims_*.geojson",
            "person_ids": {"key": ["case"], "salt": "s"},
            "columns": {"sex": "gender", "race_ethnicity": "race"},
            "birth_year": {"age": "age", "at": "when_date"},
            "codes": {
                "sex": {"M": "male", "F": "female", "*": "other"},
                "race_ethnicity": {"B": "black", "W": "white", "H": "hispanic", "A": "asian",
                                   None: "unknown"},
            },
        },
        "victimizations": {
            "files": "victims_*.geojson",
            "person_ids": {"key": ["case"], "salt": "s"},
            "columns": {"incident_id": "case", "fatal": "died"},
            "codes": {"fatal": {None: False}},
        },
    },
}


def test_mapping_victim_rows(tmp_path):
    folder = _victim_rows(tmp_path / "v")
    spec = DataSpec.model_validate({**VICTIM_MAPPING, "source": str(folder)})
    ds = load_dataset(spec)
    inc = ds["incidents"].set_index("incident_id")
    assert list(inc.index) == ["C1", "C2", "C3", "C4"]
    # C1 has a fatal and a nonfatal victim: fatal wins whatever the row order
    assert inc.loc["C1", "kind"] == "fatal_shooting"
    assert inc.loc["C3", "kind"] == "nonfatal_shooting"
    # DST: 02:30 on 2024-03-10 does not exist -> 03:00 CDT; 01:30 on 2024-11-03 -> first (CDT)
    assert inc.loc["C2", "occurred_at"] == pd.Timestamp("2024-03-10 03:00", tz=TZ)
    assert inc.loc["C4", "occurred_at"].utcoffset() == pd.Timedelta(hours=-5)
    assert inc.loc["C1", "lon"] == pytest.approx(X0 + 0.001)
    people, vic = ds["people"], ds["victimizations"]
    assert len(people) == len(vic) == 6
    assert people["person_id"].str.fullmatch("[0-9a-f]{16}").all()
    assert list(people["person_id"]) == list(vic["person_id"])  # same rows -> same ids
    assert list(people["sex"]) == ["male", "female", "male", "other", "male", "female"]
    assert list(people["race_ethnicity"])[-1] == "unknown"
    assert list(people["birth_year"].astype("float")[:2]) == [2004.0, 1979.0]
    assert people["birth_year"].isna().sum() == 1
    assert list(vic["fatal"]) == [False, True, False, False, False, False]
    assert ds["areas"]["population"].isna().all()
    # deterministic ids, and a different salt unlinks them
    again = load_dataset(spec)
    assert list(again["people"]["person_id"]) == list(people["person_id"])
    other = VICTIM_MAPPING["tables"]["people"] | {"person_ids": {"key": ["case"], "salt": "t"}}
    spec2 = spec.model_copy(update={"tables": {**spec.tables, "people": TableMapping(**other)}})
    with pytest.raises(DataError, match="refers to person_id not in people"):
        load_dataset(spec2)
    q = data_quality_summary(ds).set_index(["table", "column"])
    assert "population absent in source" in q.loc[("areas", "population"), "notes"]
    assert "2 duplicate rows merged into 4" in q.loc[("incidents", "incident_id"), "notes"]


def test_params_yaml_path_resolves_relative_source(tmp_path):
    _victim_rows(tmp_path / "data" / "v")
    (tmp_path / "parameters").mkdir()
    doc = {"run_name": "v", "data": {**VICTIM_MAPPING, "source": "../data/v"}}
    p = tmp_path / "parameters" / "v.yaml"
    p.write_text(yaml.safe_dump(doc))
    ds = load_dataset(p)
    assert ds.name == "victims" and len(ds["incidents"]) == 4


def test_dataspec_forbids_unknown_fields():
    with pytest.raises(Exception, match="extra"):
        DataSpec.model_validate({"source": "x", "timezone": TZ, "colums": {}})
    with pytest.raises(Exception, match="unknown table"):
        DataSpec.model_validate({"source": "x", "tables": {"incident": {}}})
    with pytest.raises(Exception, match="time zone"):
        DataSpec.model_validate({"source": "x", "timezone": "Mars/Olympus"})


# -- bad input ----------------------------------------------------------------------------
def _load_then_write(spec, out: Path):
    """What every writer does: load (validate) first, write after."""
    ds = load_dataset(spec)
    ds.to_folder(out)


def test_misnamed_mapped_column_suggests_closest(tmp_path):
    folder = _victim_rows(tmp_path / "v")
    bad = copy.deepcopy(VICTIM_MAPPING)
    bad["tables"]["incidents"]["columns"]["incident_id"] = "cases"
    out = tmp_path / "out"
    with pytest.raises(DataError) as exc:
        _load_then_write({**bad, "source": str(folder)}, out)
    (p,) = exc.value.problems
    assert p.source == "incidents (victims_*.geojson)" and p.column == "incident_id"
    assert p.message == "source column 'cases' not found (closest: 'case')"
    assert not out.exists()


def test_unmapped_misnamed_csv_column(tmp_path):
    folder = write_folder(tmp_path / "csv", "csv")
    inc = pd.read_csv(folder / "incidents.csv").rename(columns={"kind": "incident_kind"})
    inc.to_csv(folder / "incidents.csv", index=False)
    with pytest.raises(DataError) as exc:
        load_dataset({"source": str(folder), "timezone": TZ})
    (p,) = exc.value.problems
    assert p.source == "incidents (incidents.csv)" and p.column == "kind"
    assert "closest source column: 'incident_kind'" in p.message


def test_unparseable_date_in_csv_names_rows(tmp_path):
    folder = write_folder(tmp_path / "csv", "csv")
    inc = pd.read_csv(folder / "incidents.csv", dtype=str)
    inc.loc[2, "occurred_at"] = "2024-02-30 10:00"
    inc.to_csv(folder / "incidents.csv", index=False)
    out = tmp_path / "out"
    with pytest.raises(DataError) as exc:
        _load_then_write({"source": str(folder), "timezone": TZ}, out)
    (p,) = exc.value.problems
    assert str(p) == (
        "incidents (incidents.csv), column 'occurred_at': unparseable date (1 row; first: I3): "
        "values '2024-02-30 10:00'; give their format with dates: {occurred_at: ...}"
    )
    assert not out.exists()


def test_bad_key_in_file_names_file_and_row(tmp_path):
    folder = _victim_rows(tmp_path / "v")
    g = gpd.read_file(folder / "victims_2024.geojson")
    g.loc[1, "case"] = None
    g.to_file(folder / "victims_2024.geojson")
    spec = {**VICTIM_MAPPING, "source": str(folder)}
    with pytest.raises(DataError) as exc:
        load_dataset(spec)
    probs = {(p.source.split(" ")[0], p.column): p for p in exc.value.problems}
    p = probs[("incidents", "incident_id")]
    assert p.message == "missing value" and p.first_ids == ("victims_2024.geojson row 2",)


def test_unknown_code_and_outside_point_and_duplicates_from_files(tmp_path):
    folder = write_folder(tmp_path / "csv", "csv")
    inc = pd.read_csv(folder / "incidents.csv", dtype=str)
    inc.loc[0, "kind"] = "stabbing"
    inc.loc[1, "lon"] = str(X0 - 1)
    inc.loc[3, "incident_id"] = "I3"
    inc.to_csv(folder / "incidents.csv", index=False)
    out = tmp_path / "out"
    with pytest.raises(DataError) as exc:
        _load_then_write({"source": str(folder), "timezone": TZ}, out)
    text = str(exc.value)
    assert "incidents (incidents.csv), column 'kind': unknown code 'stabbing'" in text
    assert "(1 row; first: I1)" in text
    assert ("incidents (incidents.csv), column 'lon/lat': point outside the study area "
            "(union of areas, buffer 25 m) (1 row; first: I2)") in text
    assert "column 'incident_id': duplicate key (2 rows; first: I3, ...): 1 distinct incident_id repeated" in text
    assert not out.exists()


def test_empty_table_file(tmp_path):
    folder = write_folder(tmp_path / "csv", "csv")
    pd.read_csv(folder / "arrests.csv").iloc[0:0].to_csv(folder / "arrests.csv", index=False)
    with pytest.raises(DataError, match=r"arrests \(arrests.csv\): table is empty"):
        load_dataset({"source": str(folder), "timezone": TZ})


def test_study_area_file_and_drop_policy(tmp_path):
    folder = write_folder(tmp_path / "csv", "csv")
    gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 0.01, Y0 + 0.01)], crs=4326).to_file(
        folder / "limits.geojson"
    )
    base = {"source": str(folder), "timezone": TZ, "study_area": "limits.geojson",
            "study_area_buffer_m": 0}
    with pytest.raises(DataError) as exc:
        load_dataset({**base, "tables": {"places": {"on_bad_rows": "drop"}}})
    text = str(exc.value)
    assert "point outside the study area (limits.geojson, buffer 0 m) (2 rows; first: I3, I4)" in text
    ds = load_dataset(
        {**base, "tables": {t: {"on_bad_rows": "drop"} for t in
                            ["places", "incidents", "victimizations", "responses"]}}
    )
    assert list(ds["incidents"]["incident_id"]) == ["I1", "I2"]
    assert list(ds["places"]["place_id"]) == ["S1"]
    notes = [n["note"] for n in ds.notes if n["table"] == "incidents"]
    assert "2 of 4 rows dropped (on_bad_rows: drop)" in notes


def test_missing_folder_and_missing_timezone(tmp_path):
    with pytest.raises(DataError, match="source folder not found"):
        load_dataset({"source": str(tmp_path / "nope"), "timezone": TZ})
    write_folder(tmp_path / "csv", "csv")
    with pytest.raises(DataError, match="no timezone"):
        load_dataset({"source": str(tmp_path / "csv")})


# -- time zones ---------------------------------------------------------------------------
def test_dst_policies(tmp_path):
    folder = write_folder(tmp_path / "csv", "csv")
    inc = pd.read_csv(folder / "incidents.csv", dtype=str)
    inc["occurred_at"] = ["2024-01-05 22:10", "2024-03-10 02:30", "2024-07-04 23:55",
                          "2024-11-03 01:30"]
    inc.to_csv(folder / "incidents.csv", index=False)
    base = {"source": str(folder), "timezone": TZ}
    ts = load_dataset(base)["incidents"]["occurred_at"]
    assert ts.iloc[1] == pd.Timestamp("2024-03-10 03:00", tz=TZ)
    assert ts.iloc[3] == pd.Timestamp("2024-11-03 06:30", tz="UTC")  # CDT, first occurrence
    ts = load_dataset({**base, "ambiguous_times": "latest"})["incidents"]["occurred_at"]
    assert ts.iloc[3] == pd.Timestamp("2024-11-03 07:30", tz="UTC")  # CST, second occurrence
    with pytest.raises(DataError) as exc:
        load_dataset({**base, "ambiguous_times": "error", "nonexistent_times": "error"})
    msgs = {p.message: p.first_ids for p in exc.value.problems}
    assert msgs["nonexistent local time (skipped when daylight time starts)"] == ("I2",)
    assert msgs["ambiguous local time (repeated when daylight time ends)"] == ("I4",)


def test_offsets_in_text_are_converted(tmp_path):
    folder = write_folder(tmp_path / "csv", "csv")
    inc = pd.read_csv(folder / "incidents.csv", dtype=str)
    inc["occurred_at"] = ["2024-01-06T04:10:00Z", "2024-03-10 01:30:00-06:00",
                          "2024-07-05T04:55:00+00:00", "2024-11-03 01:30"]
    inc.to_csv(folder / "incidents.csv", index=False)
    ts = load_dataset({"source": str(folder), "timezone": TZ})["incidents"]["occurred_at"]
    assert str(ts.dt.tz) == TZ
    assert ts.iloc[0] == pd.Timestamp("2024-01-05 22:10", tz=TZ)
    assert ts.iloc[2] == pd.Timestamp("2024-07-04 23:55", tz=TZ)


def test_warnings_free_load(tmp_path, reference):
    reference.to_folder(tmp_path / "c")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_dataset(tmp_path / "c")


def test_mapping_csv_with_wkt_points_constants_and_text_ages(tmp_path):
    folder = tmp_path / "csv"
    write_folder(folder, "csv")
    inc = tiny_tables()["incidents"]
    pd.DataFrame(
        {
            "id": inc.incident_id,
            "d": inc.occurred_at.dt.strftime("%d.%m.%Y"),
            "t": inc.occurred_at.dt.strftime("%H:%M"),
            "location": _as_points(inc).geometry.to_wkt(),
        }
    ).to_csv(folder / "calls.csv", index=False)
    people = tiny_tables()["people"]
    raw = people.drop(columns=["birth_year"]).assign(
        age=["24", "Unknown", "", "44"], seen=["2024-06-01"] * 4
    )
    raw.to_csv(folder / "persons.csv", index=False)
    spec = {
        "source": str(folder),
        "timezone": TZ,
        "tables": {
            "incidents": {
                "files": "calls.csv",
                "columns": {"incident_id": "id"},
                "combine": {"occurred_at": ["d", "t"]},
                "dates": {"occurred_at": ["%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M"]},
                "point": "location",
                "constants": {"kind": "shots_fired"},
            },
            "people": {"files": "persons.csv", "birth_year": {"age": "age", "at": "seen"}},
        },
    }
    ds = load_dataset(spec)
    got = ds["incidents"]
    assert (got["kind"] == "shots_fired").all()
    np.testing.assert_allclose(got["lon"], inc["lon"], atol=1e-9)
    assert (got["occurred_at"] == inc["occurred_at"]).all()
    assert list(ds["people"]["birth_year"].astype("float").fillna(-1)) == [2000, -1, -1, 1980]
    notes = [n["note"] for n in ds.notes if n["table"] == "people"]
    assert notes == ["1 non-numeric ages ('Unknown') give a missing birth year"]


def test_dataspec_json_round_trip_keeps_null_and_bool_code_keys():
    spec = DataSpec.model_validate({**VICTIM_MAPPING, "source": "x", "tables": {
        "people": {"codes": {"sex": {"M": "male", None: "unknown"}}},
        "incidents": {"codes": {"kind": {True: "fatal_shooting", 0: "nonfatal_shooting"}}},
        "areas": None,
    }})
    back = DataSpec.model_validate_json(spec.model_dump_json())
    assert back.tables["people"].codes == {"sex": {"M": "male", None: "unknown"}}
    assert back.tables["incidents"].codes == {"kind": {"true": "fatal_shooting", "0": "nonfatal_shooting"}}
    assert back.tables["areas"] == TableMapping()


def test_places_from_lon_lat_csv_and_gpkg_layer(tmp_path, reference):
    folder = write_folder(tmp_path / "csv", "csv")
    places = tiny_tables()["places"]
    pd.DataFrame(
        {"place_id": places.place_id, "kind": places.kind, "name": places.name,
         "lon": places.geometry.x, "lat": places.geometry.y}
    ).to_csv(folder / "places.csv", index=False)
    (folder / "areas.csv").unlink()
    tiny_tables()["areas"].to_file(folder / "city.gpkg", layer="hoods")
    spec = {"source": str(folder), "timezone": TZ,
            "tables": {"areas": {"files": "city.gpkg", "layer": "hoods"}}}
    ds = load_dataset(spec)
    assert ds["places"].geometry.geom_equals_exact(reference["places"].geometry, 1e-9).all()
    assert list(ds["areas"]["area_id"]) == ["A1", "A2"]
    assert ds["areas"].crs.to_epsg() == 4326
