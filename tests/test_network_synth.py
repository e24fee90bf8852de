"""The network pipeline on the synthetic demo city recovers the contagion the city was built with."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.network import (
    NetworkHawkes,
    coarrest_graph,
    graph_summary,
    network_exposure,
    victimization_events,
)

synth = pytest.importorskip("workbench.synth")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("city") / "demo"
    synth.write_city(scale="demo", seed=20261125, out=out)
    tables = {
        t: pd.read_parquet(out / f"{t}.parquet") for t in ("people", "arrests", "victimizations", "incidents")
    }
    tables["truth_parents"] = pd.read_parquet(out / "truth_parents.parquet")
    truth = json.loads((out / "truth.json").read_text())
    return tables, truth


def test_graph_and_exposure_on_demo_city(city):
    tb, _ = city
    events = victimization_events(tb["victimizations"], tb["incidents"])
    as_of = events["occurred_at"].quantile(0.5)
    g = coarrest_graph(tb["arrests"], as_of, people=tb["people"])
    s = graph_summary(g, victims=events["person_id"])
    assert s["n_people"] == len(tb["people"])
    assert 0 < s["share_victims_in_network"] <= s["share_victims_in_graph"] == 1.0
    ex = network_exposure(g, events, as_of, window_days=365)
    assert ex["victimized"].sum() > 0
    assert ((ex["steps_to_victim"] == 0) == ex["victimized"]).all()
    # contagion makes people with victimized contacts more likely to be victimized next
    nxt = events[(events.occurred_at >= as_of) & (events.occurred_at < as_of + pd.Timedelta(days=180))]
    y = ex.index.isin(nxt.person_id)
    exposed = ex["n_victims_1"] > 0
    assert y[exposed.to_numpy()].mean() > 2 * y[~exposed.to_numpy()].mean()


def test_hawkes_recovers_city_contagion(city):
    tb, truth = city
    p = truth["params"]
    events = victimization_events(tb["victimizations"], tb["incidents"])
    g = coarrest_graph(tb["arrests"], people=tb["people"])  # the city's ties are static
    start = events["occurred_at"].min().normalize().replace(month=1, day=1)
    m = NetworkHawkes(max_lag_days=1000, weights="share", seasonality=True, n_boot=0).fit(
        g, events, start=start
    )
    assert m.converged_
    # the city: each victimization triggers Poisson(branching) victimizations among its
    # co-arrestees (chosen by share of shared arrests), after Exp(tau) days
    assert m.params_["alpha"] == pytest.approx(p["contagion_branching"], rel=0.10)
    assert 1 / m.params_["beta"] == pytest.approx(p["contagion_tau_days"], rel=0.10)
    # what this model can see (truth.json model_view): near-repeat victims and co-victims are
    # background to it, so its background cycle is flatter and later than the generator's
    view = truth["realized"]["model_view"]
    assert m.season_["amplitude"] == pytest.approx(view["background_season_amplitude"], rel=0.10)
    assert abs(m.season_["peak_doy"] - view["background_season_peak_doy"]) < 10
    assert m.contagion_share_ == pytest.approx(view["contagion_share"], abs=0.03)
    assert truth["expected"]["model_view"]["background_season_amplitude"] < p["season_amplitude"]
    # attribution against the simulation's own parents
    both = m.events_.merge(
        tb["truth_parents"], left_on=["event_id", "person_id"], right_on=["incident_id", "person_id"]
    )
    assert len(both) == len(m.events_)
    attributed = both["source_event"].notna()
    assert attributed[both.parent_type == "contagion"].mean() > 0.7
    assert attributed[both.parent_type == "background"].mean() < 0.1
    # a most likely source is usually the true infector
    hit = both.loc[attributed & (both.parent_type == "contagion")]
    assert (hit["source_person"] == hit["parent_person_id"]).mean() > 0.6
    assert np.isfinite(m.loglik_)
