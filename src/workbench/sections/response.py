"""The response page (notebook 03): who responds and how fast, referrals, time to engagement,
what goes with faster engagement, how follow-up ends and who is shot again.

Every function returns display-ready :class:`~workbench.sections.Item` s: tables with their
counts suppressed through :mod:`workbench.privacy` (and the shares, rates and times computed from
a hidden count hidden with it), plain readings in human units (minutes on scene, days to
engagement) and figure inputs keyed by the kind of chart (``"trend"``, ``"scene"``, ``"km"``,
``"hazard_ratios"``, ``"incidence"``, ``"revictimization"``: the keyword arguments of the
matching :mod:`workbench.plots.response` function). In page order:

- :func:`response_section` -- the heading, co-response coverage, time on scene and the data
  checks, referrals and follow-ups (:class:`ResponseSection`);
- :func:`engagement_section` -- the referral-level table of every survival analysis under one
  censoring rule (:class:`EngagementSection`); then the fits on it, each allowed to fail and
  saying why: :func:`km_items` (Kaplan-Meier curves), :func:`cox_items` (Cox model and its
  proportional-hazards check), :func:`incidence_items` (Aalen-Johansen curves),
  :func:`competing_items` (cause-specific Cox beside Fine-Gray) and :func:`notes_item` (what
  could not be estimated, and why);
- :func:`revictimization_section` (shot again) and :func:`comparison_items` (by engagement).

Charts with more than :data:`KEEP_GROUPS` groups draw the largest ones and one "other" group
computed on the pooled rows (a Kaplan-Meier curve refitted on them, not a sum of curves); a
reading says which groups were pooled. A small city, a short window or a sparse export is valid
input: nothing here raises on it, and the page says what it could not estimate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench import response as R  # lazy packages: lifelines is imported on the first fit
from workbench import survival as S
from workbench.data.dataset import Dataset
from workbench.data.timestamps import local_timestamp
from workbench.data.errors import DataError
from workbench.escape import md_text
from workbench.formatting import MISSING, format_p, human_value, policy_table
from workbench.privacy import count_text, enough, suppress_counts, suppressed_mask

from ._common import Item

if TYPE_CHECKING:  # pragma: no cover
    from workbench.response import ResponseData
    from workbench.survival import CoxResult, KMResult

__all__ = ["HORIZONS", "KEEP_GROUPS", "KM_GROUPINGS", "EngagementSection", "ResponseSection",
           "RevictimizationSection", "comparison_items", "competing_items", "coverage_readings", "cox_items",
           "cox_readings", "engagement_section", "fit_errors", "grouped_km", "incidence_items",
           "incidence_readings", "km_items", "km_readings", "notes_item", "pool_groups", "response_section",
           "revictimization_section", "scene_readings"]

#: Days at which the cumulative incidence of each outcome is read.
HORIZONS: tuple[float, ...] = (30.0, 60.0, 90.0, 120.0)

#: Groupings of the Kaplan-Meier curves: column -> label.
KM_GROUPINGS: dict[str, str] = {"service": "service", "provider": "provider", "responder_type": "responder type"}

#: Groups a chart draws by name; the rest are pooled into one "other" group.
KEEP_GROUPS = 8


def fit_errors() -> tuple[type[BaseException], ...]:
    """What a fit that is allowed to fail raises (the item then says why): ``ValueError``,
    :class:`~workbench.data.DataError`, lifelines' ``ConvergenceError``, numpy's ``LinAlgError``
    and ``ZeroDivisionError``."""
    from lifelines.exceptions import ConvergenceError

    return (ValueError, DataError, ConvergenceError, np.linalg.LinAlgError, ZeroDivisionError)


_HR = ["column", "hazard_ratio", "hr_lower", "hr_upper", "p"]
_NO_REFERRALS = ("There are no referral records in these data. Referrals and follow-ups, the time to "
                 "engagement, the Cox model, competing outcomes and the comparison by engagement all need "
                 "them and are left out.")


# ---- tables and groups ------------------------------------------------------------------------

def _words(x: Any) -> str:
    """A group name or code as literal Markdown text (``"mental_health"`` -> ``"mental health"``)."""
    return md_text(str(x).replace("_", " "))


def _days(x: float) -> str:
    return f"{x:.0f} days"


def _table(df: pd.DataFrame, counts: Sequence[str] = (), min_count: int = 11, *, precision: int = 2,
           shares: Iterable[str] = (), derived: Mapping[str, Sequence[str]] | None = None,
           index: bool = False) -> tuple[pd.DataFrame, str]:
    """A display-ready table: counts suppressed, figures of a hidden count hidden, numbers formatted.

    ``derived`` maps a column (a share, rate or time) to the count columns it is computed from,
    the base count first: it is hidden (shown as :data:`~workbench.formatting.MISSING`) where its
    base count is too small to show anything computed from it (:func:`workbench.privacy.enough`)
    or any of its counts is suppressed (a shown share of a hidden count would give it back).
    Returns the table (text cells, human column labels) and the suppression footnote (empty when
    nothing was suppressed).
    """
    out, footnote = suppress_counts(df, list(counts), min_count) if counts else (df.copy(), "")
    hidden_derived = False
    for col, base in (derived or {}).items():
        if col not in df.columns:
            continue
        hide = ~enough(df[base[0]].to_numpy(), min_count)
        for c in base:
            hide |= suppressed_mask(df[c].to_numpy(), min_count)
        hide &= df[col].notna().to_numpy()
        hidden_derived |= bool(hide.any())
        out[col] = out[col].astype(object).where(~hide, None)
    if hidden_derived:
        footnote = (footnote + " " if footnote else "") + (
            f"Shares, rates and times computed from fewer than {min_count} records are not shown ({MISSING}).")
    return policy_table(out, precision=precision, shares=shares, index=index).data, footnote


def pool_groups(labels: pd.Series, keep: int | None = None, other: str = "other") -> tuple[pd.Series, list[str]]:
    """Labels with all but the ``keep`` largest groups pooled into one "other" group.

    Parameters
    ----------
    labels : Series
        One group label per record (provider, service, agency, ...); missing labels are a group
        ``"unknown"``.
    keep : int, optional
        Groups kept by name (the largest by number of records, ties by name); default
        :data:`KEEP_GROUPS` (8).
    other : str, default "other"
        Label of the pooled group; the number of groups it holds is appended.

    Returns
    -------
    labels : Series of str
        Same index; unchanged when there are at most ``keep`` groups.
    pooled : list of str
        The groups pooled (empty when none).

    Examples
    --------
    >>> s = pd.Series(list("aaabbcdefghijk"))
    >>> out, pooled = pool_groups(s, keep=2)
    >>> out.value_counts().to_dict(), pooled[:3]
    ({'other (9 groups)': 9, 'a': 3, 'b': 2}, ['c', 'd', 'e'])
    """
    keep = KEEP_GROUPS if keep is None else int(keep)
    s = labels.astype(object).where(labels.notna(), "unknown").astype(str)
    size = s.value_counts()
    order = sorted(size.index, key=lambda g: (-int(size[g]), g))
    if len(order) <= keep:
        return s, []
    kept, pooled = order[:keep], sorted(order[keep:])
    label = f"{other} ({len(pooled)} group{'s' if len(pooled) != 1 else ''})"
    while label in size.index:  # a real group of that name is never merged into the pool
        label = f"all {label}"
    return s.where(s.isin(kept), label), pooled


def _pooled_reading(label: str, n_groups: int, pooled: list[str]) -> str:
    return (f"The chart draws the {n_groups - len(pooled)} {label} groups with most records by name and pools "
            f"the other {len(pooled)} of the {n_groups} into one \"other\" group, computed on their records together.")


# ---- plain readings ---------------------------------------------------------------------------

def coverage_readings(overall: pd.DataFrame, by_year: pd.DataFrame, min_count: int) -> list[str]:
    """Sentences on co-response coverage and arrival times (minutes)."""
    out = []
    if len(overall):
        r = overall.iloc[0]
        if enough(r["shootings"], min_count) and not suppressed_mask(np.array([r["covered"]]), min_count)[0]:
            share = f" ({r['share_covered']:.0%})"
        else:
            share = ""
        out.append(f"Of {count_text(r['shootings'], min_count, words=True)} shootings with a victim in the period, "
                   f"{count_text(r['covered'], min_count, words=True)}{share} had a non-police responder on scene.")
        if enough(r["covered"], min_count) and np.isfinite(r["arrival_median_min"]):
            out.append(f"The first non-police responder arrived a median of {r['arrival_median_min']:.0f} minutes "
                       f"after the shooting (half of arrivals between {r['arrival_q1_min']:.0f} and "
                       f"{r['arrival_q3_min']:.0f} minutes).")
    yrs = by_year[enough(by_year["shootings"], min_count) & ~suppressed_mask(by_year["covered"], min_count)]
    if len(yrs) >= 2:
        a, b = yrs.iloc[0], yrs.iloc[-1]
        out.append(f"Coverage went from {a['share_covered']:.0%} in {a['group']} to {b['share_covered']:.0%} "
                   f"in {b['group']}.")
    return out


def scene_readings(scene: pd.DataFrame, min_count: int) -> list[str]:
    """Sentences on time on scene (minutes), naming the longest and shortest median."""
    s = scene[enough(scene["n"], min_count)].sort_values("median_min")
    out = []
    if len(s):
        lo, hi = s.iloc[0], s.iloc[-1]
        out.append(f"Median time on scene ranges from {lo['median_min']:.0f} minutes ({_words(lo['group'])}) "
                   f"to {hi['median_min']:.0f} minutes ({_words(hi['group'])}).")
    excl = int(scene["excluded"].sum())
    out.append("No response record had an impossible time on scene." if excl == 0 else
               f"{count_text(excl, min_count, words=True)} response records with an impossible or missing time "
               "on scene are left out of these figures (see the data checks).")
    return out


def km_readings(medians: pd.DataFrame, logrank: dict | None, by_label: str, min_count: int) -> list[str]:
    """Sentences on the median time to engagement (days) by group and the log-rank test."""
    m = medians[enough(medians["n"], min_count) & ~suppressed_mask(medians["events"].to_numpy(), min_count)]
    out = []
    fin = m[np.isfinite(m["median"].astype(float))].sort_values("median")
    if len(fin) >= 2:
        a, b = fin.iloc[0], fin.iloc[-1]
        out.append(f"By {by_label}, half of referrals had engaged after {a['median']:.0f} days for "
                   f"{_words(a['group'])} and after {b['median']:.0f} days for {_words(b['group'])}.")
    if logrank is not None:
        p = logrank["p_value"]
        out.append(f"The log-rank test {'finds' if p < 0.05 else 'does not find'} a difference between the "
                   f"{by_label} curves ({format_p(p)}; the chance of a difference at least this large if the "
                   "groups engaged equally fast).")
    return out


def cox_readings(summary: pd.DataFrame, concordance: float, failing: list[str]) -> list[str]:
    """Sentences on the strongest hazard ratios, concordance and the assumption check."""
    out = []
    sig = summary[(summary["hr_lower"] > 1) | (summary["hr_upper"] < 1)]
    for _, r in sig.reindex(sig["coef"].abs().sort_values(ascending=False).index).head(3).iterrows():
        faster = r["hazard_ratio"] > 1
        out.append(f"{md_text(human_value(r['column']))}: engagement happens {'faster' if faster else 'slower'} "
                   f"(hazard ratio {r['hazard_ratio']:.2f}, 95% interval {r['hr_lower']:.2f} to "
                   f"{r['hr_upper']:.2f}), other covariates held fixed.")
    out.append(f"The model ranks who engages sooner correctly {concordance:.0%} of the time (concordance; "
               "50% is chance).")
    out.append("The proportional-hazards check passed for every covariate." if not failing else
               "The proportional-hazards check failed for " + ", ".join(md_text(human_value(f)) for f in failing) +
               "; read their hazard ratios as averages over time (a stratified model is shown).")
    return out


def incidence_readings(at: pd.DataFrame, horizon: float) -> list[str]:
    """Sentences on the cumulative incidence of each cause at ``horizon`` days."""
    d = at[(at["time"] == horizon) & at["cif"].notna()]
    if not len(d):
        return []
    parts = [f"{_words(r['cause'])} {r['cif']:.0%}" for _, r in d.iterrows()]
    return [f"Within {horizon:.0f} days of a referral: " + ", ".join(parts) + "."]


# ---- the page's descriptive part --------------------------------------------------------------

@dataclass
class ResponseSection:
    """Result of :func:`response_section`: the heading and the descriptive items of the page.

    Attributes
    ----------
    heading : str
        The page heading and its opening paragraph (Markdown, text from data escaped on display).
    coverage, scene, referrals : list of Item
        Items under *Who responds, and how fast*, *Time on scene* and *Referrals and follow-ups*.
    dataset : Dataset
    data : ResponseData or None
        The checked response tables (None without response records).
    program_start : Timestamp or None
    trend : DataFrame
        :func:`~workbench.response.monthly_trends` (empty without responses).
    min_count, start, end
        The page's parameters.
    """

    heading: str
    coverage: list[Item]
    scene: list[Item]
    referrals: list[Item]
    dataset: Dataset
    data: ResponseData | None
    program_start: pd.Timestamp | None
    trend: pd.DataFrame
    min_count: int = 11
    start: Any = None
    end: Any = None

    @property
    def has_responses(self) -> bool:
        """The data hold response records."""
        return self.data is not None

    @property
    def has_referrals(self) -> bool:
        """The data hold response and referral records."""
        return self.data is not None and self.dataset.has("referrals") and len(self.dataset["referrals"]) > 0

    @property
    def items(self) -> list[Item]:
        """Every item, in page order."""
        return [*self.coverage, *self.scene, *self.referrals]

    def item(self, key: str) -> Item:
        """The item with this key."""
        return next(i for i in self.items if i.key == key)

    def missing(self, key: str, what: str, needs_referrals: bool = True) -> Item:
        """An unavailable item: why, said once (no responses: the heading says it; no referrals: the
        referrals item says it)."""
        if not self.has_responses:
            why = []
        elif needs_referrals and not self.has_referrals:
            why = [_NO_REFERRALS] if key == "referrals" else []
        else:
            why = [f"{what}: not available for these data."]
        return Item(key=key, title=what, readings=why, page="03_response", available=False)


def _item(key: str, title: str, table: pd.DataFrame | None = None, readings: Iterable[str] = (),
          figure: dict | None = None) -> Item:
    return Item(key=key, title=title, readings=[r for r in readings if r], page="03_response",
                table=pd.DataFrame() if table is None else table, figure=figure or {})


def response_section(dataset: Dataset, *, title: str = "Response and follow-up", min_count: int = 11,
                     start: Any = None, end: Any = None, program_start: Any = None) -> ResponseSection:
    """The heading, coverage, time on scene and referral items of the response page.

    Parameters
    ----------
    dataset : Dataset
    title : str
        Page title.
    min_count : int, default 11
        Privacy threshold.
    start, end : str or Timestamp, optional
        Period on the time of the shooting (``end`` exclusive), in the data's time zone.
    program_start : str or Timestamp, optional
        Start of the co-responder program; default the day of the first co-responder arrival.

    Returns
    -------
    ResponseSection

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> sec = response_section(generate_city("tiny", seed=3).dataset)
    >>> [i.key for i in sec.items]
    ['coverage_year', 'coverage_type', 'coverage', 'scene', 'data_checks', 'referrals', 'followups']
    """
    ds, mc = dataset, int(min_count)
    has_responses = ds.has("responses") and len(ds["responses"]) > 0
    if not has_responses:
        heading = (f"## {md_text(title)}\n\nData: **{md_text(ds.name)}**. **There are no response records in these "
                   "data**, so co-response, time on scene, referrals, follow-ups and engagement cannot be "
                   "described, and the sections below are skipped.")
        sec = ResponseSection(heading, [], [], [], ds, None, None, pd.DataFrame(), mc, start, end)
        sec.coverage = [sec.missing("coverage", "Co-response coverage", False)]
        sec.scene = [sec.missing("scene", "Time on scene", False)]
        sec.referrals = [sec.missing("referrals", "Referrals and follow-ups")]
        return sec
    rd = R.prepare_response_data(ds)
    ps = local_timestamp(program_start, ds.timezone)  # a date parameter is a day in the data's zone
    inferred = ps is None
    if inferred:
        ps = R.infer_program_start(ds)
    ps_text = ("not known (no co-responder ever arrived, so there is none to take it from)" if ps is None
               else f"{pd.Timestamp(ps):%Y-%m-%d}" + (" (taken as the day of the first co-responder arrival)"
                                                     if inferred else ""))
    heading = (f"## {md_text(title)}\n\nData: **{md_text(ds.name)}**, times in {md_text(ds.timezone)}; "
               f"data end {rd.data_end:%Y-%m-%d}. Program start: {ps_text}.")
    trend = R.monthly_trends(rd, ps, start, end)
    sec = ResponseSection(heading, [], [], [], ds, rd, ps, trend, mc, start, end)
    sec.coverage = _coverage_items(sec)
    sec.scene = _scene_items(sec)
    sec.referrals = _referral_items(sec)
    return sec


_COVERAGE_DERIVED = {"share_covered": ["shootings", "covered"], "arrival_median_min": ["covered"],
                     "arrival_q1_min": ["covered"], "arrival_q3_min": ["covered"]}


def _coverage_items(sec: ResponseSection) -> list[Item]:
    rd, mc = sec.data, sec.min_count
    cov = R.coresponse_coverage(rd, None, sec.start, sec.end)
    cov_year = R.coresponse_coverage(rd, "year", sec.start, sec.end)
    cov_type = R.coresponse_coverage(rd, "responder_type", sec.start, sec.end)
    year, _ = _table(cov_year.rename(columns={"group": "year"}), ["shootings", "covered"], mc,
                     shares=["share_covered"], derived=_COVERAGE_DERIVED)
    kind, foot = _table(cov_type.rename(columns={"group": "responder type"}), ["shootings", "covered"], mc,
                        shares=["share_covered"], derived=_COVERAGE_DERIVED)
    figure = {}
    if len(sec.trend):
        ok = enough(sec.trend["shootings"], mc)  # a month's share of a few shootings is not shown
        title = "Shootings with a non-police responder, by month" + (
            "" if ok.all() else " (months with few shootings left out)")
        figure = {"trend": {"trend": sec.trend.assign(share_covered=sec.trend["share_covered"].where(ok)),
                            "column": "share_covered", "ylabel": "share of shootings", "title": title,
                            "share": True}}
    return [_item("coverage_year", "Coverage by year", year),
            _item("coverage_type", "Coverage by responder type", kind, [foot]),
            _item("coverage", "Coverage by month", None, coverage_readings(cov, cov_year, mc), figure)]


def _scene_items(sec: ResponseSection) -> list[Item]:
    rd, mc = sec.data, sec.min_count
    scene = R.time_on_scene(rd, "responder_type", sec.start, sec.end)
    minutes = ["median_min", "q1_min", "q3_min", "iqr_min", "mean_min"]
    table, foot = _table(scene.rename(columns={"group": "responder type"}), ["responses", "n", "excluded"], mc,
                         precision=1, derived={c: ["n"] for c in minutes})
    readings, figure = [foot], {}
    values = rd.responses[["responder_type", "on_scene_min"]].dropna()
    size = values.groupby("responder_type")["on_scene_min"].transform("size")
    if not enough(size, mc).all():  # the chart shows no distribution the table hides
        readings.append(f"Responder types with fewer than {mc} timed responses are left out of the chart.")
        values = values[enough(size, mc).to_numpy()]
    if len(values):
        labels, pooled = pool_groups(values["responder_type"])
        if pooled:
            readings.append(_pooled_reading("responder type", labels.nunique() + len(pooled) - 1, pooled))
        figure = {"scene": {"values": values.assign(responder_type=labels)}}
    checks, cfoot = _table(rd.exclusions[["table", "check", "n_rows", "handling"]].rename(
        columns={"n_rows": "records"}), ["records"], mc)
    return [_item("scene", "Time on scene", table, readings + scene_readings(scene, mc), figure),
            _item("data_checks", "Data checks", checks,
                  ["**Data checks.** The table above lists the implausible records found and how they were "
                   "handled.", cfoot])]


def _referral_items(sec: ResponseSection) -> list[Item]:
    if not sec.has_referrals:
        return [sec.missing("referrals", "Referrals and follow-ups")]
    rd, mc = sec.data, sec.min_count
    refs = R.referral_counts(rd, ["service", "provider"], sec.start, sec.end)
    rtable, _ = _table(refs, ["referrals", "victim_referrals", "family_referrals", "people"], mc,
                       derived={"referrals_per_person": ["people", "referrals"],
                                "referrals_per_victim": ["victim_referrals", "referrals"]})
    fr = R.followup_rates(rd, "service", sec.start, sec.end)
    ftable, foot = _table(fr, ["referrals", "attempted", "engaged", "declined"], mc,
                          shares=["attempt_rate", "engagement_rate", "decline_rate"],
                          derived={"attempt_rate": ["referrals", "attempted"],
                                   "engagement_rate": ["referrals", "engaged"],
                                   "decline_rate": ["referrals", "declined"]})
    figure, tr = {}, sec.trend
    if len(tr) and tr["referrals"].sum():
        figure = {"trend": {
            "trend": tr.assign(engagement_rate=tr["engagement_rate"].where(enough(tr["referrals"], mc))),
            "column": "engagement_rate", "ylabel": "share engaged", "share": True,
            "title": "Referrals that led to engagement, by month of the shooting (months with few referrals left out)"}}
    return [_item("referrals", "Referrals by service and provider", rtable),
            _item("followups", "Follow-up by service", ftable, [foot], figure)]


# ---- time to engagement and competing outcomes ------------------------------------------------

@dataclass
class EngagementSection:
    """The referral-level table every survival analysis of the page uses, and what the fits found.

    Attributes
    ----------
    page : ResponseSection
    table : DataFrame
        :func:`~workbench.survival.engagement_table` (empty when there are no referrals or it
        could not be built; ``available`` then False).
    rules : str
        The censoring and loss-to-follow-up rules in words.
    xmax : float
        Right end of the time axes (days).
    ticks : ndarray
        At-risk table times (days).
    covariates : list of str
        Model covariates present and varying in the table.
    results : dict
        The fitted analysis objects, added by each fit function: ``km_all``, ``km_by`` (label ->
        :class:`~workbench.survival.KMResult`), ``cox`` (:class:`~workbench.survival.CoxResult`),
        ``cif``, ``at``, ``cause_specific``, ``fine_gray``.
    notes : list of str
        What could not be estimated, and why (each fit function adds its own).
    available : bool
    reason : str
        Why the table is not available.
    """

    page: ResponseSection
    table: pd.DataFrame
    rules: str = ""
    xmax: float = 1.0
    ticks: np.ndarray = field(default_factory=lambda: np.zeros(1))
    covariates: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    available: bool = True
    reason: str = ""

    @property
    def min_count(self) -> int:
        """The page's privacy threshold."""
        return self.page.min_count

    @property
    def min_events(self) -> int:
        """Events a model needs: ``max(min_count, 10)``."""
        return max(int(self.min_count), 10)

    def missing(self, key: str, what: str) -> Item:
        """An unavailable item saying why."""
        if self.reason:
            return Item(key=key, title=what, readings=[f"{what}: not available, {self.reason}."],
                        page="03_response", available=False)
        return self.page.missing(key, what)


def engagement_section(page: ResponseSection, *, window_days: float | None = None,
                       lost_after_days: float | None = 30.0, censoring: str = "competing",
                       covariates: Sequence[str] | None = None) -> EngagementSection:
    """The referral-level table of the page's survival analyses, under one censoring rule.

    Parameters
    ----------
    page : ResponseSection
    window_days, lost_after_days, censoring
        See :func:`~workbench.survival.engagement_table`.
    covariates : sequence of str, optional
        Covariates of the Cox, cause-specific and Fine-Gray models (those absent or constant in
        the data are left out); default :data:`workbench.survival.DEFAULT_COVARIATES`.

    Returns
    -------
    EngagementSection
        ``available`` False (with ``reason``) without referrals or when the records cannot be
        followed up (:class:`~workbench.data.DataError`, ``ValueError``).
    """
    if not page.has_referrals:
        return EngagementSection(page, pd.DataFrame(), available=False)
    try:
        table = S.engagement_table(page.dataset, page.data, window_days=window_days,
                                   lost_after_days=lost_after_days, censoring=censoring)
    except (DataError, ValueError) as exc:
        return EngagementSection(page, pd.DataFrame(), available=False,
                                 reason=f"the referrals could not be followed up ({exc})")
    n = len(table)
    xmax = float(np.nanpercentile(table["days"], 95)) if n else 0.0
    xmax = max(min(xmax, float(window_days or 180.0)), 1.0)
    ticks = np.arange(0.0, xmax + 1e-9, 15.0 if xmax <= 120 else 30.0)
    wanted = S.DEFAULT_COVARIATES if covariates is None else covariates
    covs = [c for c in wanted if c in table.columns and table[c].nunique(dropna=True) >= 2]
    return EngagementSection(page, table, rules=S.censoring_text(table), xmax=xmax, ticks=ticks,
                             covariates=covs, available=n > 0, reason="" if n else "no referral in the period")


def _km_figure(km: KMResult, eng: EngagementSection, title: str) -> dict:
    return {"km": {"km": km, "min_count": eng.min_count, "title": title, "xmax": eng.xmax}}


def grouped_km(table: pd.DataFrame, by: str, min_count: int, ticks: np.ndarray | None = None,
               keep: int | None = None) -> tuple[KMResult, KMResult, list[str]]:
    """Kaplan-Meier curves by group for a table and for a chart.

    Parameters
    ----------
    table : DataFrame
        :func:`~workbench.survival.engagement_table` (``days``, ``engaged`` and ``by``).
    by : str
        Grouping column (``service``, ``provider``, ``responder_type``, ...).
    min_count : int
        Groups with fewer referrals get no curve (privacy threshold).
    ticks : array of float, optional
        At-risk table times (days).
    keep : int, optional
        Groups a chart draws by name (default :data:`KEEP_GROUPS`).

    Returns
    -------
    full : KMResult
        Every group with ``min_count`` referrals (medians table, log-rank test).
    chart : KMResult
        ``full`` when there are at most ``keep`` groups; else the ``keep`` largest and one
        "other" group refitted on the pooled referrals (:func:`pool_groups`).
    pooled : list of str
        The groups pooled (empty when none).
    """
    full = S.kaplan_meier(table, by=by, min_group=min_count, ticks=ticks)
    labels, pooled = pool_groups(table[by], keep)
    if not pooled:
        return full, full, []
    labels = labels.where(table[by].notna())  # referrals without the group stay out, as in ``full``
    return full, S.kaplan_meier(table.assign(**{by: labels}), by=by, min_group=min_count, ticks=ticks), pooled


def km_items(eng: EngagementSection) -> list[Item]:
    """Kaplan-Meier curves of the time to engagement, overall and by service, provider and
    responder type, with their medians (days) and log-rank tests.

    A grouping gets curves when at least two of its groups have ``min_count`` referrals. With
    more than :data:`KEEP_GROUPS` groups the chart draws the largest ones and an "other" group
    refitted on the pooled referrals; the table and the log-rank test keep every group.
    """
    if not eng.available:
        return [eng.missing("km", "Time to engagement")]
    t, mc = eng.table, eng.min_count
    try:
        km_all = S.kaplan_meier(t, ticks=eng.ticks)
    except fit_errors() as exc:
        return [Item("km", "Time to engagement", [f"Time to engagement: the curve could not be estimated ({exc})."],
                     page="03_response", available=False)]
    eng.results["km_all"], eng.results["km_by"] = km_all, {}
    m = km_all.medians.iloc[0]
    if np.isfinite(m["median"]):
        hi = _days(m["median_upper"]) if np.isfinite(m["median_upper"]) else "beyond the follow-up"
        overall = (f"Overall, half of all referrals had engaged after **{m['median']:.0f} days** "
                   f"(95% interval {_days(m['median_lower'])} to {hi}).")
    else:
        overall = ("Overall, fewer than half of the referrals had engaged by the end of follow-up, so there is "
                   "no median time to engagement.")
    items = [_item("rules", "Censoring rule", None, [f"*Censoring rule.* {eng.rules}"]),
             _item("km", "Time to engagement", None, [overall],
                   _km_figure(km_all, eng, "Time to engagement, all referrals"))]
    for col, label in KM_GROUPINGS.items():
        key = f"km_{col}"
        if col not in t.columns:
            continue
        try:
            full, chart, pooled = grouped_km(t, col, mc, ticks=eng.ticks)
        except fit_errors() as exc:
            items.append(Item(key, f"Time to engagement by {label}", [f"Time to engagement by {label}: the curves "
                              f"could not be estimated ({exc})."], page="03_response", available=False))
            continue
        if len(full.medians) < 2:
            items.append(Item(key, f"Time to engagement by {label}",
                              [f"Time to engagement by {label}: fewer than two {label} groups with at least {mc} "
                               "referrals, so no comparison."], page="03_response", available=False))
            continue
        eng.results["km_by"][label] = full
        lr = full.logrank
        lead = (f"Median days to engagement by {label}" +
                (f"; log-rank test {format_p(lr['p_value'])} ({lr['df']} degrees of freedom; the p-value is the "
                 "chance of differences at least this large if all groups engaged equally fast)." if lr else "."))
        # a group's median and its interval are figures of its engagements: hidden with a hidden count
        table, _ = _table(full.medians.rename(columns={"group": label}), ["n", "events"], mc, precision=1,
                          derived={c: ["events", "n"] for c in ("median", "median_lower", "median_upper")})
        readings = [lead, *km_readings(full.medians, lr, label, mc)]
        if pooled:
            readings.append(_pooled_reading(label, t[col].nunique(dropna=False), pooled))
        items.append(_item(key, f"Time to engagement by {label}", table, readings,
                           _km_figure(chart, eng, f"Time to engagement by {label}")))
    return items


def _model_note(what: str, res: CoxResult) -> str:
    if not res.fitted:
        return f"{what}: not estimated, {res.reason}."
    return f"{what}: {res.note}" if res.note else ""


def _fit_failed(exc: BaseException, n: int = 0, events: int = 0) -> CoxResult:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "the fit failed"
    return S.CoxResult.unfitted(f"the fit failed ({text})", n, events)


def cox_items(eng: EngagementSection) -> list[Item]:
    """The Cox model of the time to engagement: hazard ratios, the proportional-hazards check
    with lifelines' advice and, where it fails for a category, the model stratified on it."""
    if not eng.available:
        return [eng.missing("cox", "Cox model of engagement")]
    t, mc, need = eng.table, eng.min_count, eng.min_events
    n_eng = int(t["engaged"].sum())
    if n_eng < need:
        cox = S.CoxResult.unfitted(f"fewer engagements than the {need} a model needs", len(t), n_eng)
    else:
        try:
            cox = S.fit_cox(t, covariates=eng.covariates)
        except fit_errors() as exc:
            cox = _fit_failed(exc, len(t), n_eng)
    eng.results["cox"] = cox
    eng.notes.extend(filter(None, [_model_note("Cox model of engagement", cox)]))
    st = cox.stratified
    if st is not None and (st.note or not st.fitted):
        eng.notes.append("Stratified Cox model of engagement: " + (st.note or f"not estimated, {st.reason}."))
    if not cox.fitted:
        return [Item("cox", "Cox model of engagement", [f"Cox model of engagement not estimated: {cox.reason}."],
                     page="03_response", available=False)]
    refs = "; ".join(f"{_words(k)}: {', '.join(map(_words, v))}" for k, v in cox.references.items())
    hr, _ = _table(cox.summary[_HR], precision=3)
    items = [_item("cox", "Cox model of engagement", hr, [
        f"Reference levels: {refs}. Referrals used: {count_text(cox.n, mc, words=True)}, engaged: "
        f"{count_text(cox.events, mc, words=True)}; left out for a missing covariate: "
        f"{count_text(cox.dropped, mc, words=True)}. Concordance {cox.concordance:.3f}.",
        cox.note, *cox_readings(cox.summary, cox.concordance, cox.failing)],
        {"hazard_ratios": {"summary": cox.summary}})]
    if cox.ph_test is not None and len(cox.ph_test):
        ph, _ = _table(cox.ph_test, precision=3)
        advice = "\n".join("  " + line for line in str(cox.advice or "").splitlines())
        items.append(_item("ph_check", "Proportional-hazards check", ph, [
            "**Proportional-hazards check** (the table above; Grambsch-Therneau test on rank time; p below 0.01 "
            "fails).", f"Advice printed by lifelines' `check_assumptions`:\n\n  ```\n{advice}\n  ```"]))
    if st is not None and st.fitted:
        strat, _ = _table(st.summary[_HR], precision=3)
        items.append(_item("cox_stratified", "Stratified Cox model", strat,
                           ["Stratified on " + ", ".join(map(_words, st.strata)) + " (the table above)."]))
    return items


def incidence_items(eng: EngagementSection, horizons: Sequence[float] = HORIZONS) -> list[Item]:
    """Aalen-Johansen curves of how follow-up ends, read at ``horizons`` days, and the outcome counts."""
    if not eng.available:
        return [eng.missing("incidence", "Competing outcomes")]
    t, mc = eng.table, eng.min_count
    try:
        cif = S.cumulative_incidence(t)
    except fit_errors() as exc:
        return [Item("incidence", "Competing outcomes", [f"Outcome shares could not be estimated ({exc})."],
                     page="03_response", available=False)]
    at = S.incidence_at(cif, list(horizons)) if len(cif) else pd.DataFrame(
        columns=["group", "cause", "time", "cif", "lower", "upper", "beyond_followup"])
    eng.results["cif"], eng.results["at"] = cif, at
    beyond = sorted(set(at.loc[at["beyond_followup"].astype(bool), "time"]))
    if beyond:
        eng.notes.append("Outcome shares at " + ", ".join(f"{x:.0f}" for x in beyond) + " days: not estimable, "
                         "past the longest follow-up of a referral still open.")
    wide = at.pivot(index="cause", columns="time", values="cif").rename(columns=lambda x: f"{x:.0f} days")
    shares, _ = _table(wide, shares=list(wide.columns), index=True)
    counts = t["outcome"].value_counts().rename_axis("outcome").reset_index(name="referrals")
    ctable, foot = _table(counts, ["referrals"], mc)
    return [_item("incidence", "How follow-up ends", shares, incidence_readings(at, 90.0),
                  {"incidence": {"cif": cif, "xmax": eng.xmax}}),
            _item("outcomes", "Outcomes of the referrals", ctable, [foot])]


def competing_items(eng: EngagementSection) -> list[Item]:
    """Cause-specific Cox models of every outcome (*how fast*) and the Fine-Gray model of
    engagement (*how likely by a given time*), side by side."""
    if not eng.available:
        return [eng.missing("fine_gray", "Competing-outcomes models")]
    t, need, covs = eng.table, eng.min_events, eng.covariates
    try:
        cs = S.cause_specific_cox(t, covariates=covs, min_events=need)
    except fit_errors() as exc:
        cs = {"engaged": _fit_failed(exc)}
    try:
        # whole days: the resolution follow-up is recorded at, and minutes instead of hours on a city's referrals
        fg = S.fine_gray(t, "engaged", covariates=covs, min_events=need, time_step_days=1.0)
    except fit_errors() as exc:
        fg = _fit_failed(exc)
    eng.results["cause_specific"], eng.results["fine_gray"] = cs, fg
    eng.notes.extend(filter(None, [*(_model_note(f"Cause-specific Cox model of {c}", r) for c, r in cs.items()),
                                   _model_note("Fine-Gray model of engagement", fg)]))
    items = []
    rows = [r.summary.assign(outcome=c)[["outcome", *_HR]] for c, r in cs.items() if r.fitted]
    if rows:
        wide = pd.concat(rows).pivot(index="column", columns="outcome", values="hazard_ratio")
        table, _ = _table(wide, index=True)
        items.append(_item("cause_specific", "Cause-specific hazard ratios", table, [
            "Cause-specific hazard ratios in the table above (each outcome against all others treated as censored; "
            "*how fast*, among referrals still open)."]))
    if not fg.fitted:
        items.append(Item("fine_gray", "Fine-Gray model", [f"Fine-Gray model of engagement not estimated: "
                                                           f"{fg.reason}."], page="03_response", available=False))
        return items
    sub = fg.summary.set_index("column")[["hazard_ratio", "hr_lower", "hr_upper", "p"]].add_prefix("fine_gray_")
    eng_cs = cs.get("engaged")
    if eng_cs is not None and eng_cs.fitted:
        sub = eng_cs.summary.set_index("column")[["hazard_ratio"]].add_prefix("cause_specific_").join(sub, how="outer")
    table, _ = _table(sub.reset_index())
    items.append(_item("fine_gray", "Fine-Gray beside cause-specific Cox", table, [
        "Engagement in the table above: cause-specific hazard ratio (*how fast*) beside the Fine-Gray subdistribution "
        "hazard ratio (*how likely by a given time*, decline, re-victimization and loss competing), with robust 95% "
        "intervals.", fg.note]))
    return items


def notes_item(eng: EngagementSection, shown: Iterable[str] = ()) -> Item:
    """What could not be estimated, or was estimated with care, on these data.

    Parameters
    ----------
    eng : EngagementSection
        After its fits ran (:func:`km_items`, :func:`cox_items`, :func:`incidence_items`,
        :func:`competing_items`).
    shown : iterable of str
        Cautions already on the page (:func:`workbench.sections.page.cautions` yields them): a
        note saying the same is not repeated.
    """
    shown = [s for s in shown if s]
    notes = [n for n in dict.fromkeys(eng.notes) if n and not any(s in n for s in shown)]
    if not notes:
        return Item("notes", "Not estimated", page="03_response", available=eng.available)
    return _item("notes", "Not estimated", None,
                 ["**Not estimated, or estimated with care, on these data:**", *notes])


# ---- shot again -------------------------------------------------------------------------------

@dataclass
class RevictimizationSection:
    """Result of :func:`revictimization_section`.

    Attributes
    ----------
    items : list of Item
        The shot-again table, chart and counts (or why not).
    table : DataFrame or None
        :func:`~workbench.survival.revictimization_table` (None without victimizations).
    incidence : DataFrame
        Its cumulative incidence curves.
    """

    items: list[Item]
    table: pd.DataFrame | None = None
    incidence: pd.DataFrame = field(default_factory=pd.DataFrame)


def revictimization_section(page: ResponseSection, landmark_days: float = 90.0) -> RevictimizationSection:
    """The time from a person's first survived shooting to the next, against the literature.

    Parameters
    ----------
    page : ResponseSection
    landmark_days : float, default 90
        Engagement counted up to this many days after the shooting (for the comparison).
    """
    ds, mc = page.dataset, page.min_count
    if not (ds.has("victimizations") and len(ds["victimizations"])):
        why = [] if not page.has_responses else ["Re-victimization: not available for these data."]
        return RevictimizationSection([Item("revictimization", "Shot again", why, page="03_response",
                                            available=False)])
    try:
        rv = S.revictimization_table(ds, landmark_days=landmark_days)
        ri = S.revictimization_incidence(rv)
    except fit_errors() as exc:
        return RevictimizationSection([Item("revictimization", "Shot again", [
            f"Re-victimization could not be estimated ({exc})."], page="03_response", available=False)])
    at = S.incidence_at(ri[ri["cause"] == "revictimized"], [365.25, 8 * 365.25])
    tab = pd.DataFrame({"period": ["1 year", "8 years"],
                        "these data": [f"{v:.1%}" if np.isfinite(v) else "beyond the data" for v in at["cif"]],
                        "St. Louis (2023)": [f"{v:.0%}" for v in S.LITERATURE["cumulative_incidence"].values()]})
    table, _ = _table(tab)
    n_rev = int((rv["event"] == "revictimized").sum())
    figure = ({"revictimization": {"comparison": ri, "literature": S.LITERATURE,
                                   "title": "Shot again after surviving a shooting"}} if enough(len(rv), mc) else {})
    readings = [f"People followed: {count_text(len(rv), mc, words=True)}; shot again: "
                f"{count_text(n_rev, mc, words=True)}."]
    if n_rev == 0 and enough(len(rv), mc):
        readings.append("Nobody in these data was shot twice. Where each shooting's victims get new person ids "
                        "(data without a link between a person's shootings), being shot again cannot be seen, and "
                        "0% is not an estimate.")
    return RevictimizationSection([_item("revictimization", "Shot again", table, readings, figure)], rv, ri)


def comparison_items(page: ResponseSection, rv: RevictimizationSection, weighted: bool = True) -> list[Item]:
    """Re-victimization after the landmark by engagement, unweighted and (``weighted``) with
    inverse-probability weights, with the balance of the measured covariates."""
    mc = page.min_count
    what = "Comparison by engagement"
    if rv.table is None or not page.has_referrals or page.program_start is None:
        return [page.missing("comparison", what)]
    items = [_item("comparison", "Caution", None, [f"**Caution.** {S.CONFOUNDING_WARNING}"])]
    for w in ([False, True] if weighted else [False]):
        key = f"comparison_{'weighted' if w else 'unweighted'}"
        try:
            cmp_ = S.compare_revictimization(rv.table, page.program_start, weighted=w)
        except fit_errors() as exc:
            items.append(Item(key, what, [f"{what}: could not be estimated ({exc})."], page="03_response",
                              available=False))
            break
        if not enough(cmp_.counts["people"], mc).all() or len(cmp_.counts) < 2:
            items.append(page.missing(key, f"{what} (a group is too small)"))
            break
        counts, _ = _table(cmp_.counts, ["people", "revictimized"], mc)
        a = cmp_.at[(cmp_.at["cause"] == "revictimized") & (cmp_.at["time"] == 365.25)]
        shares = ", ".join(f"{r['group']} {r['cif']:.1%}" for _, r in a.iterrows() if np.isfinite(r["cif"]))
        readings = [f"{'Weighted' if w else 'Unweighted'}: shot again within a year of the landmark: "
                    + (shares or "not estimable, a year after the landmark is beyond the data") + "."]
        items.append(_item(key, f"{what} ({'weighted' if w else 'unweighted'})", counts, readings,
                           {"revictimization": {"comparison": cmp_, "literature": S.LITERATURE}}))
        if cmp_.balance is not None:
            bal, _ = _table(cmp_.balance, precision=3)
            items.append(_item(f"balance_{'weighted' if w else 'unweighted'}", "Balance", bal, [
                "Balance of the measured covariates in the table above (standardized mean differences; near 0 is "
                "balanced)."]))
    return items
