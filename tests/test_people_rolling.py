"""Risk lists and the rolling evaluation: as-of state without leakage, metrics, demo-city results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.network import (
    MODELS,
    NetworkHawkes,
    PeopleHistory,
    coarrest_graph,
    evaluate_ranking,
    ranking_metrics,
    risk_list,
    rolling_evaluation,
    victimization_events,
)

SEED = 20261125


@pytest.fixture(scope="module")
def demo_history():
    from workbench.synth import generate_city

    ds = generate_city("demo", seed=SEED).dataset
    return ds, PeopleHistory.from_dataset(ds)


def _truncate(ds, cutoff):
    """The tables as they were known just before ``cutoff`` (later rows deleted)."""
    inc = ds["incidents"].loc[ds["incidents"]["occurred_at"] < cutoff]
    vic = ds["victimizations"].loc[ds["victimizations"]["incident_id"].isin(inc["incident_id"])]
    arr = ds["arrests"].loc[ds["arrests"]["arrested_at"] < cutoff]
    known = set(vic["person_id"]) | set(arr["person_id"])
    ppl = ds["people"].loc[ds["people"]["person_id"].isin(known)]
    return PeopleHistory(victimization_events(vic, inc), arr, ppl)


def test_features_unchanged_when_later_data_are_deleted(tiny_dataset):
    ds = tiny_dataset
    full = PeopleHistory.from_dataset(ds)
    cutoff = pd.Timestamp("2024-07-01", tz=ds.timezone)
    past = _truncate(ds, cutoff)
    f_full, f_past = full.features(cutoff), past.features(cutoff)
    pd.testing.assert_frame_equal(f_full, f_past)
    pd.testing.assert_frame_equal(full.attributes(cutoff), past.attributes(cutoff))
    g_full, g_past = full.graph(cutoff), past.graph(cutoff)
    assert g_full.person_ids.equals(g_past.person_ids)
    assert abs(g_full.adjacency - g_past.adjacency).sum() == 0
    # the population is only people seen before the cutoff, not the whole people table
    pop = full.ids_of(full.population(cutoff))
    assert len(pop) < len(ds["people"])
    seen = set(ds["arrests"].loc[ds["arrests"]["arrested_at"] < cutoff, "person_id"])
    ev = victimization_events(ds["victimizations"], ds["incidents"])
    seen |= set(ev.loc[ev["occurred_at"] < cutoff, "person_id"])
    assert set(pop) == seen
    assert f_full["n_arrests"].sum() > 0 and f_full["n_contacts_1"].sum() > 0


def test_graph_at_cutoff_equals_coarrest_graph(tiny_dataset):
    ds = tiny_dataset
    h = PeopleHistory.from_dataset(ds)
    c = "2024-09-01"
    pop = h.population(c)
    g = h.graph(c, pop)
    ref = coarrest_graph(ds["arrests"], c, people=h.ids_of(pop))
    assert g.person_ids.equals(ref.person_ids)
    assert abs(g.adjacency - ref.adjacency).sum() == 0


def test_ranking_metrics_match_sklearn_and_evaluate_ranking():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    n = 3000
    score = np.round(rng.random(n), 2)  # many ties
    y = rng.random(n) < 0.05 + 0.2 * score
    m = ranking_metrics(score, y, n_victims=int(y.sum()) + 7, top_share=0.02, top_k=(50,))
    assert m["auc"] == pytest.approx(roc_auc_score(y, score))
    ids = pd.Index([f"Q{i:05d}" for i in range(n)])
    ref = evaluate_ranking(pd.Series(score, index=ids), list(ids[y]) + [f"X{i}" for i in range(7)],
                           top_share=0.02)
    for key in ("k", "captured", "share_captured", "precision_at_k", "base_rate"):
        assert m[key] == pytest.approx(ref[key])
    order = np.argsort(-score, kind="stable")
    assert m["captured_k50"] == y[order[:50]].sum()


def test_hawkes_window_probability_integrates_the_intensity(tiny_dataset):
    from scipy.integrate import quad

    ds = tiny_dataset
    h = PeopleHistory.from_dataset(ds)
    c = pd.Timestamp("2024-10-01", tz=ds.timezone)
    g = h.graph(c)
    ev = h.events_before(c)
    m = NetworkHawkes(weights="share", seasonality=True, max_lag_days=120, n_boot=0).fit(g, ev, end=c)
    r = m.expected_victimizations(c, 60.0, graph=g, events=ev)
    who = r["expected"].idxmax()
    row = g.rows([who])[0]
    # integrate the intensity (events before c only) numerically over the window
    at0 = (c - m.start_) / pd.Timedelta(days=1)

    def lam(u):
        return m.intensity(at0 + u, events=ev).iloc[row]

    # the truncated kernel jumps to 0 when a lag reaches max_lag_days
    t_ev = ((ev["occurred_at"] - m.start_) / pd.Timedelta(days=1)).to_numpy()
    jumps = 120 - (at0 - t_ev)
    num, _ = quad(lam, 0, 60, limit=200, points=list(jumps[(jumps > 0) & (jumps < 60)][:50]) or None)
    assert r.loc[who, "expected"] == pytest.approx(num, rel=1e-3)
    assert r.loc[who, "probability"] == pytest.approx(1 - np.exp(-num), rel=1e-3)
    assert r["intensity"].to_numpy() == pytest.approx(m.intensity(c, events=ev).to_numpy())


def test_risk_list_attaches_evaluation_and_audit(tiny_dataset):
    h = PeopleHistory.from_dataset(tiny_dataset)
    c = pd.Timestamp("2024-07-01", tz=tiny_dataset.timezone)
    pop = h.population(c)
    f = h.features(c, pop)
    p = pd.Series(1 - np.exp(-0.01 * (1 + f["n_victims_1"] + f["n_victimizations"])), index=f.index)
    y = pd.Series(h.victimized(c, c + pd.Timedelta(days=90), pop), index=f.index)
    rl = risk_list(p, h.attributes(c, pop), c, 90, "toy", y, top_share=0.1, min_n=5, min_events=2)
    assert rl.ranking["selected"].sum() == int(np.ceil(0.1 * len(pop)))
    assert rl.evaluation_["k"] == rl.ranking["selected"].sum()
    assert set(rl.audit_["attribute"]) == {"race_ethnicity", "sex", "age_group"}
    assert "P0" not in repr(rl)  # the repr carries no ids
    assert len(rl.calibration_) == 10


def test_rolling_evaluation_beats_demographics_without_leakage(demo_history):
    ds, h = demo_history
    r = rolling_evaluation(h, horizon_days=365, n_cutoffs=6, refit_months=3, top_k=(100,))
    assert len(r.cutoffs) == 6 and r.cutoffs[-1] <= h.end - pd.Timedelta(days=365)
    s = r.summary_.set_index("model")
    assert list(s.index) == list(MODELS)
    # contagion beats the demographic baseline on the share of next-year victims in the top 1 %
    assert s.loc["contagion", "share_captured"] > 2 * s.loc["demographics", "share_captured"]
    assert s.loc["contagion_demographics", "share_captured"] > s.loc["demographics", "share_captured"]
    assert (r.evaluation_["n_people"] < len(ds["people"])).all()
    # the Hawkes model was refitted every 3 months, on more data each time
    assert len(r.fits_) == 2 and r.fits_["n_events"].is_monotonic_increasing
    # calibration deciles and audit for every model
    assert set(r.calibration_["model"]) == set(MODELS)
    assert r.calibration_.groupby("model")["n"].sum().nunique() == 1
    assert set(r.audit_["model"]) == set(MODELS)
    assert {"selection_rate_ratio", "capture_rate_ratio", "false_positive_rate_ratio",
            "calibration_ratio", "precision_ratio", "reliable"} <= set(r.audit_.columns)
    # reliability on distinct people: an independent pandas count over the cutoffs' populations
    ranked = pd.concat([h.attributes(c).reset_index() for c in r.cutoffs])
    want = ranked.groupby("race_ethnicity")["person_id"].nunique()
    a = r.audit_.loc[(r.audit_["model"] == "contagion") & (r.audit_["attribute"] == "race_ethnicity")]
    a = a.set_index("group")
    assert a.loc[want.index, "n_people"].tolist() == want.tolist()
    assert a.loc["all", "n_people"] == ranked["person_id"].nunique() < a.loc["all", "n"]
    assert (a["n_selected_people"] <= a["n_selected"]).all()
    # victims outside every list are counted beside the ranked capture
    ev = r.evaluation_.loc[r.evaluation_["model"] == "contagion"]
    assert a.loc["all", "n_victims_unranked"] == (ev["n_victims"] - ev["n_victims_ranked"]).sum()
    assert a.loc["all", "capture_rate_all_victims"] == pytest.approx(ev["captured"].sum() / ev["n_victims"].sum())
    # a cutoff's evaluation does not change when everything from its window on is deleted
    last = r.cutoffs[0]
    early = rolling_evaluation(h, cutoffs=[last], horizon_days=365, models=("demographics", "contagion"))
    past = _truncate(ds, last + pd.Timedelta(days=365))
    again = rolling_evaluation(past, cutoffs=[last], horizon_days=365, models=("demographics", "contagion"))
    cols = ["n_people", "captured", "auc", "brier"]
    pd.testing.assert_frame_equal(early.evaluation_[cols], again.evaluation_[cols])
