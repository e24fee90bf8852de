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
