"""Network Hawkes contagion model: simulate with known parameters, recover them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench._warnings import StatisticalWarning
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


#: The simulated study window.
START = pd.Timestamp("2018-01-01", tz=TZ)
END = START + pd.Timedelta(days=T_DAYS)


def assert_recovered(model: NetworkHawkes, truth: dict, rel: float) -> None:
    """Every true parameter inside its bootstrap interval or within ``rel`` of the estimate."""
    ci = model.confidence_intervals_
    for name, true in truth.items():
        est = model.params_[name]
        inside = ci.loc[name, "lower"] <= true <= ci.loc[name, "upper"]
        assert inside or abs(est - true) / true < rel, (name, est, ci.loc[name].to_dict())


def fit_window(graph, events, **kw) -> NetworkHawkes:
    """``NetworkHawkes(max_lag_days=365, **kw)`` fitted on the study window."""
    return NetworkHawkes(max_lag_days=365, **kw).fit(graph, events, start=START, end=END)


@pytest.fixture(scope="module")
def sim(graph):
    return simulate_network_hawkes(
        graph, TRUE["mu0"], TRUE["alpha"], TRUE["beta"], T_DAYS, max_lag_days=365, start=START, seed=2
    )


@pytest.fixture(scope="module")
def model(graph, sim):
    return fit_window(graph, sim, n_boot=20, seed=7)


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
    with pytest.warns(StatisticalWarning, match="2 of .* dropped .1 of people not in the graph"):
        m = NetworkHawkes(max_lag_days=365, weights="count", seasonality=True, n_boot=0).fit(
            graph, ev, start=0.0, end=1500.0, doy0=0.0, isolates=False
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
    return simulate_network_hawkes(
        graph, TRUE2["mu0"], TRUE2["alpha"], TRUE2["beta"], T_DAYS, max_lag_days=365, start=START,
        seed=3, alpha2=TRUE2["alpha2"],
    )


@pytest.fixture(scope="module")
def model2(graph, sim2):
    return fit_window(graph, sim2, n_boot=10, seed=7, second_step=True)


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
    assert_recovered(model2, TRUE2, rel=0.10)
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
    m = fit_window(graph, sim, n_boot=0, second_step=True)
    assert m.params_["alpha2"] < 0.001  # vs alpha = 0.1 per contact (~16 two-step people each)
    assert m.params_["alpha"] == pytest.approx(model.params_["alpha"], rel=0.05)
    assert m.contagion_share_ == pytest.approx(model.contagion_share_, abs=0.02)
    # default: no second step, no alpha2, no source_steps column
    assert "alpha2" not in model.params_ and "source_steps" not in model.events_
    assert "second_step=False" in repr(model)


# -- optional self-excitation (repeat victimization of the same person) ------------------------
TRUE_SELF = {"mu0": 2e-4, "alpha": 0.1, "beta": 0.05, "alpha_self": 0.3}


def true_kinds(sim):
    """Per simulated event: triggered by the same person (self) / by another person (contagion)."""
    par = sim["parent"].to_numpy()
    person = sim["person_id"].to_numpy()
    own = (par >= 0) & (person == person[np.maximum(par, 0)])
    return own, (par >= 0) & ~own


@pytest.fixture(scope="module")
def sim_self(graph):
    return simulate_network_hawkes(
        graph, TRUE_SELF["mu0"], TRUE_SELF["alpha"], TRUE_SELF["beta"], T_DAYS, max_lag_days=365,
        start=START, seed=5, self_branching=TRUE_SELF["alpha_self"],
    )


@pytest.fixture(scope="module")
def model_self(graph, sim_self):
    return fit_window(graph, sim_self, n_boot=10, seed=7, self_excitation=True)


def test_simulator_self_excitation(graph, sim_self):
    own, contagion = true_kinds(sim_self)
    assert own.sum() > 800 and contagion.sum() > 1500  # 1,445 and 2,306 of 4,899
    kids = sim_self[contagion]
    r_child = graph.rows(kids.person_id.to_numpy())
    r_parent = graph.rows(sim_self.person_id.to_numpy()[kids.parent.to_numpy()])
    assert (np.asarray(graph.binary[r_parent, r_child]).ravel() == 1).all()
    # each event has on average alpha_self * (1 - exp(-beta L)) repeats (those inside the window)
    parents = sim_self.parent.to_numpy()[own]
    per_event = np.bincount(parents, minlength=len(sim_self))[sim_self.t.to_numpy() < T_DAYS - 365]
    assert per_event.mean() == pytest.approx(TRUE_SELF["alpha_self"], rel=0.1)


def test_self_excitation_recovers_alpha_self(model_self, sim_self):
    """(1) contagion and self-excitation together: both branching weights recovered."""
    assert model_self.converged_
    assert_recovered(model_self, TRUE_SELF, rel=0.15)
    own, contagion = true_kinds(sim_self)
    # estimated 0.473 and 0.292 against realized 0.471 and 0.295
    assert model_self.contagion_share_ == pytest.approx(contagion.mean(), abs=0.03)
    assert model_self.self_excitation_share_ == pytest.approx(own.mean(), abs=0.03)
    assert {"contagion_share", "self_excitation_share"} <= set(model_self.confidence_intervals_.index)
    assert "beta_self" not in model_self.params_  # shared decay by default
    # a contacts-only fit takes repeats for contagion: alpha 0.148, share 0.695
    flat = NetworkHawkes(max_lag_days=365, n_boot=0).fit(
        graph=model_self._graph, events=sim_self, start=model_self.start_, end=model_self.end_
    )
    assert flat.contagion_share_ > contagion.mean() + 0.15
    assert flat.params_["alpha"] > 1.3 * TRUE_SELF["alpha"]
    assert model_self.loglik_ > flat.loglik_ + 100


def covictim_background(graph, seed: int, rate: float = 2e-4, T: float = T_DAYS, share: float = 0.5):
    """Background incidents hitting one person and, with probability ``share``, one of their
    contacts at the same instant (co-victims): graph rows and times."""
    rng = np.random.default_rng(seed)
    n_inc = rng.poisson(rate * graph.n_people * T)
    who = rng.integers(0, graph.n_people, n_inc)
    when = rng.uniform(0, T, n_inc)
    deg = graph.degree[who]
    pair = (deg > 0) & (rng.uniform(size=n_inc) < share)
    pick = (rng.uniform(size=pair.sum()) * deg[pair]).astype(np.int64)
    mate = graph.binary.indices[graph.binary.indptr[who[pair]] + pick]
    return np.concatenate([who, mate]), np.concatenate([when, when[pair]])


def test_repeats_without_contagion_are_not_contagion(graph):
    """(2) No contagion at all, but co-victims who are contacts and repeat victimization: the
    repeats of one co-victim follow the other's victimization, which a contacts-only model
    reads as contagion (share 0.24); with self-excitation the share is 0.01."""
    bg = covictim_background(graph, seed=8)
    sim = simulate_network_hawkes(
        graph, 0.0, 0.0, 0.05, T_DAYS, max_lag_days=365, background=bg, seed=9, self_branching=0.4
    )
    own, contagion = true_kinds(sim)
    assert not contagion.any() and own.mean() > 0.3
    flat = NetworkHawkes(max_lag_days=365, n_boot=0).fit(graph, sim, end=T_DAYS)
    m = NetworkHawkes(max_lag_days=365, n_boot=0, self_excitation=True).fit(graph, sim, end=T_DAYS)
    assert flat.contagion_share_ > 0.15
    assert m.contagion_share_ < 0.03
    assert m.params_["alpha"] < 0.1 * flat.params_["alpha"]
    assert m.params_["alpha_self"] == pytest.approx(0.4, rel=0.15)
    assert m.self_excitation_share_ == pytest.approx(own.mean(), abs=0.03)
    assert (m.events_["source_steps"] != 1).mean() > 0.95


def test_self_excitation_on_data_without_repeats(graph, sim, model):
    """(3) Simulated without self-excitation: alpha_self near 0, the rest unchanged."""
    m = NetworkHawkes(max_lag_days=365, n_boot=0, self_excitation=True).fit(
        graph, sim, start=model.start_, end=model.end_
    )
    assert m.params_["alpha_self"] < 0.005  # 0.0002, against 0.3 in the test above
    assert m.self_excitation_share_ < 0.005
    assert m.params_["alpha"] == pytest.approx(model.params_["alpha"], rel=0.05)
    assert m.contagion_share_ == pytest.approx(model.contagion_share_, abs=0.02)
    # default: no self-excitation anywhere in the output
    assert "alpha_self" not in model.params_ and "p_self" not in model.events_
    assert model.self_excitation_share_ == 0.0
    assert "self_excitation=False" in repr(model)
    with pytest.raises(ValueError, match="self_decay"):
        NetworkHawkes(self_decay="separate")


def test_self_excitation_attribution_and_cascades(model_self, sim_self):
    """(4) Self-sourced events get source_steps -1, their source is their own person."""
    ev = model_self.events_
    assert set(ev["source_steps"].unique()) == {-1, 0, 1}
    own_src = ev[ev.source_steps == -1]
    assert len(own_src) > 700
    assert (own_src.source_person == own_src.person_id).all()
    assert ((ev.source_steps == 0) == ev.source_event.isna()).all()
    np.testing.assert_allclose(ev.p_background + ev.p_contagion + ev.p_self, 1.0)
    assert model_self.contagion_share_ == pytest.approx(ev.p_contagion.mean())
    assert model_self.self_excitation_share_ == pytest.approx(ev.p_self.mean())
    # most events attributed to self-excitation are true repeats (75 %), and vice versa (94 %)
    own, _ = true_kinds(sim_self)
    attributed = (ev.source_steps == -1).to_numpy()
    assert own[attributed].mean() > 0.7 and attributed[own].mean() > 0.9
    # a repeat continues its cascade, one generation down
    par = ev.set_index("event_id").loc[own_src.source_event]
    assert (par["cascade_id"].to_numpy() == own_src["cascade_id"].to_numpy()).all()
    assert (par["generation"].to_numpy() + 1 == own_src["generation"].to_numpy()).all()
    # delays are contact-to-contact only: their mean is near 1 / beta
    assert model_self.delays_["n_most_likely"] == (ev.source_steps == 1).sum()
    assert model_self.delays_["mean_expected"] == pytest.approx(1 / TRUE_SELF["beta"], rel=0.15)


def test_self_excitation_intensity_brute_force(graph, sim_self, model_self):
    cut = model_self.start_ + pd.Timedelta(days=1500)
    past = sim_self[sim_self.occurred_at < cut]
    score = model_self.intensity(cut, events=past)
    p = model_self.params_
    a, a_s, b = p["alpha"], p["alpha_self"], p["beta"]

    def excite(ids):
        lags = ((cut - past[past.person_id.isin(ids)].occurred_at) / pd.Timedelta(days=1)).to_numpy()
        return np.sum(b * np.exp(-b * lags[lags <= 365]))

    for who in score.sort_values().index[-3:]:
        row = graph.rows([who])[0]
        want = p["mu0"] + a * excite(graph.person_ids[graph.binary[[row]].indices]) + a_s * excite([who])
        assert score[who] == pytest.approx(want)
    ex = model_self.expected_victimizations(cut, 90.0, events=past)
    np.testing.assert_allclose(ex["intensity"].to_numpy(), score.to_numpy())
    # a repeat victim's own history raises their expected count above the contacts-only part
    assert (ex["expected"] >= p["mu0"] * 90 - 1e-12).all()


def test_self_excitation_loglik_brute_force():
    """Log-likelihood with contacts, distance 2 and self (own decay), by explicit loops."""
    g = graph_from_groups([0, 0, 1, 1], ["a", "b", "b", "c"], nodes=["a", "b", "c", "d"])
    ev = pd.DataFrame({
        "person_id": ["a", "b", "a", "c", "b", "a", "d", "c", "a"],
        "t": [1.0, 2.0, 3.0, 4.0, 5.5, 7.0, 8.0, 9.0, 9.5],
    })
    T, L = 10.0, 5.0
    m = NetworkHawkes(max_lag_days=L, n_boot=0, second_step=True, self_excitation=True,
                      self_decay="own").fit(g, ev, start=0.0, end=T)
    contacts = {("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")}
    two = {("a", "c"), ("c", "a")}
    n_contacts = {"a": 1, "b": 2, "c": 1, "d": 0}
    n_two = {"a": 1, "b": 0, "c": 1, "d": 0}

    def brute(p):
        ll = 0.0
        for i, ti in zip(ev.person_id, ev.t):
            lam = p["mu0"]
            for j, tj in zip(ev.person_id, ev.t):
                lag = ti - tj
                if not 0 < lag <= L:
                    continue
                if (j, i) in contacts:
                    lam += p["alpha"] * p["beta"] * np.exp(-p["beta"] * lag)
                elif (j, i) in two:
                    lam += p["alpha2"] * p["beta"] * np.exp(-p["beta"] * lag)
                elif j == i:
                    lam += p["alpha_self"] * p["beta_self"] * np.exp(-p["beta_self"] * lag)
            ll += np.log(lam)
        ll -= p["mu0"] * 4 * T
        for j, tj in zip(ev.person_id, ev.t):
            tau = min(T - tj, L)
            ll -= (p["alpha"] * n_contacts[j] + p["alpha2"] * n_two[j]) * (1 - np.exp(-p["beta"] * tau))
            ll -= p["alpha_self"] * (1 - np.exp(-p["beta_self"] * tau))
        return ll

    assert m.loglik_ == pytest.approx(brute(m.params_), rel=1e-12)
    chosen = {"mu0": 0.05, "alpha": 0.3, "beta": 0.4, "alpha2": 0.1, "alpha_self": 0.5, "beta_self": 1.5}
    assert m._loglik(m._prob, chosen)[0] == pytest.approx(brute(chosen), rel=1e-12)
    # the EM maximum beats the chosen point
    assert m.loglik_ >= m._loglik(m._prob, chosen)[0]
    assert set(m.events_["source_steps"]) <= {-1, 0, 1, 2}


def test_self_decay_own_recovers_a_different_clock(graph):
    """Repeats on a slower clock (100-day mean delay) than contagion (20 days): the own decay
    recovers both; the shared one biases alpha (+12 %) and the contagion delay (+90 %)."""
    sim = simulate_network_hawkes(graph, 2e-4, 0.1, 0.05, T_DAYS, max_lag_days=365, seed=5,
                                  self_branching=0.3, self_beta=0.01)
    own = NetworkHawkes(max_lag_days=365, n_boot=2, bootstrap="parametric", seed=2,
                        self_excitation=True, self_decay="own").fit(graph, sim, end=T_DAYS)
    for name, true in {"alpha": 0.1, "beta": 0.05, "alpha_self": 0.3, "beta_self": 0.01}.items():
        assert own.params_[name] == pytest.approx(true, rel=0.15), name
    assert "beta_self" in own.confidence_intervals_.index and len(own.bootstrap_) == 2
    shared = NetworkHawkes(max_lag_days=365, n_boot=0, self_excitation=True).fit(graph, sim, end=T_DAYS)
    assert 1 / shared.params_["beta"] > 1.5 / 0.05
    assert own.loglik_ > shared.loglik_ + 100
    assert "self_decay='own'" in repr(own)
