"""One row per referral: time to engagement and the competing outcome that ended follow-up.

Time zero is the referral. The first of these events ends the follow-up of a referral:

- ``engaged`` -- first follow-up with outcome ``engaged``;
- ``declined`` -- first follow-up with outcome ``declined``;
- ``revictimized`` -- the person is shot again (a victimization after the referral);
- ``lost`` -- lost to follow-up (see *Loss to follow-up* below);

and referrals with none of them before the end of observation (the data end, or
``window_days`` after the referral) are ``censored`` then.

**One censoring rule** (``censoring``) serves every analysis of the table -- Kaplan-Meier and
Cox of the time to engagement, Aalen-Johansen, cause-specific Cox and Fine-Gray:

- ``"competing"`` (default): all four events end follow-up. The engagement analysis (``days``,
  ``engaged``) is then the cause-specific view: a referral is censored at its decline,
  re-victimization or loss, exactly when the competing-outcomes analysis (``outcome``,
  ``outcome_days``) records that outcome -- the two analyses of the same referrals agree
  (``days == outcome_days`` and ``engaged == (outcome == "engaged")``).
- ``"administrative"``: only engagement and decline end follow-up; re-victimized and
  unreached people stay at risk of engaging until the end of observation (the rule of earlier
  versions of this module). The competing outcomes are then ``engaged`` and ``declined`` only.

The rule and the causes it leaves are stored in ``table.attrs`` (``censoring``, ``causes``,
``lost_rule``, ``followup_records``) and :func:`censoring_text` states it for a page.

**Loss to follow-up.** How it is dated depends on what the follow-up records carry
(``followup_records``):

- ``"attempts"`` -- every attempt is recorded: a referral is lost when no further attempt
  of any kind followed the last one (or the referral, when there was none) for
  ``lost_after_days``, dated at that moment;
- ``"final"`` -- only each referral's final outcome is recorded (at most one record per
  referral): gaps between attempts cannot be seen, so nobody is *inferred* lost; a final
  ``unreachable`` record is a loss dated at that record, and a referral without a final
  outcome stays unresolved (censored at the end of observation), never silently "lost";
- ``"auto"`` (default) -- ``"final"`` when no referral has more than one record, else
  ``"attempts"``.

``lost_after_days=None`` turns loss off altogether.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.data.dataset import Dataset
from workbench.response.tables import ResponseData, prepare_response_data

__all__ = ["CENSORING_RULES", "OUTCOMES", "censoring_text", "engagement_table", "victimization_times"]

#: Competing outcomes in display order (``censored`` is not an event).
OUTCOMES: tuple[str, ...] = ("engaged", "declined", "revictimized", "lost")

#: Censoring rules of :func:`engagement_table` and the outcomes that end follow-up under each.
CENSORING_RULES: dict[str, tuple[str, ...]] = {"competing": OUTCOMES, "administrative": ("engaged", "declined")}

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
    lost_after_days: float | None = 30.0,
    censoring: str = "competing",
    followup_records: str = "auto",
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
    lost_after_days : float or None, default 30
        Days without a further attempt after which a referral counts as lost to follow-up
        (``followup_records="attempts"``); None: nobody is counted lost.
    censoring : {"competing", "administrative"}, default "competing"
        Which events end follow-up, for every analysis of the table (see the module notes).
    followup_records : {"auto", "attempts", "final"}, default "auto"
        Whether the follow-ups record every attempt or only final outcomes (see the module
        notes); ``"auto"`` decides from the data.

    Returns
    -------
    DataFrame
        One row per referral: ``referral_id``, ``person_id``, ``service``, ``provider``,
        ``responder_type``, ``agency``, ``recipient``, ``referred_at``, ``on_scene_min``,
        ``age`` (years at referral, NaN when the birth year is unknown),
        ``prior_victimizations`` (before the shooting the referral came from),
        ``days`` (days to engagement, or to censoring) and ``engaged`` (bool) for the
        engagement analysis, ``outcome`` (one of the causes of the rule or ``censored``) and
        ``outcome_days`` for the competing-outcomes analysis. ``attrs`` hold ``censoring``,
        ``causes``, ``followup_records``, ``lost_after_days`` and ``lost_rule``.

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> t = engagement_table(generate_city("tiny", seed=3).dataset)
    >>> t.attrs["censoring"], bool((t["days"] == t["outcome_days"]).all())
    ('competing', True)
    """
    if censoring not in CENSORING_RULES:
        raise ValueError(f"censoring must be one of {sorted(CENSORING_RULES)}, not {censoring!r}")
    if followup_records not in ("auto", "attempts", "final"):
        raise ValueError(f"followup_records must be 'auto', 'attempts' or 'final', not {followup_records!r}")
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
    if followup_records == "auto":
        per_ref = fu.groupby("referral_id").size()
        followup_records = "attempts" if len(per_ref) and int(per_ref.max()) > 1 else "final"
    if lost_after_days is None:
        t_lost = np.full(n, np.inf)
        lost_rule = "Nobody is counted lost to follow-up: open referrals are followed to the end of observation."
    elif followup_records == "attempts":
        last = ref["referral_id"].map(fu.groupby("referral_id")["attempted_at"].max())
        t_last = np.where(last.notna(), _days(last, ref["referred_at"]), 0.0)
        t_lost = t_last + float(lost_after_days)
        lost_rule = (f"A referral counts as lost to follow-up when no further attempt followed the last one (or "
                     f"the referral) for {float(lost_after_days):g} days, dated at that moment.")
    else:
        t_lost = first("unreachable")
        lost_rule = ("These follow-up records carry only final outcomes, so nobody is inferred lost from gaps "
                     "between attempts: a final 'unreachable' record counts as lost at its date, and a referral "
                     "without a final outcome stays open (censored at the end of observation).")

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

    # the first event that ends follow-up under the censoring rule (ties: the order of OUTCOMES)
    causes = CENSORING_RULES[censoring]
    all_times = {"engaged": t_eng, "declined": t_dec, "revictimized": t_rev, "lost": t_lost}
    times = np.column_stack([all_times[c] for c in causes]) if n else np.zeros((0, len(causes)))
    which = np.argmin(times, axis=1)
    t_first = times[np.arange(n), which]
    has = t_first <= end_days
    outcome = np.where(has, np.asarray(causes, dtype=object)[which], "censored")
    outcome_days = np.where(has, t_first, end_days)
    # the engagement analysis is the same follow-up with engagement as the event
    engaged = outcome == "engaged"
    days = outcome_days

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
    out["engaged"] = engaged.astype(bool)
    out["outcome"] = outcome
    out["outcome_days"] = np.maximum(outcome_days, 0.0)
    out.attrs.update(censoring=censoring, causes=causes, followup_records=followup_records,
                     lost_after_days=lost_after_days, lost_rule=lost_rule)
    return out


def censoring_text(table: pd.DataFrame) -> str:
    """The censoring and loss-to-follow-up rules of an :func:`engagement_table`, as sentences for a page."""
    rule = table.attrs.get("censoring", "competing")
    if rule == "competing":
        text = ("Follow-up of a referral ends at the first of engagement, decline, re-victimization and loss to "
                "follow-up; the time-to-engagement curves and models count a referral until then and no longer "
                "(it is censored there), so every analysis on this page follows the same referrals for the same time.")
    else:
        text = ("Follow-up of a referral ends at engagement or decline only: people who were shot again or not "
                "reached stay counted as open until the end of observation.")
    return text + " " + table.attrs.get("lost_rule", "")
