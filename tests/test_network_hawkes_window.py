"""Contagion model: data-chosen kernel window, isolates, the data's study window, summary_."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench._warnings import StatisticalWarning
from workbench.network import NetworkHawkes, graph_from_groups, simulate_network_hawkes

T = 3650.0


def random_graph(n: int, m: int, seed: int):
    rng = np.random.default_rng(seed)
    ids = np.char.add("p", rng.integers(0, n, (m, 2)).ravel().astype(str))
    return graph_from_groups(np.repeat(np.arange(m), 2), ids, nodes=np.char.add("p", np.arange(n).astype(str)))


@pytest.fixture(scope="module")
def graph():
    return random_graph(3000, 6000, 0)


def test_auto_window_removes_long_delay_bias(graph):
    """Mean delay 300 days, untruncated kernel: the old 365-day window overstates alpha, the
    delay and the background by >8 % on average over seeds; the data-chosen window is within 5 %
    and leaves at most 0.1 % of the fitted kernel beyond it."""
    auto, fixed = [], []
    for seed in range(4):
        sim = simulate_network_hawkes(graph, 2e-4, 0.1, 1 / 300, T, max_lag_days=None, seed=1000 + seed)
        ev = sim[["person_id", "t"]]
        m = NetworkHawkes(n_boot=0).fit(graph, ev, start=0.0, end=T)
        assert m.kernel_mass_beyond_ <= 1e-3 * 1.0001 or m.max_lag_ == T
        auto.append([m.params_["alpha"] / 0.1, 1 / m.params_["beta"] / 300, m.params_["mu0"] / 2e-4])
        with pytest.warns(StatisticalWarning, match="cuts off"):
            old = NetworkHawkes(max_lag_days=365, n_boot=0).fit(graph, ev, start=0.0, end=T)
        fixed.append([old.params_["alpha"] / 0.1, 1 / old.params_["beta"] / 300, old.params_["mu0"] / 2e-4])
    auto, fixed = np.mean(auto, axis=0), np.mean(fixed, axis=0)
    assert np.all(np.abs(auto - 1) < 0.05), auto
    assert np.all(fixed - 1 > 0.08), fixed


def test_short_delay_keeps_the_365_day_window(graph):
    sim = simulate_network_hawkes(graph, 2e-4, 0.1, 1 / 30, 2000.0, max_lag_days=None, seed=3)
    m = NetworkHawkes(n_boot=0).fit(graph, sim[["person_id", "t"]], start=0.0, end=2000.0)
    assert m.max_lag_ == 365.0 and m.kernel_mass_beyond_ < 1e-4


def test_summary_has_intervals_for_every_reported_figure(graph):
    sim = simulate_network_hawkes(graph, 2e-4, 0.1, 1 / 60, 2000.0, season=(0.3, 0.0),
                                  max_lag_days=None, seed=5)
    m = NetworkHawkes(seasonality=True, n_boot=12, seed=1).fit(graph, sim[["person_id", "t"]],
                                                               start=0.0, end=2000.0)
    s = m.summary_
    for name in ("mu0", "alpha", "beta", "mean_delay_days", "amplitude", "peak_doy", "contagion_share"):
        assert np.isfinite(s.loc[name, ["estimate", "lower", "upper"]].astype(float)).all(), name
    assert s.loc["mean_delay_days", "estimate"] == pytest.approx(1 / m.params_["beta"])
    # the peak day interval lives on the circle: the truth (January 1, day 0) sits inside it
    lo, hi = s.loc["peak_doy", ["lower", "upper"]]
    assert (lo > hi) or lo <= 0 <= hi or lo <= 365.25 <= hi, (lo, hi)
    assert s.loc["amplitude", "lower"] < 0.3 < s.loc["amplitude", "upper"]
    # the bootstrap interval of the mean delay is the inverted interval of beta
    ci = m.confidence_intervals_
    assert ci.loc["mean_delay_days", "lower"] == pytest.approx(1 / ci.loc["beta", "upper"], rel=0.15)


def test_victims_outside_the_graph_are_isolates_by_default(graph):
    sim = simulate_network_hawkes(graph, 2e-4, 0.1, 1 / 30, 1500.0, max_lag_days=None, seed=5)
    ev = sim[["person_id", "t"]]
    rng = np.random.default_rng(0)
    outsiders = pd.DataFrame({"person_id": [f"z{i}" for i in range(300)], "t": rng.uniform(0, 1500, 300)})
    ev2 = pd.concat([ev, outsiders], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing dropped: no warning
        m = NetworkHawkes(n_boot=0).fit(graph, ev2, start=0.0, end=1500.0)
    assert m.n_isolates_added_ == 300 and m.n_events_ == len(ev2) and m.n_events_dropped_ == 0
    assert m.intensity(700.0).shape[0] == graph.n_people + 300
    # outsiders are background: the contagion share is about the base model's, not inflated
    base = NetworkHawkes(n_boot=0).fit(graph, ev, start=0.0, end=1500.0)
    expected = base.contagion_share_ * len(ev) / len(ev2)
    assert m.contagion_share_ == pytest.approx(expected, rel=0.1)
    with pytest.warns(StatisticalWarning, match="300 of .* dropped .300 of people not in the graph"):
        dropped = NetworkHawkes(n_boot=0).fit(graph, ev2, start=0.0, end=1500.0, isolates=False)
    assert dropped.n_events_dropped_ == 300
    assert dropped.contagion_share_ == pytest.approx(base.contagion_share_)
    assert dropped.contagion_share_ > m.contagion_share_ * 1.1


def test_window_defaults_to_the_data_window(graph):
    start = pd.Timestamp("2018-01-01", tz="America/Chicago")
    sim = simulate_network_hawkes(graph, 2e-4, 0.1, 1 / 30, 1500.0, max_lag_days=None, start=start, seed=6)
    ev = sim[["event_id", "person_id", "occurred_at"]].copy()
    ev = ev[(ev["occurred_at"] > start + pd.Timedelta(days=100))
            & (ev["occurred_at"] < start + pd.Timedelta(days=1400))].copy()
    ev.attrs["window"] = (start, start + pd.Timedelta(days=1500))
    m = NetworkHawkes(n_boot=0).fit(graph, ev)
    assert m.window_source_ == "data" and m.start_ == start
    assert m.end_ == start + pd.Timedelta(days=1500)
    plain = ev.copy()
    plain.attrs = {}
    m2 = NetworkHawkes(n_boot=0).fit(graph, plain)
    assert m2.window_source_ == "events" and m2.start_ > start
    # the shorter events window overstates the background rate
    assert m2.params_["mu0"] > m.params_["mu0"] * 1.1


def test_history_events_before_carry_the_window(graph):
    from workbench.network import PeopleHistory, victimization_events

    inc = pd.DataFrame({"incident_id": ["i1", "i2", "i3"],
                        "occurred_at": pd.to_datetime(["2020-01-05 10:00", "2020-03-01 00:00", "2020-06-30 23:00"])
                        .tz_localize("America/Chicago")})
    vic = pd.DataFrame({"incident_id": ["i2", "i3"], "person_id": ["a", "b"]})
    ev = victimization_events(vic, inc)
    assert ev.attrs["window"] == (pd.Timestamp("2020-01-05", tz="America/Chicago"),
                                  pd.Timestamp("2020-07-01", tz="America/Chicago"))
    h = PeopleHistory(ev)
    w = h.events_before("2020-06-01").attrs["window"]
    assert w == (pd.Timestamp("2020-03-01", tz="America/Chicago"), pd.Timestamp("2020-06-01", tz="America/Chicago"))


def test_intervals_cover_the_truth_across_seeds():
    """A small version of ``benchmarks/hawkes_coverage.py``: over 6 seeds the 95 % intervals of
    alpha, the mean delay and the background cover the truth in at least 5 (a calibrated
    interval misses twice or more in 3 % of runs; a fixed seed makes it deterministic)."""
    g = random_graph(1500, 3000, 1)
    hits = {"alpha": 0, "mean_delay_days": 0, "mu0": 0}
    truth = {"alpha": 0.1, "mean_delay_days": 90.0, "mu0": 4e-4}
    for seed in range(6):
        sim = simulate_network_hawkes(g, 4e-4, 0.1, 1 / 90, 2500.0, max_lag_days=None, seed=50 + seed)
        m = NetworkHawkes(n_boot=15, seed=seed).fit(g, sim[["person_id", "t"]], start=0.0, end=2500.0)
        for k, v in truth.items():
            hits[k] += bool(m.summary_.loc[k, "lower"] <= v <= m.summary_.loc[k, "upper"])
    assert min(hits.values()) >= 5, hits
