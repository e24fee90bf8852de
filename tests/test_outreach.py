"""workbench.outreach on the tiny city: past victims, counts, unserved trend, priority list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import outreach as O

SEED = 20261125


@pytest.fixture(scope="module")
def city():
    from workbench.synth import generate_city

    return generate_city("tiny", SEED)


@pytest.fixture(scope="module")
def past(city):
    return O.past_victims(city.dataset, city.truth["period"]["program_start"])


def test_past_victims_definition(city, past):
    ds = city.dataset
    start = pd.Timestamp(city.truth["period"]["program_start"])
    v = ds["victimizations"].merge(ds["incidents"][["incident_id", "occurred_at"]], on="incident_id")
    killed = set(v.loc[v["fatal"], "person_id"])
    first = v.groupby("person_id")["occurred_at"].min()
    referred = set(ds["referrals"]["person_id"])
    expected = {p for p, t in first.items() if p not in killed and (t < start or p not in referred)}
    assert set(past["person_id"]) == expected
    assert past["person_id"].is_unique
    # nobody shot before the program was served by co-responders at that shooting
    hist = past[past["before_program"]]
    assert (hist["referred"] <= hist["shot_since_start"]).all()
    assert (past["days_since_last"] >= 0).all()
    assert past["area_id"].isin(ds["areas"]["area_id"]).all()
    assert (past["revictimized"] == (past["victimizations"] > 1)).all()


def test_counts_add_up(past):
    for by in ("area", "year", "years_since"):
        c = O.past_victim_counts(past, by)
        assert c["past_victims"].sum() == len(past)
        assert c["unserved"].sum() == (~past["referred"]).sum()
        assert c["revictimized"].sum() == past["revictimized"].sum()
    area = O.past_victim_counts(past, "area")
    assert area["past_victims"].is_monotonic_decreasing
    assert list(O.past_victim_counts(past, "years_since")["group"]) == sorted(
        O.past_victim_counts(past, "years_since")["group"], key=["under 1 year", "1-2 years", "2-5 years",
                                                                 "5+ years"].index)
    with pytest.raises(ValueError):
        O.past_victim_counts(past, "person")


def test_unserved_trend(city, past):
    tr = O.unserved_trend(city.dataset, past)
    assert (tr["past_victims"] == past["before_program"].sum()).all()
    assert (tr["served"] + tr["unserved"] == tr["past_victims"]).all()
    assert tr["unserved"].is_monotonic_decreasing
    assert tr["served"].iloc[-1] == past.loc[past["before_program"], "referred"].sum()
    assert tr["period"].iloc[-1] == past.attrs["as_of"]


def test_outreach_priority_ranks_by_risk(city, past):
    pri = O.outreach_priority(city.dataset, past, horizon_days=365)
    assert len(pri) == len(past) and set(pri["person_id"]) == set(past["person_id"])
    r = pri["risk"].to_numpy()
    assert np.isfinite(r).all() and ((r >= 0) & (r <= 1)).all()
    assert (np.diff(r) <= 1e-12).all() and list(pri["rank"]) == list(range(1, len(pri) + 1))
    assert (pri["contacts_shot_past_year"] >= 0).all() and (pri["area_shootings_past_year"] >= 0).all()
    # a longer horizon never lowers anyone's risk
    longer = O.outreach_priority(city.dataset, past, horizon_days=730).set_index("person_id")["risk"]
    assert (longer.loc[pri["person_id"]].to_numpy() >= r - 1e-12).all()


# -- fairness audit of the outreach list ------------------------------------------------------------

TZ = "America/Chicago"


@pytest.fixture()
def tiny_frame():
    """Eight ranked past victims (P8 not in the people table); two shot again 60 days after as_of."""
    from workbench.data.dataset import Dataset

    people = pd.DataFrame({
        "person_id": [f"P{i}" for i in range(1, 8)],
        "birth_year": pd.array([2000, 1990, 2010, 1980, 2001, 1995, None], dtype="Int64"),
        "sex": ["male", "female", "male", "male", "female", "male", "female"],
        "race_ethnicity": ["black", "black", "white", "black", "white", "hispanic", "black"],
    })
    t = pd.to_datetime(["2023-06-01", "2024-03-01", "2024-12-01", "2025-06-01"]).tz_localize(TZ)
    incidents = pd.DataFrame({"incident_id": ["I0", "I1", "I2", "I3"], "occurred_at": t,
                              "lon": -87.6, "lat": 41.8, "kind": "nonfatal_shooting"})
    vict = pd.DataFrame({"incident_id": ["I0"] * 8 + ["I1", "I1", "I2"],
                         "person_id": [f"P{i}" for i in range(1, 9)] + ["P1", "P4", "P2"], "fatal": False})
    ds = Dataset(tables={"incidents": incidents, "victimizations": vict, "people": people},
                 timezone=TZ, crs="EPSG:32616", name="tiny-frame")
    pri = pd.DataFrame({"rank": np.arange(1, 9), "person_id": [f"P{i}" for i in range(1, 9)],
                        "risk": np.linspace(0.8, 0.1, 8)})
    pri.attrs.update(as_of=pd.Timestamp("2024-01-01", tz=TZ), horizon_days=180.0)
    return ds, pri


def test_outreach_audit_selection_rates_by_hand(tiny_frame):
    ds, pri = tiny_frame
    aud = O.outreach_audit(ds, pri, top_n=3, min_n=1, min_events=1)  # top 3: P1, P2, P3
    a = aud.audit.set_index(["attribute", "group"])
    expected = {  # hand computation: selected / ranked in the group
        ("race_ethnicity", "black"): (4, 2), ("race_ethnicity", "white"): (2, 1),
        ("race_ethnicity", "hispanic"): (1, 0), ("race_ethnicity", "unknown"): (1, 0),
        ("race_ethnicity", "all"): (8, 3),
        ("sex", "male"): (4, 2), ("sex", "female"): (3, 1), ("sex", "unknown"): (1, 0), ("sex", "all"): (8, 3),
        # ages on 2024-01-01: P1 24, P2 34, P3 14, P4 44, P5 23, P6 29, P7 unknown birth year, P8 no record
        ("age_group", "18-24"): (2, 1), ("age_group", "25-34"): (2, 1), ("age_group", "under 18"): (1, 1),
        ("age_group", "35 and over"): (1, 0), ("age_group", "unknown"): (2, 0), ("age_group", "all"): (8, 3),
    }
    assert set(a.index) == set(expected)
    for key, (n, k) in expected.items():
        assert a.loc[key, "n"] == n and a.loc[key, "n_selected"] == k, key
        assert a.loc[key, "selection_rate"] == pytest.approx(k / n), key
        assert a.loc[key, "selection_rate_ratio"] == pytest.approx((k / n) / (3 / 8)), key
    # flags by hand: a ratio outside [0.8, 1.25] (female 1/3 / 3/8 = 0.89 is the only group inside)
    by_hand = {key for key, (n, k) in expected.items() if key[1] != "all" and not 0.8 <= (k / n) / (3 / 8) <= 1.25}
    assert by_hand == set(expected) - {("sex", "female")} - {key for key in expected if key[1] == "all"}
    flagged = aud.flags.loc[aud.flags["metric"] == "selection_rate", ["attribute", "group"]]
    assert set(map(tuple, flagged.to_numpy())) == by_hand
    # outcome window (2024-01-01, 2024-06-29]: P1 and P4 shot again; P2's shooting in December is outside
    assert aud.calibration_available and aud.horizon_days == 180.0
    f = O.outreach_audit_frame(ds, pri, 3, aud.as_of, 180.0)
    assert list(f.loc[f["outcome"], "person_id"]) == ["P1", "P4"]
    assert a.loc[("race_ethnicity", "all"), "n_outcome"] == 2 and a.loc[("race_ethnicity", "all"), "tp"] == 1
    assert a.loc[("race_ethnicity", "all"), "mean_predicted"] == pytest.approx(pri["risk"].mean())
    cal = aud.calibration
    assert cal["n"].sum() == 8 and cal["n_outcome"].sum() == 2
    assert cal["sum_predicted"].sum() == pytest.approx(pri["risk"].sum())
    assert "P1" not in aud.audit.to_string()  # aggregate only


def test_outreach_audit_horizon_past_data_end(tiny_frame):
    ds, pri = tiny_frame
    full = O.outreach_audit(ds, pri, top_n=3, min_n=1, min_events=1)
    aud = O.outreach_audit(ds, pri, top_n=3, horizon_days=600, min_n=1, min_events=1)  # to 2025-08-23 > 2025-06-01
    assert not aud.calibration_available and aud.calibration is None
    assert "past the end of the data" in aud.note and "2025-06-01" in aud.note
    pd.testing.assert_series_equal(aud.audit["selection_rate"], full.audit["selection_rate"])
    assert aud.audit["calibration"].isna().all() and aud.audit["capture_rate"].isna().all()
    assert set(aud.flags["metric"]) <= {"selection_rate"}
    with pytest.raises(ValueError):
        O.outreach_audit(ds, pri.iloc[:0], top_n=3)


def test_outreach_audit_on_city(city):
    past = O.past_victims(city.dataset, city.truth["period"]["program_start"], "2024-07-01")
    pri = O.outreach_priority(city.dataset, past, horizon_days=150)
    aud = O.outreach_audit(city.dataset, pri, top_n=10)
    assert aud.calibration_available and aud.top_n == 10
    alls = aud.audit.loc[aud.audit["group"] == "all"]
    assert (alls["n"] == len(pri)).all() and (alls["n_selected"] == 10).all()
    for attr, sub in aud.audit.groupby("attribute"):
        grp = sub[sub["group"] != "all"]
        assert grp["n"].sum() == len(pri) and grp["n_selected"].sum() == 10, attr
    assert aud.calibration["n"].sum() == len(pri)
