"""Competing outcomes: Aalen-Johansen cumulative incidence and cause-specific Cox models.

lifelines has no Fine-Gray (subdistribution hazards) model; the cause-specific hazard ratios
here answer "how fast does this outcome happen among those still in follow-up", not "how
likely is it in the end", which the cumulative incidence curves show.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter

from .cox import DEFAULT_COVARIATES, CoxResult, fit_cox
from .engagement import OUTCOMES

__all__ = ["cause_specific_cox", "cumulative_incidence", "incidence_at"]


def cumulative_incidence(
    table: pd.DataFrame,
    causes: tuple[str, ...] | list[str] = OUTCOMES,
    duration: str = "outcome_days",
    event: str = "outcome",
    by: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of each competing cause.

    Parameters
    ----------
    table : DataFrame
        One row per subject with the time (days) and the cause (``censored`` or any value not
        in ``causes`` means no event).
    causes : sequence of str
        The competing causes.
    by : str, optional
        Grouping column; one set of curves per group.
    weights : str, optional
        Column of case weights (e.g. inverse-probability weights).
    alpha : float, default 0.05
        ``1 - alpha`` pointwise intervals.
    seed : int, default 0
        lifelines breaks tied event times by a tiny random jitter; fixed seed for repeatability.

    Returns
    -------
    DataFrame
        ``group``, ``cause``, ``time`` (days), ``cif`` (cumulative incidence, 0..1),
        ``lower``, ``upper`` (NaN when weighted: the interval assumes unit weights).
    """
    code = {c: i + 1 for i, c in enumerate(causes)}
    groups = [("all", table)] if by is None else [(str(k), g) for k, g in table.groupby(by, sort=True)]
    out = []
    for name, g in groups:
        if not len(g):
            continue
        t = g[duration].to_numpy(float)
        e = g[event].map(code).fillna(0).astype(int).to_numpy()
        w = None if weights is None else g[weights].to_numpy(float)
        for cause, k in code.items():
            if not (e == k).any():
                out.append(pd.DataFrame({"group": name, "cause": cause, "time": [0.0, t.max()],
                                         "cif": 0.0, "lower": 0.0, "upper": 0.0}))
                continue
            ajf = AalenJohansenFitter(alpha=alpha, calculate_variance=w is None, seed=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ajf.fit(t, e, event_of_interest=k, weights=w)
            cif = ajf.cumulative_density_
            d = pd.DataFrame({"group": name, "cause": cause, "time": cif.index.to_numpy(float),
                              "cif": cif.iloc[:, 0].to_numpy()})
            if w is None:
                ci = ajf.confidence_interval_
                d["lower"] = ci.iloc[:, 0].to_numpy()
                d["upper"] = ci.iloc[:, 1].to_numpy()
            else:
                d["lower"] = np.nan
                d["upper"] = np.nan
            out.append(d)
    if not out:
        return pd.DataFrame(columns=["group", "cause", "time", "cif", "lower", "upper"])
    return pd.concat(out, ignore_index=True)


def incidence_at(cif: pd.DataFrame, times: list[float] | np.ndarray) -> pd.DataFrame:
    """Read cumulative incidence curves at given times (step function, last value carried).

    Returns
    -------
    DataFrame
        ``group``, ``cause``, ``time``, ``cif``, ``lower``, ``upper``, ``beyond_followup``
        (True when ``time`` is past the last observed time of the curve: value not estimable, NaN).
    """
    rows = []
    for (g, c), d in cif.groupby(["group", "cause"], sort=False):
        d = d.sort_values("time")
        tt = d["time"].to_numpy()
        for t in times:
            i = np.searchsorted(tt, t, side="right") - 1
            beyond = t > tt[-1]
            pick = d.iloc[max(i, 0)]
            rows.append({"group": g, "cause": c, "time": float(t),
                         "cif": np.nan if beyond else (float(pick["cif"]) if i >= 0 else 0.0),
                         "lower": np.nan if beyond or i < 0 else float(pick["lower"]),
                         "upper": np.nan if beyond or i < 0 else float(pick["upper"]),
                         "beyond_followup": bool(beyond)})
    return pd.DataFrame(rows)


def cause_specific_cox(
    table: pd.DataFrame,
    causes: tuple[str, ...] | list[str] = OUTCOMES,
    covariates: tuple[str, ...] | list[str] = DEFAULT_COVARIATES,
    reference: dict | None = None,
    duration: str = "outcome_days",
    event: str = "outcome",
    min_events: int = 10,
    check: bool = False,
) -> dict[str, CoxResult]:
    """One Cox model per cause, the other causes and censoring treated as censored.

    Causes with fewer than ``min_events`` events are skipped (not in the result).

    Returns
    -------
    dict of str to CoxResult
    """
    out = {}
    for cause in causes:
        t = table.assign(_event=table[event].eq(cause))
        if int(t["_event"].sum()) < min_events:
            continue
        out[cause] = fit_cox(t, covariates, reference, duration=duration, event="_event", check=check,
                             stratify_on_failure=False)
    return out
