"""Fine-Gray model: recovery of known subdistribution hazard ratios (Fine and Gray 1999 design),
CIF predictions against the true subdistribution, the referral-table wrapper and its behaviour
on data too small or separated for a plain fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench import ConvergenceWarning
from workbench import survival as S
from workbench.survival.finegray import FineGrayFitter, _censoring_survival, simulate_fine_gray

BETA1 = (0.5, -0.5)
P = 0.3


@pytest.fixture(scope="module")
def fitted():
    d = simulate_fine_gray(1500, beta1=BETA1, beta2=(-0.5, 0.5), p=P, censor_max=4.0, seed=2)
    return d, FineGrayFitter().fit(d, "time", "status", event_of_interest=1)


def test_recovers_known_subdistribution_hazard_ratios(fitted):
    d, fg = fitted
    z = (fg.params_.to_numpy() - np.asarray(BETA1)) / fg.standard_errors_.to_numpy()
    assert np.all(np.abs(z) < 3), z
    assert fg.n_events_ == (d["status"] == 1).sum() and fg.n_competing_ == (d["status"] == 2).sum()
    # intervals and summary follow lifelines' names and agree with each other
    ci = fg.confidence_intervals_
    assert list(ci.columns) == ["95% lower-bound", "95% upper-bound"]
    assert ((ci.iloc[:, 0] < fg.params_) & (fg.params_ < ci.iloc[:, 1])).all()
    np.testing.assert_allclose(fg.summary_["exp(coef)"], np.exp(fg.params_))
    assert {"coef", "se(coef)", "z", "p"} <= set(fg.summary_.columns)
    # the robust variance differs from the naive one (the weights are not frequency weights)
    assert not np.allclose(fg.variance_matrix_, fg.naive_variance_matrix_)


def test_predicted_incidence_follows_the_true_subdistribution(fitted):
    _, fg = fitted
    x = pd.DataFrame({"x1": [0.0, 1.0, -1.0], "x2": [0.0, 0.0, 1.0]})
    times = np.array([0.25, 0.5, 1.0, 2.0, 3.0])
    pred = fg.predict_cumulative_incidence(x, times).to_numpy()
    eta = x.to_numpy() @ np.asarray(BETA1)
    truth = 1 - (1 - P * (1 - np.exp(-times)))[:, None] ** np.exp(eta)[None, :]
    np.testing.assert_allclose(pred, truth, atol=0.03)
    assert (np.diff(pred, axis=0) >= 0).all()


def test_no_competing_events_is_a_cox_model():
    # without competing events the weights are all 1 and Fine-Gray is the Cox model
    from lifelines import CoxPHFitter

    d = simulate_fine_gray(400, seed=4)
    d = d[d["status"] != 2]
    fg = FineGrayFitter().fit(d, "time", "status", event_of_interest=1)
    cph = CoxPHFitter().fit(d.assign(e=d["status"] == 1).drop(columns="status"), "time", "e")
    np.testing.assert_allclose(fg.params_, cph.params_, atol=1e-6)
    cph_r = CoxPHFitter().fit(d.assign(e=d["status"] == 1).drop(columns="status"), "time", "e", robust=True)
    np.testing.assert_allclose(fg.standard_errors_, cph_r.standard_errors_, rtol=1e-3)


def test_time_zero_events_are_in_the_model():
    d = simulate_fine_gray(300, seed=5)
    d.loc[:29, ["time", "status"]] = [0.0, 1]
    fg = FineGrayFitter().fit(d, "time", "status", event_of_interest=1)
    assert fg.n_events_ == (d["status"] == 1).sum()
    assert fg.baseline_cumulative_hazard_.index[0] == 0.0
    assert fg.baseline_cumulative_hazard_.iloc[0, 0] > 0


def test_bad_input_is_named():
    d = simulate_fine_gray(50, seed=0)
    with pytest.raises(ValueError, match="time"):
        FineGrayFitter().fit(d.assign(time=-d["time"]), "time", "status", 1)
    with pytest.raises(ValueError, match="no event"):
        FineGrayFitter().fit(d, "time", "status", 7)


def test_wrapper_on_the_referral_table(synthetic_demo):
    table = S.engagement_table(synthetic_demo.dataset)
    res = S.fine_gray(table, "engaged", covariates=["responder_type", "age"])
    assert res.fitted and res.events == (table["outcome"] == "engaged").sum()
    assert set(res.summary["variable"]) == {"responder_type", "age"}
    fg = res.model
    # the competing events are the other causes of the censoring rule
    assert fg.n_competing_ == table["outcome"].isin(["declined", "revictimized", "lost"]).sum()
    assert (res.summary["hr_lower"] < res.summary["hazard_ratio"]).all()
    assert (res.summary["hazard_ratio"] < res.summary["hr_upper"]).all()


def test_few_events_and_separation_are_reported_not_raised():
    rng = np.random.default_rng(0)
    n = 40
    g = np.where(np.arange(n) < 20, "a", "b")
    out = np.where(g == "a", "engaged", rng.choice(["declined", "censored"], n))  # only group a engages
    table = pd.DataFrame({"outcome_days": rng.exponential(10, n), "outcome": out, "service": g,
                          "age": rng.normal(30, 5, n)})
    table.attrs["causes"] = ("engaged", "declined")
    with pytest.warns(ConvergenceWarning, match="ridge penalty"):
        res = S.fine_gray(table, covariates=["service", "age"])
    assert res.fitted and res.penalizer > 0 and "ridge penalty" in res.note
    assert np.isfinite(res.summary["coef"]).all()
    few = S.fine_gray(table.assign(outcome=np.where(np.arange(n) < 3, "engaged", "declined")))
    assert not few.fitted and "than the 10 needed" in few.reason and few.summary.empty
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        none = S.fine_gray(table.assign(outcome="censored"))
    assert not none.fitted


def test_whole_day_times_give_the_same_model_much_faster():
    """The page fits Fine-Gray on times rounded up to whole days: ties, not thousands of distinct times."""
    from workbench.survival import engagement_table
    from workbench.synth import generate_city

    table = engagement_table(generate_city("tiny", seed=3).dataset)
    exact = S.fine_gray(table, covariates=["responder_type", "age"])
    days = S.fine_gray(table, covariates=["responder_type", "age"], time_step_days=1.0)
    assert exact.fitted and days.fitted
    a = exact.summary.set_index("column")["coef"]
    b = days.summary.set_index("column")["coef"]
    assert np.allclose(a, b.reindex(a.index), atol=0.05)


def test_weighted_table_size_is_counted_exactly_and_bounded():
    """``counting_process_size`` equals the rows the fitter builds; above ``max_rows`` the times
    are rounded up to the first coarser step that fits, and the note says so."""
    from workbench.survival import counting_process_size, engagement_table
    from workbench.synth import generate_city

    table = engagement_table(generate_city("tiny", seed=3).dataset)
    exact = S.fine_gray(table, covariates=["responder_type", "age"], max_rows=None)
    fg = exact.model
    status = table.loc[:, "outcome"].where(table["outcome"].isin(table.attrs["causes"]), "censored")
    code = np.where(status == "engaged", 1, np.where(status == "censored", 0, 2))
    t = table["outcome_days"].to_numpy(float)
    g_before = _censoring_survival(t, code)[1]
    built = FineGrayFitter._counting_process_rows(t, code, np.unique(t[code == 1]), g_before)
    assert counting_process_size(t, code) == len(built["subject"]) > len(t)
    # the default bound does not touch a small city: the same model as without a bound
    assert S.fine_gray(table, covariates=["responder_type", "age"]).summary.equals(exact.summary)
    # a bound below the exact size: rounded up to the first step that fits, and said
    small = counting_process_size(np.ceil(t / 7.0) * 7.0, code)
    assert small < counting_process_size(np.ceil(t / 2.0) * 2.0, code)
    res = S.fine_gray(table, covariates=["responder_type", "age"], max_rows=small)
    assert res.fitted and "rounded up to 7-day steps" in res.note
    weekly = S.fine_gray(table, covariates=["responder_type", "age"], time_step_days=7.0, max_rows=None)
    pd.testing.assert_frame_equal(res.summary, weekly.summary)
    assert fg.n_competing_ == res.model.n_competing_

