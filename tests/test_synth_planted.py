"""Area names and the planted recent spots of the demo city (truth['planted'])."""

from __future__ import annotations

import numpy as np
import pytest
import pandas as pd

from workbench.synth.names import area_names


def test_areas_have_distinct_plausible_names(synthetic_demo, synthetic_tiny):
    for city in (synthetic_demo, synthetic_tiny):
        names = city.dataset["areas"]["name"]
        assert names.is_unique and names.str.len().between(6, 40).all()
        assert names.str.match(r"^[A-Z][A-Za-z.' ]+ (Park|Heights|Square|Village|Grove|Hill|Gardens|Corners|Point|"
                               r"Terrace|Crossing|Commons|Flats|Yards)$").all()
    many = area_names(1500, np.random.default_rng(0))  # more than the plain combinations
    assert len(set(many)) == 1500 and any(n.startswith(("North ", "South ", "East ", "West ")) for n in many)


def test_tiny_city_has_nothing_planted(synthetic_tiny):
    assert "planted" not in synthetic_tiny.truth
    assert "planted" not in set(synthetic_tiny.parents["parent_type"])


def test_planted_spots_are_where_the_truth_says(synthetic_demo):
    t = synthetic_demo.truth
    ds = synthetic_demo.dataset
    pl = t["planted"]
    inc = ds.points("incidents").set_index("incident_id")
    areas = ds["areas"].to_crs(inc.crs).set_index("area_id")
    end = pd.Timestamp(t["period"]["incidents_end"])
    em = inc.loc[pl["emerging_incident_ids"]]
    assert len(em) == 12 and (em["kind"] == "nonfatal_shooting").all()
    assert em.within(areas.loc[pl["emerging_area"], "geometry"]).all()
    steps = np.floor((end - em["occurred_at"]) / pd.Timedelta(days=28)).astype(int)
    assert steps.value_counts().sort_index().tolist() == [6, 4, 2]  # most recent step first
    ch = inc.loc[pl["chain_incident_ids"]]
    assert ch.within(areas.loc[pl["chain_area"], "geometry"]).all()
    assert ch["occurred_at"].min() >= end - pd.Timedelta(days=6) and ch["occurred_at"].max() <= end
    xy = np.column_stack([ch.geometry.x, ch.geometry.y])
    assert np.hypot(*(xy - xy[0]).T).max() <= 120.0 + 1e-6
    resp = ds["responses"]
    assert (resp[resp["incident_id"].isin(pl["chain_incident_ids"])]["responder_type"] == "police").all()
    assert resp["incident_id"].isin(pl["chain_incident_ids"]).sum() == 4
    refs = ds["referrals"].merge(resp[["response_id", "incident_id"]], on="response_id")
    assert not refs["incident_id"].isin(pl["chain_incident_ids"] + pl["emerging_incident_ids"]).any()
    # every planted victim is a new person of the area, in the parents as 'planted'
    vic = ds["victimizations"][ds["victimizations"]["incident_id"].isin(em.index.union(ch.index))]
    assert len(vic) == 16 and vic["person_id"].is_unique
    assert set(ds["people"].set_index("person_id").loc[vic["person_id"], "home_area_id"]) == {
        pl["emerging_area"], pl["chain_area"]}
    par = synthetic_demo.parents
    assert (par.loc[par["incident_id"].isin(vic["incident_id"]), "parent_type"] == "planted").sum() == 16
    assert t["realized"]["counts"]["incidents"] == len(ds["incidents"])  # counts are the tables'
    assert sum(t["realized"]["shares"].values()) == pytest.approx(1.0)  # shares: the simulation's own
