"""Past victims: people shot before the program started, or never referred, and who they are now.

Person-level results (:func:`past_victims`, :func:`outreach_priority`) are for researchers
only; policy pages show :func:`past_victim_counts` and :func:`unserved_trend` after
:func:`workbench.privacy.suppress_counts`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from workbench.data.dataset import Dataset
from workbench.response.tables import data_end as _data_end
from workbench.response.tables import incident_areas
from workbench.survival.engagement import victimization_times

__all__ = ["RISK_COVARIATES", "outreach_priority", "past_victim_counts", "past_victims", "unserved_trend"]

#: Covariates of the re-victimization hazard model used for outreach priority.
RISK_COVARIATES: tuple[str, ...] = ("age", "male", "arrests_before", "area_shootings_prior_year")

_DAY = 86400.0


def _ts(value, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)


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
) -> pd.DataFrame:
    """Past victims ranked by their current risk of being shot again (researchers only).

    The risk is the conditional probability of a re-victimization within ``horizon_days``,
    given the time already survived since the last shooting, from a Cox model of the time
    from a first (non-fatal) victimization to the next one
    (:func:`workbench.survival.revictimization_table`) with ``covariates``. Current exposure
    is shown beside it: co-arrestees shot in the last year (when arrests are present) and
    shootings in the person's area in the last year.

    Returns
    -------
    DataFrame
        ``rank``, ``person_id``, ``area_id``, ``years_since_last``, ``victimizations``,
        ``risk`` (0..1), ``contacts_shot_past_year`` (NaN without arrests),
        ``area_shootings_past_year``, ``referred``; highest risk first.
    """
    from lifelines import CoxPHFitter

    from workbench.survival.revictimization import revictimization_table

    as_of = past.attrs["as_of"]
    rv = revictimization_table(dataset)
    cols = [c for c in covariates if c in rv.columns and rv[c].notna().any() and rv[c].astype(float).nunique() > 1]
    d = rv[cols + ["days", "event"]].copy()
    d["e"] = d["event"].eq("revictimized")
    d = d.drop(columns="event").dropna()
    med = d[cols].median()

    # current covariates of the past victims
    cur = past[["person_id", "area_id", "years_since_last", "victimizations", "referred", "days_since_last"]].copy()
    pr = rv.set_index("person_id")
    for c in cols:
        cur[c] = cur["person_id"].map(pr[c]) if c in pr.columns else np.nan
    cur[cols] = cur[cols].astype(float).fillna(med)
    area_now = _area_counts_now(dataset, as_of)
    cur["area_shootings_past_year"] = cur["area_id"].map(area_now).fillna(0).astype(int)
    if "area_shootings_prior_year" in cols:
        cur["area_shootings_prior_year"] = cur["area_shootings_past_year"].astype(float)
    cur["contacts_shot_past_year"] = _network_now(dataset, cur["person_id"], as_of)

    risk = np.full(len(cur), np.nan)
    if len(cur) and d["e"].sum() >= 5 and cols:
        cph = CoxPHFitter(penalizer=0.01)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph.fit(d, duration_col="days", event_col="e")
        base = cph.baseline_cumulative_hazard_.iloc[:, 0]
        bt = base.index.to_numpy(float)
        bh = base.to_numpy(float)

        def H0(t: np.ndarray) -> np.ndarray:
            i = np.searchsorted(bt, t, side="right") - 1
            return np.where(i >= 0, bh[np.clip(i, 0, None)], 0.0)

        s = cur["days_since_last"].to_numpy(float)
        hr = cph.predict_partial_hazard(cur[cols]).to_numpy(float)
        risk = 1.0 - np.exp(-(H0(s + horizon_days) - H0(s)) * hr)
    cur["risk"] = risk
    cur = cur.sort_values(["risk", "contacts_shot_past_year", "area_shootings_past_year"],
                          ascending=False, na_position="last").reset_index(drop=True)
    cur.insert(0, "rank", np.arange(1, len(cur) + 1))
    cur.attrs.update(horizon_days=horizon_days, covariates=cols, as_of=as_of)
    return cur[["rank", "person_id", "area_id", "years_since_last", "victimizations", "risk",
                "contacts_shot_past_year", "area_shootings_past_year", "referred"]]


def _area_counts_now(dataset: Dataset, as_of: pd.Timestamp) -> pd.Series:
    inc = dataset["incidents"]
    areas = incident_areas(dataset)
    shot = inc["incident_id"].isin(dataset["victimizations"]["incident_id"]) if dataset.has("victimizations") \
        else inc["kind"].ne("shots_fired")
    recent = shot & (inc["occurred_at"] <= as_of) & (inc["occurred_at"] > as_of - pd.Timedelta(days=365))
    return areas[recent.to_numpy()].value_counts()


def _network_now(dataset: Dataset, person_ids: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    if not dataset.has("arrests") or not len(person_ids):
        return np.full(len(person_ids), np.nan)
    from workbench.network import coarrest_graph, network_exposure, victimization_events

    g = coarrest_graph(dataset["arrests"], as_of=as_of)
    ev = victimization_events(dataset["victimizations"], dataset["incidents"])
    exp = network_exposure(g, ev, as_of=as_of, window_days=365.0)
    return person_ids.map(exp["n_victims_1"]).fillna(0).to_numpy(float)
