"""Kaplan-Meier curves with confidence bands, at-risk counts, medians and log-rank tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

__all__ = ["KMResult", "kaplan_meier"]


@dataclass
class KMResult:
    """Kaplan-Meier estimates per group (plain tables, ready to plot or print).

    Attributes
    ----------
    curves : DataFrame
        ``group``, ``time`` (days), ``survival`` (share without the event), ``lower``, ``upper``
        (pointwise confidence band, ``1 - alpha``).
    at_risk : DataFrame
        ``group``, ``time`` (the tick times), ``at_risk`` (still followed and without the event).
    medians : DataFrame
        ``group``, ``n``, ``events``, ``median`` (days; inf when the curve never falls to 0.5),
        ``median_lower``, ``median_upper``.
    logrank : dict or None
        ``test_statistic``, ``df``, ``p_value`` of the multivariate log-rank test (None with
        fewer than two groups).
    by : str or None
    alpha : float
    """

    curves: pd.DataFrame
    at_risk: pd.DataFrame
    medians: pd.DataFrame
    logrank: dict | None
    by: str | None
    alpha: float


def kaplan_meier(
    table: pd.DataFrame,
    by: str | None = None,
    duration: str = "days",
    event: str = "engaged",
    alpha: float = 0.05,
    ticks: np.ndarray | None = None,
    min_group: int = 1,
) -> KMResult:
    """Kaplan-Meier estimate of the time to an event, overall or by group.

    Parameters
    ----------
    table : DataFrame
        One row per subject (e.g. :func:`~workbench.survival.engagement_table`).
    by : str, optional
        Grouping column (``service``, ``provider``, ``responder_type``...).
    duration, event : str
        Columns with the time (days) and the event indicator (bool).
    alpha : float, default 0.05
        ``1 - alpha`` confidence bands and median intervals.
    ticks : array of float, optional
        Times (days) at which at-risk counts are reported; default 0, 15, 30, ... to the
        largest time.
    min_group : int, default 1
        Groups with fewer subjects are left out (and out of the log-rank test).
    """
    d = table[[duration, event] + ([by] if by else [])].dropna(subset=[duration])
    tmax = float(d[duration].max()) if len(d) else 0.0
    if ticks is None:
        step = 15.0 if tmax <= 200 else 30.0 * max(1, round(tmax / 360))
        ticks = np.arange(0.0, tmax + 1e-9, step)
    ticks = np.asarray(ticks, dtype=float)
    groups = [("all", d)] if by is None else [(str(k), g) for k, g in d.groupby(by, sort=True)]
    groups = [(k, g) for k, g in groups if len(g) >= min_group]
    curves, risk, med = [], [], []
    for name, g in groups:
        t = g[duration].to_numpy(float)
        e = g[event].to_numpy(bool)
        kmf = KaplanMeierFitter(alpha=alpha).fit(t, e, label=name)
        ci = kmf.confidence_interval_
        curves.append(pd.DataFrame({"group": name, "time": kmf.survival_function_.index.to_numpy(),
                                    "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
                                    "lower": ci.iloc[:, 0].to_numpy(), "upper": ci.iloc[:, 1].to_numpy()}))
        risk.append(pd.DataFrame({"group": name, "time": ticks,
                                  "at_risk": (t[None, :] >= ticks[:, None]).sum(axis=1)}))
        mci = median_survival_times(ci)
        med.append({"group": name, "n": len(g), "events": int(e.sum()), "median": float(kmf.median_survival_time_),
                    "median_lower": float(mci.iloc[0, 0]), "median_upper": float(mci.iloc[0, 1])})
    logrank = None
    if by is not None and len(groups) >= 2:
        keep = pd.concat([g for _, g in groups])
        res = multivariate_logrank_test(keep[duration], keep[by].astype(str), keep[event])
        logrank = {"test_statistic": float(res.test_statistic), "df": int(res.degrees_of_freedom),
                   "p_value": float(res.p_value)}
    empty_c = pd.DataFrame(columns=["group", "time", "survival", "lower", "upper"])
    return KMResult(
        curves=pd.concat(curves, ignore_index=True) if curves else empty_c,
        at_risk=pd.concat(risk, ignore_index=True) if risk else pd.DataFrame(columns=["group", "time", "at_risk"]),
        medians=pd.DataFrame(med, columns=["group", "n", "events", "median", "median_lower", "median_upper"]),
        logrank=logrank, by=by, alpha=alpha,
    )
