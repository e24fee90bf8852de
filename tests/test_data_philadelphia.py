"""Real data: parameters/philadelphia.yaml loads ../shared/data/philadelphia honestly.

Skipped when the shared folder is absent (it sits beside the repository clone).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from workbench.data import (
    DataError,
    DataSpec,
    data_quality_summary,
    find_philadelphia,
    load_dataset,
)

REPO = Path(__file__).resolve().parents[1]
PARAMS = REPO / "parameters" / "philadelphia.yaml"
PHILLY = REPO.parent / "shared" / "data" / "philadelphia"

pytestmark = [
    pytest.mark.philadelphia,
    pytest.mark.skipif(not PHILLY.is_dir(), reason=f"real data not found at {PHILLY}"),
]


@pytest.fixture(scope="module")
def philly():
    return load_dataset(PARAMS)


def test_find_philadelphia():
    assert find_philadelphia().resolve() == PHILLY.resolve()


def test_counts_have_the_expected_magnitude(philly):
    inc, vic, people = philly["incidents"], philly["victimizations"], philly["people"]
    # README: about 14,800 incidents and 16,500 victims; 22 victim rows have no coordinates
    assert 14_500 <= len(inc) <= 15_000
    assert 16_200 <= len(vic) <= 16_700
    assert len(people) == len(vic)
    assert inc["incident_id"].is_unique
    assert set(vic["incident_id"]) <= set(inc["incident_id"])
    assert set(vic["person_id"]) == set(people["person_id"])
    assert 3_200 <= int(vic["fatal"].sum()) <= 3_500
    # an incident is fatal exactly when one of its victims died
    fatal_inc = set(vic.loc[vic["fatal"], "incident_id"])
    assert set(inc.loc[inc["kind"] == "fatal_shooting", "incident_id"]) == fatal_inc
    assert len(philly["areas"]) == 49


def test_time_zone_crs_and_coordinates(philly):
    inc = philly["incidents"]
    assert str(inc["occurred_at"].dt.tz) == "America/New_York"
    assert philly.crs == "EPSG:32618"
    assert inc["occurred_at"].min() >= pd.Timestamp("2015-01-01", tz="America/New_York")
    assert inc["lon"].between(-75.3, -74.9).all() and inc["lat"].between(39.8, 40.2).all()
    assert philly["areas"]["population"].isna().all()


def test_people_codes_and_birth_years(philly):
    people = philly["people"]
    assert set(people["sex"]) == {"male", "female"}
    assert set(people["race_ethnicity"]) <= {"black", "white", "hispanic", "asian", "unknown"}
    assert (people["race_ethnicity"] == "black").mean() > 0.7
    assert people["person_id"].str.fullmatch("[0-9a-f]{16}").all()
    by = people["birth_year"].dropna()
    assert 1900 <= by.min() and by.max() <= 2025
    assert people["birth_year"].isna().sum() < 300  # ages unknown for about 240 victims


def test_quality_summary_reports_drops_and_absent_population(philly):
    q = data_quality_summary(philly).set_index(["table", "column"])
    assert "22 of" in q.loc[("incidents", "(table)"), "notes"]
    assert "population absent in source" in q.loc[("areas", "population"), "notes"]
    assert "not referenced by" in q.loc[("people", "(table)"), "notes"]
    assert "duplicate rows merged" in q.loc[("incidents", "incident_id"), "notes"]


def test_default_policy_refuses_rows_without_coordinates():
    doc = yaml.safe_load(PARAMS.read_text())["data"]
    for mapping in doc["tables"].values():
        mapping.pop("on_bad_rows", None)
    spec = DataSpec.model_validate(doc)
    with pytest.raises(DataError) as exc:
        load_dataset(spec, base_dir=PARAMS.parent)
    lon = [p for p in exc.value.problems if p.column == "lon"]
    assert len(lon) == 1
    assert lon[0].n_rows == 22 and lon[0].message == "missing value"
    assert lon[0].source == "incidents (shootings_*.json)"
    assert all(i.isdigit() for i in lon[0].first_ids)  # dc_key values


def test_one_data_end_stray_record_and_duplicate_events(philly):
    from workbench.data import data_end, quality_flags

    end = data_end(philly)
    # the lone November 2025 record is stray; January 2025 ends on the 26th: partial
    assert end.through == pd.Timestamp("2024-12-31", tz="America/New_York")
    assert end.last_record.strftime("%Y-%m-%d") == "2025-01-26"
    flags = quality_flags(philly).set_index("flag")
    assert flags.loc["stray dates", "n_rows"] == 1
    assert "2025-11" in flags.loc["stray dates", "detail"]
    assert "last month 2025-01" in flags.loc["partial month", "detail"]
    # several dc_keys with identical coordinates and timestamp: probably one event each
    assert 1_800 <= flags.loc["same place and time", "n_rows"] <= 2_100
    assert "stacked coordinates" in flags.index
    notes = {n["kind"] for n in philly.notes}
    assert {"flag", "data_end"} <= notes


def test_workbench_map_proposes_a_working_mapping_for_the_real_files(philly, tmp_path, capsys):
    from workbench.cli import main

    out = tmp_path / "philly.yaml"
    # one yearly file named: the proposal reads all eleven and reports the 22 victims without a point
    assert main(["map", str(PHILLY / "shootings_2024.json"), "--out", str(out)]) == 2
    said = capsys.readouterr().out
    assert "11 files match" in said
    assert "column 'lon': missing value (22 rows" in said and "on_bad_rows: drop" in said
    doc = yaml.safe_load(out.read_text())
    m = doc["data"]["tables"]
    assert m["incidents"]["files"] == "shootings_*.json"
    assert m["incidents"]["columns"]["incident_id"] == "dc_key"
    assert m["incidents"]["dedupe"]["key"] == ["incident_id"]
    assert m["people"]["birth_year"]["age"] == "age"
    m["incidents"]["on_bad_rows"] = "drop"  # the edit the message asks for
    out.write_text(yaml.safe_dump(doc))
    ds = load_dataset(out)
    got = ds["incidents"].set_index("incident_id").sort_index()
    ref = philly["incidents"].set_index("incident_id").sort_index()
    assert got.index.equals(ref.index)
    assert (got["kind"] == ref["kind"]).all()
    assert len(ds["victimizations"]) == len(philly["victimizations"])
    assert len(ds["people"]) == len(philly["people"])
    assert int(ds["victimizations"]["fatal"].sum()) == int(philly["victimizations"]["fatal"].sum())
