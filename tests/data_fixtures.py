"""Tiny contract datasets built in code for the data tests (no dependency on workbench.synth)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from workbench.data import Dataset

TZ = "America/Chicago"
#: Two 0.01-degree square areas side by side near (-87.70, 41.85) (Chicago-ish).
X0, Y0, D = -87.70, 41.85, 0.01


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Every contract table, a few rows each, all references intact."""
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["A1", "A2"],
            "population": pd.array([1200, 800], dtype="Int64"),
            "unemployment_rate": [0.08, 0.12],
            "median_income": [41000.0, 52000.0],
        },
        geometry=[box(X0, Y0, X0 + D, Y0 + D), box(X0 + D, Y0, X0 + 2 * D, Y0 + D)],
        crs="EPSG:4326",
    )
    places = gpd.GeoDataFrame(
        {"place_id": ["S1", "P1"], "kind": ["school", "park"], "name": ["North school", None]},
        geometry=[Point(X0 + 0.002, Y0 + 0.003), Point(X0 + 0.015, Y0 + 0.005)],
        crs="EPSG:4326",
    )
    t = pd.to_datetime(
        ["2024-01-05 22:10", "2024-03-10 01:30", "2024-07-04 23:55", "2024-11-03 01:30"]
    ).tz_localize(TZ, ambiguous=np.array([True] * 4))
    incidents = pd.DataFrame(
        {
            "incident_id": ["I1", "I2", "I3", "I4"],
            "occurred_at": t,
            "lon": [X0 + 0.001, X0 + 0.004, X0 + 0.012, X0 + 0.018],
            "lat": [Y0 + 0.002, Y0 + 0.007, Y0 + 0.001, Y0 + 0.009],
            "kind": ["fatal_shooting", "nonfatal_shooting", "shots_fired", "nonfatal_shooting"],
        }
    )
    people = pd.DataFrame(
        {
            "person_id": ["p1", "p2", "p3", "p4"],
            "birth_year": pd.array([1999, 2004, None, 1980], dtype="Int64"),
            "sex": ["male", "female", "unknown", "male"],
            "race_ethnicity": ["black", "hispanic", "unknown", "white"],
            "home_area_id": ["A1", "A2", None, "A1"],
        }
    )
    victimizations = pd.DataFrame(
        {
            "incident_id": ["I1", "I2", "I2", "I4"],
            "person_id": ["p1", "p2", "p3", "p4"],
            "fatal": [True, False, False, False],
        }
    )
    arrests = pd.DataFrame(
        {
            "arrest_id": ["R1", "R1", "R2"],
            "person_id": ["p1", "p4", "p2"],
            "arrested_at": pd.to_datetime(["2023-05-01 10:00"] * 2 + ["2023-06-01 12:00"]).tz_localize(TZ),
            "offense_category": ["weapons", "weapons", "drugs"],
        }
    )
    responses = pd.DataFrame(
        {
            "response_id": ["E1", "E2"],
            "incident_id": ["I1", "I2"],
            "responder_type": ["police", "violence_interrupter"],
            "agency": ["PD", None],
            "arrived_at": t[:2] + pd.Timedelta(minutes=8),
            "departed_at": [t[0] + pd.Timedelta(minutes=90), pd.NaT],
        }
    )
    referrals = pd.DataFrame(
        {
            "referral_id": ["F1"],
            "response_id": ["E2"],
            "person_id": ["p2"],
            "service": ["mental_health"],
            "provider": ["Clinic"],
            "referred_at": [t[1] + pd.Timedelta(days=1)],
        }
    )
    followups = pd.DataFrame(
        {
            "followup_id": ["U1", "U2"],
            "referral_id": ["F1", "F1"],
            "attempted_at": [t[1] + pd.Timedelta(days=3), t[1] + pd.Timedelta(days=10)],
            "outcome": ["unreachable", "engaged"],
        }
    )
    return {
        "areas": areas,
        "places": places,
        "incidents": incidents,
        "people": people,
        "victimizations": victimizations,
        "arrests": arrests,
        "responses": responses,
        "referrals": referrals,
        "followups": followups,
    }


def tiny_dataset(**replace: pd.DataFrame) -> Dataset:
    """The tiny dataset, with some tables replaced (``None`` removes a table)."""
    tables = tiny_tables()
    for k, v in replace.items():
        if v is None:
            tables.pop(k, None)
        else:
            tables[k] = v
    return Dataset(tables=tables, timezone=TZ, crs="EPSG:32616", name="tiny")
