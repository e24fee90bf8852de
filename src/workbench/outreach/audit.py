"""Fairness audit of the outreach list: who is reached first, by group, and is the risk honest.

The project standard: every person-level risk list comes with its calibration and selection
rates by group. :func:`outreach_audit` takes the ranking of :func:`outreach_priority`, puts the
top ``top_n`` people on the outreach list and reports

- the **selection rate** by race/ethnicity, sex and age group (people table; age at ``as_of``)
  with disparity ratios and flags from :func:`workbench.fairness.fairness_audit`;
- when the data cover the whole horizon after ``as_of``: whether each person was shot again
  in ``(as_of, as_of + horizon_days]``, the capture and false positive rates by group, and
  **calibration** (predicted risk vs observed re-victimization) by group and by decile.
  When the horizon runs past the data end the outcome is unknown: the audit says so
  (``calibration_available=False``, ``note``) and holds the selection audit only.

Every table is aggregate (no person ids); suppress small counts before showing them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.data.timestamps import local_timestamp
from workbench.data.dataset import Dataset
from workbench.fairness import age_group, disparity_flags, fairness_audit
from workbench.network.risklist import calibration_table
from workbench.privacy import count_text
from workbench.response.tables import data_end as _data_end
from workbench.survival.engagement import victimization_times

__all__ = ["ATTRIBUTES", "OutreachAudit", "outreach_audit", "outreach_audit_frame"]

#: Protected attributes audited (columns of the people table; age group from birth year).
ATTRIBUTES: tuple[str, ...] = ("race_ethnicity", "sex", "age_group")

#: Audit columns that need the outcome (blanked when the horizon runs past the data end).
_OUTCOME_COLUMNS: tuple[str, ...] = (
    "capture_rate", "false_positive_rate", "observed_rate", "mean_predicted", "calibration",
    "capture_rate_ratio", "false_positive_rate_ratio", "calibration_ratio",
)


@dataclass
class OutreachAudit:
    """Aggregate fairness audit of an outreach list (safe to show after count suppression).

    Attributes
    ----------
    audit : DataFrame
        :func:`workbench.fairness.audit_table` rows per (attribute, group); outcome columns are
        NaN (and ``n_outcome``/``tp``/``fp`` zero) when ``calibration_available`` is False.
    flags : DataFrame
        :func:`workbench.fairness.disparity_flags` of ``audit``.
    calibration : DataFrame or None
        Predicted vs observed by decile of risk (``bin``, ``n``, ``sum_predicted``,
        ``n_outcome``, ``mean_predicted``, ``observed_rate``); None without the outcome.
    calibration_available : bool
        True when the data cover ``(as_of, as_of + horizon_days]``.
    top_n : int
        People on the list (the top of the ranking; fewer when fewer are ranked).
    as_of, horizon_end, data_end : Timestamp
        The list date, the end of the outcome window and the last timestamp in the data.
    horizon_days : float
        Outcome window, days.
    note : str
        One plain-language sentence on what the audit could and could not measure.

    The results are also read as ``summary_``/``audit_``, ``flags_`` and ``calibration_``.
    """

    audit: pd.DataFrame
    flags: pd.DataFrame
    calibration: pd.DataFrame | None
    calibration_available: bool
    top_n: int
    as_of: pd.Timestamp
    horizon_end: pd.Timestamp
    data_end: pd.Timestamp
    horizon_days: float
    note: str

    # the workbench's estimator names for the results (top_n, as_of, horizon_days are settings)
    @property
    def audit_(self) -> pd.DataFrame:
        """``audit``."""
        return self.audit

    @property
    def summary_(self) -> pd.DataFrame:
        """``audit``: the per-group table."""
        return self.audit

    @property
    def flags_(self) -> pd.DataFrame:
        """``flags``."""
        return self.flags

    @property
    def calibration_(self) -> pd.DataFrame | None:
        """``calibration``."""
        return self.calibration


def _ts(value, tz: str) -> pd.Timestamp:
    return local_timestamp(value, tz)


def outreach_audit_frame(
    dataset: Dataset,
    priority: pd.DataFrame,
    top_n: int,
    as_of: pd.Timestamp,
    horizon_days: float,
) -> pd.DataFrame:
    """One row per ranked person: groups, ``selected``, ``outcome``, ``probability`` (researchers only).

    Parameters
    ----------
    dataset : Dataset
        ``people`` (race/ethnicity, sex, birth year; missing -> ``"unknown"``) and
        ``victimizations`` (the outcome).
    priority : DataFrame
        From :func:`outreach_priority`: ``rank``, ``person_id``, ``risk``.
    top_n : int
        People with ``rank <= top_n`` are selected.
    as_of : Timestamp
        List date (tz-aware); age is ``as_of.year - birth_year``.
    horizon_days : float
        Outcome: shot (fatally or not) in ``(as_of, as_of + horizon_days]``.

    Returns
    -------
    DataFrame
        ``person_id``, ``race_ethnicity``, ``sex``, ``age_group``, ``selected``, ``outcome``,
        ``probability`` -- in the order of ``priority``.
    """
    if top_n < 0:
        raise ValueError(f"top_n must be >= 0, got {top_n!r}")
    ids = priority["person_id"].astype(str)
    f = pd.DataFrame({"person_id": ids.to_numpy()})
    if dataset.has("people"):
        ppl = dataset["people"].drop_duplicates("person_id").set_index("person_id")
    else:
        ppl = pd.DataFrame(index=pd.Index([], name="person_id"))
    for c in ("race_ethnicity", "sex"):
        f[c] = ids.map(ppl[c]).fillna("unknown").astype(str).to_numpy() if c in ppl.columns else "unknown"
    birth = ids.map(ppl["birth_year"]).astype(float) if "birth_year" in ppl.columns else pd.Series(np.nan, ids.index)
    f["age_group"] = age_group(as_of.year - birth.to_numpy(float)).to_numpy()
    f["selected"] = priority["rank"].to_numpy() <= top_n
    v = victimization_times(dataset)
    end = as_of + pd.Timedelta(days=float(horizon_days))
    shot = v.loc[(v["occurred_at"] > as_of) & (v["occurred_at"] <= end), "person_id"].astype(str)
    f["outcome"] = ids.isin(set(shot)).to_numpy()
    f["probability"] = priority["risk"].to_numpy(float)
    return f


def outreach_audit(
    dataset: Dataset,
    priority: pd.DataFrame,
    top_n: int = 50,
    as_of: str | pd.Timestamp | None = None,
    horizon_days: float | None = None,
    bound: tuple[float, float] = (0.8, 1.25),
    min_n: int = 30,
    min_events: int = 10,
    min_count: int = 1,
) -> OutreachAudit:
    """Selection rates, calibration and disparity flags of the top-``top_n`` outreach list.

    Parameters
    ----------
    dataset : Dataset
        The data the ranking came from (``people`` for groups, ``victimizations`` for the outcome).
    priority : DataFrame
        From :func:`outreach_priority` (its ``attrs`` give the default ``as_of`` and horizon).
    top_n : int, default 50
        Size of the outreach list (people with ``rank <= top_n``).
    as_of : str or Timestamp, optional
        Date of the list (naive dates are local); default ``priority.attrs["as_of"]``.
    horizon_days : float, optional
        Outcome window after ``as_of``, days; default ``priority.attrs["horizon_days"]`` (the
        horizon the risk was computed for).
    bound : (float, float), default (0.8, 1.25)
        Disparity ratios outside are flagged (the four-fifths rule).
    min_n : int, default 30
        Groups with fewer ranked people are unreliable: ratios missing, never flagged.
    min_events : int, default 10
        Smallest denominator for a ratio (see :func:`workbench.fairness.audit_table`).
    min_count : int, default 1
        Privacy threshold of the page: the list size in ``note`` is suppressed below it
        (:func:`workbench.privacy.count_text`).

    Returns
    -------
    OutreachAudit
        Aggregate tables only. When ``as_of + horizon_days`` is after the data end the outcome
        is unknown: ``calibration_available`` is False, ``calibration`` None, the outcome
        columns of ``audit`` blank and only selection disparities are flagged.

    Raises
    ------
    ValueError
        When ``priority`` is empty or ``top_n`` is negative.

    Examples
    --------
    The top 10 of the outreach list of the tiny synthetic city on 1 June 2024 (the outcome year
    is covered by the data, so calibration is measured):

    >>> from workbench.synth import generate_city
    >>> from workbench.outreach import outreach_audit, outreach_priority, past_victims
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> past = past_victims(ds, program_start="2024-01-01", as_of="2024-06-01")
    >>> au = outreach_audit(ds, outreach_priority(ds, past, covariates=("age", "male")), top_n=10)
    >>> au.top_n, au.summary_ is au.audit, {"attribute", "group", "selection_rate"} <= set(au.audit_.columns)
    (10, True, True)
    """
    if not len(priority):
        raise ValueError("priority is empty: there is no outreach list to audit")
    tz = dataset.timezone
    as_of = pd.Timestamp(priority.attrs["as_of"]) if as_of is None else _ts(as_of, tz)
    as_of = _ts(as_of, tz)
    horizon = float(priority.attrs.get("horizon_days", 365.0) if horizon_days is None else horizon_days)
    end = as_of + pd.Timedelta(days=horizon)
    d_end = _data_end(dataset)
    available = bool(end <= d_end) and bool(priority["risk"].notna().any())
    frame = outreach_audit_frame(dataset, priority, top_n, as_of, horizon)
    audit = fairness_audit(frame, ATTRIBUTES, "selected", "outcome", "probability" if available else None,
                           bound=bound, min_n=min_n, min_events=min_events)
    if not available:
        audit[["n_outcome", "tp", "fp"]] = 0
        audit["n_negative"] = audit["n"]
        audit[list(_OUTCOME_COLUMNS)] = np.nan
        audit["sum_predicted"] = np.nan
        r = audit["selection_rate_ratio"]
        audit["flags"] = np.where((r < bound[0]) | (r > bound[1]), "selection_rate", "")
        audit["flagged"] = audit["flags"] != ""
    calibration = None
    n_sel = int(frame["selected"].sum())
    shown = count_text(n_sel, min_count, words=True)
    shown = f"the {shown}" if shown[:1].isdigit() else shown  # "the 50" / "fewer than 11"
    everyone = " (every ranked person, so selection rates are equal by construction)" if n_sel == len(frame) else ""
    if available:
        ok = np.isfinite(frame["probability"].to_numpy(float))
        calibration = calibration_table(frame["probability"].to_numpy(float)[ok],
                                        frame["outcome"].to_numpy(bool)[ok], n_bins=10)
        note = (f"The outreach list holds {shown} highest-risk past victims as of {as_of:%Y-%m-%d}{everyone}; "
                f"predicted risk is compared with who was actually shot again in the following "
                f"{horizon:g} days.")
    else:
        note = (f"The outreach list holds {shown} highest-risk past victims as of {as_of:%Y-%m-%d}{everyone}; the "
                f"{horizon:g}-day horizon runs to {end:%Y-%m-%d}, past the end of the data ({d_end:%Y-%m-%d}), "
                "so who is shot again is not yet known and only selection rates are audited, not calibration.")
    return OutreachAudit(audit=audit, flags=disparity_flags(audit), calibration=calibration,
                         calibration_available=available, top_n=n_sel, as_of=as_of, horizon_end=end,
                         data_end=d_end, horizon_days=horizon, note=note)
