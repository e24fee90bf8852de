"""Network Hawkes contagion model: simulate with known parameters, recover them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data.errors import DataError
from workbench.network import (
    NetworkHawkes,
    evaluate_ranking,
    graph_from_groups,
    simulate_network_hawkes,
    victims_between,
)

TZ = "America/Chicago"
TRUE = {"mu0": 2e-4, "alpha": 0.1, "beta": 0.05}
T_DAYS = 2000.0


def random_graph(n: int, m: int, seed: int):
    """n people, m random ties (pairs as 2-person groups)."""
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, n, (m, 2))
    ids = np.char.add("p", pairs.ravel().astype(str))
    return graph_from_groups(np.repeat(np.arange(m), 2), ids, nodes=np.char.add("p", np.arange(n).astype(str)))


@pytest.fixture(scope="module")
def graph():
    return random_graph(3000, 6000, seed=0)


@pytest.fixture(scope="module")
def sim(graph):
    start = pd.Timestamp("2018-01-01", tz=TZ)
    return simulate_network_hawkes(
        graph, TRUE["mu0"], TRUE["alpha"], TRUE["beta"], T_DAYS, max_lag_days=365, start=start, seed=2
    )


@pytest.fixture(scope="module")
def model(graph, sim):
    start = pd.Timestamp("2018-01-01", tz=TZ)
    end = start + pd.Timedelta(days=T_DAYS)
    return NetworkHawkes(max_lag_days=365, n_boot=20, seed=7).fit(graph, sim, start=start, end=end)


def test_simulator_structure(graph, sim):
    assert sim["t"].is_monotonic_increasing
    kids = sim[sim.parent >= 0]
    parents = sim.iloc[kids.parent.to_numpy()]
    assert (parents["t"].to_numpy() < kids["t"].to_numpy()).all()
    # every child is a network contact of its parent
    a = graph.binary
    r_child = graph.rows(kids.person_id)
    r_parent = graph.rows(parents.person_id)
    assert (a[r_child, r_parent] == 1).all()
    # background count near mu * N * T
    n_bg = (sim.parent < 0).sum()
    expected = TRUE["mu0"] * graph.n_people * T_DAYS
    assert abs(n_bg - expected) < 4 * np.sqrt(expected)
    assert sim["occurred_at"].dt.tz is not None


def test_recovers_parameters(model):
    assert model.converged_
    ci = model.confidence_intervals_
    for name, true in TRUE.items():
        est = model.params_[name]
        inside = ci.loc[name, "lower"] <= true <= ci.loc[name, "upper"]
        assert inside or abs(est - true) / true < 0.10, (name, est, ci.loc[name].to_dict())
    assert list(ci.columns) == ["lower", "upper"]
    assert len(model.bootstrap_) == 20


def test_contagion_share_and_attribution(model, sim):
    true_share = (sim.parent >= 0).mean()
    assert abs(model.contagion_share_ - true_share) < 0.05
    ev = model.events_
    assert len(ev) == model.n_events_ == len(sim)
    np.testing.assert_allclose(ev.p_background + ev.p_contagion, 1.0)
    true_src = np.where(sim.parent >= 0, sim.event_id.to_numpy()[np.maximum(sim.parent, 0)], None)
    agree = (ev.source_event.to_numpy() == true_src) | (ev.source_event.isna() & pd.isna(true_src))
    assert agree.mean() > 0.8
    # delays: expected mean close to 1/beta
    assert abs(model.delays_["mean_expected"] - 1 / TRUE["beta"]) / (1 / TRUE["beta"]) < 0.15
    assert model.delays_["median_most_likely"] < model.delays_["mean_most_likely"] * 1.5


def test_cascades_are_trees(model):
    ev = model.events_
    cas = model.cascades_
    assert cas["size"].sum() == len(ev)
    assert cas["size"].is_monotonic_decreasing
    roots = ev[ev.source_event.isna()]
    assert len(roots) == len(cas)  # one root per cascade
    assert set(cas.root_event) == set(roots.event_id)
    kids = ev[ev.source_event.notna()].set_index("event_id")
    par = ev.set_index("event_id").loc[kids.source_event]
    assert (par["cascade_id"].to_numpy() == kids["cascade_id"].to_numpy()).all()
    assert (par["generation"].to_numpy() + 1 == kids["generation"].to_numpy()).all()


def test_shuffled_times_lower_contagion_share(graph, sim, model):
    """Homophily vs contagion: same victims, shuffled times -> less apparent contagion."""
    rng = np.random.default_rng(11)
    shuffled = sim.assign(occurred_at=rng.permutation(sim["occurred_at"].to_numpy()))
    m = NetworkHawkes(max_lag_days=365, n_boot=0).fit(
        graph, shuffled[["event_id", "person_id", "occurred_at"]],
        start=model.start_, end=model.end_,
    )
    # the network clustering of victims is still there, so some "contagion" remains, but it
    # is spread over long lags (a flat kernel): the signature of homophily, not of contagion
    assert m.contagion_share_ < 0.7 * model.contagion_share_
    assert m.delays_["mean_expected"] > 5 * model.delays_["mean_expected"]
    assert m.confidence_intervals_.empty


def test_covariates_enter_background(graph):
    rng = np.random.default_rng(5)
    x = rng.normal(size=graph.n_people)
    cov = pd.DataFrame({"x": x}, index=graph.person_ids)
    mu = 3e-4 * np.exp(0.7 * x)
    sim = simulate_network_hawkes(graph, mu, 0.08, 0.1, 1500, max_lag_days=200, seed=2)
    m = NetworkHawkes(max_lag_days=200, n_boot=0).fit(graph, sim, end=1500, covariates=cov)
    assert abs(m.params_["gamma_x"] - 0.7) < 0.1
    assert abs(m.params_["alpha"] - 0.08) / 0.08 < 0.25
    with pytest.raises(DataError, match="covariates"):
        NetworkHawkes(n_boot=0).fit(graph, sim, end=1500, covariates=cov.iloc[:10])


def test_intensity_and_ranking(graph, sim, model):
    cut = model.start_ + pd.Timedelta(days=1500)
    past = sim[sim.occurred_at < cut]
    score = model.intensity(cut, events=past)
    assert score.index.equals(graph.person_ids)
    assert (score >= model.params_["mu0"] - 1e-15).all()
    # brute force for one exposed person
    a, b = model.params_["alpha"], model.params_["beta"]
    top = score.idxmax()
    nbrs = graph.person_ids[graph.binary[[graph.rows([top])[0]]].indices]
    lags = ((cut - past[past.person_id.isin(nbrs)].occurred_at) / pd.Timedelta(days=1)).to_numpy()
    lags = lags[lags <= 365]
    assert score[top] == pytest.approx(model.params_["mu0"] + a * np.sum(b * np.exp(-b * lags)))
    # forward evaluation over the next 90 days: the ranking beats chance
    victims = victims_between(sim, cut, cut + pd.Timedelta(days=90))
    res = evaluate_ranking(score, victims, top_share=0.01)
    assert res["k"] == 30 and res["n_victims"] == len(victims)
    assert res["auc"] > 0.55 and res["lift"] > 2
    assert res["precision_at_k"] == pytest.approx(res["captured"] / 30)
    # fitted events used by default; a day-number cutoff works too
    np.testing.assert_allclose(model.intensity(1500.0).to_numpy(), score.to_numpy())


def test_evaluate_ranking_small():
    s = pd.Series([0.9, 0.8, 0.1, 0.05], index=["a", "b", "c", "d"])
    r = evaluate_ranking(s, ["a", "c", "zz"], k=2)
    assert r["captured"] == 1 and r["n_victims"] == 3 and r["n_victims_ranked"] == 2
    assert r["share_captured"] == pytest.approx(1 / 3)
    assert r["auc"] == pytest.approx(0.75)


def test_too_few_events(graph):
    ev = pd.DataFrame({"person_id": ["p1"], "t": [3.0]})
    with pytest.raises(DataError, match="fewer than 2"):
        NetworkHawkes(n_boot=0).fit(graph, ev, end=10)


def test_seasonality_recovered(graph):
    season = (0.3, -0.25)  # amplitude 0.39, peak near day 326
    start = pd.Timestamp("2019-03-01", tz=TZ)
    sim = simulate_network_hawkes(
        graph, 3e-4, 0.1, 0.05, 2000, max_lag_days=365, season=season, start=start, seed=4
    )
    end = start + pd.Timedelta(days=2000)
    m = NetworkHawkes(max_lag_days=365, seasonality=True, n_boot=0).fit(graph, sim, start=start, end=end)
    assert m.converged_
    assert abs(m.params_["season_cos"] - season[0]) < 0.08
    assert abs(m.params_["season_sin"] - season[1]) < 0.08
    assert abs(m.params_["mu0"] - 3e-4) / 3e-4 < 0.1
    assert abs(m.params_["alpha"] - 0.1) / 0.1 < 0.15
    assert abs(m.season_["amplitude"] - np.hypot(*season)) < 0.08
    true_peak = np.arctan2(season[1], season[0]) * 365.25 / (2 * np.pi) % 365.25
    assert abs(m.season_["peak_doy"] - true_peak) < 20
    # the fit with seasonality has a higher likelihood than without
    flat = NetworkHawkes(max_lag_days=365, n_boot=0).fit(graph, sim, start=start, end=end)
    assert m.loglik_ > flat.loglik_ + 10
    assert flat.season_["amplitude"] == 0


def test_share_weights(graph):
    K = graph.trigger_matrix("share")
    rs = np.asarray(K.sum(axis=1)).ravel()
    np.testing.assert_allclose(rs[graph.degree > 0], 1.0)
    with pytest.raises(ValueError, match="weights"):
        graph.trigger_matrix("bogus")
    sim = simulate_network_hawkes(graph, 2e-4, 0.5, 0.05, 2000, max_lag_days=365, weights="share", seed=3)
    m = NetworkHawkes(max_lag_days=365, weights="share", n_boot=10, bootstrap="parametric", seed=1).fit(graph, sim, end=2000)
    ci = m.confidence_intervals_
    for name, true in {"mu0": 2e-4, "alpha": 0.5, "beta": 0.05}.items():
        est = m.params_[name]
        assert ci.loc[name, "lower"] <= true <= ci.loc[name, "upper"] or abs(est - true) / true < 0.1


def test_count_weights_dropped_events_and_seasonal_intensity(graph):
    sim = simulate_network_hawkes(
        graph, 2e-4, 0.1, 0.05, 1500, max_lag_days=365, weights="count", season=(0.2, 0.1), seed=8
    )
    extra = pd.DataFrame({"event_id": ["x1", "x2"], "person_id": ["nobody", "p1"], "t": [10.0, 2000.0]})
    ev = pd.concat([sim[["event_id", "person_id", "t"]], extra], ignore_index=True)
    m = NetworkHawkes(max_lag_days=365, weights="count", seasonality=True, n_boot=0).fit(
        graph, ev, start=0.0, end=1500.0, doy0=0.0
    )
    assert m.n_events_dropped_ == 2 and m.n_events_ == len(sim)
    assert abs(m.params_["alpha"] - 0.1) / 0.1 < 0.2
    # intensity of a person with no contacts = mu0 * s(at)
    at = 1000.0
    lam = m.intensity(at)
    iso = graph.person_ids[graph.degree == 0][0]
    a, b = m.params_["season_cos"], m.params_["season_sin"]
    ang = 2 * np.pi * at / 365.25
    assert lam[iso] == pytest.approx(m.params_["mu0"] * (1 + a * np.cos(ang) + b * np.sin(ang)))
    with pytest.raises(ValueError, match="day numbers"):
        m.intensity("2020-01-01")
    with pytest.raises(ValueError, match="bootstrap"):
        NetworkHawkes(bootstrap="jackknife")


def test_forward_evaluation(graph, sim):
    from workbench.network import forward_evaluation

    cut = sim["occurred_at"].min().normalize() + pd.Timedelta(days=1500)
    m, res = forward_evaluation(graph, sim, cut, horizon_days=180, top_shares=(0.01, 0.05))
    assert m.end_ == cut and m.n_events_ == (sim.occurred_at < cut).sum()
    assert list(res["top_share"]) == [0.01, 0.05]
    assert list(res["k"]) == [30, 150]
    assert (res["captured"].diff().fillna(0) >= 0).all()
    assert res["auc"].iloc[0] > 0.55 and (res["lift"] > 1.5).all()


# -- optional second-step excitation ------------------------------------------------------------
TRUE2 = {"mu0": 2e-4, "alpha": 0.1, "alpha2": 0.01, "beta": 0.05}


@pytest.fixture(scope="module")
def sim2(graph):
    start = pd.Timestamp("2018-01-01", tz=TZ)
    return simulate_network_hawkes(
        graph, TRUE2["mu0"], TRUE2["alpha"], TRUE2["beta"], T_DAYS, max_lag_days=365, start=start,
        seed=3, alpha2=TRUE2["alpha2"],
    )


@pytest.fixture(scope="module")
def model2(graph, sim2):
    start = pd.Timestamp("2018-01-01", tz=TZ)
    end = start + pd.Timedelta(days=T_DAYS)
    return NetworkHawkes(max_lag_days=365, n_boot=10, seed=7, second_step=True).fit(
        graph, sim2, start=start, end=end
    )


def test_simulator_second_step_parents_at_distance_two(graph, sim2):
    kids = sim2[sim2.parent >= 0]
    r_child = graph.rows(kids.person_id.to_numpy())
    r_parent = graph.rows(sim2.person_id.to_numpy()[kids.parent.to_numpy()])
    one = np.asarray(graph.binary[r_parent, r_child]).ravel() == 1
    two = np.asarray(graph.two_step[r_parent, r_child]).ravel() == 1
    assert (one ^ two).all()  # every parent is a contact or at distance exactly 2, never both
    assert two.sum() > 200


def test_second_step_recovers_alpha2(model2, sim2):
    assert model2.converged_
    ci = model2.confidence_intervals_
    for name, true in TRUE2.items():
        est = model2.params_[name]
        inside = ci.loc[name, "lower"] <= true <= ci.loc[name, "upper"]
        assert inside or abs(est - true) / true < 0.10, (name, est, ci.loc[name].to_dict())
    # contagion share counts both steps; it tracks the simulated truth
    assert model2.contagion_share_ == pytest.approx((sim2.parent >= 0).mean(), abs=0.05)
    ev = model2.events_
    assert set(ev["source_steps"].unique()) == {0, 1, 2}
    assert ((ev["source_steps"] == 0) == ev["source_event"].isna()).all()
    # most likely 2-step sources really are at distance 2
    two = ev[ev.source_steps == 2]
    g = model2._graph
    d2 = np.asarray(g.two_step[g.rows(two.source_person.to_numpy()), g.rows(two.person_id.to_numpy())])
    assert (d2.ravel() == 1).all()


def test_second_step_intensity_brute_force(graph, sim2, model2):
    cut = model2.start_ + pd.Timedelta(days=1500)
    past = sim2[sim2.occurred_at < cut]
    score = model2.intensity(cut, events=past)
    p = model2.params_
    a, a2, b = p["alpha"], p["alpha2"], p["beta"]
    who = score.idxmax()
    row = graph.rows([who])[0]

    def excite(nbr_rows):
        ids = graph.person_ids[nbr_rows]
        lags = ((cut - past[past.person_id.isin(ids)].occurred_at) / pd.Timedelta(days=1)).to_numpy()
        lags = lags[lags <= 365]
        return np.sum(b * np.exp(-b * lags))

    want = p["mu0"] + a * excite(graph.binary[[row]].indices) + a2 * excite(graph.two_step[[row]].indices)
    assert score[who] == pytest.approx(want)
    ex = model2.expected_victimizations(cut, 90.0, events=past)
    np.testing.assert_allclose(ex["intensity"].to_numpy(), score.to_numpy())


def test_second_step_on_one_step_data_gives_small_alpha2(graph, sim, model):
    start = pd.Timestamp("2018-01-01", tz=TZ)
    end = start + pd.Timedelta(days=T_DAYS)
    m = NetworkHawkes(max_lag_days=365, n_boot=0, second_step=True).fit(graph, sim, start=start, end=end)
    assert m.params_["alpha2"] < 0.001  # vs alpha = 0.1 per contact (~16 two-step people each)
    assert m.params_["alpha"] == pytest.approx(model.params_["alpha"], rel=0.05)
    assert m.contagion_share_ == pytest.approx(model.contagion_share_, abs=0.02)
    # default: no second step, no alpha2, no source_steps column
    assert "alpha2" not in model.params_ and "source_steps" not in model.events_
    assert "second_step=False" in repr(model)
