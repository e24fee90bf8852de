"""City-scale timings of the network pieces on a random graph (``python -m workbench.network.benchmark``).

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

import numpy as np
import pandas as pd

from .exposure import network_exposure
from .graph import coarrest_graph, graph_summary
from .hawkes import NetworkHawkes
from .simulate import simulate_network_hawkes

__all__ = ["run_benchmark"]

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


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(run_benchmark(), indent=1))
