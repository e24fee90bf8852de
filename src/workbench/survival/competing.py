"""Competing outcomes: Aalen-Johansen cumulative incidence and cause-specific Cox models.

The cause-specific hazard ratios here answer "how fast does this outcome happen among those
still in follow-up"; the Fine-Gray model (:mod:`~workbench.survival.finegray`) answers "how
likely is it in the end", the question the cumulative incidence curves describe.

:func:`cumulative_incidence` computes the Aalen-Johansen estimator directly (vectorized, with
the Greenwood-type delta-method variance that lifelines uses, Collett 2015 p. 411) rather
than through :class:`lifelines.AalenJohansenFitter`, which (lifelines 0.30) gives the first row
of its event table no previous survival and forces its incidence to 0 -- so events at time 0,
e.g. an engagement at the moment of referral, were lost -- and breaks tied times of different
causes by a random jitter. Tied times are handled exactly here (all events at a time share the
survival just before it), as R's ``cmprsk::cuminc`` does; ``tests/test_survival_competing.py``
checks the estimate against a hand-written loop, against lifelines on data without ties or
zero times, and against ``cmprsk::cuminc``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from .cox import DEFAULT_COVARIATES, CoxResult, fit_cox
from .engagement import OUTCOMES

__all__ = ["aalen_johansen", "cause_specific_cox", "cumulative_incidence", "incidence_at"]

CIF_COLUMNS = ["group", "cause", "time", "cif", "lower", "upper", "at_risk", "event_free"]


def aalen_johansen(
    durations: np.ndarray,
    events: np.ndarray,
    n_causes: int,
    weights: np.ndarray | None = None,
    alpha: float = 0.05,
) -> dict[str, np.ndarray]:
    """Aalen-Johansen cumulative incidence of every cause, with pointwise intervals.

    Parameters
    ----------
    durations : array of float
        Time of the event or of censoring (any unit; 0 allowed), one per subject.
    events : array of int
        0 for censored, ``k`` in ``1..n_causes`` for cause ``k``.
    n_causes : int
    weights : array of float, optional
        Case weights; intervals are then not computed (NaN): the variance assumes unit weights.
    alpha : float, default 0.05
        ``1 - alpha`` intervals on the log(-log) scale (delta method).

    Returns
    -------
    dict
        ``time`` (0 and every distinct time, sorted), ``at_risk`` (weighted number followed
        just before each time), ``event_free`` (overall survival just after it), and
        ``cif``, ``lower``, ``upper`` of shape ``(n_causes, len(time))``: the incidence *at*
        each time (right-continuous, events at time 0 included).

    Examples
    --------
    >>> r = aalen_johansen(np.array([0.0, 0.0, 1.0, 2.0, 2.0, 3.0]), np.array([1, 2, 1, 1, 0, 2]), 2)
    >>> r["time"].tolist(), np.round(r["cif"][0], 3).tolist()
    ([0.0, 1.0, 2.0, 3.0], [0.167, 0.333, 0.5, 0.5])
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=np.int64)
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    if len(t) == 0:
        z = np.zeros((n_causes, 1))
        return {"time": np.zeros(1), "at_risk": np.zeros(1), "event_free": np.ones(1), "cif": z,
                "lower": z.copy(), "upper": z.copy()}
    if np.isnan(t).any() or (t < 0).any():
        raise ValueError("durations must be non-negative and not missing")
    times, inv = np.unique(np.concatenate([[0.0], t]), return_inverse=True)
    inv = inv[1:]
    m = len(times)
    # weighted events by cause and time, and the number at risk just before each time
    d_k = np.zeros((n_causes + 1, m))
    np.add.at(d_k, (e, inv), w)
    d_k = d_k[1:]
    d = d_k.sum(axis=0)
    leaving = np.bincount(inv, weights=w, minlength=m)
    n = leaving[::-1].cumsum()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(n > 0, d / n, 0.0)
        surv = np.cumprod(1.0 - h)
        s_prev = np.concatenate([[1.0], surv[:-1]])
        jump = s_prev * np.where(n > 0, d_k / n, 0.0)
    cif = np.cumsum(jump, axis=1)
    lower = np.full_like(cif, np.nan)
    upper = np.full_like(cif, np.nan)
    if weights is None:
        z = norm.ppf(1 - alpha / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(n > d, d / (n * (n - d)), 0.0)  # 0 where everyone left: its term is multiplied by 0
            b = np.where(n > 0, s_prev**2 * d_k * (n - d_k) / n**3, 0.0)
            c = np.where(n > 0, s_prev * d_k / n**2, 0.0)
        for k in range(n_causes):  # a handful of causes: the time axis is vectorized
            f = cif[k]
            var = (f**2 * np.cumsum(a) - 2 * f * np.cumsum(a * f) + np.cumsum(a * f**2)
                   + np.cumsum(b[k]) - 2 * (f * np.cumsum(c[k]) - np.cumsum(c[k] * f)))
            var = np.maximum(var, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                ll = np.log(-np.log(f))
                se = np.sqrt(var) / (f * np.abs(np.log(f)))
                lo, hi = np.exp(-np.exp(ll + z * se)), np.exp(-np.exp(ll - z * se))
            degenerate = (f <= 0) | (f >= 1) | ~np.isfinite(se)
            lower[k] = np.where(degenerate, f, lo)
            upper[k] = np.where(degenerate, f, hi)
    return {"time": times, "at_risk": n, "event_free": surv, "cif": cif, "lower": lower, "upper": upper}


def cumulative_incidence(
    table: pd.DataFrame,
    causes: tuple[str, ...] | list[str] | None = None,
    duration: str = "outcome_days",
    event: str = "outcome",
    by: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    seed: int | None = None,
) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of each competing cause.

    Parameters
    ----------
    table : DataFrame
        One row per subject with the time (days, 0 allowed) and the cause (``censored`` or any
        value not in ``causes`` means no event).
    causes : sequence of str, optional
        The competing causes; default ``table.attrs["causes"]`` (set by
        :func:`~workbench.survival.engagement_table` after its censoring rule), else
        :data:`~workbench.survival.OUTCOMES`.
    by : str, optional
        Grouping column; one set of curves per group.
    weights : str, optional
        Column of case weights (e.g. inverse-probability weights).
    alpha : float, default 0.05
        ``1 - alpha`` pointwise intervals.
    seed : int, optional
        Unused (kept for callers of the former lifelines-based version, which jittered ties).

    Returns
    -------
    DataFrame
        ``group``, ``cause``, ``time`` (days; 0 first), ``cif`` (cumulative incidence at that
        time, 0..1, events at time 0 included), ``lower``, ``upper`` (NaN when weighted: the
        interval assumes unit weights), ``at_risk`` (number followed just before the time),
        ``event_free`` (share without any event just after it).

    Examples
    --------
    >>> t = pd.DataFrame({"outcome_days": [0.0, 0.0, 5.0, 9.0],
    ...                   "outcome": ["engaged", "declined", "engaged", "censored"]})
    >>> c = cumulative_incidence(t, causes=["engaged", "declined"])
    >>> c[c["cause"] == "engaged"][["time", "cif"]].values.tolist()
    [[0.0, 0.25], [5.0, 0.5], [9.0, 0.5]]
    """
    if causes is None:
        causes = table.attrs.get("causes", OUTCOMES)
    code = {c: i + 1 for i, c in enumerate(causes)}
    groups = [("all", table)] if by is None else [(str(k), g) for k, g in table.groupby(by, sort=True)]
    out = []
    for name, g in groups:
        if not len(g):
            continue
        t = g[duration].to_numpy(float)
        e = g[event].map(code).fillna(0).astype(int).to_numpy()
        w = None if weights is None else g[weights].to_numpy(float)
        r = aalen_johansen(t, e, len(code), w, alpha)
        for cause, k in code.items():
            out.append(pd.DataFrame({"group": name, "cause": cause, "time": r["time"], "cif": r["cif"][k - 1],
                                     "lower": r["lower"][k - 1], "upper": r["upper"][k - 1],
                                     "at_risk": r["at_risk"], "event_free": r["event_free"]}))
    if not out:
        return pd.DataFrame(columns=CIF_COLUMNS)
    return pd.concat(out, ignore_index=True)


def incidence_at(cif: pd.DataFrame, times: list[float] | np.ndarray) -> pd.DataFrame:
    """Read cumulative incidence curves at given times (step function, last value carried).

    A time past the last observed time is estimable when nobody was still followed then
    (every subject had an event: the curves are final) and not estimable (NaN) otherwise.

    Returns
    -------
    DataFrame
        ``group``, ``cause``, ``time``, ``cif``, ``lower``, ``upper``, ``beyond_followup``
        (True when ``time`` is past the last observed time while some subjects were still
        followed without an event: value not estimable, NaN).
    """
    rows = []
    for (g, c), d in cif.groupby(["group", "cause"], sort=False):
        d = d.sort_values("time", kind="stable")
        tt = d["time"].to_numpy(float)
        final = "event_free" in d.columns and float(d["event_free"].iloc[-1]) <= 1e-12
        ts = np.asarray(times, dtype=float)
        i = np.searchsorted(tt, ts, side="right") - 1
        beyond = (ts > tt[-1]) & ~final
        pick = np.maximum(i, 0)
        val = np.where(i >= 0, d["cif"].to_numpy(float)[pick], 0.0)
        lo = np.where(i >= 0, d["lower"].to_numpy(float)[pick], 0.0)
        hi = np.where(i >= 0, d["upper"].to_numpy(float)[pick], 0.0)
        rows.append(pd.DataFrame({"group": g, "cause": c, "time": ts, "cif": np.where(beyond, np.nan, val),
                                  "lower": np.where(beyond, np.nan, lo), "upper": np.where(beyond, np.nan, hi),
                                  "beyond_followup": beyond}))
    if not rows:
        return pd.DataFrame(columns=["group", "cause", "time", "cif", "lower", "upper", "beyond_followup"])
    return pd.concat(rows, ignore_index=True)


def cause_specific_cox(
    table: pd.DataFrame,
    causes: tuple[str, ...] | list[str] | None = None,
    covariates: tuple[str, ...] | list[str] = DEFAULT_COVARIATES,
    reference: dict | None = None,
    duration: str = "outcome_days",
    event: str = "outcome",
    min_events: int = 10,
    check: bool = False,
) -> dict[str, CoxResult]:
    """One Cox model per cause, the other causes and censoring treated as censored.

    Parameters
    ----------
    table : DataFrame
        From :func:`~workbench.survival.engagement_table`.
    causes : sequence of str, optional
        Default ``table.attrs["causes"]`` (the causes of the censoring rule), else
        :data:`~workbench.survival.OUTCOMES`.
    covariates, reference
        See :func:`~workbench.survival.cox_design`.
    min_events : int, default 10
        Causes with fewer events get no model: their result has ``fitted=False`` and says so.
    check : bool, default False
        Run the proportional-hazards check of each model.

    Returns
    -------
    dict of str to CoxResult
        Every cause, fitted or not (``result.fitted``, ``result.reason``).

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> from workbench.survival import engagement_table
    >>> cs = cause_specific_cox(engagement_table(generate_city("tiny", seed=3).dataset), covariates=["age"])
    >>> {c: r.fitted for c, r in cs.items()}
    {'engaged': True, 'declined': True, 'revictimized': False, 'lost': False}
    >>> cs["lost"].reason
    'fewer lost outcomes than the 10 needed'
    """
    if causes is None:
        causes = table.attrs.get("causes", OUTCOMES)
    out = {}
    for cause in causes:
        t = table.assign(_event=table[event].eq(cause))
        n_ev = int(t["_event"].sum())
        if n_ev < min_events:
            out[cause] = CoxResult.unfitted(f"fewer {cause} outcomes than the {min_events} needed",
                                            len(t), n_ev)
            continue
        out[cause] = fit_cox(t, covariates, reference, duration=duration, event="_event", check=check,
                             stratify_on_failure=False)
    return out


