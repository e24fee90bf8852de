"""One row per referral: time to engagement and the competing outcome that ended follow-up.

Time zero is the referral. For the **engagement analysis** (Kaplan-Meier, Cox) the event is the
first follow-up with outcome ``engaged``; a decline ends follow-up (censored at the decline),
and everyone else is censored at the end of observation (the data end, or ``window_days``
after the referral when the program stops following referrals up after a fixed window).

For the **competing-outcomes analysis** (Aalen-Johansen, cause-specific Cox) the first of four
events ends follow-up:

- ``engaged`` -- first follow-up with outcome ``engaged``;
- ``declined`` -- first follow-up with outcome ``declined``;
- ``revictimized`` -- the person is shot again (a victimization after the referral);
- ``lost`` -- lost to follow-up: no further attempt for ``lost_after_days`` after the last
  unsuccessful attempt (or after the referral when there was none), dated at that moment;

and referrals with none of them before the end of observation are ``censored``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.data.dataset import Dataset
from workbench.response.tables import ResponseData, prepare_response_data

__all__ = ["OUTCOMES", "engagement_table", "victimization_times"]

#: Competing outcomes in display order (``censored`` is not an event).
OUTCOMES: tuple[str, ...] = ("engaged", "declined", "revictimized", "lost")

_DAY = 86400.0


def victimization_times(dataset: Dataset) -> pd.DataFrame:
    """Every victimization with its time: ``person_id``, ``incident_id``, ``occurred_at``, ``fatal``.

    Sorted by person and time. Empty without ``victimizations``.
    """
    if not dataset.has("victimizations"):
        return pd.DataFrame({"person_id": pd.Series([], dtype=object), "incident_id": pd.Series([], dtype=object),
                             "occurred_at": pd.Series([], dtype=f"datetime64[ns, {dataset.timezone}]"),
                             "fatal": pd.Series([], dtype=bool)})
    inc = dataset["incidents"][["incident_id", "occurred_at"]]
    v = dataset["victimizations"].merge(inc, on="incident_id", how="inner")
    v["occurred_at"] = v["occurred_at"].dt.tz_convert(dataset.timezone)
    return v.sort_values(["person_id", "occurred_at"], kind="stable").reset_index(drop=True)[
        ["person_id", "incident_id", "occurred_at", "fatal"]]


def _days(a: pd.Series, b: pd.Series | pd.Timestamp) -> np.ndarray:
    return ((a - b).dt.total_seconds() / _DAY).to_numpy(dtype=float)


def engagement_table(
    dataset: Dataset,
    data: ResponseData | None = None,
    window_days: float | None = None,
    lost_after_days: float = 30.0,
) -> pd.DataFrame:
    """Referral-level survival table for the engagement and competing-outcomes analyses.

    Parameters
    ----------
    dataset : Dataset
        Needs ``responses`` and ``referrals``; uses ``followups``, ``people`` (age) and
        ``victimizations`` (prior and later victimizations) when present.
    data : ResponseData, optional
        Already prepared (:func:`~workbench.response.prepare_response_data`); prepared here if
        not given (which raises :class:`~workbench.data.DataError` on bad records).
    window_days : float, optional
        Follow-up stops this many days after the referral (administrative censoring).
    lost_after_days : float, default 30
        Days without a further attempt after which a referral counts as lost to follow-up.

    Returns
    -------
    DataFrame
        One row per referral: ``referral_id``, ``person_id``, ``service``, ``provider``,
        ``responder_type``, ``agency``, ``recipient``, ``referred_at``, ``on_scene_min``,
        ``age`` (years at referral, NaN when the birth year is unknown),
        ``prior_victimizations`` (before the shooting the referral came from),
        ``days`` (days to engagement, or to censoring) and ``engaged`` (bool) for the
        engagement analysis, ``outcome`` (one of :data:`OUTCOMES` or ``censored``) and
        ``outcome_days`` for the competing-outcomes analysis.
    """
    data = prepare_response_data(dataset) if data is None else data
    ref = data.referrals.reset_index(drop=True)
    n = len(ref)
    fu = data.followups
    end_days = _days(pd.Series(data.data_end, index=ref.index), ref["referred_at"])
    if window_days is not None:
        end_days = np.minimum(end_days, float(window_days))

    def first(outcome: str) -> np.ndarray:
        f = fu[fu["outcome"] == outcome].groupby("referral_id")["attempted_at"].min()
        t = ref["referral_id"].map(f)
        return np.where(t.notna(), _days(t, ref["referred_at"]), np.inf)

    t_eng, t_dec = first("engaged"), first("declined")
    unsucc = fu[fu["outcome"].isin(["unreachable", "scheduled"])].groupby("referral_id")["attempted_at"].max()
    last = ref["referral_id"].map(unsucc)
    t_last = np.where(last.notna(), _days(last, ref["referred_at"]), 0.0)
    t_lost = t_last + float(lost_after_days)

    # victimizations of the person before the shooting and after the referral
    vt = victimization_times(dataset)
    prior = np.zeros(n, dtype=np.int64)
    t_rev = np.full(n, np.inf)
    if len(vt):
        pairs = ref[["person_id", "occurred_at", "referred_at"]].reset_index().merge(
            vt[["person_id", "occurred_at"]].rename(columns={"occurred_at": "v_at"}), on="person_id")
        before = pairs["v_at"] < pairs["occurred_at"]
        prior = np.bincount(pairs.loc[before, "index"].to_numpy(), minlength=n).astype(np.int64)
        after = pairs[pairs["v_at"] > pairs["referred_at"]]
        nxt = after.groupby("index")["v_at"].min()
        t_rev[nxt.index.to_numpy()] = _days(nxt, ref.loc[nxt.index, "referred_at"])

    # engagement analysis: engaged first, else censored at decline or end of observation
    engaged = (t_eng <= t_dec) & (t_eng <= end_days)
    days = np.where(engaged, t_eng, np.minimum(t_dec, end_days))

    # competing outcomes: the first of the four events
    times = np.column_stack([t_eng, t_dec, t_rev, t_lost])
    which = np.argmin(times, axis=1)
    t_first = times[np.arange(n), which]
    has = t_first <= end_days
    outcome = np.where(has, np.asarray(OUTCOMES, dtype=object)[which], "censored")
    outcome_days = np.where(has, t_first, end_days)

    age = np.full(n, np.nan)
    if dataset.has("people") and "birth_year" in dataset["people"].columns:
        by = ref["person_id"].map(dataset["people"].set_index("person_id")["birth_year"])
        t = ref["referred_at"].dt.tz_convert(data.timezone)
        year_frac = t.dt.year + (t.dt.dayofyear - 1 + t.dt.hour / 24.0) / 365.25
        age = (year_frac - pd.to_numeric(by, errors="coerce")).to_numpy(dtype=float)

    out = ref[["referral_id", "person_id", "service", "provider", "responder_type", "agency",
               "recipient", "referred_at", "on_scene_min"]].copy()
    out["age"] = age
    out["prior_victimizations"] = prior
    out["days"] = np.maximum(days, 0.0)
    out["engaged"] = engaged
    out["outcome"] = outcome
    out["outcome_days"] = np.maximum(outcome_days, 0.0)
    return out
