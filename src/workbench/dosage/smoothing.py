"""Empirical-Bayes smoothing of area rates (Poisson-gamma, Marshall's global method of moments).

Small areas have noisy rates: one shooting among 300 residents is a rate of 3.3 per 1,000, and
none is 0. Marshall (1991) shrinks each raw rate ``r_i = y_i / e_i`` toward the global rate
``m = sum y / sum e`` by an amount that depends on the area's exposure ``e_i``:

    s2 = sum e_i (r_i - m)^2 / sum e_i                  (weighted variance of the raw rates)
    A  = s2 - m / mean(e)                               (between-area variance, method of moments)
    C_i = A / (A + m / e_i)                             (credibility of area i)
    theta_i = m + C_i (r_i - m)

which is the posterior mean of a Poisson-gamma model with a gamma prior of mean ``m`` and
variance ``A``: ``alpha = m^2 / A``, ``beta = m / A``, posterior
``Gamma(alpha + y_i, beta + e_i)``. The posterior gives credible intervals and draws for the
uncertainty of every rate. ``esda.smoothing.Empirical_Bayes`` computes the same point estimate
(tested); it does not expose the prior, so the moments are computed here.

When ``A <= 0`` the raw rates vary no more than chance alone would make them: every area gets
the global rate, and the prior variance is floored at ``(floor_cv m)^2`` so that intervals stay
finite (``EBRates.pooled`` is then True).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass
class EBRates:
    """Empirical-Bayes smoothed rates.

    Attributes
    ----------
    table : DataFrame
        One row per unit: ``events``, ``exposure``, ``raw`` (events / exposure, NaN when the
        exposure is 0), ``smoothed`` (posterior mean), ``lower``, ``upper`` (equal-tailed
        credible interval), ``credibility`` (``C_i``, 0 = all prior, 1 = all data).
    m : float
        Global rate ``sum events / sum exposure``.
    A : float
        Between-area variance used (after the floor).
    alpha, beta : float
        Gamma prior (shape, rate).
    pooled : bool
        True when the method-of-moments variance was not positive.
    """

    table: pd.DataFrame
    m: float
    A: float
    alpha: float
    beta: float
    pooled: bool

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """Shape and rate of each unit's gamma posterior."""
        t = self.table
        return self.alpha + t["events"].to_numpy(float), self.beta + t["exposure"].to_numpy(float)

    def draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, units)`` posterior draws of the rates."""
        a, b = self.posterior()
        return rng.gamma(a[None, :], 1.0 / b[None, :], size=(n, a.size))

    def prob_below(self, value: float | np.ndarray) -> np.ndarray:
        """Posterior probability that each unit's rate is below ``value``."""
        a, b = self.posterior()
        return stats.gamma.cdf(value, a, scale=1.0 / b)


def eb_rates(events, exposure, index=None, level: float = 0.9, floor_cv: float = 0.01) -> EBRates:
    """Marshall's global empirical-Bayes rates with gamma-posterior intervals.

    Parameters
    ----------
    events : array-like of float
        Counts per unit (shootings, visits), non-negative.
    exposure : array-like of float
        Population at risk per unit (resident-years, victims), non-negative. Units with zero
        exposure get the prior (global rate, wide interval) and do not enter the moments.
    index : array-like, optional
        Labels of the units (area ids) for the output table.
    level : float, default 0.9
        Credible level of ``lower``/``upper``.
    floor_cv : float, default 0.01
        Smallest prior coefficient of variation (``sqrt(A) / m``).

    Returns
    -------
    EBRates
    """
    y = np.asarray(events, dtype=float)
    e = np.asarray(exposure, dtype=float)
    if y.shape != e.shape:
        raise ValueError("events and exposure must have the same length")
    if (y < 0).any() or (e < 0).any() or not np.isfinite(y).all() or not np.isfinite(e).all():
        raise ValueError("events and exposure must be finite and non-negative")
    ok = e > 0
    if not ok.any() or y[ok].sum() == 0:
        m = 0.0 if ok.any() else np.nan
    else:
        m = y[ok].sum() / e[ok].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(ok, y / np.where(ok, e, 1.0), np.nan)
    if ok.sum() >= 2 and m > 0:
        s2 = np.sum(e[ok] * (raw[ok] - m) ** 2) / e[ok].sum()
        A = s2 - m / e[ok].mean()
    else:
        A = 0.0
    pooled = not A > 0
    floor = (floor_cv * m) ** 2 if m and np.isfinite(m) else 0.0
    A_used = max(A, floor)
    if m and np.isfinite(m) and A_used > 0:
        alpha, beta = m * m / A_used, m / A_used
        post_a, post_b = alpha + y, beta + e
        smoothed = post_a / post_b
        tail = (1 - level) / 2
        lower = stats.gamma.ppf(tail, post_a, scale=1 / post_b)
        upper = stats.gamma.ppf(1 - tail, post_a, scale=1 / post_b)
        cred = e / (beta + e)
    else:  # no events at all: every rate is 0 (or unknown without exposure)
        alpha = beta = np.nan
        smoothed = np.full(y.size, m)
        lower = upper = smoothed.copy()
        cred = np.zeros(y.size)
    table = pd.DataFrame({"events": y, "exposure": e, "raw": raw, "smoothed": smoothed,
                          "lower": lower, "upper": upper, "credibility": cred},
                         index=None if index is None else pd.Index(index))
    return EBRates(table=table, m=float(m), A=float(A_used), alpha=float(alpha), beta=float(beta),
                   pooled=bool(pooled))
