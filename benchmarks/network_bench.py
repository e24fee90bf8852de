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
import time
from functools import lru_cache

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


def _networkx_coarrest(arrests: pd.DataFrame):
    """The peer: a networkx graph from co-arrest groups (pairs per arrest in Python)."""
    import itertools

    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(arrests["person_id"].unique())
    for members in arrests.groupby("arrest_id", sort=False)["person_id"].unique():
        for a, b in itertools.combinations(members, 2):
            w = g.get_edge_data(a, b, {"weight": 0})["weight"]
            g.add_edge(a, b, weight=w + 1)
    return g


def network_build(workdir: object = None, seed: int = CITY_SEED, as_of: str = "2024-01-01") -> dict:
    """Co-arrest graph of the city as of ``as_of`` vs building it with networkx."""
    ds, _ = _city_tables(seed)
    arrests = ds["arrests"]
    t0 = time.perf_counter()
    g = coarrest_graph(arrests, as_of, people=ds["people"])
    secs = time.perf_counter() - t0
    cut = arrests.loc[arrests["arrested_at"] < pd.Timestamp(as_of, tz=arrests["arrested_at"].dt.tz)]
    t0 = time.perf_counter()
    nxg = _networkx_coarrest(cut)
    peer = time.perf_counter() - t0
    assert nxg.number_of_edges() == g.n_ties
    return {"name": "network_build", "seconds": secs, "n": len(cut), "unit": "arrest rows",
            "peer": "networkx Graph from arrest groups (itertools.combinations)", "peer_seconds": peer,
            "ratio": peer / secs, "n_people": g.n_people, "n_ties": g.n_ties}


def network_exposure_bench(workdir: object = None, seed: int = CITY_SEED, as_of: str = "2024-01-01",
                           n_sample_networkx: int = 3000) -> dict:
    """Exposure of everyone on a new graph (first date) vs per-node networkx BFS to depth 2.

    The headline figure is the comparable computation on a fresh graph: victims at distance 1
    and 2, decayed exposure and steps to the nearest victim up to 2 (``contacts_2=False,
    max_steps=2``: distance-2 victims from ``B @ B[:, victims]``). Also timed on fresh graphs:
    the unlimited breadth-first search, all columns (with the cached distance-2 matrix), and a
    second date on the same graph. The peer counts victims at distance 1 and 2 per node with
    ``single_source_shortest_path_length(cutoff=2)`` on a sample, extrapolated to everyone.
    """
    ds, ev = _city_tables(seed)
    mk = lambda: coarrest_graph(ds["arrests"], as_of, people=ds["people"])  # noqa: E731
    g = mk()
    g.rows(g.person_ids[:1])  # id hash table: part of the graph, not of exposure
    t0 = time.perf_counter()
    ex = network_exposure(g, ev, as_of, contacts_2=False, max_steps=2)
    secs = time.perf_counter() - t0
    g1 = mk()
    g1.rows(g1.person_ids[:1])
    t0 = time.perf_counter()
    network_exposure(g1, ev, as_of, contacts_2=False)
    secs_bfs = time.perf_counter() - t0
    g2 = mk()
    g2.rows(g2.person_ids[:1])
    t0 = time.perf_counter()
    network_exposure(g2, ev, as_of)
    secs_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    network_exposure(g2, ev, pd.Timestamp(as_of, tz=ev["occurred_at"].dt.tz) + pd.Timedelta(days=30))
    secs_again = time.perf_counter() - t0
    nxg = g.to_networkx()
    victims = set(ex.index[ex["victimized"]])
    rng = np.random.default_rng(seed)
    sample = rng.choice(g.person_ids.to_numpy(), size=min(n_sample_networkx, g.n_people), replace=False)
    t0 = time.perf_counter()
    _networkx_exposure_per_node(nxg, victims, sample)
    peer = (time.perf_counter() - t0) * g.n_people / len(sample)
    return {"name": "network_exposure", "seconds": secs, "n": g.n_people, "unit": "people",
            "peer": "networkx per-node BFS to depth 2 (extrapolated from a sample)",
            "peer_seconds": peer, "ratio": peer / secs,
            "seconds_unlimited_bfs": secs_bfs, "ratio_unlimited_bfs": peer / secs_bfs,
            "seconds_all_columns": secs_full, "ratio_all_columns": peer / secs_full,
            "seconds_second_date": secs_again, "ratio_second_date": peer / secs_again,
            "n_victims_in_window": len(victims), "two_step_nnz": int(g2.two_step.nnz)}


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
            "unit": "person-cutoffs", "peer": "target", "peer_seconds": target_seconds,
            "ratio": target_seconds / secs, "n_cutoffs": len(r.cutoffs),
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
