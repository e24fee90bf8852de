"""workbench.survival on the tiny city: engagement table, Kaplan-Meier, Cox, competing outcomes,
re-victimization."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import survival as S


@pytest.fixture(scope="module")
def table(synthetic_tiny):
    return S.engagement_table(synthetic_tiny.dataset)


def test_engagement_table_matches_latent_truth(synthetic_tiny):
    # the generator's latent outcome ignores re-victimization and loss: compare under the rule
    # where only engagement and decline end follow-up
    table = S.engagement_table(synthetic_tiny.dataset, censoring="administrative")
    truth = synthetic_tiny.engagement.set_index("referral_id").loc[table["referral_id"]]
    eng = truth["outcome"].to_numpy() == "engaged"
    np.testing.assert_array_equal(table["engaged"].to_numpy(), eng)
    # timestamps are rounded to the second: durations agree to a few seconds
    np.testing.assert_allclose(table.loc[eng, "days"], truth.loc[eng, "duration"], atol=1e-3)
    dec = truth["outcome"].to_numpy() == "declined"
    np.testing.assert_allclose(table.loc[dec, "days"], truth.loc[dec, "duration"], atol=1e-3)
    np.testing.assert_allclose(table["age"], truth["age"], atol=0.01)
    assert set(table["outcome"]) <= set(S.OUTCOMES) | {"censored"}
    # the competing outcome ends follow-up no later than engagement does
    assert (table.loc[table["engaged"], "outcome_days"] <= table.loc[table["engaged"], "days"] + 1e-9).all()
    assert ((table["outcome"] == "engaged") <= table["engaged"]).all()
    assert (table["prior_victimizations"] >= 0).all()


def test_window_censors_followup(synthetic_tiny):
    t = S.engagement_table(synthetic_tiny.dataset, window_days=30)
    assert t["days"].max() <= 30 + 1e-9 and t["outcome_days"].max() <= 30 + 1e-9
    assert (t["engaged"] <= (S.engagement_table(synthetic_tiny.dataset)["days"] <= 30)).all()


def test_kaplan_meier_by_group(table):
    km = S.kaplan_meier(table, by="responder_type")
    assert set(km.medians["group"]) == set(table["responder_type"])
    assert (km.medians["n"].sum() == len(table)) and km.medians["events"].sum() == table["engaged"].sum()
    for _, c in km.curves.groupby("group"):
        s = c["survival"].to_numpy()
        assert (np.diff(s) <= 1e-12).all() and (c["lower"] <= c["survival"] + 1e-12).all()
        assert (c["upper"] >= c["survival"] - 1e-12).all()
    r0 = km.at_risk[km.at_risk["time"] == 0].set_index("group")["at_risk"]
    assert (r0 == km.medians.set_index("group")["n"]).all()
    assert 0 <= km.logrank["p_value"] <= 1 and km.logrank["df"] == len(km.medians) - 1
    overall = S.kaplan_meier(table)
    m = overall.medians.iloc[0]
    assert m["median_lower"] <= m["median"] <= m["median_upper"]
    assert overall.logrank is None


def test_cox_reports_check_and_advice(table):
    res = S.fit_cox(table, covariates=["responder_type", "age"])
    assert set(res.summary["variable"]) == {"responder_type", "age"}
    assert res.n == len(table) and res.events == table["engaged"].sum()
    assert 0.5 < res.concordance < 1
    assert (res.summary["hr_lower"] < res.summary["hazard_ratio"]).all()
    assert set(res.ph_test["column"]) == set(res.summary["column"])
    assert res.advice  # lifelines' printed output, kept
    np.testing.assert_allclose(np.exp(res.summary["coef"]), res.summary["hazard_ratio"])


def test_cox_stratifies_when_the_check_fails():
    rng = np.random.default_rng(1)
    n = 1500
    g = rng.integers(0, 2, n)
    # group 1 has a decreasing hazard (Weibull shape 0.4), group 0 an increasing one: PH fails
    shape = np.where(g == 1, 0.4, 2.5)
    t = 30 * rng.exponential(1, n) ** (1 / shape)
    table = pd.DataFrame({"days": np.minimum(t, 60), "engaged": t < 60,
                          "service": np.where(g == 1, "housing", "medical"), "age": rng.normal(30, 8, n)})
    res = S.fit_cox(table, covariates=["service", "age"])
    assert "service" in res.failing
    assert "service" in res.advice or "housing" in res.advice
    assert res.stratified is not None and res.stratified.strata == ["service"]
    assert list(res.stratified.summary["column"]) == ["age_per_decade"]


def test_cox_design_nested_provider_reference(table):
    design, cols, refs, dropped = S.cox_design(table, ["service", "provider"])
    # one reference provider per service -> no provider column is a sum of service columns
    assert len(refs["provider"]) == table["service"].nunique()
    assert not any(c == f"provider[{p}]" for c in cols for p in refs["provider"])
    assert np.linalg.matrix_rank(design[list(cols)].to_numpy()) == len(cols)


def test_cumulative_incidence_adds_up(table):
    cif = S.cumulative_incidence(table)
    assert set(cif["cause"]) == set(S.OUTCOMES)
    at = S.incidence_at(cif, [30.0, 90.0])
    total = at.groupby("time")["cif"].sum()
    assert (total <= 1 + 1e-9).all()
    # at the last time the incidences equal the share of each outcome when nothing is censored early
    eng = at[(at["cause"] == "engaged") & (at["time"] == 90.0)]["cif"].iloc[0]
    naive = ((table["outcome"] == "engaged") & (table["outcome_days"] <= 90)).mean()
    assert eng >= naive - 1e-9
    cs = S.cause_specific_cox(table, covariates=["responder_type"], min_events=10)
    assert "engaged" in cs and cs["engaged"].events == (table["outcome"] == "engaged").sum()


def test_revictimization_table(synthetic_tiny):
    ds = synthetic_tiny.dataset
    rv = S.revictimization_table(ds)
    vic = ds["victimizations"]
    n_vict = vic.groupby("person_id").size()
    assert rv["person_id"].is_unique
    assert set(rv["event"]) <= {"revictimized", "censored", "died"}
    # the revictimized are exactly the survivors of a first shooting who were shot again
    rev = set(rv.loc[rv["event"] == "revictimized", "person_id"])
    assert rev == {p for p in rv["person_id"] if n_vict[p] > 1}
    assert (rv["days"] >= 0).all()
    deaths = pd.DataFrame({"person_id": rv["person_id"].iloc[:3],
                           "died_at": rv["occurred_at"].iloc[:3] + pd.Timedelta(hours=1)})
    rv2 = S.revictimization_table(ds, deaths=deaths)
    assert (rv2["event"].iloc[:3] == "died").all()
    ci = S.revictimization_incidence(rv2)
    assert ci.loc[ci["cause"] == "died", "cif"].max() > 0


def test_propensity_weights_balance():
    rng = np.random.default_rng(3)
    n = 2000
    age = rng.normal(25, 6, n)
    treat = rng.random(n) < 1 / (1 + np.exp(-(age - 25) / 5))
    d = pd.DataFrame({"engaged_by_landmark": treat, "age": age})
    w = S.propensity_weights(d, covariates=["age"])
    e = w.attrs["propensity"]
    assert ((e > 0) & (e < 1)).all()
    m1 = np.average(age[treat], weights=w[treat])
    m0 = np.average(age[~treat], weights=w[~treat])
    assert abs(age[treat].mean() - age[~treat].mean()) > 2
    assert abs(m1 - m0) < 0.3


def test_literature_figures():
    assert S.LITERATURE["cumulative_incidence"] == {365.25: 0.07, 8 * 365.25: 0.17}
    assert "Annals of Internal Medicine" in S.LITERATURE["source"]
