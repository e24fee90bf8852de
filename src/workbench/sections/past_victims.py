"""The past-victims page (notebook ``04_past_victims``): who was shot and never served, and who first.

Two calls make the page:

- :func:`past_victims_section` -- the opening (program start, the headline *past victims still
  unserved* from :func:`workbench.outreach.unserved_past_victims`, the one count the index
  makes too, and what differs from the index when the page's dates differ), past victims by
  area (``"area"``), by time since and year of the last shooting (``"years_since"``,
  ``"year"``) and the unserved trend as outreach proceeds (``"trend"``, figure input
  :attr:`PastVictimsSection.trend`);
- :func:`outreach_section` -- the re-victimization risk model behind the outreach ranking
  (person-level list ``"list"`` in researcher mode only) and its aggregate fairness audit
  (``"audit"``, ``"calibration"``). A fit that fails is caught here for its specific exception
  types and the items say why; the notebook wraps the call in
  :func:`workbench.sections.page.cautions` so the model's typed warnings reach the page.

Privacy: every count goes through :func:`workbench.privacy.suppress_counts` (``1 .. min_count-1``
hidden); a selection rate, selection ratio, predicted risk, observed rate or calibration next to
a hidden count is blanked (it would let the count be worked out), and a flagged group whose
counts are hidden is not named. The person-level list exists only with ``researcher_mode``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.data.dataset import Dataset
from workbench.data.errors import DataError
from workbench.escape import md_text
from workbench.formatting import human_columns
from workbench.outreach.past import (
    UnservedPastVictims,
    past_victim_counts,
    unserved_past_victims,
    unserved_trend,
)
from workbench.privacy import count_text, enough, suppress_counts, suppressed_mask

from ._common import Item

__all__ = ["PAGE", "OutreachSection", "PastVictimsSection", "outreach_section", "past_victims_section"]

#: The report page these items belong to.
PAGE = "04_past_victims"
#: Count columns of the area and time tables.
GROUP_COUNTS: tuple[str, ...] = ("past_victims", "unserved", "revictimized", "shot_since_start")
#: Areas shown in the area table (the most past victims first).
TOP_AREAS = 25
#: The four-fifths band of the fairness audit's disparity ratios.
BAND: tuple[float, float] = (0.8, 1.25)
_RATE_HIDDEN = "Rates that would reveal a hidden count are left blank."


@dataclass
class PastVictimsSection:
    """Result of :func:`past_victims_section`.

    Attributes
    ----------
    available : bool
        False when the page cannot be made (no victims, no responses or no program start);
        ``heading`` says why and every item is unavailable.
    heading : str
        Markdown opening: the title, the data, the program start and the date counted at.
    readings : list of str
        The opening bullets (counts already suppressed).
    items : list of Item
        ``"area"``, ``"years_since"``, ``"year"``, ``"trend"``.
    footnotes : dict
        Item key -> footnotes shown under its table (suppression, rows left out).
    unserved : UnservedPastVictims or None
        The headline count with its dates and rule.
    index_unserved : UnservedPastVictims or None
        The count as the index makes it (program start inferred, at the data end), when the
        page's dates differ from the index's; ``None`` when they are the same.
    past : DataFrame
        :func:`workbench.outreach.past_victims` -- person-level, **not for display**.
    trend : DataFrame
        Figure input of :func:`workbench.plots.response.plot_unserved` (aggregate counts by
        period end).
    min_count : int
        The privacy threshold applied.
    """

    available: bool = False
    heading: str = ""
    readings: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    footnotes: dict[str, list[str]] = field(default_factory=dict)
    unserved: UnservedPastVictims | None = None
    index_unserved: UnservedPastVictims | None = None
    past: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    trend: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    min_count: int = 11

    def item(self, key: str) -> Item:
        """The item with this key."""
        return next(i for i in self.items if i.key == key)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (display parts only: no person-level row)."""
        return {"available": self.available, "heading": self.heading, "readings": list(self.readings),
                "items": [i.to_json() for i in self.items], "footnotes": dict(self.footnotes)}


@dataclass
class OutreachSection:
    """Result of :func:`outreach_section`.

    Attributes
    ----------
    items : list of Item
        ``"list"`` (the person-level outreach list: a table only in researcher mode),
        ``"audit"`` (selection rates and calibration by group), ``"calibration"`` (predicted
        against observed by tenth of the ranking).
    footnotes : dict
        Item key -> footnotes shown under its table.
    priority : DataFrame or None
        :func:`workbench.outreach.outreach_priority` -- person-level, **not for display**
        (``None`` when no ranking was made).
    audit : OutreachAudit or None
        :func:`workbench.outreach.outreach_audit` (aggregate).
    reason : str
        Why the ranking or audit failed (empty otherwise).
    """

    items: list[Item] = field(default_factory=list)
    footnotes: dict[str, list[str]] = field(default_factory=dict)
    priority: pd.DataFrame | None = field(default=None, repr=False)
    audit: Any = None
    reason: str = ""

    def item(self, key: str) -> Item:
        """The item with this key."""
        return next(i for i in self.items if i.key == key)


def _c(n: float, min_count: int) -> str:
    """A count in a sentence: ``"1,234"``, ``"fewer than 11"``."""
    return count_text(int(n), min_count, words=True)


def _why_not(dataset: Dataset, u: UnservedPastVictims | None) -> str:
    if not (dataset.has("victimizations")):
        return "there are no victim records"
    if not dataset.has("responses"):
        return ("there are no response records, so there is no program start date and nobody's referrals "
                "are known")
    if u is None or u.program_start is None:
        return "no co-responder ever arrived, so there is no program start date (set program_start to give one)"
    if u.past is None:
        return u.reason
    return ""


def _suppressed(table: pd.DataFrame, counts: list[str], min_count: int) -> tuple[pd.DataFrame, str]:
    """``table`` with its counts suppressed and human column labels, and the footnote."""
    shown, footnote = suppress_counts(table, counts, min_count)
    return human_columns(shown), footnote


def _group_item(key: str, title: str, counts: pd.DataFrame, label: str, min_count: int) -> tuple[Item, str]:
    table, footnote = _suppressed(counts.rename(columns={"group": label}), list(GROUP_COUNTS), min_count)
    return Item(key, title, table=table, page=PAGE), footnote


def _compare_with_index(u: UnservedPastVictims, index: UnservedPastVictims | None, min_count: int) -> str:
    """The sentence that ties the page's headline to the index's *past victims still unserved*."""
    head = "This is the index's *past victims still unserved*"
    if index is None:
        return (f"{head}, counted the same way at the same date "
                "(the program start taken from the first co-responder arrival, counted at the data end); "
                "the tables below count everyone *never referred*, including people shot after the start.")
    diffs = []
    if index.program_start is None:
        diffs.append("the index has no program start (no co-responder ever arrived)")
    elif u.program_start != index.program_start:
        diffs.append(f"the index takes the program start from the first co-responder arrival, "
                     f"{index.program_start:%Y-%m-%d}, this page uses {u.program_start:%Y-%m-%d}")
    if index.as_of is not None and u.as_of != index.as_of:
        diffs.append(f"the index counts at the data end, {index.as_of:%Y-%m-%d}, this page as of "
                     f"{u.as_of:%Y-%m-%d}")
    shown = "not available" if index.n is None else _c(index.n, min_count)
    return (f"The index's *past victims still unserved* counts the same way but differs here ({'; '.join(diffs)}): "
            f"it shows {shown}. The tables below count everyone *never referred*, including people shot "
            "after the start.")


def past_victims_section(
    dataset: Dataset,
    min_count: int = 11,
    program_start: str | pd.Timestamp | None = None,
    as_of: str | pd.Timestamp | None = None,
    title: str = "Past victims",
) -> PastVictimsSection:
    """The past-victims page's opening, area and time tables and unserved trend.

    Parameters
    ----------
    dataset : Dataset
        Needs ``victimizations`` and ``responses`` (referrals and program start).
    min_count : int, default 11
        Smallest count that may be shown.
    program_start : str or Timestamp, optional
        Start of the co-responder program (naive dates are local); default the day of the
        first co-responder arrival.
    as_of : str or Timestamp, optional
        The instant counted at (a date alone is its local midnight); default the last instant
        of the data end (through the last day covered), as the index counts.
    title : str
        Page title (text from a parameter file: escaped).

    Returns
    -------
    PastVictimsSection
    """
    out = PastVictimsSection(min_count=int(min_count))
    keys = (("area", "Where they live"), ("years_since", "How long ago: time since the last shooting"),
            ("year", "How long ago: year of the last shooting"), ("trend", "Still unreached"))
    u = None
    if dataset.has("victimizations") and dataset.has("responses"):
        u = unserved_past_victims(dataset, program_start, as_of)
    why = _why_not(dataset, u)
    if why:
        out.heading = (f"## {md_text(title)}\n\nData: **{md_text(dataset.name)}**. This page needs victims, "
                       f"responses and a program start; here {why}. The sections below are skipped.")
        out.items = [Item(k, t, readings=[f"{t}: not available ({why})."], page=PAGE, available=False)
                     for k, t in keys]
        out.unserved = u
        return out
    assert u is not None and u.past is not None and u.program_start is not None and u.as_of is not None
    out.available, out.unserved, past = True, u, u.past
    out.past = past
    if program_start is not None or as_of is not None:  # the index's count, when the dates may differ
        index = unserved_past_victims(dataset)
        same = index.program_start == u.program_start and index.as_of == u.as_of
        out.index_unserved = None if same else index
    out.heading = (f"## {md_text(title)}\n\nData: **{md_text(dataset.name)}**. Program start "
                   f"{u.program_start:%Y-%m-%d}"
                   + (" (taken as the day of the first co-responder arrival)" if u.program_start_inferred else "")
                   + f"; counts as of {u.as_of:%Y-%m-%d}.")
    n_hist = int(past["before_program"].sum())
    n_unref = int((~past["referred"]).sum())
    headline = "not available" if u.n is None else f"**{_c(u.n, min_count)}**"
    out.readings = [
        f"Living people shot before the program start or never referred: **{_c(len(past), min_count)}**.",
        f"Shot before the program start: {_c(n_hist, min_count)}; never referred to any service: "
        f"{_c(n_unref, min_count)}.",
        f"Shot more than once: {_c(past['revictimized'].sum(), min_count)}; shot before the program and again "
        f"after it started: {_c(past['shot_since_start'].sum(), min_count)}.",
        f"Still unserved (shot before the program start, no referral by {u.as_of:%Y-%m-%d}): {headline}"
        + (f" ({u.reason})" if u.n is None else "") + ". " + _compare_with_index(u, out.index_unserved, min_count),
    ]

    by_area = past_victim_counts(past, "area")
    area, note = _group_item("area", keys[0][1], by_area.head(TOP_AREAS), "area", min_count)
    out.items.append(area)
    out.footnotes["area"] = [note]
    if len(by_area) > TOP_AREAS:
        out.footnotes["area"].append(f"The {TOP_AREAS} areas with the most past victims of {len(by_area)} are shown.")
    since, _ = _group_item("years_since", keys[1][1], past_victim_counts(past, "years_since"),
                           "time since last shooting", min_count)
    year, note = _group_item("year", keys[2][1], past_victim_counts(past, "year"), "year of last shooting",
                             min_count)
    out.items += [since, year]
    out.footnotes["year"] = [note]

    out.trend = trend = unserved_trend(dataset, past)
    if len(trend) >= 2 and bool(enough(trend["past_victims"].iloc[0], min_count)):
        first, last = trend.iloc[0], trend.iloc[-1]
        out.items.append(Item("trend", keys[3][1], page=PAGE, figure={"period": list(trend["period"]),
                                                                      "unserved": list(trend["unserved"])},
                              readings=[f"At the program start {_c(first['unserved'], min_count)} people shot "
                                        f"before it had not been reached; by {last['period']:%Y-%m-%d}, "
                                        f"{_c(last['unserved'], min_count)} still had not "
                                        f"({_c(last['served'], min_count)} referred since)."]))
    else:
        out.items.append(Item("trend", keys[3][1], page=PAGE, available=False,
                              readings=["Unserved trend (too few past victims): not available for these data."]))
    return out


def _hidden(values: pd.Series, min_count: int) -> np.ndarray:
    return suppressed_mask(pd.to_numeric(values, errors="coerce").to_numpy(float), min_count)


def _audit_items(aud: Any, min_count: int) -> tuple[list[Item], dict[str, list[str]]]:
    """The audit's group table and calibration table, privacy-applied, with their readings."""
    a = aud.audit
    view = pd.DataFrame({
        "attribute": a["attribute"].str.replace("_", " "), "group": a["group"],
        "past victims ranked": a["n"], "on the outreach list": a["n_selected"],
        "selection rate": a["selection_rate"].astype(float),
        "selection ratio": a["selection_rate_ratio"].astype(float)})
    counts = ["past victims ranked", "on the outreach list"]
    hide_sel = _hidden(a["n"], min_count) | _hidden(a["n_selected"], min_count)
    view.loc[hide_sel, ["selection rate", "selection ratio"]] = np.nan  # a rate would reveal the count
    if aud.calibration_available:
        view["shot again"] = a["n_outcome"]
        view["mean predicted risk"] = a["mean_predicted"].astype(float)
        view["observed rate"] = a["observed_rate"].astype(float)
        view["calibration (observed/predicted)"] = a["calibration"].astype(float)
        view.loc[_hidden(a["n"], min_count) | _hidden(a["n_outcome"], min_count),
                 ["mean predicted risk", "observed rate", "calibration (observed/predicted)"]] = np.nan
        counts.append("shot again")
    view["reliable"] = np.where(a["reliable"], "yes", "too small")
    view["flagged"] = a["flags"].str.replace("_", " ").to_numpy()
    view.loc[hide_sel, "flagged"] = ""
    table, footnote = suppress_counts(view, counts, min_count)
    shown = aud.flags.merge(a.loc[~hide_sel, ["attribute", "group"]], on=["attribute", "group"])
    if len(shown):
        worst = shown.iloc[int((shown["ratio"] - 1).abs().to_numpy(float).argmax())]
        flag_text = (f"The largest flagged disparity: {md_text(str(worst['attribute']).replace('_', ' '))} "
                     f"**{md_text(worst['group'])}**, {md_text(str(worst['metric']).replace('_', ' '))} "
                     f"{worst['ratio']:.2f} times the overall figure.")
    else:
        flag_text = (f"No group large enough to judge has a ratio outside [{BAND[0]:g}, {BAND[1]:g}] "
                     "(the four-fifths rule).")
    items = [Item("audit", "Who the outreach list reaches first, by group", table=table, page=PAGE,
                  readings=[f"{aud.note} {flag_text}"])]
    notes = {"audit": [f"{footnote} {_RATE_HIDDEN}"]}
    if aud.calibration_available:
        c = aud.calibration.rename(columns={"bin": "risk decile", "n": "past victims", "n_outcome": "shot again",
                                            "mean_predicted": "mean predicted risk",
                                            "observed_rate": "observed rate"})
        c = c[["risk decile", "past victims", "shot again", "mean predicted risk", "observed rate"]].copy()
        c[["mean predicted risk", "observed rate"]] = c[["mean predicted risk", "observed rate"]].astype(float)
        c.loc[_hidden(c["shot again"], min_count) | _hidden(c["past victims"], min_count),
              ["mean predicted risk", "observed rate"]] = np.nan
        ctab, cnote = suppress_counts(c, ["past victims", "shot again"], min_count)
        items.append(Item("calibration", "Predicted risk against what happened, by tenth of the ranking "
                          "(1 = lowest risk)", table=ctab, page=PAGE))
        notes["calibration"] = [cnote]
    else:
        items.append(Item("calibration", "Predicted risk against what happened", page=PAGE, available=False,
                          readings=["Calibration: not available (who is shot again within the horizon is not "
                                    "yet known)."]))
    return items, notes


def outreach_section(
    page: PastVictimsSection,
    dataset: Dataset,
    horizon_days: float = 365.0,
    top_n: int = 50,
    researcher_mode: bool = False,
) -> OutreachSection:
    """The outreach ranking (researchers only) and its aggregate fairness audit.

    Fits the re-victimization risk model and ranks the past victims
    (:func:`workbench.outreach.outreach_priority`), then audits the top ``top_n``
    (:func:`workbench.outreach.outreach_audit`). A fit or audit that fails with
    :class:`~workbench.data.DataError`, ``ValueError``, ``KeyError``, ``numpy.linalg.LinAlgError``,
    ``ZeroDivisionError`` or lifelines' ``ConvergenceError`` leaves its items unavailable with
    the reason. A ridge refit or a model that could not be fitted is said by the model's
    :class:`~workbench.ConvergenceWarning` (wrap the call in
    :func:`workbench.sections.page.cautions` to put it on the page) and kept in
    ``priority.attrs["model_note"]`` / ``["model_reason"]``.

    Parameters
    ----------
    page : PastVictimsSection
        From :func:`past_victims_section` (its past victims, date and privacy threshold).
    dataset : Dataset
        The same data.
    horizon_days : float, default 365
        Risk horizon: the chance of being shot again within this many days.
    top_n : int, default 50
        Size of the outreach list (and rows shown in researcher mode).
    researcher_mode : bool, default False
        True: the ``"list"`` item holds the person-level list (pseudonymous ids; never for
        policy reports).

    Returns
    -------
    OutreachSection
    """
    from lifelines.exceptions import ConvergenceError

    from workbench.outreach import outreach_audit, outreach_priority

    failures = (DataError, ValueError, KeyError, np.linalg.LinAlgError, ZeroDivisionError, ConvergenceError)
    out = OutreachSection()
    mc = page.min_count
    titles = {"list": "Outreach list (researchers only)", "audit": "Who the outreach list reaches first, by group",
              "calibration": "Predicted risk against what happened"}

    def missing(*keys: str, why: str) -> OutreachSection:
        out.items += [Item(k, titles[k], readings=[why], page=PAGE, available=False) for k in keys]
        return out

    if not page.available:
        return missing("list", "audit", "calibration", why="Outreach list: not available for these data.")
    if not len(page.past):
        return missing("list", "audit", "calibration", why="There are no past victims to rank.")
    try:
        pri = outreach_priority(dataset, page.past, horizon_days=horizon_days)
    except failures as exc:
        out.reason = f"the outreach risk model could not be fitted ({type(exc).__name__}: {exc})"
        return missing("list", "audit", "calibration", why=f"Outreach list: not available: {md_text(out.reason)}.")
    out.priority = pri
    if researcher_mode:
        # a ridge refit or a failed fit is said by the model's ConvergenceWarning (cautions on the page)
        said = [f"Risk model covariates: {', '.join(pri.attrs['covariates'])}; horizon {horizon_days:g} days."]
        out.items.append(Item("list", titles["list"], readings=said, table=pri.head(int(top_n)).reset_index(drop=True),
                              page=PAGE))
    else:
        out.items.append(Item("list", titles["list"], page=PAGE, available=False, readings=[
            "The person-level outreach list is not part of this report (researcher mode is off)."]))
    if not pri["risk"].notna().any():
        why = pri.attrs.get("model_reason") or "no risk could be estimated"
        return missing("audit", "calibration", why=f"Outreach list audit: not available ({md_text(why)}).")
    try:
        aud = outreach_audit(dataset, pri, top_n=int(top_n), horizon_days=horizon_days, min_count=mc)
    except failures as exc:
        out.reason = f"the outreach list could not be audited ({type(exc).__name__}: {exc})"
        return missing("audit", "calibration", why=f"Outreach list audit: not available: {md_text(out.reason)}.")
    out.audit = aud
    items, notes = _audit_items(aud, mc)
    out.items += items
    out.footnotes.update(notes)
    return out
