"""Contagion model: the profile-likelihood interval of the mean delay (``ci_method="profile"``)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import chi2

from test_network_hawkes_window import random_graph  # the same random co-arrest graph
from workbench.network import NetworkHawkes, simulate_network_hawkes

T = 3650.0
DELAY = 300.0
#: Standard deviation of log(estimated mean delay) across 300 seeds of this design
#: (benchmarks/hawkes_coverage.py: 3,000 people, 6,000 ties, ten years, alpha 0.1, 300 days).
SD_LOG_DELAY = 0.079


@pytest.fixture(scope="module")
def fitted():
    g = random_graph(3000, 6000, 0)
    sim = simulate_network_hawkes(g, 2e-4, 0.1, 1 / DELAY, T, max_lag_days=None, seed=1002)
    ev = sim[["person_id", "t"]]
    m = NetworkHawkes(n_boot=5, seed=2).fit(g, ev, start=0.0, end=T)
    ln = NetworkHawkes(n_boot=5, seed=2, ci_method="lognormal").fit(g, ev, start=0.0, end=T)
    return m, ln


def test_profile_interval_covers_the_truth_with_the_across_seed_width(fitted):
    m, _ = fitted
    lo, est, hi = m.summary_.loc["mean_delay_days", ["lower", "estimate", "upper"]]
    assert lo < DELAY < hi and lo < est < hi
    # half-width on the log scale against 1.96 x the spread of the estimate across seeds
    half = np.log(hi / lo) / 2
    assert 0.8 < half / (1.96 * SD_LOG_DELAY) < 1.25, half
    # likelihood intervals are not symmetric: longer towards long delays (flatter likelihood)
    assert np.log(hi / est) > np.log(est / lo)
    # the delay interval is the beta interval inverted
    b = m.confidence_intervals_.loc["beta"]
    assert lo == pytest.approx(1 / b["upper"]) and hi == pytest.approx(1 / b["lower"])
    assert m.profile_interval_["beta_lower"] == b["lower"]


def test_profile_ends_are_likelihood_ratio_ends_brute_force(fitted):
    """At each end, maximizing the log-likelihood over (mu0, alpha) with an independent optimizer
    (L-BFGS on the log parameters) gives a drop of chi2_1(0.95) / 2 from the maximum."""
    m, _ = fitted
    names = ("mu0", "alpha")
    x0 = np.log([m.params_[k] for k in names])
    for beta in m.profile_interval_[["beta_lower", "beta_upper"]]:
        def neg(x):
            return -m._loglik(m._prob, {**dict(zip(names, np.exp(x))), "beta": beta})[0]

        best = -minimize(neg, x0, method="L-BFGS-B").fun
        assert 2 * (m.loglik_ - best) == pytest.approx(chi2.ppf(0.95, 1), abs=0.02)


def test_profile_leaves_estimates_and_other_intervals_alone(fitted):
    m, ln = fitted
    assert m.params_.equals(ln.params_)
    for k in ("mu0", "alpha", "contagion_share"):
        assert m.summary_.loc[k, ["lower", "upper"]].tolist() == ln.summary_.loc[k, ["lower", "upper"]].tolist()
    # the bootstrap log-normal delay interval of the same fit is of the same size
    w_prof = np.log(m.summary_.loc["mean_delay_days", "upper"] / m.summary_.loc["mean_delay_days", "lower"])
    w_ln = np.log(ln.summary_.loc["mean_delay_days", "upper"] / ln.summary_.loc["mean_delay_days", "lower"])
    assert 0.5 < w_prof / w_ln < 2.0


def test_a_side_without_a_likelihood_drop_keeps_the_bootstrap_end(fitted, monkeypatch):
    """Where the profile likelihood never falls by chi2/2 (no contagion to time), that side
    keeps the log-normal bootstrap end instead of an infinite or made-up one."""
    m, ln = copy.deepcopy(fitted[0]), fitted[1]
    boot = ln.confidence_intervals_.loc["beta"]
    m.confidence_intervals_ = m._intervals(m.bootstrap_)  # the bootstrap intervals, before profiling
    monkeypatch.setattr(m, "_profile_interval", lambda *a, **k: (np.nan, 0.005))
    m._profile_delay(m._prob, m.params_.to_dict(), m.loglik_)
    assert m.confidence_intervals_.loc["beta", "lower"] == pytest.approx(boot["lower"])
    assert m.confidence_intervals_.loc["mean_delay_days"].tolist() == pytest.approx([200.0, 1 / boot["lower"]])


def test_bad_ci_method():
    with pytest.raises(ValueError, match="profile"):
        NetworkHawkes(ci_method="bca")
