"""Why the 300-day mean delay's interval covered 0.80 in the 20-seed coverage table (not a timed test).

Point fits only (no bootstrap), so many seeds are cheap: for simulation seeds ``1000 ..
1000 + n - 1`` of the design of ``benchmarks/hawkes_coverage.py`` (mean delay 300 days), the
spread of ``log(estimate)`` across seeds, and per seed the two likelihood-based 95 % intervals
of the decay ``beta`` (hence of the mean delay ``1 / beta``):

* Wald on the log scale, ``log beta_hat +- 1.96 se``, ``se`` from the observed information (the
  numerical Hessian of the log-likelihood in ``log mu0, log alpha, log beta``);
* the profile-likelihood interval that ``NetworkHawkes(ci_method="profile")`` reports.

Their coverage over many seeds says whether the model's intervals at long delays are calibrated
once the Monte Carlo noise of a few dozen bootstrap replicates is gone, and the coverage of the
first 20 seeds whether those seeds are unusual. ``python benchmarks/hawkes_delay_diagnosis.py
[N]`` prints a JSON record and writes ``benchmarks/hawkes_delay_diagnosis.md``;
``python benchmarks/hawkes_delay_diagnosis.py 400 30`` prints the same record for a 30-day
delay; ``python benchmarks/hawkes_delay_diagnosis.py --bootstrap-world 30 30`` runs
:func:`bootstrap_world` (its record is quoted in ``docs/network.md``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hawkes_coverage import N_PEOPLE, N_TIES, T_DAYS, TRUE, random_graph  # noqa: E402

OUT_MD = Path(__file__).resolve().parent / "hawkes_delay_diagnosis.md"


def _wald_se(m) -> float:
    """Observed-information standard error of ``log beta`` (central differences, step 1e-3)."""
    names = ("mu0", "alpha", "beta")
    x0 = np.log([m.params_[k] for k in names])

    def ll(x):
        return m._loglik(m._prob, dict(zip(names, np.exp(x))))[0]

    h, H = 1e-3, np.zeros((3, 3))
    for i in range(3):
        for j in range(i, 3):
            ei, ej = np.eye(3)[i] * h, np.eye(3)[j] * h
            H[i, j] = H[j, i] = (ll(x0 + ei + ej) - ll(x0 + ei - ej) - ll(x0 - ei + ej)
                                 + ll(x0 - ei - ej)) / (4 * h * h)
    return float(np.sqrt(np.linalg.inv(-H)[2, 2]))


def diagnose(n_seeds: int = 400, delay: float = 300.0) -> dict:
    from scipy.stats import chi2

    from workbench.network import NetworkHawkes, simulate_network_hawkes

    g = random_graph(N_PEOPLE, N_TIES, 0)
    rows = []
    for seed in range(n_seeds):
        sim = simulate_network_hawkes(g, TRUE["mu0"], TRUE["alpha"], 1 / delay, T_DAYS,
                                      max_lag_days=None, seed=1000 + seed)
        m = NetworkHawkes(n_boot=0).fit(g, sim[["event_id", "person_id", "t"]], start=0.0, end=T_DAYS)
        lo, hi = m._profile_interval(m._prob, m.params_.to_dict(), m.loglik_, float(chi2.ppf(0.95, 1)),
                                     step=0.15)
        rows.append((np.log(m.params_["beta"]), _wald_se(m), lo, hi))
    lb, se, lo, hi = (np.array(c) for c in zip(*rows))
    t = np.log(1 / delay)
    wald = np.abs(lb - t) <= 1.96 * se
    prof = (lo <= 1 / delay) & (1 / delay <= hi)
    return {
        "mean_delay_true": delay, "n_seeds": n_seeds,
        "mean_estimate_over_truth": float(np.mean(np.exp(-lb) / delay)),
        "sd_log_estimate": float(np.std(lb, ddof=1)), "mean_wald_se_log": float(np.mean(se)),
        "wald_coverage": float(wald.mean()), "profile_coverage": float(prof.mean()),
        "wald_coverage_first_20": float(wald[:20].mean()), "profile_coverage_first_20": float(prof[:20].mean()),
        "sd_log_estimate_first_20": float(np.std(lb[:20], ddof=1)),
        "profile_misses_delay_too_short": int(np.sum(lo > 1 / delay)),
        "profile_misses_delay_too_long": int(np.sum(hi < 1 / delay)),
        "mean_profile_half_width_log": float(np.mean(np.log(hi / lo) / 2)),
    }


def bootstrap_world(n_fits: int = 30, n_reps: int = 30, delay: float = 300.0) -> dict:
    """Is the narrowness reproduced when the fitted model is the truth?

    For simulation seeds ``1100 .. 1100 + n_fits - 1``: fit, then simulate ``n_reps`` data sets
    from the fitted ``mu0, alpha, beta`` (untruncated kernel, same graph and window, as the
    data were made), refit each with the default settings and check whether its Wald interval
    of ``log beta`` covers the fitted ``beta``. A bootstrap calibration of the interval can only
    widen it if this coverage is below the nominal 0.95 too.
    """
    from workbench.network import NetworkHawkes, simulate_network_hawkes

    g = random_graph(N_PEOPLE, N_TIES, 0)
    z, sd_rep, se_rep = [], [], []
    for seed in range(100, 100 + n_fits):
        sim = simulate_network_hawkes(g, TRUE["mu0"], TRUE["alpha"], 1 / delay, T_DAYS,
                                      max_lag_days=None, seed=1000 + seed)
        m = NetworkHawkes(n_boot=0).fit(g, sim[["event_id", "person_id", "t"]], start=0.0, end=T_DAYS)
        rng = np.random.default_rng(seed)
        lb, se = [], []
        for _ in range(n_reps):
            s = simulate_network_hawkes(g, m.params_["mu0"], m.params_["alpha"], m.params_["beta"],
                                        T_DAYS, max_lag_days=None, seed=rng)
            c = NetworkHawkes(n_boot=0).fit(g, s[["event_id", "person_id", "t"]], start=0.0, end=T_DAYS)
            lb.append(np.log(c.params_["beta"]))
            se.append(_wald_se(c))
        lb, se = np.array(lb), np.array(se)
        z.append((lb - np.log(m.params_["beta"])) / se)
        sd_rep.append(np.std(lb, ddof=1))
        se_rep.append(np.mean(se))
    z = np.concatenate(z)
    return {"n_fits": n_fits, "n_reps": n_reps, "wald_coverage": float(np.mean(np.abs(z) <= 1.96)),
            "sd_z": float(np.std(z, ddof=1)), "mean_sd_log_replicates": float(np.mean(sd_rep)),
            "mean_wald_se_replicates": float(np.mean(se_rep))}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bootstrap-world"]:  # ... --bootstrap-world N_FITS N_REPS
        t0 = time.perf_counter()
        rec = bootstrap_world(*[int(a) for a in sys.argv[2:4]])
        rec["seconds"] = time.perf_counter() - t0
        print(json.dumps(rec, indent=1))
        sys.exit(0)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0  # another delay: JSON only
    t0 = time.perf_counter()
    rec = diagnose(n, delay)
    rec["seconds"] = time.perf_counter() - t0
    print(json.dumps(rec, indent=1))
    if delay != 300.0:
        sys.exit(0)
    r = rec
    OUT_MD.write_text("\n".join([
        "# Contagion model: likelihood intervals of the 300-day mean delay over many seeds", "",
        f"`python benchmarks/hawkes_delay_diagnosis.py {n}` (point fits, no bootstrap; design of "
        "`benchmarks/hawkes_coverage.py`, simulation seeds 1000-"
        f"{999 + n}, {r['seconds']:.0f} s).", "",
        "| figure | all seeds | seeds 1000-1019 |", "|---|---|---|",
        f"| seeds | {n} | 20 |",
        f"| sd of log(estimate) across seeds | {r['sd_log_estimate']:.4f} | {r['sd_log_estimate_first_20']:.4f} |",
        f"| mean Wald standard error of log(beta) | {r['mean_wald_se_log']:.4f} | |",
        f"| coverage, Wald (log scale) | {r['wald_coverage']:.3f} | {r['wald_coverage_first_20']:.2f} |",
        f"| coverage, profile likelihood (default) | {r['profile_coverage']:.3f} | {r['profile_coverage_first_20']:.2f} |",
        f"| mean estimate / truth | {r['mean_estimate_over_truth']:.4f} | |",
        f"| profile misses: delay interval below / above the truth | {r['profile_misses_delay_too_short']} / "
        f"{r['profile_misses_delay_too_long']} | |",
        f"| mean profile half-width, log scale | {r['mean_profile_half_width_log']:.4f} | |", ""]))
