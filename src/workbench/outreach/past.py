"""Past victims: people shot before the program started, or never referred, and who they are now.

Person-level results (:func:`past_victims`, :func:`outreach_priority`) are for researchers
only; policy pages show :func:`past_victim_counts` and :func:`unserved_trend` after
:func:`workbench.privacy.suppress_counts`.
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

from .risk import (
    BASE_COVARIATES,
    RISK_COVARIATES,
    RevictimizationRisk,
    current_covariates,
    fit_revictimization_risk,
)

if TYPE_CHECKING:  # pragma: no cover
    from workbench.network import PeopleHistory

__all__ = ["BASE_COVARIATES", "RISK_COVARIATES", "UnservedPastVictims", "outreach_priority", "past_victim_counts",
           "past_victims", "priority_inputs", "rank_by_risk", "still_unserved", "unserved_past_victims",
           "unserved_trend"]

_DAY = 86400.0


def _ts(value, tz: str) -> pd.Timestamp:
    return local_timestamp(value, tz)


def past_victims(
    dataset: Dataset, program_start: str | pd.Timestamp, as_of: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Living victims shot before the program start, or never referred (as of ``as_of``).

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents`` and ``victimizations``; ``referrals`` (who was served), ``people``
        (home area) when present.
    program_start : str or Timestamp
        Start of the response program (naive dates are local).
    as_of : str or Timestamp, optional
        Date the list describes; default the data end.

    Returns
    -------
    DataFrame
        One row per person: ``person_id``, ``area_id`` (home area, else the area of the last
        shooting), ``first_at``, ``last_at``, ``victimizations``, ``days_since_last``,
        ``years_since_last``, ``before_program`` (first shot before the start),
        ``revictimized`` (shot more than once), ``shot_since_start`` (shot again on or after
        the program start, having been shot before it), ``referred`` (any referral by
        ``as_of``), ``first_referred_at``. People who died in a shooting are left out.

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> from workbench.outreach import past_victims
    >>> past = past_victims(ds, program_start="2024-01-01")
    >>> bool(past["person_id"].is_unique), bool((past["before_program"] | ~past["referred"]).all())
    (True, True)
    """
    tz = dataset.timezone
    start = _ts(program_start, tz)
    as_of = _data_end(dataset) if as_of is None else _ts(as_of, tz)
    v = victimization_times(dataset)
    v = v[v["occurred_at"] <= as_of]
    g = v.groupby("person_id")
    per = pd.DataFrame({"first_at": g["occurred_at"].min(), "last_at": g["occurred_at"].max(),
                        "victimizations": g.size(), "killed": g["fatal"].any()})
    after = v[v["occurred_at"] >= start].groupby("person_id").size()
    per["shot_since_start"] = (per["first_at"] < start) & per.index.isin(after.index)
    last_inc = g["incident_id"].last()
    areas = pd.Series(incident_areas(dataset).to_numpy(), index=dataset["incidents"]["incident_id"].to_numpy())
    per["area_id"] = last_inc.map(areas)
    if dataset.has("people") and "home_area_id" in dataset["people"].columns:
        home = dataset["people"].set_index("person_id")["home_area_id"]
        h = per.index.to_series().map(home)
        per["area_id"] = h.where(h.notna(), per["area_id"])
    per["first_referred_at"] = pd.NaT
    if dataset.has("referrals"):
        r = dataset["referrals"]
        r = r[r["referred_at"] <= as_of].groupby("person_id")["referred_at"].min()
        per["first_referred_at"] = per.index.to_series().map(r)
    per["first_referred_at"] = pd.to_datetime(per["first_referred_at"], utc=True).dt.tz_convert(tz)
    per["referred"] = per["first_referred_at"].notna()
    per["before_program"] = per["first_at"] < start
    per = per[~per["killed"] & (per["before_program"] | ~per["referred"])].copy()
    per["days_since_last"] = (as_of - per["last_at"]).dt.total_seconds() / _DAY
    per["years_since_last"] = per["days_since_last"] / 365.25
    per["revictimized"] = per["victimizations"] > 1
    per = per.reset_index().rename(columns={"index": "person_id"})
    per.attrs.update(program_start=start, as_of=as_of)
    cols = ["person_id", "area_id", "first_at", "last_at", "victimizations", "days_since_last", "years_since_last",
            "before_program", "revictimized", "shot_since_start", "referred", "first_referred_at"]
    return per[cols]


def past_victim_counts(past: pd.DataFrame, by: str = "area") -> pd.DataFrame:
    """Counts of past victims for policy readers (suppress them before showing).

    Parameters
    ----------
    past : DataFrame
        From :func:`past_victims`.
    by : {"area", "year", "years_since"}
        ``year``: calendar year of the last shooting; ``years_since``: 0-1, 1-2, 2-5, 5+ years.

    Returns
    -------
    DataFrame
        ``group``, ``past_victims``, ``unserved`` (never referred), ``revictimized``,
        ``shot_since_start``; sorted by ``past_victims`` (descending) for areas.
    """
    if by == "area":
        key = past["area_id"].fillna("unknown").astype(str)
    elif by == "year":
        key = past["last_at"].dt.year.astype(str)
    elif by == "years_since":
        key = pd.cut(past["years_since_last"], [-np.inf, 1, 2, 5, np.inf],
                     labels=["under 1 year", "1-2 years", "2-5 years", "5+ years"]).astype(str)
    else:
        raise ValueError(f"by must be 'area', 'year' or 'years_since', not {by!r}")
    d = past.assign(group=key.to_numpy(), unserved=~past["referred"])
    out = d.groupby("group").agg(past_victims=("person_id", "size"), unserved=("unserved", "sum"),
                                 revictimized=("revictimized", "sum"), shot_since_start=("shot_since_start", "sum"))
    out = out.astype(int).reset_index()
    if by == "area":
        out = out.sort_values(["past_victims", "group"], ascending=[False, True])
    elif by == "years_since":
        order = {k: i for i, k in enumerate(["under 1 year", "1-2 years", "2-5 years", "5+ years"])}
        out = out.sort_values("group", key=lambda s: s.map(order))
    return out.reset_index(drop=True)


def still_unserved(past: pd.DataFrame) -> int:
    """Past victims still unserved: living people shot before the program start with no referral.

    The one definition of the headline number: the index's *Past victims still unserved*
    (:mod:`workbench.sections.summary`), the past-victims page and the last period of
    :func:`unserved_trend` all count it this way. (``past_victim_counts``' ``unserved`` column is
    wider: everybody in ``past`` never referred, including people shot after the start.)

    Parameters
    ----------
    past : DataFrame
        From :func:`past_victims` (as of the date the number is for).

    Returns
    -------
    int
    """
    return int((past["before_program"].astype(bool) & ~past["referred"].astype(bool)).sum())


@dataclass(frozen=True)
class UnservedPastVictims:
    """Result of :func:`unserved_past_victims`: the headline count, its dates and its rule.

    Attributes
    ----------
    n : int or None
        Living people shot before ``program_start`` with no referral by ``as_of``; ``None``
        when it cannot be counted (``reason`` says why).
    program_start : Timestamp or None
        The program start used (local midnight, tz-aware).
    program_start_inferred : bool
        True when the start was taken as the day of the first co-responder arrival.
    as_of : Timestamp or None
        The instant counted at (tz-aware).
    reason : str
        Why ``n`` is ``None`` (empty otherwise).
    past : DataFrame or None
        :func:`past_victims` at ``program_start`` and ``as_of`` (person-level, **not for
        display**); ``None`` when there is no program start or data end.
    """

    n: int | None
    program_start: pd.Timestamp | None
    program_start_inferred: bool
    as_of: pd.Timestamp | None
    reason: str = ""
    past: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def rule(self) -> str:
        """The rule in words, with its dates."""
        if self.n is None:
            return f"Past victims still unserved cannot be counted: {self.reason}."
        how = " (the day of the first co-responder arrival)" if self.program_start_inferred else ""
        return (f"Living people shot before the program start, {self.program_start:%Y-%m-%d}{how}, with no "
                f"referral by {self.as_of:%Y-%m-%d}.")


def unserved_past_victims(
    dataset: Dataset,
    program_start: str | pd.Timestamp | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> UnservedPastVictims:
    """Past victims still unserved: the one count behind the index and the past-victims page.

    Rule: living people (nobody killed in a shooting) shot before the program start who had no
    referral by ``as_of`` (:func:`past_victims` then :func:`still_unserved`). Before the
    program start nobody is unserved *by it*: the count is ``None`` then.

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents`` and ``victimizations``; ``responses`` when the start is inferred.
    program_start : str or Timestamp, optional
        Start of the program (naive dates are local midnight,
        :func:`workbench.data.local_timestamp`); default the day of the first co-responder
        arrival (:func:`workbench.response.infer_program_start`).
    as_of : str or Timestamp, optional
        The instant counted at (naive dates are local midnight); default the last instant of
        the report's data end (:attr:`workbench.data.DataEnd.last_instant`: through the last
        day covered), the same instant as the end of the index's summary period.

    Returns
    -------
    UnservedPastVictims

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> u = unserved_past_victims(ds)
    >>> u.n == still_unserved(u.past), u.program_start_inferred
    (True, True)
    """
    from workbench.data.flags import data_end
    from workbench.response.tables import infer_program_start

    tz = dataset.timezone
    inferred = program_start is None or (isinstance(program_start, str) and not program_start.strip())
    start = infer_program_start(dataset) if inferred else _ts(program_start, tz)
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        de = data_end(dataset) if dataset.has("incidents") else None
        when = None if de is None else de.last_instant
    else:
        when = _ts(as_of, tz)
    why = ("there are no victim records" if not (dataset.has("victimizations") and len(dataset["victimizations"]))
           else "no co-responder ever arrived, so there is no program start date" if start is None
           else "the incidents carry no times, so the data end is unknown" if when is None else "")
    if why:
        return UnservedPastVictims(None, start, inferred, when, why)
    past = past_victims(dataset, start, when)
    if when < start:
        return UnservedPastVictims(None, start, inferred, when,
                                   f"the program had not started by {when:%Y-%m-%d}", past)
    return UnservedPastVictims(still_unserved(past), start, inferred, when, "", past)


def unserved_trend(dataset: Dataset, past: pd.DataFrame, freq: str = "M") -> pd.DataFrame:
    """Past victims shot before the program who are still unserved, period by period.

    A person counts as served from their first referral. Deaths are not known beyond the
    shootings (people killed in a shooting are already left out).

    Returns
    -------
    DataFrame
        ``period`` (end of each month or year from the program start to ``as_of``),
        ``past_victims`` (shot before the start), ``served`` (referred by the period end),
        ``unserved``.
    """
    start, as_of = past.attrs["program_start"], past.attrs["as_of"]
    hist = past[past["before_program"]]
    ends = pd.date_range(start.tz_localize(None), as_of.tz_localize(None), freq="ME" if freq == "M" else "YE")
    ends = ends.tz_localize(start.tz, nonexistent="shift_forward", ambiguous="NaT").append(pd.DatetimeIndex([as_of]))
    ends = ends.dropna().unique()
    ref = np.sort(hist["first_referred_at"].dropna().to_numpy(dtype="datetime64[ns]"))
    served = np.searchsorted(ref, ends.tz_convert("UTC").tz_localize(None).to_numpy(), side="right")
    return pd.DataFrame({"period": ends, "past_victims": len(hist), "served": served.astype(int),
                         "unserved": (len(hist) - served).astype(int)})


def outreach_priority(
    dataset: Dataset,
    past: pd.DataFrame,
    horizon_days: float = 365.0,
    covariates: tuple[str, ...] = RISK_COVARIATES,
    exposure: str = "index",
) -> pd.DataFrame:
    """Past victims ranked by their current risk of being shot again (researchers only).

    The risk is the conditional probability of a re-victimization within ``horizon_days``,
    given the time already survived since the last shooting, from a Cox model of the time
    from a first (non-fatal) shooting to the next (:func:`fit_revictimization_risk`, fitted
    on what was observed before ``past.attrs["as_of"]`` only) with ``covariates`` measured at
    that shooting. For the prediction the same covariates are measured at ``as_of``
    (:func:`current_covariates`): age, sex, arrests before, shootings in the area of the
    person's last shooting in the prior 365 days, and co-arrestees (tied before ``as_of``)
    shot in the prior 365 days.

    Parameters
    ----------
    dataset : Dataset
    past : DataFrame
        From :func:`past_victims` (its ``attrs["as_of"]`` is the list date).
    horizon_days : float, default 365
        Risk horizon, days.
    covariates : tuple of str, default :data:`RISK_COVARIATES`
        Model covariates (those unusable in these data are dropped; ``attrs["covariates"]``
        lists the ones used). :data:`BASE_COVARIATES` leaves network exposure out.
    exposure : {"index", "time_varying"}, default "index"
        How network exposure enters the fit (:func:`fit_revictimization_risk`): measured at the
        index shooting, or updated during follow-up (:class:`lifelines.CoxTimeVaryingFitter`).
        Either way the prediction uses the exposure at ``as_of``, held over the horizon.

    Returns
    -------
    DataFrame
        ``rank``, ``person_id``, ``area_id`` (from ``past``), ``shooting_area_id`` (area of the
        last shooting), ``years_since_last``, ``victimizations``, ``risk`` (0..1),
        ``contacts_shot_past_year`` (co-arrestees shot in the 365 days before ``as_of``; NaN
        without arrests), ``area_shootings_past_year`` (shootings in ``shooting_area_id`` in
        the 365 days before ``as_of``), ``referred``; highest risk first. The two exposure
        columns are exactly the model inputs ``contacts_shot_prior_year`` and
        ``area_shootings_prior_year`` at ``as_of``. ``attrs``: ``horizon_days``,
        ``covariates``, ``as_of``, ``hazard_ratios`` (per covariate, 95% interval),
        ``exposure``, ``model_note`` (the ridge refit and why, else empty) and ``model_reason``
        (why no model was fitted despite enough events, else empty).

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> from workbench.outreach import outreach_priority, past_victims
    >>> pri = outreach_priority(ds, past_victims(ds, program_start="2024-01-01"), covariates=("age", "male"))
    >>> list(pri["rank"][:3]), bool(pri["risk"].is_monotonic_decreasing)
    ([1, 2, 3], True)
    """
    as_of = past.attrs["as_of"]
    history = None
    if dataset.has("arrests") and dataset.has("victimizations"):
        from workbench.network import PeopleHistory

        history = PeopleHistory.from_dataset(dataset)  # indexed once for the table, list and fit
    table, cur = priority_inputs(dataset, past, history=history)
    model = fit_revictimization_risk(dataset, as_of, covariates, table=table, exposure=exposure, history=history)
    return rank_by_risk(cur, model, horizon_days)


def priority_inputs(
    dataset: Dataset,
    past: pd.DataFrame,
    history: PeopleHistory | None = None,
    incident_area: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fitting table and the current covariates behind :func:`outreach_priority`.

    Parameters
    ----------
    dataset : Dataset
    past : DataFrame
        From :func:`past_victims`.
    history, incident_area
        :class:`workbench.network.PeopleHistory` of ``dataset`` and area by ``incident_id``,
        when already built (speed only: both are independent of the date).

    Returns
    -------
    table : DataFrame
        :func:`workbench.survival.revictimization_table` censored at ``past.attrs["as_of"]``.
    current : DataFrame
        ``past``'s ``person_id``, ``area_id``, ``years_since_last``, ``victimizations``,
        ``referred``, ``days_since_last`` with :func:`current_covariates` at ``as_of``.
    """
    from workbench.survival.revictimization import revictimization_table

    as_of = past.attrs["as_of"]
    if incident_area is None:
        inc = dataset["incidents"]
        incident_area = pd.Series(incident_areas(dataset).to_numpy(), index=inc["incident_id"].to_numpy())
    if history is None and dataset.has("arrests") and dataset.has("victimizations"):
        from workbench.network import PeopleHistory

        history = PeopleHistory.from_dataset(dataset)  # indexed once for both dates
    table = revictimization_table(dataset, end=as_of, history=history, incident_area=incident_area)
    cur = past[["person_id", "area_id", "years_since_last", "victimizations", "referred", "days_since_last"]]
    cov = current_covariates(dataset, cur["person_id"], as_of, incident_area=incident_area, history=history)
    cur = pd.concat([cur.reset_index(drop=True), cov.drop(columns="person_id")], axis=1)
    cur.attrs["as_of"] = as_of
    return table, cur


def rank_by_risk(current: pd.DataFrame, model: RevictimizationRisk, horizon_days: float) -> pd.DataFrame:
    """The outreach list from current covariates and a fitted model (see :func:`outreach_priority`).

    Parameters
    ----------
    current : DataFrame
        The second result of :func:`priority_inputs`.
    model : RevictimizationRisk
        From :func:`fit_revictimization_risk` (fitted at the same ``as_of``).
    horizon_days : float
        Risk horizon, days.

    Returns
    -------
    DataFrame
        As :func:`outreach_priority`.
    """
    cur = current.copy()
    cur["risk"] = model.predict(cur, cur["days_since_last"].to_numpy(float), horizon_days)
    cur["contacts_shot_past_year"] = cur["contacts_shot_prior_year"].astype(float)
    cur["area_shootings_past_year"] = cur["area_shootings_prior_year"].astype(int)
    cur = cur.sort_values(["risk", "contacts_shot_past_year", "area_shootings_past_year"],
                          ascending=False, na_position="last", kind="stable").reset_index(drop=True)
    cur.insert(0, "rank", np.arange(1, len(cur) + 1))
    cur = cur[["rank", "person_id", "area_id", "shooting_area_id", "years_since_last", "victimizations", "risk",
               "contacts_shot_past_year", "area_shootings_past_year", "referred"]]
    cur.attrs = {"horizon_days": horizon_days, "covariates": list(model.covariates),
                 "as_of": current.attrs.get("as_of", model.as_of),
                 "hazard_ratios": model.hazard_ratios().to_dict("records"), "exposure": model.exposure,
                 "model_note": model.note, "model_reason": model.reason}
    return cur
