"""The people page (notebook ``02_people``): the co-arrest network, exposure, contagion and risk lists.

Three calls make the page, so that a notebook can put each fit inside its own
:func:`~workbench.sections.page.cautions` block:

- :func:`people_section` -- the opening check (victims linked to people and arrest records are
  needed, else every item says the sections are skipped), the network summary table and its
  readings (:func:`~workbench.network.graph_summary` as of the as-of date), exposure to recent
  victims (counts by number of victimized contacts, the figure's input) and *Who is shot*
  (:func:`~workbench.sections.victims.victims_section`, age group x sex);
- :func:`contagion_items` -- the network Hawkes fit (:class:`~workbench.network.NetworkHawkes`):
  its display table (parameter labels, background rate per person per **year**, bootstrap
  intervals), readings (contagion share with its interval, cascades, delays, repeat
  victimization, season) and the cascade to draw (people as letters, days since the cascade's
  first shooting);
- :func:`forward_items` -- the rolling forward evaluation
  (:func:`~workbench.network.rolling_evaluation`): the table of lists (shares and precision
  hidden next to a hidden count), calibration by decile (hidden deciles left out), the fairness
  audit of the contagion list (a ratio hidden next to any hidden count, flags of hidden ratios
  dropped), the unranked-victims sentence and, **in researcher mode only**, the person-level
  risk list (pseudonymous ids). A policy page's section never holds a person-level row: the
  lists are not even kept unless ``researcher_mode`` is on.

A fit that fails on the data (:class:`~workbench.data.errors.DataError`, ``ValueError``,
``numpy.linalg.LinAlgError``, arithmetic errors) leaves its items ``available=False`` with the
reason in their readings; without the forward evaluation, its four items share one notice.
Counts are suppressed through :mod:`workbench.privacy`; every figure input is an aggregate (the
cascade's people are letters).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.data.dataset import Dataset
from workbench.data.errors import DataError
from workbench.formatting import MISSING, format_number, format_share, human_columns
from workbench.privacy import (HIDDEN_TOTAL, complementary_mask, count_text, enough, suppress_counts,
                               suppressed_mask, suppression_marker)

from ._common import Item

__all__ = ["FIT_ERRORS", "PARAMETER_LABELS", "PeopleSection", "audit_view", "cascade_people", "contagion_items",
           "exposure_counts", "forward_items", "people_section"]

#: Exceptions a fit may raise on data that cannot support it (the page says why and goes on).
FIT_ERRORS: tuple[type[BaseException], ...] = (DataError, ValueError, np.linalg.LinAlgError, ArithmeticError)

#: Contagion figures shown on the page, in order, with their labels.
PARAMETER_LABELS: dict[str, str] = {
    "mu0": "background rate (per person per year)",
    "alpha": "victimizations triggered per victimization",
    "mean_delay_days": "mean delay (days)",
    "amplitude": "seasonal swing (share of the yearly mean)",
    "peak_doy": "seasonal peak (day of year)",
    "alpha_self": "repeat victimizations of the same person triggered per victimization",
    "contagion_share": "share of victimizations from contagion",
    "self_excitation_share": "share of victimizations from the person's own earlier shooting",
}

#: Items of the page, in order: key -> title.
TITLES: dict[str, str] = {
    "network": "The co-arrest network",
    "exposure": "Exposure to recent victims",
    "contagion": "Contagion: do shootings spread along ties?",
    "cascade": "One cascade",
    "forward": "Would a risk list have found the next victims?",
    "calibration": "Calibration",
    "who": "Who is shot",
    "audit": "Fairness audit",
    "risk_list": "Risk list (researchers only)",
}
_FORWARD = ("forward", "calibration", "audit", "risk_list")
_NO_FORWARD = ("Without the forward evaluation, the calibration, fairness audit and risk list built on it are "
               "left out too. A longer history of shootings linked to people (enough for full windows after "
               "several cutoffs) would fill these sections.")
#: Audit ratio column -> the counts whose hiding hides it.
_RATIO_COUNTS: dict[str, tuple[str, ...]] = {
    "selection_rate_ratio": ("n_selected",),
    "capture_rate_ratio": ("tp", "n_outcome"),
    "precision_ratio": ("tp", "n_selected"),
    "false_positive_rate_ratio": ("fp",),
    "calibration": ("n_outcome",),
}
_AUDIT_COUNTS: dict[str, str] = {"n": "people ranked", "n_selected": "on the list", "n_outcome": "victims",
                                 "tp": "victims on the list"}


@dataclass
class PeopleSection:
    """Result of :func:`people_section` (filled further by :func:`contagion_items` and :func:`forward_items`).

    Attributes
    ----------
    ok : bool
        The data link victims to people and hold arrest records (else every network item is
        skipped and :attr:`intro` says why).
    intro : str
        The page's opening (Markdown: heading, data name, dates, population as of).
    items : list of Item
        ``"network"``, ``"exposure"``, ``"contagion"``, ``"cascade"``, ``"forward"``,
        ``"calibration"``, ``"who"``, ``"audit"``, ``"risk_list"``: display-ready tables (hidden
        counts as markers), readings, figure inputs (keyword arguments of the
        :mod:`workbench.plots.people` function named in the docstring of each function).
    min_count : int
        The privacy threshold.
    as_of : Timestamp or None
        Date of the network summary and the contagion fit.
    data_end : DataEnd or None
        The report's one data end (:func:`workbench.data.data_end`).
    history, graph, events, exposure : not for display
        :class:`~workbench.network.PeopleHistory`, the co-arrest graph and the victimizations
        before ``as_of``, the person-level exposure (tests and checks only).
    fit : NetworkHawkes or None
        The contagion model (after :func:`contagion_items`; None when not fitted or not shown).
    evaluation : RollingEvaluation or None
        The forward evaluation (after :func:`forward_items`).
    summary : Series
        :func:`~workbench.network.graph_summary` (aggregates).
    """

    ok: bool
    intro: str
    min_count: int
    items: list[Item] = field(default_factory=list)
    as_of: pd.Timestamp | None = None
    data_end: Any = None
    history: Any = field(default=None, repr=False)
    graph: Any = field(default=None, repr=False)
    events: pd.DataFrame | None = field(default=None, repr=False)
    exposure: pd.DataFrame | None = field(default=None, repr=False)
    fit: Any = field(default=None, repr=False)
    evaluation: Any = field(default=None, repr=False)
    summary: pd.Series = field(default_factory=pd.Series)

    def item(self, key: str) -> Item:
        """The item with this key."""
        return next(i for i in self.items if i.key == key)

    def _put(self, item: Item) -> Item:
        self.items = [item if i.key == item.key else i for i in self.items]
        return item

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (display parts only; the researcher-only list is left out)."""
        return {"ok": self.ok, "intro": self.intro,
                "items": [i.to_json() for i in self.items if i.key != "risk_list"]}


# -- helpers ----------------------------------------------------------------------------------------
def _pct(x: Any, digits: int = 1) -> str:
    return format_share(x, digits, missing="n/a")


def _words(n: Any, min_count: int) -> str:
    return count_text(int(n), min_count, words=True)


def _share_of(k: float, n: float, min_count: int) -> str:
    """``k / n`` as a percentage, unless ``k`` or ``n - k`` is a count too small to show."""
    if n > 0 and enough(k, min_count) and enough(n - k, min_count):
        return _pct(k / n)
    return f"a share not shown (fewer than {min_count} on one side)"


def _skipped(key: str, readings: Sequence[str] = ()) -> Item:
    return Item(key, TITLES[key], readings=list(readings), page="02_people", available=False)


def _not_available(what: str) -> str:
    return f"{what}: not available for these data."


def _counts_column(values: Any, hidden: np.ndarray, min_count: int) -> list[Any]:
    """Counts as shown: the marker for small ones, :data:`HIDDEN_TOTAL` for complementary ones."""
    v = np.asarray(values, dtype=float)
    primary = suppressed_mask(v, min_count)
    marker = suppression_marker(min_count)
    return [marker if p else HIDDEN_TOTAL if h else (MISSING if not np.isfinite(x) else f"{int(x):,}")
            for x, h, p in zip(v, hidden, primary)]


def _letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA ..."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = string.ascii_uppercase[r] + s
    return s


# -- figure inputs --------------------------------------------------------------------------------
def exposure_counts(exposure: pd.DataFrame, max_count: int = 3) -> pd.DataFrame:
    """People by number of victimized contacts (``0, 1, ..., max_count+``) at 1 and 2 steps.

    Parameters
    ----------
    exposure : DataFrame
        :func:`~workbench.network.network_exposure` output (``n_victims_1``, ``n_victims_2``).
    max_count : int
        The last category holds this many victimized contacts or more.

    Returns
    -------
    DataFrame
        Indexed by category (``"0"``, ``"1"``, ..., ``"3+"``): ``n_victims_1`` and
        ``n_victims_2``, people (raw counts; the figure hides the small ones).
    """
    cats = [str(i) for i in range(max_count)] + [f"{max_count}+"]
    out = {}
    for col in ("n_victims_1", "n_victims_2"):
        v = np.minimum(exposure[col].to_numpy(dtype=np.int64), max_count)
        out[col] = np.bincount(v, minlength=max_count + 1)[: max_count + 1]
    return pd.DataFrame(out, index=pd.Index(cats, name="victims"))


def cascade_people(events: pd.DataFrame, cascade_id: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges of one cascade with pseudonymous letters instead of ids.

    Parameters
    ----------
    events : DataFrame
        :attr:`NetworkHawkes.events_` (``event_id``, ``person_id``, ``t``, ``source_event``,
        ``cascade_id``, ``generation``, ``delay_days``).
    cascade_id
        The cascade to draw.

    Returns
    -------
    nodes : DataFrame
        ``label`` ("A", "B"... in order of first victimization), ``day`` (days since the
        cascade's first shooting), ``generation``, ``n_shootings``.
    edges : DataFrame
        ``source``, ``target`` (labels) and ``delay_days`` (most likely infector ->
        infectee, days).
    """
    c = events.loc[events["cascade_id"] == cascade_id].sort_values("t")
    t0 = c["t"].min()
    people = pd.unique(c["person_id"])
    lab = dict(zip(people, [_letters(i) for i in range(len(people))]))
    by_event = dict(zip(c["event_id"], c["person_id"]))
    nodes = (c.assign(label=c["person_id"].map(lab), day=c["t"] - t0)
             .groupby("label", sort=False)
             .agg(day=("day", "min"), generation=("generation", "min"), n_shootings=("t", "size"))
             .reset_index())
    src = c.loc[c["source_event"].notna()]
    edges = pd.DataFrame({
        "source": src["source_event"].map(by_event).map(lab).to_numpy(),
        "target": src["person_id"].map(lab).to_numpy(),
        "delay_days": src["delay_days"].to_numpy(dtype=float),
    })
    return nodes, edges


# -- the network, exposure and who is shot -------------------------------------------------------
def people_section(dataset: Dataset, min_count: int, title: str = "People at risk",
                   as_of: str | pd.Timestamp | None = None, window_days: float = 365.0) -> PeopleSection:
    """The people page's opening, network summary, exposure and *Who is shot*.

    Parameters
    ----------
    dataset : Dataset
    min_count : int
        Smallest count that may be shown.
    title : str
        The page's heading.
    as_of : str or Timestamp, optional
        Date of the network summary and the contagion fit (a date in the data's zone); default
        the report's data end.
    window_days : float
        Exposure counts victims of the last ``window_days`` days before ``as_of``.

    Returns
    -------
    PeopleSection
        Items ``"network"`` (table ``measure``/``count``), ``"exposure"`` (figure:
        ``plot_exposure_distribution(counts=..., min_count=...)``) and ``"who"``; the
        contagion and forward items wait, unavailable, for :func:`contagion_items` and
        :func:`forward_items`.
    """
    from workbench.data import data_end
    from workbench.network import PeopleHistory, graph_summary, network_exposure

    from .victims import victims_section

    n_vict = len(dataset["victimizations"]) if dataset.has("victimizations") else 0
    has_arrests = dataset.has("arrests") and len(dataset["arrests"]) > 0
    has_people = dataset.has("people") and len(dataset["people"]) > 0
    ok = n_vict > 0 and has_arrests and has_people
    de = data_end(dataset) if dataset.has("incidents") and len(dataset["incidents"]) else None
    sec = PeopleSection(ok=ok, intro="", min_count=min_count, data_end=de,
                        items=[_skipped(k) for k in TITLES if k != "who"])
    sec.items.insert(list(TITLES).index("who"), _who_item(victims_section(dataset, min_count)))
    if not ok:
        missing = [w for w, have in [("victim records linked to people", n_vict > 0 and has_people),
                                     ("arrest records", has_arrests)] if not have]
        sec.intro = (
            f"## {title}\n\nData: **{dataset.name}**. This page needs shooting victims linked to pseudonymous "
            f"person ids and arrest records (who was arrested with whom). These data have no "
            f"{' and no '.join(missing)}, so victims cannot be linked across incidents and no network can be "
            "built. The sections below are skipped.")
        return sec
    hist = PeopleHistory.from_dataset(dataset)
    if as_of:
        as_of_ts = hist.timestamp(as_of)
    else:
        as_of_ts = de.end if de is not None else hist.end.normalize() + pd.Timedelta(days=1)
    g = hist.graph(as_of_ts, hist.population(as_of_ts))
    events = hist.events_before(as_of_ts)
    sec.history, sec.graph, sec.events, sec.as_of = hist, g, events, as_of_ts
    sec.intro = (
        f"## {title}\n\nData: **{dataset.name}**, {hist.start:%Y-%m-%d} to {hist.end:%Y-%m-%d}. Network and "
        f"contagion as of {as_of_ts:%Y-%m-%d}: everyone arrested or shot before that date "
        f"({_words(g.n_people, min_count)} people), tied when arrested together.")
    sec.summary = graph_summary(g, victims=events["person_id"])
    sec._put(_network_item(sec.summary, min_count))
    sec.exposure = network_exposure(g, events, as_of_ts, window_days=window_days, contacts_2=False)
    sec._put(_exposure_item(sec.exposure, min_count))
    return sec


def _network_item(summ: pd.Series, min_count: int) -> Item:
    rows = pd.DataFrame({
        "measure": ["people (arrested or shot)", "people with at least one co-arrestee", "ties",
                    "connected groups of 2+ people", "people in the largest group", "victims (distinct)"],
        "count": [summ["n_people"], summ["n_connected"], summ["n_ties"], summ["n_components"],
                  summ["largest_component_size"], summ["n_victims"]],
    })
    table, footnote = suppress_counts(rows, ["count"], min_count)
    table["count"] = [v if isinstance(v, str) else f"{v:,}" for v in table["count"]]
    n_v = float(summ["n_victims"])
    in_net = round(float(summ["share_victims_in_network"]) * n_v) if n_v else 0
    in_big = round(float(summ["share_victims_in_largest_component"]) * n_v) if n_v else 0
    readings = [
        f"A connected person has on average **{summ['mean_degree']:.1f}** co-arrestees.",
        f"**{_share_of(in_net, n_v, min_count)}** of the people shot had at least one co-arrestee at the time, "
        f"and {_share_of(in_big, n_v, min_count)} were in the largest connected group "
        f"({_pct(summ['largest_component_share'])} of connected people are in it).",
        "In Chicago, Papachristos and colleagues found most gunshot victims inside one large co-offending "
        "network that held a small share of the population: risk follows ties, not just places.",
        footnote,
    ]
    return Item("network", TITLES["network"], readings=readings, table=table, page="02_people")


def _exposure_item(ex: pd.DataFrame, min_count: int) -> Item:
    e1 = int((ex["n_victims_1"] > 0).sum())
    e2 = int(((ex["n_victims_2"] > 0) & (ex["n_victims_1"] == 0)).sum())
    readings = [f"{_words(e1, min_count)} people had a co-arrestee shot in the past year; "
                f"{_words(e2, min_count)} more had one two steps away.",
                "Exposure is a warning sign, not a verdict: most exposed people are never shot."]
    return Item("exposure", TITLES["exposure"], readings=readings, page="02_people",
                figure={"counts": exposure_counts(ex), "min_count": min_count})


def _who_item(who: Any) -> Item:
    age_sex = who.item("age_sex")
    lines = who.readings[:1] + [s for k in ("sex", "age", "race") for s in who.item(k).readings[:1]]
    return Item("who", TITLES["who"], readings=list(dict.fromkeys(lines)),
                table=age_sex.table if age_sex.available else pd.DataFrame(), page="00_data_overview")


# -- contagion ---------------------------------------------------------------------------------------
def contagion_items(section: PeopleSection, n_boot: int = 20, seed: int = 0,
                    max_lag_days: float | str | None = "auto", min_events: int = 10) -> list[Item]:
    """Fit the contagion model and fill the ``"contagion"`` and ``"cascade"`` items.

    The model: :class:`~workbench.network.NetworkHawkes` with weights ``"share"``, seasonality and
    self-excitation, fitted on the victimizations before ``section.as_of``. Its warnings pass
    through (wrap the call in :func:`~workbench.sections.page.cautions`).

    Parameters
    ----------
    section : PeopleSection
        From :func:`people_section` (changed in place: ``fit`` and the two items).
    n_boot : int
        Bootstrap replicates of the 95 % intervals (0: none).
    seed : int
        Seed of the bootstrap.
    max_lag_days : float, "auto" or None
        The model's kernel truncation, days.
    min_events : int
        Fewest victimizations for the model to be shown (a rate, a share and a delay from a
        handful of events mean nothing).

    Returns
    -------
    list of Item
        ``"contagion"`` (table ``parameter``/``estimate``/``lower``/``upper``; the background rate
        per person per year) and ``"cascade"`` (figure: ``plot_cascade(nodes=..., edges=...)``).
    """
    from workbench.network import NetworkHawkes

    mc = section.min_count
    if not section.ok:
        return [section.item("contagion"), section.item("cascade")]
    cascade_skip = [_not_available("Cascade picture")]
    try:
        fit = NetworkHawkes(weights="share", seasonality=True, self_excitation=True, n_boot=n_boot, seed=seed,
                            max_lag_days=max_lag_days).fit(section.graph, section.events,
                                                           start=section.history.start.normalize(),
                                                           end=section.as_of)
    except FIT_ERRORS as exc:  # too few victimizations in the network, a singular fit ...
        why = [f"The contagion model could not be fitted: {exc}", _not_available("Contagion model")]
        return [section._put(_skipped("contagion", why)), section._put(_skipped("cascade", cascade_skip))]
    if fit.n_events_ < min_events:
        why = [f"The contagion model is not shown: it rests on {_words(fit.n_events_, mc)} victimizations, too "
               "few to estimate a background rate, a contagion share and a delay.", _not_available("Contagion model")]
        return [section._put(_skipped("contagion", why)), section._put(_skipped("cascade", cascade_skip))]
    section.fit = fit
    return [section._put(_contagion_item(fit, n_boot, mc)), section._put(_cascade_item(fit))]


def _contagion_item(fit: Any, n_boot: int, mc: int) -> Item:
    ci = fit.summary_.reindex([k for k in PARAMETER_LABELS if k in fit.summary_.index])
    tab = ci[["estimate", "lower", "upper"]].astype(float).copy()
    if "mu0" in tab.index:
        tab.loc["mu0"] *= 365.25  # per person per day -> per year
    table = pd.DataFrame({"parameter": [PARAMETER_LABELS[k] for k in tab.index]})
    for col in ("estimate", "lower", "upper"):
        table[col] = [format_number(v, 4) for v in tab[col]]
    casc = fit.cascades_.loc[fit.cascades_["size"] >= 2]
    lo, hi = (ci.loc["contagion_share", ["lower", "upper"]].astype(float) if n_boot and "contagion_share" in ci.index
              else (np.nan, np.nan))
    readings = [
        f"Intervals: 95% bootstrap ({n_boot} replicates); for the mean delay, the profile likelihood. The longest delay "
        "the model considers was chosen from "
        f"the data ({fit.max_lag_:.0f} days, leaving {100 * fit.kernel_mass_beyond_:.2f}% of the fitted delays "
        "beyond it). A seasonal-peak interval whose lower end is above its upper end spans January 1.",
        f"The model attributes **{_pct(fit.contagion_share_)}** of the {_words(fit.n_events_, mc)} victimizations "
        "of people arrested or shot before to contagion"
        + (f" (95% interval {_pct(lo)} to {_pct(hi)})" if np.isfinite(lo) else "")
        + "; Green et al. found 63.1% in Chicago.",
        f"Following each shooting's most likely source gives **{_words(len(casc), mc)}** cascades of two or more "
        f"shootings (Chicago: 4,107), the largest with "
        f"{_words(int(casc['size'].max()) if len(casc) else 0, mc)} shootings.",
        f"The mean delay from a shooting to one it triggered is **{1 / fit.params_['beta']:.0f} days** "
        f"(expected over all links: {fit.delays_['mean_expected']:.0f} days; Chicago: 125 days).",
        f"A further **{_pct(fit.self_excitation_share_)}** are attributed to the same person's own earlier "
        "shooting (repeat victimization), which is kept apart from spread between people.",
        f"Shootings peak around day {fit.season_['peak_doy']:.0f} of the year "
        f"(seasonal swing ±{_pct(fit.season_['amplitude'], 0)}).",
        "Contagion here is statistical: shootings of co-arrestees cluster in time more than shared background "
        "risk explains. It does not prove that one shooting caused the next.",
    ]
    return Item("contagion", TITLES["contagion"], readings=readings, table=table, page="02_people")


def _cascade_item(fit: Any) -> Item:
    cs = fit.cascades_
    pick = cs.loc[(cs["size"] >= 3) & (cs["size"] <= 12)]
    pick = pick if len(pick) else cs.loc[cs["size"] >= 2]
    if not len(pick):
        return _skipped("cascade", [_not_available("Cascade picture (no cascade of two or more shootings)")])
    nodes, edges = cascade_people(fit.events_, pick.iloc[0]["cascade_id"])
    return Item("cascade", TITLES["cascade"], page="02_people", figure={"nodes": nodes, "edges": edges},
                readings=[f"This cascade links {len(nodes)} people over {nodes['day'].max():.0f} days."])


# -- the forward evaluation ------------------------------------------------------------------------
def forward_items(section: PeopleSection, cutoffs: Sequence[Any] | None = None, n_cutoffs: int = 36,
                  horizon_days: float = 365, top_share: float = 0.01, top_k: int = 100, refit_months: int = 12,
                  fairness_bound: Sequence[float] = (0.8, 1.25), min_group_size: int = 30,
                  researcher_mode: bool = False, top_n: int = 50) -> list[Item]:
    """Run the forward evaluation and fill ``"forward"``, ``"calibration"``, ``"audit"`` and ``"risk_list"``.

    Parameters
    ----------
    section : PeopleSection
        From :func:`people_section` (changed in place: ``evaluation`` and the four items).
    cutoffs : sequence of dates, optional
        Cutoffs (default: monthly, the last ``n_cutoffs`` whose window ends by the data end,
        :func:`~workbench.network.default_cutoffs`).
    n_cutoffs : int
    horizon_days : float
        Prediction window after each cutoff, days.
    top_share : float
        Share of the ranked population put on a list (0.01: the top 1 %).
    top_k : int
        A fixed list size also scored.
    refit_months : int
        Refit the contagion model every this many monthly cutoffs.
    fairness_bound : (float, float)
        Disparity ratios outside this band are flagged.
    min_group_size : int
        Smaller groups are reported as too small, not ranked.
    researcher_mode : bool
        Keep the person-level lists and show the contagion list at the last cutoff (never on a
        policy page: without it no list is kept at all).
    top_n : int
        Rows of that list.

    Returns
    -------
    list of Item
        ``"forward"`` (figures: ``capture`` -> ``plot_capture(...)``, ``over_time`` ->
        ``plot_capture_over_time(...)``, each present only when it hides no small count),
        ``"calibration"`` (figure: ``plot_calibration(...)`` without the hidden deciles),
        ``"audit"`` (figure: ``plot_audit(...)``) and ``"risk_list"``.
    """
    from workbench.network import MODEL_LABELS, default_cutoffs, rolling_evaluation

    if not section.ok:
        return [section.item(k) for k in _FORWARD]
    mc = section.min_count
    hist = section.history
    cuts = cutoffs if cutoffs else default_cutoffs(
        hist, horizon_days, n_cutoffs=n_cutoffs, end=section.data_end.end if section.data_end is not None else None)
    why: list[str] = []
    rev = None
    if len(cuts) == 0:
        why = [f"The data are too short for a forward evaluation with a {horizon_days}-day window."]
    else:
        try:
            rev = rolling_evaluation(hist, cutoffs=cuts, horizon_days=horizon_days, top_share=top_share,
                                     top_k=(top_k,), refit_months=refit_months, bound=tuple(fairness_bound),
                                     min_n=min_group_size, keep_lists=researcher_mode)
        except FIT_ERRORS as exc:  # e.g. too few victimizations: the page says what failed and why
            why = [f"The forward evaluation could not be run on these data ({type(exc).__name__}): {exc}"]
    if rev is None:
        section._put(_skipped("forward", why + [_NO_FORWARD]))
        return [section._put(_skipped(k)) if k != "forward" else section.item(k) for k in _FORWARD]
    section.evaluation = rev
    items = [_forward_item(rev, horizon_days, top_share, top_k, mc, MODEL_LABELS),
             _calibration_item(rev, mc, MODEL_LABELS),
             _audit_item(rev, top_share, tuple(fairness_bound), mc, MODEL_LABELS),
             _risk_list_item(rev, researcher_mode, top_n)]
    return [section._put(i) for i in items]


def _forward_item(rev: Any, horizon_days: float, top_share: float, top_k: int, mc: int,
                  labels: dict[str, str]) -> Item:
    s = rev.summary_
    ev = rev.evaluation_
    top = f"top {100 * top_share:g}%"
    kcol = f"captured_k{top_k}"
    small = ~enough(s["captured"], mc).to_numpy()
    table = pd.DataFrame({
        "list": s["label"].to_numpy(),
        "victims (all windows)": _counts_column(s["n_victims"], np.zeros(len(s), bool), mc),
        f"in {top}": _counts_column(s["captured"], np.zeros(len(s), bool), mc),
        f"share in {top}": [MISSING if h else format_share(v) for v, h in zip(s["share_captured"], small)],
        "precision": [MISSING if h else format_share(v, 2) for v, h in zip(s["precision_at_k"], small)],
        f"in top {top_k}": (_counts_column(s[kcol], np.zeros(len(s), bool), mc) if kcol in s
                            else [MISSING] * len(s)),
        "auc": [format_number(v, 3) for v in s["auc"]],
    })
    table = human_columns(table)
    _, footnote = suppress_counts(s, ["n_victims", "captured"] + ([kcol] if kcol in s else []), mc)
    first, last = rev.cutoffs[0], rev.cutoffs[-1]
    best = s.sort_values("share_captured", ascending=False).iloc[0]
    best_small = not enough(best["captured"], mc)
    sx = s.set_index("model")["share_captured"].where(~pd.Series(small, index=s["model"].to_numpy()))

    def share(model: str) -> str:
        if model in sx.index and not np.isfinite(sx[model]):
            return f"hidden (fewer than {mc} victims)"
        return _pct(sx.get(model, np.nan))

    readings = [
        f"{len(rev.cutoffs)} cutoffs from {first:%Y-%m-%d} to {last:%Y-%m-%d}, {horizon_days:.0f}-day windows; "
        f"on average {_words(ev['n_people'].mean(), mc)} people ranked and "
        f"{_words(ev['n_victims'].mean(), mc)} victims per window.",
        footnote,
        (f"Best list: **{best['label']}**, whose {top} held "
         + (f"fewer than {mc} of the next victims (the share is hidden)." if best_small else
            f"{_pct(best['share_captured'])} of the next victims, {best['share_captured'] / top_share:.0f} times "
            "what a random list of that size would.")),
        f"Share of the next victims in the {top}: contagion alone {share('contagion')}, contagion plus "
        f"demographics {share('contagion_demographics')}, demographics and prior arrests {share('demographics')} "
        "(Chicago: 5.3%, 6.5%, 4.3%).",
        "Most victims are on no list at all: a list can support outreach, it cannot predict who will be shot.",
    ]
    figure: dict[str, Any] = {}
    if enough(s["captured"].max(), mc):
        figure["capture"] = {"summary": s.assign(share_captured=s["share_captured"].where(~small)),
                             "top_share": top_share, "labels": labels}
    if len(rev.cutoffs) >= 3 and enough(ev["n_victims"].min(), mc):
        shown = ev.assign(share_captured=ev["share_captured"].where(~suppressed_mask(ev["captured"], mc)))
        if (shown["share_captured"] > 0).any():
            figure["over_time"] = {"evaluation": shown[["model", "cutoff", "share_captured"]], "labels": labels}
    return Item("forward", TITLES["forward"], readings=readings, table=table, page="02_people", figure=figure)


def _calibration_item(rev: Any, mc: int, labels: dict[str, str]) -> Item:
    if not enough(rev.evaluation_["n_victims"].sum(), mc):
        return _skipped("calibration", [_not_available("Calibration")])
    cal = rev.calibration_.reset_index(drop=True)
    hidden = suppressed_mask(cal["n_outcome"], mc)
    top = cal.loc[cal["bin"] == cal["bin"].max()]
    m = "contagion" if "contagion" in set(top["model"]) else top["model"].iloc[0]
    i = top.index[top["model"] == m][0]
    c = cal.loc[i]
    said = (f"In the top tenth of the {'contagion' if m == 'contagion' else labels.get(m, m)} list the model "
            f"predicted {_pct(c['mean_predicted'])} would be shot and "
            + (f"fewer than {mc} were (the share is hidden)." if hidden[i] else f"{_pct(c['observed_rate'])} were."))
    readings = [said + (" Some deciles have too few victims to show." if hidden.any() else "")]
    return Item("calibration", TITLES["calibration"], readings=readings, page="02_people",
                figure={"calibration": cal.loc[~hidden].reset_index(drop=True), "labels": labels})


def audit_view(audit: pd.DataFrame, min_count: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fairness audit of one list as a policy page shows it.

    Counts ``1 .. min_count-1`` are hidden (the marker) and, per attribute and count column, a
    second count where exactly one group is hidden, so that it cannot be worked out from the
    ``"all"`` row (:func:`workbench.privacy.complementary_mask`, shown as
    :data:`~workbench.privacy.HIDDEN_TOTAL`). A ratio computed from a hidden count is hidden too
    (selection: on the list; capture: victims on the list or victims; precision: victims on the
    list or on the list; false positive: listed non-victims; calibration: victims), and so is
    the name of a flagged ratio that is hidden.

    Parameters
    ----------
    audit : DataFrame
        Rows of one model of :attr:`RollingEvaluation.audit_`.
    min_count : int

    Returns
    -------
    view : DataFrame
        Display-ready (strings): ``attribute``, ``group``, the four counts, the five ratios,
        ``reliable``, ``flagged``.
    shown : DataFrame
        ``audit`` with the hidden ratios set to NaN and ``flags`` cut to the shown ones (the
        figure's input).
    """
    a = audit.reset_index(drop=True)
    hidden = {c: suppressed_mask(a[c], min_count) for c in (*_AUDIT_COUNTS, "fp")}
    for col in _AUDIT_COUNTS:
        for _, idx in a.groupby("attribute", sort=False).groups.items():
            rows = a.loc[idx]
            groups = rows.index[rows["group"] != "all"]
            total = rows.index[rows["group"] == "all"]
            cells, totals = complementary_mask(a.loc[groups, col].to_numpy(float)[None, :], min_count)
            hidden[col][groups] |= cells[0]
            hidden[col][total] |= totals[0]
    shown = a.copy()
    for ratio, counts in _RATIO_COUNTS.items():
        if ratio in shown:
            mask = np.logical_or.reduce([hidden[c] for c in counts])
            shown[ratio] = shown[ratio].astype(float).mask(mask)
    ratio_of = {"selection_rate": "selection_rate_ratio", "capture_rate": "capture_rate_ratio",
                "precision": "precision_ratio", "false_positive_rate": "false_positive_rate_ratio",
                "calibration": "calibration"}
    shown["flags"] = [",".join(f for f in str(fl).split(",") if f and np.isfinite(r.get(ratio_of.get(f, ""), np.nan)))
                      for fl, (_, r) in zip(shown["flags"], shown.iterrows())]
    view = pd.DataFrame({"attribute": a["attribute"].str.replace("_", " "), "group": a["group"]})
    for col, label in _AUDIT_COUNTS.items():
        view[label] = _counts_column(a[col], hidden[col], min_count)
    for ratio, label in (("selection_rate_ratio", "selection ratio"), ("capture_rate_ratio", "capture ratio"),
                         ("precision_ratio", "precision ratio"),
                         ("false_positive_rate_ratio", "false positive ratio"),
                         ("calibration", "calibration (observed/predicted)")):
        view[label] = [format_number(v, 2) for v in shown[ratio]] if ratio in shown else MISSING
    view["reliable"] = np.where(a["reliable"], "yes", "too small")
    view["flagged"] = shown["flags"].str.replace("_", " ").str.replace(",", ", ")
    return view, shown


def _audit_item(rev: Any, top_share: float, bound: tuple[float, float], mc: int, labels: dict[str, str],
                model: str | None = None) -> Item:
    """The audit of the contagion list (or of ``model``'s: the explorer's choice)."""
    lo_b, hi_b = bound
    main = model if model in set(rev.audit_["model"]) else (
        "contagion" if "contagion" in set(rev.audit_["model"]) else rev.audit_["model"].iloc[0])
    a = rev.audit_.loc[rev.audit_["model"] == main].reset_index(drop=True)
    view, shown = audit_view(a, mc)
    _, footnote = suppress_counts(a, list(_AUDIT_COUNTS), mc)
    readings = [f"The table shows the **{labels[main]}** list, top {100 * top_share:g}%.", footnote,
                "Ratios that would reveal a hidden count are left blank. Group sizes for the 'reliable' test count "
                "distinct people, not people times cutoffs."]
    allrow = a.loc[a["group"] == "all"].iloc[0]
    if "n_victims_unranked" in a and enough(allrow["tp"], mc):
        readings.append(
            f"Capture counts the victims inside the ranked population. A further "
            f"{_words(allrow['n_victims_unranked'], mc)} victims (summed over windows) were outside every list (not "
            f"arrested or shot before the cutoff); against all victims the list found "
            f"{_pct(allrow['capture_rate_all_victims'])}, against ranked victims {_pct(allrow['capture_rate'])}.")
    fl = rev.flags_
    per_model = fl.groupby("model").size().reindex(list(dict.fromkeys(rev.audit_["model"])), fill_value=0)
    rule = " (the four-fifths rule)" if (lo_b, hi_b) == (0.8, 1.25) else ""
    readings.append(f"Ratios outside [{lo_b:g}, {hi_b:g}]{rule} are flagged. Flagged ratios per list:")
    readings += [f"{labels.get(m, m)}: {n} flagged ratio{'s' if n != 1 else ''}" for m, n in per_model.items()]
    sel = shown.loc[(shown["group"] != "all") & shown["selection_rate_ratio"].notna()
                    & shown["flags"].str.contains("selection_rate", regex=False)]
    if len(sel):
        worst = sel.iloc[int((sel["selection_rate_ratio"] - 1).abs().to_numpy().argmax())]
        readings.append(f"On the {labels[main]} list the largest selection disparity is for "
                        f"{worst['attribute'].replace('_', ' ')} **{worst['group']}**: selected at "
                        f"{worst['selection_rate_ratio']:.2f} times the overall rate.")
    readings.append(
        "Unequal selection can follow unequal risk (groups are shot at different rates) or unequal data (who gets "
        "arrested, and so who is in the network, reflects policing). Equal capture and false positive rates cannot "
        "in general hold together with calibration when base rates differ (Chouldechova 2017); the audit shows "
        "the trade-off so people can decide how to use a list.")
    figure: dict[str, Any] = {}
    if len(shown.loc[shown["reliable"] & (shown["group"] != "all")]):
        figure = {"audit": shown, "bound": (lo_b, hi_b), "title": f"Fairness audit: {labels[main]} list"}
    return Item("audit", f"{labels[main]}, top {100 * top_share:g}%", readings=readings, table=view,
                page="02_people", figure=figure)


def _risk_list_item(rev: Any, researcher_mode: bool, top_n: int) -> Item:
    """The person-level list: **researcher mode only** (a policy section never holds it)."""
    if not researcher_mode:
        return Item("risk_list", TITLES["risk_list"], page="02_people",
                    readings=["The person-level risk list is not part of this report (researcher mode is off)."])
    if not rev.lists_:
        return _skipped("risk_list", [_not_available("Risk list")])
    rl = rev.lists_.get("contagion") or next(iter(rev.lists_.values()))
    table = rl.ranking.head(top_n).reset_index()
    for col in table.columns:
        if pd.api.types.is_float_dtype(table[col]):
            table[col] = table[col].round(4)
    return Item("risk_list", TITLES["risk_list"], readings=[repr(rl)], table=table, page="02_people")
