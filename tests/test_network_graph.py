"""Graphs as of a date and network exposure, checked against networkx brute force."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from workbench.data.errors import DataError
from workbench.network import (
    coarrest_graph,
    covictimization_graph,
    degree_distribution,
    graph_summary,
    network_exposure,
    victimization_events,
)

TZ = "America/New_York"


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz=TZ)


@pytest.fixture
def arrests() -> pd.DataFrame:
    rows = [
        ("a1", "p1", "2020-01-01"),
        ("a1", "p2", "2020-01-01"),
        ("a1", "p3", "2020-01-01"),
        ("a2", "p1", "2020-02-01"),
        ("a2", "p2", "2020-02-01"),
        ("a3", "p4", "2020-03-01"),  # alone
        ("a4", "p5", "2021-01-01"),  # after the as-of date below
        ("a4", "p1", "2021-01-01"),
        ("a5", "p6", "2020-04-01"),
        ("a5", "p7", "2020-04-01"),
        ("a5", "p7", "2020-04-01"),  # duplicate row counts once
    ]
    df = pd.DataFrame(rows, columns=["arrest_id", "person_id", "arrested_at"])
    df["arrested_at"] = pd.to_datetime(df["arrested_at"]).dt.tz_localize(TZ)
    df["offense_category"] = "other"
    return df


def test_coarrest_graph_weights_and_as_of(arrests):
    g = coarrest_graph(arrests, "2020-12-31", people=["p9"])
    assert list(g.person_ids) == ["p1", "p2", "p3", "p4", "p6", "p7", "p9"]
    a = g.adjacency.toarray()
    r = dict(zip(g.person_ids, range(g.n_people)))
    assert a[r["p1"], r["p2"]] == 2 and a[r["p2"], r["p1"]] == 2
    assert a[r["p1"], r["p3"]] == 1 and a[r["p6"], r["p7"]] == 1
    assert (a == a.T).all() and (np.diag(a) == 0).all()
    assert g.n_ties == 4
    # the 2021 arrest is not seen; strictly-before: an arrest at the as-of instant is not seen
    assert "p5" not in set(g.person_ids)
    assert coarrest_graph(arrests, ts("2020-04-01")).n_ties == 3
    assert coarrest_graph(arrests).n_ties == 5


def test_graph_matches_networkx_on_random_groups():
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 6, 300)
    aid = np.repeat(np.arange(300), sizes).astype(str)
    pid = rng.integers(0, 120, len(aid)).astype(str)
    df = pd.DataFrame({"arrest_id": aid, "person_id": pid, "arrested_at": ts("2020-01-01")})
    g = coarrest_graph(df)
    ref = nx.Graph()
    for _, grp in df.drop_duplicates().groupby("arrest_id"):
        for u, v in itertools.combinations(sorted(set(grp["person_id"])), 2):
            w = ref.get_edge_data(u, v, {"weight": 0})["weight"]
            ref.add_edge(u, v, weight=w + 1)
    mine = g.to_networkx()
    mine.remove_nodes_from([n for n in list(mine) if mine.degree(n) == 0])
    assert nx.utils.edges_equal(mine.edges(data="weight"), ref.edges(data="weight"))
    s = graph_summary(g)
    assert s["n_components"] == nx.number_connected_components(ref)
    assert s["largest_component_size"] == max(len(c) for c in nx.connected_components(ref))


def test_max_group_size_drops_mass_arrest_ties(arrests):
    g = coarrest_graph(arrests, "2020-12-31", max_group_size=2)
    assert g.n_ties == 2  # a1 (3 people) dropped; a2 and a5 kept
    assert "p3" in set(g.person_ids)


def test_summary_and_degree_distribution(arrests):
    g = coarrest_graph(arrests, "2020-12-31", people=["p9"])
    s = graph_summary(g, victims=["p1", "p4", "p7", "x"])
    assert s["n_people"] == 7 and s["n_connected"] == 5 and s["n_isolates"] == 2
    assert s["n_components"] == 2 and s["largest_component_size"] == 3
    assert s["n_victims"] == 4
    assert s["share_victims_in_graph"] == pytest.approx(3 / 4)
    assert s["share_victims_in_network"] == pytest.approx(2 / 4)
    assert s["share_victims_in_largest_component"] == pytest.approx(1 / 4)
    d = degree_distribution(g)
    assert d.set_index("degree")["n_people"].to_dict() == {0: 2, 1: 2, 2: 3}


def test_union_and_subgraph(arrests):
    g = coarrest_graph(arrests, "2020-12-31")
    u = g.union(g)
    assert u.n_ties == g.n_ties
    assert (u.adjacency.toarray() == 2 * g.adjacency.toarray()).all()
    sub = g.subgraph(["p1", "p2", "zz"])
    assert sub.n_people == 2 and sub.n_ties == 1


def test_covictimization_graph():
    inc = pd.DataFrame(
        {"incident_id": ["i1", "i2", "i3"], "occurred_at": [ts("2020-01-01"), ts("2020-02-01"), ts("2021-01-01")]}
    )
    vic = pd.DataFrame(
        {"incident_id": ["i1", "i1", "i2", "i3", "i3"], "person_id": ["a", "b", "c", "a", "c"], "fatal": False}
    )
    g = covictimization_graph(vic, inc, "2020-06-01")
    assert list(g.person_ids) == ["a", "b", "c"] and g.n_ties == 1
    assert covictimization_graph(vic, inc).n_ties == 2


def test_bad_input_raises_data_error(arrests):
    with pytest.raises(DataError, match="arrests, column 'arrest_id'"):
        coarrest_graph(arrests.drop(columns="arrest_id"))
    bad = arrests.copy()
    bad.loc[0, "person_id"] = None
    with pytest.raises(DataError, match="missing values"):
        coarrest_graph(bad)
    naive = arrests.assign(arrested_at=arrests["arrested_at"].dt.tz_localize(None))
    with pytest.raises(DataError, match="tz-aware"):
        coarrest_graph(naive)
    inc = pd.DataFrame({"incident_id": ["i1"], "occurred_at": [ts("2020-01-01")]})
    vic = pd.DataFrame({"incident_id": ["i1", "i9"], "person_id": ["a", "b"]})
    with pytest.raises(DataError, match="i9"):
        victimization_events(vic, inc)


# -- exposure against a networkx brute force ------------------------------------------------
def brute_force_exposure(g: nx.Graph, victims: dict[str, list[float]], half_life: float) -> pd.DataFrame:
    """Per-node loops with networkx: the reference implementation."""
    out = {}
    vset = set(victims)
    for n in g.nodes:
        dist = nx.single_source_shortest_path_length(g, n)
        one = [m for m, d in dist.items() if d == 1]
        two = [m for m, d in dist.items() if d == 2]
        to_v = [d for m, d in dist.items() if m in vset]
        out[n] = {
            "victimized": n in vset,
            "n_contacts_1": len(one),
            "n_victims_1": sum(m in vset for m in one),
            "n_contacts_2": len(two),
            "n_victims_2": sum(m in vset for m in two),
            "decay_exposure": sum(0.5 ** (a / half_life) for m in one for a in victims.get(m, [])),
            "steps_to_victim": float(min(to_v)) if to_v else np.inf,
        }
    return pd.DataFrame.from_dict(out, orient="index").sort_index()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exposure_equals_networkx_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 150
    sizes = rng.integers(1, 4, 220)
    aid = np.repeat(np.arange(len(sizes)), sizes).astype(str)
    pid = np.char.add("p", rng.integers(0, n, len(aid)).astype(str))
    arrests = pd.DataFrame({"arrest_id": aid, "person_id": pid, "arrested_at": ts("2019-01-01")})
    people = np.char.add("p", np.arange(n).astype(str))
    g = coarrest_graph(arrests, "2020-01-01", people=people)
    as_of = ts("2020-01-01")
    n_ev = 60
    ev = pd.DataFrame(
        {
            "person_id": np.char.add("p", rng.integers(0, n + 10, n_ev).astype(str)),  # some outside
            "occurred_at": as_of - pd.to_timedelta(rng.uniform(-30, 500, n_ev), unit="D"),
        }
    )
    got = network_exposure(g, ev, as_of, window_days=365, half_life_days=60)
    in_win = ev[(ev.occurred_at < as_of) & (ev.occurred_at >= as_of - pd.Timedelta(days=365))]
    in_win = in_win[in_win.person_id.isin(people)]
    victims: dict[str, list[float]] = {}
    for p, t in zip(in_win.person_id, in_win.occurred_at):
        victims.setdefault(p, []).append((as_of - t) / pd.Timedelta(days=1))
    ref = brute_force_exposure(g.to_networkx(), victims, 60)
    got = got.sort_index()
    for col in ref.columns:
        np.testing.assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float), err_msg=col)
    deg = ref["n_contacts_1"].to_numpy()
    np.testing.assert_allclose(
        got["share_victims_1"].to_numpy()[deg > 0], (ref.n_victims_1 / ref.n_contacts_1).to_numpy()[deg > 0]
    )
    assert got["share_victims_1"].isna().sum() == (deg == 0).sum()
    # victims at distance 2 from B @ B[:, victims] only (no distance-2 matrix): same counts
    cheap = network_exposure(g, ev, as_of, window_days=365, half_life_days=60, contacts_2=False)
    cheap = cheap.sort_index()
    for col in ("n_victims_1", "n_victims_2", "decay_exposure", "steps_to_victim"):
        np.testing.assert_allclose(cheap[col].to_numpy(float), ref[col].to_numpy(float), err_msg=col)
    assert cheap["n_contacts_2"].isna().all() and cheap["share_victims_2"].isna().all()


def test_exposure_max_steps_and_empty_window(arrests):
    g = coarrest_graph(arrests, "2020-12-31")
    ev = pd.DataFrame({"person_id": ["p3"], "occurred_at": [ts("2020-06-01")]})
    ex = network_exposure(g, ev, "2020-12-31", max_steps=1)
    assert ex.loc["p3", "steps_to_victim"] == 0 and ex.loc["p1", "steps_to_victim"] == 1
    assert np.isinf(ex.loc["p6", "steps_to_victim"])
    none = network_exposure(g, ev, "2020-12-31", window_days=30)
    assert none["n_victims_1"].sum() == 0 and np.isinf(none["steps_to_victim"]).all()
