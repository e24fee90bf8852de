"""Raw exports in five realistic shapes, generated from the synthetic city, go through
``workbench map`` (a proposed mapping) and load back to the city's truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from workbench.cli import main
from workbench.data import load_dataset
from workbench.data.propose import guess_projected_crs, propose_mapping
from workbench.synth.exports import SHAPES, STATE_PLANE, write_exports


@pytest.fixture(scope="module")
def exports(synthetic_tiny, tmp_path_factory) -> dict[str, Path]:
    return write_exports(synthetic_tiny.dataset, tmp_path_factory.mktemp("exports"))


def _map(file: Path, out: Path, *extra: str) -> tuple[int, dict]:
    code = main(["map", str(file), "--out", str(out), *extra])
    return code, yaml.safe_load(out.read_text())


def _truth_incidents(city, with_victims: bool = False) -> pd.DataFrame:
    inc = city.dataset.tables["incidents"]
    if with_victims:
        inc = inc[inc["incident_id"].isin(city.dataset.tables["victimizations"]["incident_id"])]
    return inc.sort_values("incident_id").reset_index(drop=True)


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_maps_and_validates_to_the_truth(shape, exports, synthetic_tiny, tmp_path, capsys):
    extra = ("--crs", STATE_PLANE) if shape == "stateplane_ft" else ()  # the EDIT the map asks for
    code, doc = _map(exports[shape], tmp_path / f"{shape}.yaml", *extra)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "validate: OK" in out
    ds = load_dataset(tmp_path / f"{shape}.yaml")
    got = ds.tables["incidents"].sort_values("incident_id").reset_index(drop=True)
    truth = _truth_incidents(synthetic_tiny, with_victims=shape == "victim_suspect")
    assert list(got["incident_id"]) == list(truth["incident_id"])
    # times to the second (minutes where the shape writes minutes), places to the centimetre
    step = "min" if shape in ("victim_suspect", "latin1_comma") else "s"
    assert (got["occurred_at"] == truth["occurred_at"].dt.floor(step)).all()
    assert str(got["occurred_at"].dt.tz) == "America/Chicago"
    dlon = np.abs(got["lon"].to_numpy() - truth["lon"].to_numpy()) * 82_000  # m per degree at 42N
    dlat = np.abs(got["lat"].to_numpy() - truth["lat"].to_numpy()) * 111_000
    assert dlon.max() < 0.05 and dlat.max() < 0.05
    assert (got["kind"] == truth["kind"]).all()
    assert ds.crs == "EPSG:32616"


def test_victim_suspect_rows_count_each_victim_once(exports, synthetic_tiny, tmp_path):
    raw = pd.read_csv(exports["victim_suspect"], dtype=str)
    code, _ = _map(exports["victim_suspect"], tmp_path / "vs.yaml")
    assert code == 0
    ds = load_dataset(tmp_path / "vs.yaml")
    truth_v = synthetic_tiny.dataset.tables["victimizations"]
    assert len(raw) > len(truth_v)  # the export repeats victims once per suspect
    assert len(ds.tables["victimizations"]) == len(truth_v)
    assert len(ds.tables["people"]) == truth_v["person_id"].nunique()
    assert int(ds.tables["victimizations"]["fatal"].sum()) == int(truth_v["fatal"].sum())
    fatal_inc = truth_v.loc[truth_v["fatal"].astype(bool), "incident_id"].unique()
    got = ds.tables["incidents"].set_index("incident_id")["kind"]
    assert (got.loc[fatal_inc] == "fatal_shooting").all()


def test_state_plane_guess_lists_the_true_zone_and_asks_to_confirm(exports, tmp_path):
    raw = pd.read_csv(exports["stateplane_ft"], dtype=str)
    x = raw["X_COORD"].str.replace(",", "").astype(float).to_numpy()
    y = raw["Y_COORD"].str.replace(",", "").astype(float).to_numpy()
    cands, why = guess_projected_crs(x, y)
    assert STATE_PLANE in cands[:6]
    assert "feet" in why
    p = propose_mapping(exports["stateplane_ft"])
    m = p.data["tables"]["incidents"]
    assert m["x"] == "X_COORD" and m["numbers"]["x"] == {"thousands": ","}
    assert m["combine"]["occurred_at"] == ["OCC_DATE", "OCC_TIME"]
    assert m["dates"]["occurred_at"] == "%m/%d/%Y %H:%M:%S"
    assert any("source_crs" in e and "guess" in e for e in p.edits)


def test_latin1_proposal_names_encoding_delimiter_and_decimal_comma(exports):
    p = propose_mapping(exports["latin1_comma"])
    m = p.data["tables"]["incidents"]
    assert m["delimiter"] == ";"
    assert m["encoding"] in ("latin-1", "cp1252", "iso8859-1")
    assert m["numbers"]["lon"] == {"decimal": ","}
    assert m["dates"]["occurred_at"] == "%d.%m.%Y %H:%M"


def test_precinct_codes_are_reported_not_mapped(exports):
    p = propose_mapping(exports["precinct_codes"])
    assert any(n.startswith("precinct:") and "without polygons" in n for n in p.notes)


def test_map_never_overwrites(exports, tmp_path, capsys):
    target = tmp_path / "mine.yaml"
    target.write_text("keep me\n")
    assert main(["map", str(exports["lonlat_iso"]), "--out", str(target)]) == 2
    assert target.read_text() == "keep me\n"
    assert "exists" in capsys.readouterr().err


def test_map_reports_what_still_fails(tmp_path, capsys):
    f = tmp_path / "export.csv"
    f.write_text("case_id,when,lon,lat\nA1,2024-01-01 10:00,-87.6,41.8\nA2,not a date,-87.6,41.9\n")
    code = main(["map", str(f), "--out", str(tmp_path / "m.yaml")])
    out = capsys.readouterr().out
    assert code == 2
    assert "EDIT: no date column found" in out
    assert "problem(s) left" in out


@pytest.mark.slow
def test_victim_suspect_export_gives_a_full_report(exports, tmp_path):
    """Raw export -> workbench map -> the EDIT it asks for (the salt) -> every page."""
    from workbench.report import run_report

    params = tmp_path / "vs.yaml"
    assert main(["map", str(exports["victim_suspect"]), "--out", str(params)]) == 0
    text = params.read_text()
    assert "EDIT: person_ids.salt" in text
    params.write_text(text.replace("salt: CHANGE-ME", "salt: our-own-secret"))
    result = run_report(params, out=tmp_path / "report", progress=False)
    pages = sorted(p.name for p in (tmp_path / "report").glob("*.html"))
    assert pages == ["00_data_overview.html", "01_places.html", "02_people.html", "03_response.html",
                     "04_past_victims.html", "05_dosage.html", "index.html"]
    overview = (tmp_path / "report" / "00_data_overview.html").read_text()
    assert "Data through 2024-12-31" in overview
    assert result.index.exists()
    index = result.index.read_text()
    assert "These data have no areas" in index and "No area had" not in index


def test_map_a_sql_table_with_wkb_points(synthetic_tiny, tmp_path, capsys):
    import sqlite3

    import shapely

    inc = synthetic_tiny.dataset.tables["incidents"]
    db = tmp_path / "cad.db"
    con = sqlite3.connect(db)
    con.execute("create table calls (call_id text, call_time text, location blob, call_type text)")
    con.executemany("insert into calls values (?, ?, ?, ?)", [
        (r.incident_id, r.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
         shapely.to_wkb(shapely.Point(r.lon, r.lat)), r.kind.replace("_", " ").upper())
        for r in inc.itertuples()])
    con.commit()
    con.close()
    code = main(["map", str(db), "--sql", "calls", "--out", str(tmp_path / "cad.yaml")])
    assert code == 0, capsys.readouterr().out
    m = yaml.safe_load((tmp_path / "cad.yaml").read_text())["data"]["tables"]["incidents"]
    assert m["sql"] == "calls" and m["point"] == "location"
    ds = load_dataset(tmp_path / "cad.yaml")
    assert len(ds.tables["incidents"]) == len(inc)
    np.testing.assert_allclose(ds.tables["incidents"].sort_values("incident_id")["lon"],
                               inc.sort_values("incident_id")["lon"])


def test_map_an_excel_sheet(exports, synthetic_tiny, tmp_path):
    raw = pd.read_csv(exports["stateplane_ft"], dtype=str)
    raw["OCC_DATE"] = pd.to_datetime(raw["OCC_DATE"], format="%m/%d/%Y")  # real date cells
    xlsx = tmp_path / "export.xlsx"
    raw.to_excel(xlsx, index=False)
    code = main(["map", str(xlsx), "--crs", STATE_PLANE, "--out", str(tmp_path / "x.yaml")])
    assert code == 0
    got = load_dataset(tmp_path / "x.yaml").tables["incidents"].sort_values("incident_id")
    truth = _truth_incidents(synthetic_tiny)
    assert list(got["incident_id"]) == list(truth["incident_id"])
    assert (got["occurred_at"].to_numpy() == truth["occurred_at"].to_numpy()).all()


def test_map_unreadable_file_exit_2_without_traceback(tmp_path, capsys):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"a,b\n1,2\n" + bytes(range(256)) * 4 + b"\n1,2,3,4,5\n")
    assert main(["map", str(junk), "--out", str(tmp_path / "o.yaml")]) == 2
    err = capsys.readouterr().err
    assert "junk.csv" in err and "Traceback" not in err
    assert not (tmp_path / "o.yaml").exists()
