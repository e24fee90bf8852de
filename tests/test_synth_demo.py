"""The demo-scale synthetic city: calibration targets and recovery of the known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.synth import SCALES


def test_counts_near_targets(synthetic_demo):
    t = synthetic_demo.truth
    sc = SCALES["demo"]
    n_vic = t["realized"]["victimizations"]
    assert abs(n_vic - sc.target_victimizations) < 0.25 * sc.target_victimizations
    assert 1_100 <= t["realized"]["shooting_incidents"] <= 2_000
    assert t["derived"]["residents"] == sc.residents == 300_000
    # the expected count is exactly the calibration target
    assert t["expected"]["window"]["victimizations"] == pytest.approx(sc.target_victimizations)


def test_network_stats_near_chicago_targets(synthetic_demo):
    r = synthetic_demo.truth["realized"]
    net = r["network"]
    assert net["network_share_of_residents"] < 0.06
    assert 0.60 <= r["share_victimizations_in_network"] <= 0.80
    assert 0.5 <= r["share_victims_in_network"] <= 0.8
    # heavy-tailed, clustered degree distribution
    assert net["max_degree"] >= 5 * net["mean_degree"]
    assert 0.05 < net["share_isolates"] < 0.3
    assert net["largest_component_share"] > 0.3


def test_realized_shares_match_expected(synthetic_demo):
    real = synthetic_demo.truth["realized"]["shares"]
    exp = synthetic_demo.truth["expected"]["window_shares"]
    assert abs(real["contagion"] - exp["contagion"]) < 0.10
    assert abs(real["near_repeat"] - exp["near_repeat"]) < 0.04
    assert abs(real["background"] - exp["background"]) < 0.10
    assert 0.4 < real["contagion"] < 0.7


def test_contagion_delay_and_seasonality(synthetic_demo):
    p = synthetic_demo.parents
    inc = synthetic_demo.dataset["incidents"].set_index("incident_id")["occurred_at"]
    ct = p[(p["parent_type"] == "contagion") & p["primary"]]
    delay = (inc.loc[ct["incident_id"]].to_numpy() - inc.loc[ct["parent_incident_id"]].to_numpy())
    delay_days = delay / np.timedelta64(1, "D")
    tau = synthetic_demo.truth["params"]["contagion_tau_days"]
    # exponential delay truncated by the 5-year window: mean a bit below tau
    assert 0.6 * tau < delay_days.mean() < 1.1 * tau
    bg = p.loc[p["parent_type"] == "background", "incident_id"].unique()
    month = inc.loc[bg].dt.month
    summer = month.isin([6, 7, 8]).mean()
    winter = month.isin([12, 1, 2]).mean()
    assert summer > 1.4 * winter


def test_near_repeat_distance_matches_sigma(synthetic_demo):
    p = synthetic_demo.parents
    nr = p[(p["parent_type"] == "near_repeat") & p["primary"]]
    pts = synthetic_demo.dataset.points("incidents").set_index("incident_id").geometry
    d = pts.loc[nr["incident_id"]].distance(pts.loc[nr["parent_incident_id"]], align=False)
    sigma = synthetic_demo.truth["params"]["near_repeat_sigma_m"]
    # Rayleigh: E[d^2] = 2 sigma^2 (a few offspring are redrawn at the city edge)
    assert np.sqrt((d**2).mean() / 2) == pytest.approx(sigma, rel=0.2)


def test_engagement_model_recovers_cox_coefficients(synthetic_demo):
    lifelines = pytest.importorskip("lifelines")
    t = synthetic_demo.dataset.tables
    prm = synthetic_demo.truth["params"]
    ref = t["referrals"].merge(t["responses"][["response_id", "responder_type"]], on="response_id")
    eng = synthetic_demo.engagement.set_index("referral_id").loc[ref["referral_id"]]
    # the observed engaged attempt sits exactly at the latent engagement time
    fol = t["followups"][t["followups"]["outcome"] == "engaged"].merge(
        t["referrals"][["referral_id", "referred_at"]], on="referral_id")
    obs = (fol["attempted_at"] - fol["referred_at"]) / pd.Timedelta(days=1)
    lat = synthetic_demo.engagement.set_index("referral_id").loc[fol["referral_id"], "duration"].to_numpy()
    assert np.allclose(obs.to_numpy(), lat, atol=2e-5)

    x = pd.DataFrame({
        "age10": (eng["age"].to_numpy() - 30.0) / 10.0,
        "victim_advocate": (ref["responder_type"] == "victim_advocate").to_numpy(dtype=float),
        "violence_interrupter": (ref["responder_type"] == "violence_interrupter").to_numpy(dtype=float),
        "food_assistance": (ref["service"] == "food_assistance").to_numpy(dtype=float),
        "housing": (ref["service"] == "housing").to_numpy(dtype=float),
    })
    # exact linear predictor minus the terms above = offset-free check via the truth's eta
    known = (eng["log_hazard"].to_numpy()
             - prm["beta_age_per_decade"] * x["age10"].to_numpy()
             - prm["beta_responder"]["victim_advocate"] * x["victim_advocate"].to_numpy()
             - prm["beta_responder"]["violence_interrupter"] * x["violence_interrupter"].to_numpy()
             - prm["beta_service"]["food_assistance"] * x["food_assistance"].to_numpy()
             - prm["beta_service"]["housing"] * x["housing"].to_numpy())
    x["rest"] = known
    x["duration"] = eng["duration"].to_numpy()
    x["event"] = (eng["outcome"] == "engaged").to_numpy()
    cph = lifelines.CoxPHFitter().fit(x, "duration", "event")
    est, se = cph.params_, cph.standard_errors_
    truth = {"age10": prm["beta_age_per_decade"],
             "victim_advocate": prm["beta_responder"]["victim_advocate"],
             "violence_interrupter": prm["beta_responder"]["violence_interrupter"],
             "food_assistance": prm["beta_service"]["food_assistance"],
             "housing": prm["beta_service"]["housing"], "rest": 1.0}
    for name, beta in truth.items():
        assert abs(est[name] - beta) < 3.5 * se[name], (name, est[name], beta, se[name])


def test_background_shootings_follow_area_weights(synthetic_demo):
    import geopandas as gpd

    p = synthetic_demo.parents
    bg = p.loc[(p["parent_type"] == "background") & p["primary"], "incident_id"]
    pts = synthetic_demo.dataset.points("incidents").set_index("incident_id").loc[bg].to_crs("EPSG:4326")
    areas = synthetic_demo.dataset["areas"]
    hit = gpd.sjoin(pts.reset_index(), areas[["area_id", "geometry"]], predicate="within")
    counts = hit["area_id"].value_counts().reindex(areas["area_id"], fill_value=0)
    weight = pd.Series(synthetic_demo.truth["areas"]["background_weight"]).reindex(areas["area_id"])
    assert weight.sum() == pytest.approx(1.0)
    assert counts.corr(weight, method="spearman") > 0.5
    dis = pd.Series(synthetic_demo.truth["areas"]["disadvantage"]).reindex(areas["area_id"])
    rate = counts / areas.set_index("area_id")["population"].astype(float)
    assert rate.corr(dis, method="spearman") > 0.3
