"""City-scale timings of the network pieces (``python benchmarks/network_bench.py [name ...]``).

A synthetic population of ``n_people`` with ``n_arrests`` arrests over eight years (co-arrest
groups of 1-6 people) and ``n_events`` victimizations; times graph build, summary, exposure
(first call, which also builds the cached distance-2 matrix, and a second date), the per-node
networkx equivalents of exposure (on samples, extrapolated): BFS to depth 2 for the 1-/2-step
counts only, and a full BFS per node that also yields the steps to the nearest victim (what the
test's brute force does), and a Hawkes fit (no bootstrap) plus intensity at a cutoff.
"""

from __future__ import annotations

import json
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.network.exposure import network_exposure
from workbench.network.graph import coarrest_graph, graph_summary
from workbench.network.hawkes import NetworkHawkes
from workbench.network.simulate import simulate_network_hawkes

__all__ = [
    "BENCHMARKS",
    "city",
    "hawkes_fit",
    "network_build",
    "network_exposure_bench",
    "risk_evaluation",
    "run_benchmark",
]

TZ = "America/New_York"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _networkx_exposure_per_node(g, victims: set, nodes, cutoff: int | None = 2) -> None:
    """Per-node networkx: BFS to depth ``cutoff`` (None: whole component, which also gives
    the steps to the nearest victim), then count victims at distance 1 and 2."""
    import networkx as nx

    for n in nodes:
        dist = nx.single_source_shortest_path_length(g, n, cutoff=cutoff)
        sum(1 for m, d in dist.items() if d == 1 and m in victims)
        sum(1 for m, d in dist.items() if d == 2 and m in victims)
        if cutoff is None:
            min((d for m, d in dist.items() if m in victims), default=None)


def run_benchmark(
    n_people: int = 140_000,
    n_arrests: int = 210_000,
    n_events: int = 11_000,
    n_sample_networkx: int = 3_000,
    n_boot: int = 30,
    seed: int = 0,
) -> dict[str, float]:
    """Time the network pipeline at city scale.

    Parameters
    ----------
    n_people : int
        Population (graph rows).
    n_arrests : int
        Arrests over eight years; group sizes 1-6 (mean about 1.6 people). The default gives
        about 200,000 ties.
    n_events : int
        Victimizations for exposure and the Hawkes fit (drawn from the model itself).
    n_sample_networkx : int
        People timed with networkx for the per-node comparison (extrapolated to all).
    n_boot : int
        Bootstrap replicates for the timed fit with confidence intervals (0: skip).
    seed : int
        Random seed.

    Returns
    -------
    dict
        Seconds per step and sizes (``n_ties``, ``two_step_nnz``, ``n_events``, ...).
    """
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 2, 3, 4, 6], size=n_arrests, p=[0.6, 0.25, 0.1, 0.04, 0.01])
    aid = np.repeat(np.arange(n_arrests), sizes)
    start = pd.Timestamp("2015-01-01", tz=TZ)
    when = start + pd.to_timedelta(rng.uniform(0, 8 * 365, n_arrests)[aid], unit="D")
    people = np.char.add("P", np.arange(n_people).astype(str)).astype(object)
    arrests = pd.DataFrame(
        {
            "arrest_id": np.char.add("A", aid.astype(str)).astype(object),
            "person_id": people[rng.integers(0, n_people, len(aid))],
            "arrested_at": when,
            "offense_category": "other",
        }
    )
    out: dict[str, float] = {"n_people": n_people, "n_arrest_rows": len(arrests)}
    as_of = start + pd.Timedelta(days=8 * 365)

    t0 = time.perf_counter()
    g = coarrest_graph(arrests, as_of, people=people)
    out["graph_build_s"] = time.perf_counter() - t0
    out["n_ties"] = g.n_ties

    # victimizations from the model: about 16 % triggered, about n_events in all
    mu = 0.84 * n_events / (n_people * 2000.0)
    sim = simulate_network_hawkes(g, mu, 0.05, 0.05, 2000.0, max_lag_days=365, start=start, seed=seed)
    out["n_events"] = len(sim)

    t0 = time.perf_counter()
    graph_summary(g, victims=sim["person_id"])
    out["summary_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    ex = network_exposure(g, sim, start + pd.Timedelta(days=1500))
    out["exposure_first_s"] = time.perf_counter() - t0
    out["two_step_nnz"] = int(g.two_step.nnz)
    t0 = time.perf_counter()
    network_exposure(g, sim, start + pd.Timedelta(days=1800))
    out["exposure_s"] = time.perf_counter() - t0

    nxg = g.to_networkx()
    victims = set(ex.index[ex["victimized"]])
    sample = rng.choice(g.person_ids.to_numpy(), size=min(n_sample_networkx, n_people), replace=False)
    t0 = time.perf_counter()
    _networkx_exposure_per_node(nxg, victims, sample)
    out["networkx_exposure_extrapolated_s"] = (time.perf_counter() - t0) * n_people / len(sample)
    out["speedup_vs_networkx"] = out["networkx_exposure_extrapolated_s"] / out["exposure_first_s"]
    sample = sample[: max(len(sample) // 30, 1)]
    t0 = time.perf_counter()
    _networkx_exposure_per_node(nxg, victims, sample, cutoff=None)
    out["networkx_full_bfs_extrapolated_s"] = (time.perf_counter() - t0) * n_people / len(sample)
    out["speedup_vs_networkx_full_bfs"] = (
        out["networkx_full_bfs_extrapolated_s"] / out["exposure_first_s"]
    )

    t0 = time.perf_counter()
    m = NetworkHawkes(max_lag_days=365, n_boot=0).fit(
        g, sim, start=start, end=start + pd.Timedelta(days=2000)
    )
    out["hawkes_fit_s"] = time.perf_counter() - t0
    out["hawkes_n_iter"] = m.n_iter_
    out["hawkes_alpha"] = float(m.params_["alpha"])
    out["hawkes_beta"] = float(m.params_["beta"])
    out["hawkes_contagion_share"] = m.contagion_share_
    out["true_contagion_share"] = float((sim["parent"] >= 0).mean())
    if n_boot:
        t0 = time.perf_counter()
        mb = NetworkHawkes(max_lag_days=365, n_boot=n_boot, seed=seed).fit(
            g, sim, start=start, end=start + pd.Timedelta(days=2000)
        )
        out["hawkes_fit_bootstrap_s"] = time.perf_counter() - t0
        out["hawkes_alpha_ci"] = mb.confidence_intervals_.loc["alpha"].tolist()
        out["hawkes_beta_ci"] = mb.confidence_intervals_.loc["beta"].tolist()
    t0 = time.perf_counter()
    m.intensity(start + pd.Timedelta(days=1500))
    out["intensity_s"] = time.perf_counter() - t0
    return out


# -- city-scale benchmarks on the synthetic city (called from benchmarks/run.py) ---------------
# Each returns {name, seconds, n, peer, peer_seconds, ratio, ...extra}; ratio = peer_seconds /
# seconds (how many times faster than the peer), or target / seconds for risk_evaluation.

CITY_SEED = 20261125


@lru_cache(maxsize=2)
def city(seed: int = CITY_SEED):
    """The synthetic city at scale ``"city"`` (about 6 s; cached per process)."""
    from workbench.synth import generate_city

    return generate_city("city", seed=seed)


def _city_tables(seed: int):
    from workbench.network.graph import victimization_events

    ds = city(seed).dataset
    return ds, victimization_events(ds["victimizations"], ds["incidents"])


def _pandas_networkx_coarrest(arrests: pd.DataFrame, people) -> "nx.Graph":
    """The peer, as a pandas + networkx user writes it: a self-merge of the arrest rows on
    ``arrest_id`` gives the pairs, ``groupby.size`` their number of shared arrests, and
    ``networkx.from_pandas_edgelist`` the graph (everyone in ``people`` a node)."""
    import networkx as nx

    a = arrests[["arrest_id", "person_id"]].drop_duplicates()
    m = a.merge(a, on="arrest_id")
    m = m.loc[m["person_id_x"] < m["person_id_y"]]
    w = m.groupby(["person_id_x", "person_id_y"], sort=False).size().rename("weight").reset_index()
    g = nx.from_pandas_edgelist(w, "person_id_x", "person_id_y", edge_attr="weight")
    g.add_nodes_from(pd.Index(people["person_id"] if isinstance(people, pd.DataFrame) else people))
    g.add_nodes_from(a["person_id"].unique())
    return g


def _edge_frame(pairs) -> pd.DataFrame:
    """Edges as a sorted frame (a < b, weight) for comparing two graphs."""
    df = pd.DataFrame(pairs, columns=["a", "b", "weight"])
    lo = np.where(df["a"] < df["b"], df["a"], df["b"])
    hi = np.where(df["a"] < df["b"], df["b"], df["a"])
    out = pd.DataFrame({"a": lo, "b": hi, "weight": df["weight"].astype(np.int64)})
    return out.sort_values(["a", "b"], ignore_index=True)


def network_build(workdir: object = None, seed: int = CITY_SEED, as_of: str = "2024-01-01", repeats: int = 3) -> dict:
    """Co-arrest graph of the city as of ``as_of``, alternately with pandas + networkx. Check: the
    same people, the same ties and the same weights (numbers of shared arrests)."""
    import scipy.sparse as sp

    from harness import duel

    ds, _ = _city_tables(seed)
    arrests = ds["arrests"]
    cut = arrests.loc[arrests["arrested_at"] < pd.Timestamp(as_of, tz=arrests["arrested_at"].dt.tz)]

    def ours():
        return coarrest_graph(arrests, as_of, people=ds["people"])

    def peer():
        return _pandas_networkx_coarrest(cut, ds["people"])

    def check(g, nxg) -> dict:
        coo = sp.triu(g.adjacency, k=1).tocoo()
        ids = g.person_ids.to_numpy()
        mine = _edge_frame(zip(ids[coo.row], ids[coo.col], coo.data))
        theirs = _edge_frame((u, v, d["weight"]) for u, v, d in nxg.edges(data=True))
        same_nodes = set(g.person_ids) == set(nxg.nodes)
        same_edges = mine.equals(theirs)
        return {"match": bool(same_nodes and same_edges), "what": "people, ties and weights",
                "n_people": g.n_people, "peer_n_people": nxg.number_of_nodes(), "n_ties": g.n_ties,
                "peer_n_ties": nxg.number_of_edges(), "total_weight": int(mine["weight"].sum()),
                "peer_total_weight": int(theirs["weight"].sum())}

    rec = duel(ours, peer, check, peer_name=f"pandas {pd.__version__} self-merge + networkx.from_pandas_edgelist",
               repeats=repeats)
    return {"name": "network_build", **rec, "n": len(cut), "unit": "arrest rows"}


def network_exposure_bench(workdir: object = None, seed: int = CITY_SEED, as_of: str = "2024-01-01",
                           repeats: int = 3) -> dict:
    """Exposure of everyone (victims at distance 1 and 2, steps to the nearest victim up to 2) on a
    fresh graph, alternately with networkx breadth-first searches *from the victims* (depth 2).

    Ours: ``network_exposure(g, events, as_of, contacts_2=False, max_steps=2)`` on a graph built
    outside the timing (each run a fresh one, so no cached matrix is reused). The peer gets the
    networkx graph (built outside the timing) and the victims in the window, runs
    ``single_source_shortest_path_length(g, victim, cutoff=2)`` per victim and counts, per person,
    victims at distance 1 and 2 and the nearest one. Check: equal counts and steps for everyone.
    """
    import networkx as nx

    from harness import duel

    ds, ev = _city_tables(seed)

    def fresh():
        g = coarrest_graph(ds["arrests"], as_of, people=ds["people"])
        g.rows(g.person_ids[:1])  # id hash table: part of the graph, not of exposure
        return g

    g0 = fresh()
    ex0 = network_exposure(g0, ev, as_of, contacts_2=False, max_steps=2)
    victims = ex0.index[ex0["victimized"]].to_numpy()
    nxg = g0.to_networkx()
    graphs = [fresh() for _ in range(max(3, repeats))]

    def ours():
        return network_exposure(graphs.pop(), ev, as_of, contacts_2=False, max_steps=2)

    def peer():
        n1: dict = {}
        n2: dict = {}
        steps = dict.fromkeys(victims, 0)
        for v in victims:
            for u, d in nx.single_source_shortest_path_length(nxg, v, cutoff=2).items():
                if d == 1:
                    n1[u] = n1.get(u, 0) + 1
                elif d == 2:
                    n2[u] = n2.get(u, 0) + 1
                if d < steps.get(u, np.inf):
                    steps[u] = d
        idx = ex0.index
        return pd.DataFrame({"n_victims_1": pd.Series(n1, dtype="int64").reindex(idx, fill_value=0),
                             "n_victims_2": pd.Series(n2, dtype="int64").reindex(idx, fill_value=0),
                             "steps_to_victim": pd.Series(steps, dtype=float).reindex(idx, fill_value=np.inf)})

    def check(a, b) -> dict:
        cols = ["n_victims_1", "n_victims_2", "steps_to_victim"]
        a = a[cols].astype(float)
        eq = {c: bool(np.array_equal(a[c].to_numpy(), b[c].to_numpy(dtype=float))) for c in cols}
        return {"match": all(eq.values()), "what": "victims at distance 1 and 2 and steps to the nearest "
                "victim (<= 2), everyone", "equal": eq, "n_victims_in_window": len(victims),
                "sum_victims_1": int(a["n_victims_1"].sum()), "peer_sum_victims_1": int(b["n_victims_1"].sum()),
                "sum_victims_2": int(a["n_victims_2"].sum()), "peer_sum_victims_2": int(b["n_victims_2"].sum())}

    rec = duel(ours, peer, check, peer_name=f"networkx {nx.__version__} BFS from each victim (cutoff 2)",
               repeats=repeats)
    return {"name": "network_exposure", **rec, "n": g0.n_people, "unit": "people"}


def hawkes_fit(workdir: object = None, seed: int = CITY_SEED, n_boot: int = 30) -> dict:
    """Fit the contagion model to the whole city and put the estimates beside the truth.

    ``seconds`` times the point fit; the ``n_boot`` bootstrap replicates (95% intervals, also
    for the seasonal amplitude and peak) are timed apart in ``seconds_bootstrap``. The truths
    are the generator's parameters for ``alpha`` and the delay, and ``truth.json``'s
    ``model_view`` (realized, and expected from the first-moment equations) for the contagion
    share and the background's annual cycle, which is what a person-level model can see.
    """
    c = city(seed)
    ds, ev = _city_tables(seed)
    tz = ev["occurred_at"].dt.tz
    start = pd.Timestamp(c.truth["period"]["start"]).tz_convert(tz) if pd.Timestamp(
        c.truth["period"]["start"]).tzinfo else pd.Timestamp(c.truth["period"]["start"], tz=tz)
    g = coarrest_graph(ds["arrests"], None, people=ds["people"])
    m = NetworkHawkes(weights="share", seasonality=True, max_lag_days=1000, n_boot=0, seed=0)
    t0 = time.perf_counter()
    m.fit(g, ev, start=start)
    secs = time.perf_counter() - t0
    p = c.truth["params"]
    real, exp = c.truth["realized"]["model_view"], c.truth["expected"]["model_view"]
    out = {"name": "hawkes_fit", "seconds": secs, "n": m.n_events_, "unit": "victimizations",
           "peer": None, "peer_seconds": None, "ratio": None, "n_iter": m.n_iter_,
           "alpha": float(m.params_["alpha"]), "alpha_truth": p["contagion_branching"],
           "mean_delay_days": float(1 / m.params_["beta"]), "mean_delay_days_truth": p["contagion_tau_days"],
           "season_amplitude": float(m.season_["amplitude"]),
           "season_amplitude_truth_realized": real["background_season_amplitude"],
           "season_amplitude_truth_expected": exp["background_season_amplitude"],
           "season_amplitude_generator": p["season_amplitude"],
           "season_peak_doy": float(m.season_["peak_doy"]),
           "season_peak_doy_truth_realized": real["background_season_peak_doy"],
           "season_peak_doy_truth_expected": exp["background_season_peak_doy"],
           "season_peak_doy_generator": p["season_peak_doy"],
           "contagion_share": m.contagion_share_,
           "contagion_share_truth_realized": real["contagion_share"],
           "contagion_share_truth_expected": exp["contagion_share"]}
    if n_boot:
        b = NetworkHawkes(weights="share", seasonality=True, max_lag_days=1000, n_boot=n_boot, seed=0)
        t0 = time.perf_counter()
        b.fit(g, ev, start=start)
        out["seconds_bootstrap"] = time.perf_counter() - t0
        out["n_boot"] = n_boot
        ci = b.confidence_intervals_
        for name in ("alpha", "contagion_share"):
            out[f"{name}_ci"] = ci.loc[name].tolist()
        out["mean_delay_days_ci"] = sorted((1 / ci.loc["beta"]).tolist())
        reps = b.bootstrap_
        amp = np.hypot(reps["season_cos"], reps["season_sin"])
        peak = np.arctan2(reps["season_sin"], reps["season_cos"]) * 365.25 / (2 * np.pi) % 365.25
        q = [(1 - b.ci_level) / 2, 1 - (1 - b.ci_level) / 2]
        out["season_amplitude_ci"] = np.quantile(amp, q).tolist()
        out["season_peak_doy_ci"] = np.quantile(peak, q).tolist()
        checks = {"alpha": out["alpha_truth"], "mean_delay_days": out["mean_delay_days_truth"],
                  "season_amplitude": out["season_amplitude_truth_realized"],
                  "season_peak_doy": out["season_peak_doy_truth_realized"],
                  "contagion_share": out["contagion_share_truth_realized"]}
        out["recovered"] = {k: bool(out[f"{k}_ci"][0] <= v <= out[f"{k}_ci"][1]
                                    or abs(out[k] - v) <= 0.1 * abs(v)) for k, v in checks.items()}
    return out


def risk_evaluation(workdir: object = None, seed: int = CITY_SEED, n_cutoffs: int = 36,
                    horizon_days: float = 365.0, target_seconds: float = 120.0) -> dict:
    """Rolling monthly evaluation (3 years of cutoffs, five models, fairness audit) on the city."""
    from workbench.network.history import PeopleHistory
    from workbench.network.rolling import rolling_evaluation

    ds, _ = _city_tables(seed)
    t0 = time.perf_counter()
    h = PeopleHistory.from_dataset(ds)
    r = rolling_evaluation(h, horizon_days=horizon_days, n_cutoffs=n_cutoffs)
    secs = time.perf_counter() - t0
    s = r.summary_.set_index("model")
    return {"name": "risk_evaluation", "seconds": secs, "n": int(r.evaluation_["n_people"].sum() / len(s)),
            "unit": "person-cutoffs", "peer": None, "target_seconds": target_seconds,
            "meets_target": secs <= target_seconds, "n_cutoffs": len(r.cutoffs),
            "stages_seconds": {k: round(v, 2) for k, v in r.seconds_.items()},
            "share_captured_top1": {m: round(float(v), 4) for m, v in s["share_captured"].items()},
            "auc": {m: round(float(v), 3) for m, v in s["auc"].items()},
            "n_flags": r.flags_.groupby("model").size().to_dict()}


#: The city-scale benchmarks by record name (for ``benchmarks/run.py``).
BENCHMARKS = {
    "network_build": network_build,
    "network_exposure": network_exposure_bench,
    "hawkes_fit": hawkes_fit,
    "risk_evaluation": risk_evaluation,
}


if __name__ == "__main__":  # pragma: no cover
    import sys

    which = sys.argv[1:] or ["run_benchmark"]
    funcs = {"run_benchmark": run_benchmark, "network_build": network_build,
             "network_exposure": network_exposure_bench, "hawkes_fit": hawkes_fit,
             "risk_evaluation": risk_evaluation}
    for w in which:
        print(json.dumps(funcs[w](), indent=1, default=str))
