"""Re-victimization risk of past victims: a Cox model fitted at the index shooting, applied at ``as_of``.

:func:`fit_revictimization_risk` fits :class:`lifelines.CoxPHFitter` to the time from each
person's first (non-fatal) shooting to the next (:func:`workbench.survival.revictimization_table`,
restricted to what was observed by ``as_of``), with covariates measured at that shooting from
data strictly before it. :meth:`RevictimizationRisk.predict` gives the conditional probability
of a re-victimization within a horizon for people described by the *same* covariates measured
at ``as_of`` (:func:`current_covariates`, which calls the same
:func:`workbench.survival.revictimization.covariates_at`): same definitions, same 365-day
windows, only the date differs. :func:`workbench.outreach.evaluate_outreach` checks the ranking
forward.

With ``exposure="time_varying"`` the network exposure is not frozen at the index shooting: a
:class:`lifelines.CoxTimeVaryingFitter` is fitted to the counting-process table of
:func:`workbench.survival.revictimization.contacts_shot_intervals` (the count of co-arrestees
shot in the prior 365 days, updated whenever it changes during follow-up; the other covariates
stay at the index shooting), and the prediction holds the exposure measured at ``as_of``
constant over the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.data.timestamps import local_timestamp
from workbench.data.dataset import Dataset
from workbench.response.tables import data_end as _data_end
from workbench.response.tables import incident_areas
from workbench.survival.engagement import victimization_times

if TYPE_CHECKING:  # pragma: no cover
    from workbench.network import PeopleHistory

__all__ = [
    "BASE_COVARIATES",
    "EXPOSURES",
    "NETWORK_COVARIATE",
    "RISK_COVARIATES",
    "RevictimizationRisk",
    "current_covariates",
    "fit_revictimization_risk",
]

#: Covariates of the re-victimization hazard model used for outreach priority: demographics,
#: arrests, area exposure and network exposure (co-arrestees shot in the prior year).
RISK_COVARIATES: tuple[str, ...] = ("age", "male", "arrests_before", "area_shootings_prior_year",
                                    "contacts_shot_prior_year")

#: The model without network exposure (the comparison in :func:`evaluate_outreach`).
BASE_COVARIATES: tuple[str, ...] = ("age", "male", "arrests_before", "area_shootings_prior_year")

#: The network exposure covariate (the one that can vary during follow-up).
NETWORK_COVARIATE: str = "contacts_shot_prior_year"

#: How network exposure enters the fit: ``"index"`` (measured at the index shooting,
#: :class:`lifelines.CoxPHFitter`) or ``"time_varying"`` (updated during follow-up,
#: :class:`lifelines.CoxTimeVaryingFitter`).
EXPOSURES: tuple[str, ...] = ("index", "time_varying")


def _ts(value, tz: str) -> pd.Timestamp:
    return local_timestamp(value, tz)


@dataclass
class RevictimizationRisk:
    """A fitted re-victimization hazard model (or none, when there are too few events).

    Attributes
    ----------
    summary_, params_, confidence_intervals_ : DataFrame, Series, DataFrame
        Hazard ratios with 95% intervals, log hazard ratios and their intervals (lifelines' names).
    model : lifelines.CoxPHFitter, lifelines.CoxTimeVaryingFitter or None
        Fitted on ``days`` (from the index shooting) and the event ``revictimized``
        (``CoxTimeVaryingFitter`` on ``(start, stop]`` intervals with
        ``exposure="time_varying"``); None when fewer than ``min_events`` re-victimizations,
        no usable covariate, or no convergence even with a ridge penalty (``reason``).
    covariates : list of str
        Covariates in the model (requested ones that are present, not all missing and not
        constant in the fitting rows).
    medians : Series
        Fitting-row medians, used for missing values at prediction.
    as_of : Timestamp
        Only index shootings strictly before it and follow-up up to it were used.
    n, events : int
        Fitting rows (people) and re-victimizations among them.
    exposure : {"index", "time_varying"}
        How network exposure entered the fit (``"index"`` also when it is not in the model).
    note : str
        What was done to get the fit (the ridge refit after a convergence failure, and why);
        empty when nothing.
    reason : str
        Why no model was fitted although there were enough events (no convergence even with a
        ridge penalty); empty otherwise.
    """

    model: object | None
    covariates: list[str]
    medians: pd.Series
    as_of: pd.Timestamp
    n: int
    events: int
    exposure: str = "index"
    _baseline: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    note: str = ""
    reason: str = ""

    def hazard_ratios(self, alpha: float = 0.05) -> pd.DataFrame:
        """Hazard ratio per covariate unit with its ``1 - alpha`` confidence interval.

        Returns
        -------
        DataFrame
            ``covariate``, ``hazard_ratio``, ``hr_lower``, ``hr_upper``, ``p`` (Wald), ``coef``,
            ``se``; empty without a model.
        """
        cols = ["covariate", "hazard_ratio", "hr_lower", "hr_upper", "p", "coef", "se"]
        if self.model is None:
            return pd.DataFrame(columns=cols)
        from scipy.stats import norm

        coef = self.model.params_.to_numpy(float)  # the same numbers as lifelines' summary, without it
        se = self.model.standard_errors_.to_numpy(float)
        z = norm.ppf(1 - alpha / 2)
        return pd.DataFrame({"covariate": self.model.params_.index.to_numpy(), "hazard_ratio": np.exp(coef),
                             "hr_lower": np.exp(coef - z * se), "hr_upper": np.exp(coef + z * se),
                             "p": 2 * norm.sf(np.abs(coef / se)), "coef": coef, "se": se})

    @property
    def summary_(self) -> pd.DataFrame:
        """:meth:`hazard_ratios` at 95%, indexed by covariate (empty without a model)."""
        return self.hazard_ratios().set_index("covariate")

    @property
    def params_(self) -> pd.Series:
        """Log hazard ratio per covariate unit (empty without a model)."""
        return self.summary_["coef"].astype(float)

    @property
    def confidence_intervals_(self) -> pd.DataFrame:
        """95% interval of the log hazard ratios (``lower``, ``upper``) per covariate."""
        s = self.summary_
        return pd.DataFrame({"lower": np.log(s["hr_lower"].astype(float)),
                             "upper": np.log(s["hr_upper"].astype(float))}, index=s.index)

    def predict(self, current: pd.DataFrame, days_since: np.ndarray, horizon_days: float) -> np.ndarray:
        """Probability of a re-victimization within ``horizon_days``, given ``days_since`` survived.

        ``1 - exp(-(H0(s + h) - H0(s)) * exp((x - m)'b))`` with the Breslow baseline ``H0`` (a
        step function of days since the shooting, at the fitting mean ``m`` of the covariates:
        of the people, or of the ``(start, stop]`` intervals for the time-varying fit). The
        covariates, network exposure included, are held at their values in ``current`` over
        the horizon.

        Parameters
        ----------
        current : DataFrame
            The model's covariates (missing values are filled with the fitting medians).
        days_since : ndarray
            Days since each person's last shooting.
        horizon_days : float
            Horizon, days.

        Returns
        -------
        ndarray of float
            0..1; NaN for everyone without a model.
        """
        s = np.asarray(days_since, float)
        if self.model is None:
            return np.full(len(s), np.nan)
        x = current[self.covariates].astype(float).fillna(self.medians)
        bt, bh = self._baseline

        def h0(t: np.ndarray) -> np.ndarray:
            i = np.searchsorted(bt, t, side="right") - 1
            return np.where(i >= 0, bh[np.clip(i, 0, None)], 0.0)

        hr = self.model.predict_partial_hazard(x).to_numpy(float)
        return 1.0 - np.exp(-(h0(s + horizon_days) - h0(s)) * hr)


def fit_revictimization_risk(
    dataset: Dataset,
    as_of: str | pd.Timestamp | None = None,
    covariates: tuple[str, ...] | list[str] = RISK_COVARIATES,
    penalizer: float = 0.01,
    min_events: int = 5,
    table: pd.DataFrame | None = None,
    exposure: str = "index",
    history: PeopleHistory | None = None,
) -> RevictimizationRisk:
    """Cox model of the time from a first (non-fatal) shooting to the next, as known at ``as_of``.

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents`` and ``victimizations``; ``people``, ``arrests``, ``areas`` for the
        covariates.
    as_of : str or Timestamp, optional
        Fit on index shootings strictly before it, censored at it (no look-ahead); default
        the data end.
    covariates : sequence of str
        Columns of :func:`workbench.survival.revictimization_table`; those missing, all-NaN or
        constant are left out (e.g. ``contacts_shot_prior_year`` without arrests).
    penalizer : float, default 0.01
        L2 penalty of :class:`lifelines.CoxPHFitter` (stabilizes sparse covariates). lifelines
        multiplies it by the number of fitting rows; the time-varying fit, with more rows
        (intervals) than people, gets ``penalizer * people / intervals`` so that both models
        carry the same total penalty.
    min_events : int, default 5
        Fewer re-victimizations: no model.
    table : DataFrame, optional
        ``revictimization_table(dataset, end=as_of)`` when already computed.
    exposure : {"index", "time_varying"}, default "index"
        ``"index"``: all covariates at the index shooting (:class:`lifelines.CoxPHFitter`).
        ``"time_varying"``: ``contacts_shot_prior_year`` updated during follow-up
        (:func:`workbench.survival.revictimization.contacts_shot_intervals`, ties formed during
        follow-up counting from their arrest), the others at the index shooting,
        :class:`lifelines.CoxTimeVaryingFitter`. Without the network covariate in the model
        (e.g. no arrests table) both are the same fixed model.
    history : PeopleHistory, optional
        :class:`workbench.network.PeopleHistory` of ``dataset`` when already built (speed only).

    Returns
    -------
    RevictimizationRisk

    Examples
    --------
    Past victims of the tiny synthetic city, their time to the next shooting:

    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> from workbench.outreach import fit_revictimization_risk
    >>> risk = fit_revictimization_risk(ds, covariates=["age", "male"], min_events=3)
    >>> risk.model is not None, risk.events >= 3, list(risk.summary_.index)
    (True, True, ['age', 'male'])
    >>> bool((risk.confidence_intervals_["lower"] <= risk.params_).all())
    True
    """
    from lifelines import CoxPHFitter, CoxTimeVaryingFitter

    from workbench.survival.cox import robust_fit
    from workbench.survival.revictimization import (
        contacts_shot_intervals,
        revictimization_table,
    )

    if exposure not in EXPOSURES:
        raise ValueError(f"exposure must be one of {EXPOSURES}, not {exposure!r}")
    tz = dataset.timezone
    as_of = _data_end(dataset) if as_of is None else _ts(as_of, tz)
    rv = revictimization_table(dataset, end=as_of) if table is None else table
    rv = rv[rv["occurred_at"] < as_of] if len(rv) else rv
    cols = [c for c in covariates if c in rv.columns and rv[c].notna().any()
            and rv[c].astype(float).nunique() > 1]
    d = rv[cols + ["days", "event"]].copy()
    d["e"] = d["event"].eq("revictimized")
    d = d.drop(columns="event").dropna()
    d[cols] = d[cols].astype(float)
    med = d[cols].median()
    n_ev = int(d["e"].sum())
    if not cols or n_ev < min_events:
        return RevictimizationRisk(None, cols, med, as_of, len(d), n_ev)
    if exposure == "time_varying" and NETWORK_COVARIATE in cols:
        rows = rv.loc[d.index].reset_index(drop=True)
        iv = contacts_shot_intervals(dataset, rows, history=history)
        fixed = d[[c for c in cols if c != NETWORK_COVARIATE]].reset_index(drop=True)
        tv = iv[["row", "start", "stop", "event", NETWORK_COVARIATE]].join(fixed, on="row")
        tv = tv[["row", "start", "stop", "event", *cols]]
        # a failed fit is refitted with a ridge penalty, else no model; both say why with a
        # workbench ConvergenceWarning (robust_fit), never silently
        ctv, _, note, reason = robust_fit(
            lambda pen: CoxTimeVaryingFitter(penalizer=pen * len(d) / len(tv)),
            lambda m: m.fit(tv, id_col="row", event_col="event", start_col="start", stop_col="stop"),
            penalizer=penalizer, what="re-victimization risk model (time-varying exposure)")
        if ctv is None:
            return RevictimizationRisk(None, cols, med, as_of, len(d), n_ev, "time_varying", reason=reason)
        # lifelines' time-varying baseline: cumulative hazard at the stop times (days since the
        # index shooting) for covariates at their interval mean, as predict_partial_hazard centres
        base = ctv.baseline_cumulative_hazard_.iloc[:, 0]
        return RevictimizationRisk(ctv, cols, med, as_of, len(d), n_ev, "time_varying",
                                   (base.index.to_numpy(float), base.to_numpy(float)), note=note)
    cph, _, note, reason = robust_fit(
        lambda pen: CoxPHFitter(penalizer=pen),
        lambda m: m.fit(d, duration_col="days", event_col="e"),
        penalizer=penalizer, what="re-victimization risk model")
    if cph is None:
        return RevictimizationRisk(None, cols, med, as_of, len(d), n_ev, "index", reason=reason)
    base = cph.baseline_cumulative_hazard_.iloc[:, 0]
    return RevictimizationRisk(cph, cols, med, as_of, len(d), n_ev, "index",
                               (base.index.to_numpy(float), base.to_numpy(float)), note=note)


def current_covariates(
    dataset: Dataset,
    person_ids: object,
    as_of: pd.Timestamp,
    incident_area: pd.Series | None = None,
    history: PeopleHistory | None = None,
) -> pd.DataFrame:
    """The model's covariates of people at ``as_of`` (data strictly before it).

    The same :func:`workbench.survival.revictimization.covariates_at` that measures them at the
    index shooting for fitting; the area is that of the person's last shooting by ``as_of``
    (the index shooting's area when fitting).

    Parameters
    ----------
    dataset : Dataset
    person_ids : array-like of str
    as_of : Timestamp
        Tz-aware list date.
    incident_area, history
        Area by ``incident_id`` and :class:`workbench.network.PeopleHistory`, when already
        built (speed only).

    Returns
    -------
    DataFrame
        ``person_id``, ``shooting_area_id`` (area of the last shooting) and
        :data:`workbench.survival.revictimization.AT_DATE_COVARIATES`, one row per person in
        the order given.
    """
    from workbench.survival.revictimization import AT_DATE_COVARIATES, covariates_at

    ids = pd.Series(np.asarray(person_ids, dtype=object), dtype=object)
    inc = dataset["incidents"]
    if incident_area is None:
        incident_area = pd.Series(incident_areas(dataset).to_numpy(), index=inc["incident_id"].to_numpy())
    v = victimization_times(dataset)
    v = v[v["occurred_at"] < as_of]  # sorted by person and time
    last_area = v.groupby("person_id")["incident_id"].last().map(incident_area)
    area = ids.map(last_area)
    cov = covariates_at(dataset, ids, as_of, area, incident_area=incident_area, history=history)
    out = pd.DataFrame({"person_id": ids.to_numpy(), "shooting_area_id": area.to_numpy()})
    for c in AT_DATE_COVARIATES:
        out[c] = cov[c].to_numpy()
    return out
