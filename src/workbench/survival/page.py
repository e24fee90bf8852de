"""Every survival computation of the response page (notebook 03), robust to small data.

:func:`engagement_page` runs the time-to-engagement and competing-outcomes analyses of the page
under one censoring rule and returns them with ``notes``: one sentence for each estimate that
could not be made and why (too few referrals or events for a model, a model that needed a
penalty, a horizon past the follow-up). A small city, a short date window or a sparse export is
valid input: nothing here raises on it, and the page shows what it could not estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.data.dataset import Dataset
from workbench.response.tables import ResponseData

from .competing import cause_specific_cox, cumulative_incidence, incidence_at
from .cox import DEFAULT_COVARIATES, CoxResult, fit_cox
from .engagement import censoring_text, engagement_table
from .finegray import fine_gray
from .km import KMResult, kaplan_meier

__all__ = ["HORIZONS", "KM_GROUPINGS", "EngagementPage", "engagement_page"]

#: Days at which the cumulative incidence of each outcome is read.
HORIZONS: tuple[float, ...] = (30.0, 60.0, 90.0, 120.0)

#: Groupings of the Kaplan-Meier curves: column -> label.
KM_GROUPINGS: dict[str, str] = {"service": "service", "provider": "provider", "responder_type": "responder type"}


@dataclass
class EngagementPage:
    """The survival results of the response page.

    Attributes
    ----------
    table : DataFrame
        :func:`~workbench.survival.engagement_table` (its ``attrs`` carry the rules).
    rules : str
        The censoring and loss-to-follow-up rules in words (for the page).
    xmax : float
        Right end of the time axes (days).
    ticks : ndarray
        At-risk table times (days).
    km_all : KMResult or None
    km_by : dict of str to KMResult
        Grouping label -> curves, for groupings with at least two groups of ``min_count``.
    cox : CoxResult
        Cox model of the time to engagement (``fitted`` False with the reason when none).
    cif : DataFrame
        Aalen-Johansen curves of the outcomes of the rule.
    at : DataFrame
        ``cif`` read at :data:`HORIZONS`.
    cause_specific : dict of str to CoxResult
    fine_gray : CoxResult
        Fine-Gray model of engagement, the other outcomes competing.
    notes : list of str
        What could not be estimated, and why.
    """

    table: pd.DataFrame
    rules: str
    xmax: float
    ticks: np.ndarray
    km_all: KMResult | None
    km_by: dict[str, KMResult]
    cox: CoxResult
    cif: pd.DataFrame
    at: pd.DataFrame
    cause_specific: dict[str, CoxResult]
    fine_gray: CoxResult
    notes: list[str] = field(default_factory=list)


def _min_events(min_count: int) -> int:
    return max(int(min_count), 10)


def engagement_page(
    dataset: Dataset,
    data: ResponseData | None = None,
    window_days: float | None = None,
    lost_after_days: float | None = 30.0,
    censoring: str = "competing",
    min_count: int = 11,
    covariates: tuple[str, ...] | list[str] = DEFAULT_COVARIATES,
    horizons: tuple[float, ...] = HORIZONS,
) -> EngagementPage:
    """Time to engagement and competing outcomes for the response page.

    Parameters
    ----------
    dataset : Dataset
    data : ResponseData, optional
    window_days, lost_after_days, censoring
        See :func:`~workbench.survival.engagement_table`.
    min_count : int, default 11
        Privacy threshold: groups smaller than it get no curve; models need at least
        ``max(min_count, 10)`` events.
    covariates : sequence of str
        Covariates of the Cox, cause-specific and Fine-Gray models (those absent or constant
        in the data are left out).
    horizons : tuple of float
        Days at which the cumulative incidences are read.

    Returns
    -------
    EngagementPage

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> pg = engagement_page(generate_city("tiny", seed=3).dataset)
    >>> pg.cox.fitted, pg.fine_gray.fitted, sorted(pg.cause_specific)
    (True, True, ['declined', 'engaged', 'lost', 'revictimized'])
    """
    table = engagement_table(dataset, data, window_days=window_days, lost_after_days=lost_after_days,
                             censoring=censoring)
    notes: list[str] = []
    n = len(table)
    need = _min_events(min_count)
    xmax = float(np.nanpercentile(table["days"], 95)) if n else 0.0
    xmax = max(min(xmax, float(window_days or 180.0)), 1.0)
    ticks = np.arange(0.0, xmax + 1e-9, 15.0 if xmax <= 120 else 30.0)

    km_all = kaplan_meier(table, ticks=ticks) if n else None
    km_by: dict[str, KMResult] = {}
    for col, label in KM_GROUPINGS.items():
        if not n or col not in table.columns:
            continue
        km = kaplan_meier(table, by=col, min_group=min_count, ticks=ticks)
        if len(km.medians) >= 2:
            km_by[label] = km
        else:
            notes.append(f"Time to engagement by {label}: fewer than two {label} groups with at least "
                         f"{min_count} referrals, so no comparison.")

    covs = [c for c in covariates if c in table.columns and table[c].nunique(dropna=True) >= 2]
    n_eng = int(table["engaged"].sum())
    if n_eng < need:
        cox = CoxResult.unfitted(f"fewer engagements than the {need} a model needs", n, n_eng)
    else:
        cox = fit_cox(table, covariates=covs)
    if not cox.fitted:
        notes.append(f"Cox model of engagement: not estimated, {cox.reason}.")
    elif cox.note:
        notes.append(f"Cox model of engagement: {cox.note}")
    if cox.stratified is not None and (cox.stratified.note or not cox.stratified.fitted):
        notes.append("Stratified Cox model of engagement: "
                     + (cox.stratified.note or f"not estimated, {cox.stratified.reason}."))

    cif = cumulative_incidence(table)
    at = incidence_at(cif, list(horizons)) if len(cif) else pd.DataFrame(
        columns=["group", "cause", "time", "cif", "lower", "upper", "beyond_followup"])
    beyond = sorted(set(at.loc[at["beyond_followup"].astype(bool), "time"]))
    if beyond:
        notes.append("Outcome shares at " + ", ".join(f"{t:.0f}" for t in beyond) + " days: not estimable, "
                     "past the longest follow-up of a referral still open.")

    cs = cause_specific_cox(table, covariates=covs, min_events=need)
    for cause, r in cs.items():
        if not r.fitted:
            notes.append(f"Cause-specific Cox model of {cause}: not estimated, {r.reason}.")
        elif r.note:
            notes.append(f"Cause-specific Cox model of {cause}: {r.note}")
    # whole days: the resolution follow-up is recorded at, and minutes instead of hours on a city's referrals
    fg = fine_gray(table, "engaged", covariates=covs, min_events=need, time_step_days=1.0)
    if not fg.fitted:
        notes.append(f"Fine-Gray model of engagement: not estimated, {fg.reason}.")
    elif fg.note:
        notes.append(f"Fine-Gray model of engagement: {fg.note}")
    return EngagementPage(table=table, rules=censoring_text(table), xmax=xmax, ticks=ticks, km_all=km_all,
                          km_by=km_by, cox=cox, cif=cif, at=at, cause_specific=cs, fine_gray=fg, notes=notes)
