"""Coverage of the contagion model's bootstrap intervals across synthetic seeds (not a timed test).

For mean delays of 30, 125 and 300 days, ``N_SEEDS`` data sets are simulated from
:func:`workbench.network.simulate_network_hawkes` with an *untruncated* exponential kernel on a
random graph (3,000 people, 6,000 ties, background 2e-4 per person per day, ``alpha`` 0.1 per
contact, ten years) and fitted with :class:`workbench.network.NetworkHawkes` (default
``max_lag_days="auto"``, semiparametric bootstrap). The record gives, per delay and parameter
(``alpha``, ``mean_delay_days``, ``mu0``), the share of seeds whose 95 % interval covers the
truth (default log-normal intervals, and percentile intervals of the same replicates), the mean estimate over the truth, and the same ratio for the old fixed window
``max_lag_days=365`` (point estimates only). ``python benchmarks/run.py --only hawkes_coverage``
merges it into ``benchmarks/results.json`` and writes ``benchmarks/hawkes_coverage.md``.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

DELAYS = (30.0, 125.0, 300.0)
N_SEEDS = 20
N_BOOT = 40
N_PEOPLE, N_TIES, T_DAYS = 3000, 6000, 3650.0
TRUE = {"mu0": 2e-4, "alpha": 0.1}
OUT_MD = Path(__file__).resolve().parent / "hawkes_coverage.md"


def random_graph(n: int, m: int, seed: int):
    """``n`` people, ``m`` random ties (each a two-person group)."""
    from workbench.network import graph_from_groups

    rng = np.random.default_rng(seed)
    ids = np.char.add("p", rng.integers(0, n, (m, 2)).ravel().astype(str))
    return graph_from_groups(np.repeat(np.arange(m), 2), ids,
                             nodes=np.char.add("p", np.arange(n).astype(str)))


def coverage_table(delays=DELAYS, n_seeds: int = N_SEEDS, n_boot: int = N_BOOT,
                   level: float = 0.95) -> pd.DataFrame:
    """One row per (mean delay, parameter): coverage and bias over ``n_seeds`` seeds."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=len(delays)) as pool:  # one process per delay
        parts = pool.map(_one_delay, delays, [n_seeds] * len(delays), [n_boot] * len(delays),
                         [level] * len(delays))
        return pd.DataFrame([r for part in parts for r in part])


def _one_delay(delay: float, n_seeds: int, n_boot: int, level: float) -> list[dict]:
    from workbench.network import NetworkHawkes, simulate_network_hawkes

    g = random_graph(N_PEOPLE, N_TIES, 0)
    rows = []
    truth = {"alpha": TRUE["alpha"], "mean_delay_days": delay, "mu0": TRUE["mu0"]}
    hits = {k: [] for k in truth}
    pct_hits = {k: [] for k in truth}
    ratio = {k: [] for k in truth}
    ratio_365 = {k: [] for k in truth}
    lags, width = [], {k: [] for k in truth}
    for seed in range(n_seeds):
        sim = simulate_network_hawkes(g, TRUE["mu0"], TRUE["alpha"], 1 / delay, T_DAYS,
                                      max_lag_days=None, seed=1000 + seed)
        ev = sim[["event_id", "person_id", "t"]]
        m = NetworkHawkes(n_boot=n_boot, ci_level=level, seed=seed).fit(g, ev, start=0.0, end=T_DAYS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the fixed window warns that it cuts the kernel
            old = NetworkHawkes(max_lag_days=365, n_boot=0).fit(g, ev, start=0.0, end=T_DAYS)
        lags.append(m.max_lag_)
        for k, true in truth.items():
            lo, est, hi = m.summary_.loc[k, ["lower", "estimate", "upper"]]
            hits[k].append(lo <= true <= hi)
            b = m.bootstrap_[k]
            pct_hits[k].append(b.quantile((1 - level) / 2) <= true <= b.quantile(1 - (1 - level) / 2))
            ratio[k].append(est / true)
            width[k].append((hi - lo) / true)
            old_est = 1 / old.params_["beta"] if k == "mean_delay_days" else old.params_[k]
            ratio_365[k].append(old_est / true)
    for k in truth:
        rows.append({"mean_delay_true": delay, "parameter": k, "n_seeds": n_seeds,
                     "coverage": float(np.mean(hits[k])), "mean_estimate_over_truth": float(np.mean(ratio[k])),
                     "mean_relative_width": float(np.mean(width[k])),
                     "fixed_365_mean_estimate_over_truth": float(np.mean(ratio_365[k])),
                     "median_max_lag_days": float(np.median(lags)),
                     "percentile_coverage": float(np.mean(pct_hits[k]))})
    return rows


def hawkes_coverage(workdir: Path | None = None, n_seeds: int = N_SEEDS, n_boot: int = N_BOOT) -> dict:
    """Benchmark record (``benchmarks/run.py``): the coverage table and its wall time."""
    t0 = time.perf_counter()
    table = coverage_table(n_seeds=n_seeds, n_boot=n_boot)
    seconds = time.perf_counter() - t0
    md = ["# Contagion model: 95 % interval coverage across synthetic seeds", "",
          f"{n_seeds} seeds per mean delay, {n_boot} bootstrap replicates each, untruncated kernel, "
          f"{N_PEOPLE} people, {N_TIES} ties, {T_DAYS:.0f} days, alpha {TRUE['alpha']}, "
          f"background {TRUE['mu0']} per person per day. Fit: `NetworkHawkes()` (max_lag_days='auto'). "
          "Last column: mean estimate / truth with the old fixed window max_lag_days=365.", "",
          "| mean delay (days) | parameter | coverage (log-normal, default) | coverage (percentile) "
          "| mean estimate / truth | mean width / truth "
          "| chosen max_lag (days, median) | fixed 365: estimate / truth |",
          "|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        md.append(f"| {r.mean_delay_true:.0f} | {r.parameter} | {r.coverage:.2f} | {r.percentile_coverage:.2f} | "
                  f"{r.mean_estimate_over_truth:.3f} | {r.mean_relative_width:.2f} | "
                  f"{r.median_max_lag_days:.0f} | {r.fixed_365_mean_estimate_over_truth:.3f} |")
    OUT_MD.write_text("\n".join(md) + "\n")
    return {"seconds": seconds, "n": int(len(DELAYS) * n_seeds), "n_boot": n_boot,
            "coverage_table": table.round(4).to_dict(orient="records")}


ALL = {"hawkes_coverage": hawkes_coverage}

if __name__ == "__main__":
    import json
    import sys

    args = [int(a) for a in sys.argv[1:3]]  # quick look: python benchmarks/hawkes_coverage.py N_SEEDS N_BOOT
    print(json.dumps(hawkes_coverage(None, *args), indent=1))
