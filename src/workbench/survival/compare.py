"""Re-victimization after engaging with services versus not (landmark, optional IPW)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .competing import cumulative_incidence, incidence_at
from .revictimization import LITERATURE, propensity_weights

__all__ = ["RevictimizationComparison", "compare_revictimization", "revictimization_incidence"]

#: Shown with every comparison.
CONFOUNDING_WARNING = (
    "People who engage with services are not a random subset of victims: they may differ in age, "
    "network ties, where they live and how they were hurt, so a difference in re-victimization "
    "between the groups is not, by itself, an effect of the services. The weighted comparison "
    "accounts only for the measured differences listed; unmeasured ones remain."
)


@dataclass
class RevictimizationComparison:
    """Cumulative incidence of re-victimization by engagement at the landmark.

    Attributes
    ----------
    curves : DataFrame
        From :func:`~workbench.survival.cumulative_incidence` (``group`` = ``engaged`` /
        ``not engaged``), causes ``revictimized`` and ``died``; times from the landmark.
    at : DataFrame
        Curves read at 1 year and at the end of follow-up (``incidence_at``).
    counts : DataFrame
        ``group``, ``people``, ``revictimized``.
    weighted : bool
    landmark_days : float
    warning : str
    balance : DataFrame or None
        Standardized mean differences of the propensity covariates before and after weighting.
    """

    curves: pd.DataFrame
    at: pd.DataFrame
    counts: pd.DataFrame
    weighted: bool
    landmark_days: float
    warning: str = CONFOUNDING_WARNING
    balance: pd.DataFrame | None = None


def revictimization_incidence(table: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Cumulative incidence of re-victimization (death competing) from the index victimization."""
    return cumulative_incidence(table, causes=("revictimized", "died"), duration="days", event="event", by=by)


def _smd(x: pd.DataFrame, t: np.ndarray, w: np.ndarray) -> pd.Series:
    out = {}
    for c in x.columns:
        v = x[c].astype(float).to_numpy()
        ok = ~np.isnan(v)
        a, b = ok & t, ok & ~t
        if a.sum() < 2 or b.sum() < 2:
            out[c] = np.nan
            continue
        m1, m0 = np.average(v[a], weights=w[a]), np.average(v[b], weights=w[b])
        s1, s0 = np.average((v[a] - m1) ** 2, weights=w[a]), np.average((v[b] - m0) ** 2, weights=w[b])
        out[c] = (m1 - m0) / np.sqrt((s1 + s0) / 2) if s1 + s0 > 0 else 0.0
    return pd.Series(out)


def compare_revictimization(
    table: pd.DataFrame,
    program_start: str | pd.Timestamp | None = None,
    weighted: bool = False,
    covariates: tuple[str, ...] | list[str] | None = None,
) -> RevictimizationComparison:
    """Compare re-victimization between people engaged by the landmark and the others.

    Parameters
    ----------
    table : DataFrame
        From :func:`~workbench.survival.revictimization_table`.
    program_start : str or Timestamp, optional
        Only victimizations on or after it are compared (before it nobody could be served).
    weighted : bool, default False
        Inverse-probability weighting (:func:`~workbench.survival.propensity_weights`).
    covariates : sequence of str, optional
        Propensity covariates (default :data:`~workbench.survival.PROPENSITY_COVARIATES`).
    """
    lm = float(table.attrs.get("landmark_days", 90.0))
    d = table
    if program_start is not None:
        ps = pd.Timestamp(program_start)
        ps = ps.tz_localize(d["occurred_at"].dt.tz) if ps.tzinfo is None else ps
        d = d[d["occurred_at"] >= ps]
    d = d[d["days"] > lm].copy()  # still at risk and followed at the landmark
    d["days"] = d["days"] - lm
    d["group"] = np.where(d["engaged_by_landmark"], "engaged", "not engaged")
    kwargs = {} if covariates is None else {"covariates": covariates}
    w = propensity_weights(d, **kwargs) if weighted and len(d) else pd.Series(1.0, index=d.index)
    d["w"] = w
    curves = cumulative_incidence(d, causes=("revictimized", "died"), duration="days", event="event",
                                  by="group", weights="w" if weighted else None)
    horizon = float(d.groupby("group")["days"].max().min()) if len(d) else 0.0
    at = incidence_at(curves, [365.25, horizon]) if len(curves) else pd.DataFrame()
    counts = d.groupby("group").agg(people=("person_id", "size"),
                                    revictimized=("event", lambda s: int((s == "revictimized").sum()))).reset_index()
    balance = None
    if weighted and len(d):
        from .revictimization import PROPENSITY_COVARIATES

        cols = [c for c in (covariates or PROPENSITY_COVARIATES) if c in d.columns]
        t = d["engaged_by_landmark"].to_numpy(bool)
        balance = pd.DataFrame({"unweighted_smd": _smd(d[cols], t, np.ones(len(d))),
                                "weighted_smd": _smd(d[cols], t, d["w"].to_numpy())})
        balance = balance.rename_axis("covariate").reset_index()
    return RevictimizationComparison(curves=curves, at=at, counts=counts, weighted=weighted, landmark_days=lm,
                                     balance=balance)


__all__ += ["CONFOUNDING_WARNING", "LITERATURE"]
