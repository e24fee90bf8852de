"""One data end for the whole report: the summary period, the monthly counts, the response
censoring time and the Now block all use :func:`workbench.data.data_end`."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest
from pathlib import Path

from workbench import overview, response
from workbench.data import Dataset, DataSpec, data_end
from workbench.sections import now as now_mod
from workbench.summary import summary_json, summary_period, summarize

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def late(tiny_dataset) -> Dataset:
    """The tiny city (2024) plus a partial January 2025 (first three days) and a stray record in
    September 2025, each with a response."""
    inc = tiny_dataset["incidents"]
    tz = tiny_dataset.timezone
    last = inc.sort_values("occurred_at").iloc[-1]
    jan = [pd.Timestamp("2025-01-01 10:00", tz=tz) + pd.Timedelta(hours=13 * k) for k in range(5)]
    extra = pd.DataFrame({
        "incident_id": [f"LATE{k}" for k in range(5)] + ["STRAY"],
        "occurred_at": pd.DatetimeIndex(jan + [pd.Timestamp("2025-09-15 12:00", tz=tz)]),
        "lon": last["lon"], "lat": last["lat"], "kind": "nonfatal_shooting",
    })
    tables = dict(tiny_dataset.tables)
    tables["incidents"] = pd.concat([inc, extra], ignore_index=True)
    if "responses" in tables:
        r = tables["responses"]
        row = r.iloc[[0] * len(extra)].copy()
        row["response_id"] = [f"R{i}" for i in extra["incident_id"]]
        row["incident_id"] = extra["incident_id"].to_numpy()
        row["arrived_at"] = (extra["occurred_at"] + pd.Timedelta(minutes=20)).to_numpy()
        row["departed_at"] = (extra["occurred_at"] + pd.Timedelta(minutes=80)).to_numpy()
        for c in ("arrived_at", "departed_at"):
            row[c] = pd.to_datetime(row[c], utc=True).dt.tz_convert(tz)
        tables["responses"] = pd.concat([r, row], ignore_index=True)
    return Dataset(tables=tables, timezone=tz, crs=tiny_dataset.crs, name="late")


def test_every_end_is_the_one_data_end(late):
    de = data_end(late)
    tz = late.timezone
    assert de.through == pd.Timestamp("2024-12-31", tz=tz)  # January 2025 partial, September stray
    assert de.end == pd.Timestamp("2025-01-01", tz=tz)
    # the summary period
    p = summary_period(late, 6)
    assert p.end == de.last_instant and p.through == de.through
    assert p.start == pd.Timestamp("2024-07-01", tz=tz) - pd.Timedelta(1, "ns")
    period = summary_json(summarize(late, months=6))["period"]
    assert (period["first_day"], period["end"][:10], period["through"]) == ("2024-07-01", "2024-12-31", "2024-12-31")
    # the monthly counts: no January 2025 with 5 incidents, no empty months up to September
    m = overview.monthly_counts(late)
    assert m["month"].iloc[-1] == "2024-12" and int(m["total"].sum()) == len(late["incidents"]) - 6
    # the response censoring time; late shootings and their responses left out and counted
    assert response.data_end(late) == de.end
    rd = response.prepare_response_data(late)
    assert rd.data_end == de.end and (rd.shootings["occurred_at"] < de.end).all()
    ex = rd.exclusions.set_index(["table", "check"])["n_rows"]
    assert ex[("responses", "after the data end")] == 6
    assert not rd.responses["incident_id"].str.startswith(("LATE", "STRAY")).any()
    # the Now block
    assert now_mod.data_end(late) == de.last_instant


def test_data_end_set_in_the_parameter_file(late, tmp_path):
    ds = Dataset(tables=late.tables, timezone=late.timezone, crs=late.crs, name="set",
                 data_end_setting="2024-10-31")
    de = data_end(ds)
    assert de.through == pd.Timestamp("2024-10-31", tz=ds.timezone) and de.rule.startswith("set in the parameter")
    assert "set in the parameter file" in de.sentence
    assert summary_period(ds, 3).end == de.last_instant
    assert overview.monthly_counts(ds)["month"].iloc[-1] == "2024-10"
    nov = pd.Timestamp("2024-11-01", tz=ds.timezone)
    assert response.data_end(ds) == nov == now_mod.data_end(ds) + pd.Timedelta(1, "ns")
    from workbench.data import validate

    assert validate(ds).data_end_setting == "2024-10-31"  # validate keeps the setting (and distance_unit)
    back = Dataset.from_folder(ds.to_folder(tmp_path / "c"))
    assert back.data_end_setting == "2024-10-31" and data_end(back) == de
    assert DataSpec(source="x", timezone="UTC", data_end="2024-10-31").data_end == "2024-10-31"
    assert DataSpec(source="x", timezone="UTC").data_end == "auto"
    with pytest.raises(ValueError, match="data_end"):
        DataSpec(source="x", timezone="UTC", data_end="last month")
    with pytest.raises(ValueError, match="without a time"):
        DataSpec(source="x", timezone="UTC", data_end="2024-10-31 12:00")


def test_data_end_across_a_dst_change_is_local_midnight():
    from workbench.data.flags import _midnight_after

    day = pd.Timestamp("2021-10-31", tz="Europe/Paris")  # DST ends that day (25 hours)
    assert _midnight_after(day) == pd.Timestamp("2021-11-01", tz="Europe/Paris")


def test_every_page_shows_the_data_end():
    for name in ("00_data_overview", "01_places", "02_people", "03_response", "04_past_victims", "05_dosage",
                 "06_brief"):
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        src = "\n".join(c.source for c in nb.cells[:3])
        assert "data_end_notice(ds)" in src or ("data_end(ds)" in src and ("_de.through" in src or
                                                                        "_de.sentence" in src)), name


def test_index_shows_the_data_end():
    from workbench.report.index import render_summary

    summary = {"period": {"start": "2023-12-31T23:59:59.999999999-06:00", "end": "2024-12-31T23:59:59.999999999-06:00",
                          "prev_start": "2022-12-31T23:59:59.999999999-06:00",
                          "prev_end": "2023-12-31T23:59:59.999999999-06:00", "months": 12,
                          "previous_complete": True, "through": "2024-12-31", "rule": "end of the last complete month",
                          "first_day": "2024-01-01", "prev_first_day": "2023-01-01"},
               "min_count": 11, "numbers": [], "top_areas": [], "notes": []}
    html = render_summary(summary)
    assert "2024-01-01 to 2024-12-31" in html and "2023-01-01 to 2023-12-31" in html


def test_people_cutoff_windows_end_by_the_data_end(tiny_dataset):
    from workbench.network import PeopleHistory
    from workbench.network.rolling import default_cutoffs

    hist = PeopleHistory.from_dataset(tiny_dataset)
    end = pd.Timestamp("2024-10-01", tz=tiny_dataset.timezone)
    cuts = default_cutoffs(hist, 60, n_cutoffs=36, end=end)
    assert len(cuts) and cuts[-1] + pd.Timedelta(days=60) <= end
    assert default_cutoffs(hist, 60, n_cutoffs=36)[-1] > cuts[-1]  # without it: the last event
