"""The dosage page (notebook ``05_dosage``): police presence against need and support, area by area.

What the page shows, computed once here and displayed by the notebook (and by anything else that
wants the same page parts):

- :func:`dosage_section` -- whether the data can carry the page (areas with residents, a police
  measure, co-responder records; what is missing), the heading with the balance window and the
  police source, and the item ``"totals"`` (need, police dose and support dose summed over the
  areas, counts suppressed);
- :func:`add_balance` -- the balance fit (:func:`workbench.dosage.balance`) and the items
  ``"balance"`` (readings; figure input: the names of the areas the page names),
  ``"classes"`` (areas per class, support classes resting on fewer than ``min_count`` victims
  hidden through :func:`workbench.dosage.policy_classes`), ``"top"`` (the areas most out of
  balance: suppressed counts, support ratios of areas with few victims blanked) and
  ``"reading"`` (the page's closing sentences);
- :func:`add_change` -- the before/after comparison (:func:`workbench.dosage.program_change`,
  :func:`workbench.dosage.group_trends`): items ``"change"`` (group table, readings; figure
  input: the trends per group and period) and ``"caveats"``; when the comparison cannot be made
  (no program start, or the fit raises ``ValueError``) the item is unavailable and says why;
- :func:`add_pretrend` -- the pre-period placebo (:func:`workbench.dosage.pretrend_check`),
  item ``"pretrend"``;
- :func:`police_source_text`, :func:`balance_readings`, :func:`change_readings`,
  :func:`pretrend_readings` -- the plain-language readings (aggregates only).

Each fit is a separate call so that a notebook can wrap it in
``with cautions("the ... estimate"):`` (:func:`workbench.sections.page.cautions`) and the typed
warnings it raises reach the page. Nothing here displays or draws.

Privacy: counts are suppressed through :func:`workbench.privacy.suppress_counts` (``1 ..
min_count - 1`` shown as the marker); a class or ratio that rests on the support of fewer than
``min_count`` victims is hidden; no person is listed (rows are areas).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench import dosage
from workbench.data import area_names, data_end, local_timestamp
from workbench.data.dataset import Dataset
from workbench.dosage.balance import POLICE_MEASURES, Balance
from workbench.dosage.change import ProgramChange
from workbench.formatting import format_number, human_columns
from workbench.privacy import suppress_counts, suppressed_mask

from ._common import Item

__all__ = ["POLICE_WORDS", "SUPPORT_WORDS", "DosageSection", "add_balance", "add_change", "add_pretrend",
           "balance_readings", "change_readings", "dosage_section", "police_source_text", "pretrend_readings"]

PAGE = "05_dosage"
POLICE_WORDS = {"patrol_hours": "patrol hours", "contacts": "police contacts", "stops": "stops",
                "arrests": "arrests"}
SUPPORT_WORDS = {"visits": "co-responder visits", "referrals": "referrals",
                 "engaged": "referrals that led to engagement"}
#: Citywide totals of the need / police / support table: (label, column of the dose counts).
TOTALS = (("shootings", "shootings"), ("victims", "victims"), ("victims with no referral", "victims_unserved"),
          ("residents exposed (per shooting)", "exposed"), ("patrol hours", "patrol_hours"), ("stops", "stops"),
          ("arrests on patrol", "police_arrests"), ("police responses", "police_responses"),
          ("co-responder visits", "coresponder_visits"), ("referrals", "referrals"), ("engaged referrals", "engaged"))
#: Columns of the table of the areas most out of balance, as the page labels them.
TOP_LABELS = {"area_id": "area", "need_rate": "shootings per 1k (smoothed)", "police_rate": "police per 1k",
              "police_expected": "expected police per 1k", "police_ratio": "police ratio",
              "police_ratio_lower": "ratio low", "police_ratio_upper": "ratio high",
              "p_police_high": "P(police high)", "support_ratio": "support ratio", "p_support_low": "P(support low)"}
#: The page's items: key -> heading.
ITEMS = {"totals": "Need, police dose and support dose", "balance": "Police dose against support dose",
         "classes": "Where the balance classes are", "top": "Areas most out of balance",
         "change": "Change after the program start", "caveats": "Caveats (read these with the chart).",
         "pretrend": "Pre-period check", "reading": "Reading the numbers"}
NOTHING_TO_READ = "Nothing to read: the data needed for the dosage view are missing (see above)."


@dataclass
class DosageSection:
    """The dosage page's parts (:func:`dosage_section`, filled by :func:`add_balance`,
    :func:`add_change` and :func:`add_pretrend`).

    Attributes
    ----------
    ok : bool
        The data carry the page (areas with residents, a police measure, co-responders).
    heading : str
        Markdown: the page title and what the data are (window, police source, what is missing).
    items : list of Item
        ``"totals"``, ``"balance"``, ``"classes"``, ``"top"``, ``"reading"``, ``"change"``,
        ``"caveats"``, ``"pretrend"`` (as computed so far).
    missing : list of str
        What the data lack (``"no patrol records"``...).
    min_count : int
        Privacy threshold.
    source : str
        Police source (:func:`workbench.dosage.police_source`).
    police_measure : str
        Measure of the police dose (``"auto"`` resolved).
    program_start : Timestamp or None
        Start of the co-responder program (local midnight).
    end : str or None
        Exclusive end of the windows (the report's data end unless given).
    counts : DataFrame or None
        Dose counts per area (:func:`workbench.dosage.dose_counts` with the trauma index):
        aggregates, **not for display** before suppression.
    names : Series
        Area names by ``area_id``.
    balance : Balance or None
        The balance fit (the quadrant chart and the map draw it).
    change : ProgramChange or None
        The before/after fit (the trend chart draws it).
    pretrend : ProgramChange or None
        The pre-period placebo.
    """

    ok: bool
    heading: str
    items: list[Item] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    min_count: int = 11
    source: str = "none"
    police_measure: str = "patrol_hours"
    program_start: pd.Timestamp | None = None
    end: str | None = None
    counts: pd.DataFrame | None = None
    names: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    balance: Balance | None = None
    change: ProgramChange | None = None
    pretrend: ProgramChange | None = None

    def item(self, key: str) -> Item:
        """The item with this key."""
        return next(i for i in self.items if i.key == key)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (display parts only: heading and items, no fitted objects)."""
        return {"ok": self.ok, "heading": self.heading, "missing": list(self.missing),
                "items": [i.to_json() for i in self.items]}

    def _put(self, item: Item) -> Item:
        self.items = [i for i in self.items if i.key != item.key] + [item]
        return item


# ---- readings (aggregates only) ----------------------------------------------------------------

def _areas(n: int) -> str:
    return f"{n} area{'s' if n != 1 else ''}"


def police_source_text(source: str) -> str:
    """One sentence saying what the police dose is made of.

    Parameters
    ----------
    source : {"patrols", "responses_and_arrests", "none"}
        :func:`workbench.dosage.police_source`.
    """
    text = dosage.POLICE_SOURCES.get(source, source)
    if source == "responses_and_arrests":
        return ("There are no patrol records, so the police dose is the police-contact measure: "
                f"{text}. Police responses follow the shootings themselves, so this measure says "
                "less about discretionary presence than patrol records would.")
    return f"The police dose comes from {text}."


def balance_readings(bal: Balance) -> list[str]:
    """Sentences describing the classes (numbers of areas, thresholds, uncertainty).

    Rates in the sentences are per 1,000 residents per year (baseline) and per shooting.
    """
    t, p = bal.table, bal.params
    n = len(t)
    counts = t["class"].value_counts()
    pw = POLICE_WORDS[p["police_measure"]]
    sw = SUPPORT_WORDS[p["support_measure"]]
    high = int(counts.get("over-policed and underserved", 0) + counts.get("more police than need", 0))
    out = [
        f"{_areas(high)} of {n} {'gets' if high == 1 else 'get'} at least {p['police_high']:g} times the "
        f"{pw} their shooting rate predicts (with at least {p['min_probability']:.0%} probability); "
        f"{int(counts.get('over-policed and underserved', 0))} of them also get little support "
        f"({sw} per victim at most {p['support_low']:.0%} of the citywide rate).",
    ]
    low = int(counts.get("support-led", 0) + counts.get("less police than need", 0))
    if low:
        out.append(f"{_areas(low)} {'gets' if low == 1 else 'get'} at most {1 / p['police_high']:.0%} of the "
                   f"predicted {pw}; {int(counts.get('support-led', 0))} of them get high support "
                   "(the reverse pattern).")
    und = int(counts.get("underserved", 0) + counts.get("over-policed and underserved", 0))
    if bal.support is not None:
        if und == 0 and int(counts.get("support-led", 0)) == 0:
            out.append(f"Support ({sw} per victim) is not clearly lower or higher in any area than "
                       "citywide, once the small numbers of victims per area are taken into account.")
        else:
            out.append(f"{_areas(und)} {'gets' if und == 1 else 'get'} clearly less support per victim than citywide.")
    a, b = bal.coef
    if np.isfinite(a):
        out.append(f"The expected {pw} is {1000 * a:,.0f} per 1,000 residents per year plus "
                   f"{b:,.0f} per shooting (fitted across areas, robust to the out-of-line ones).")
    out.append("Rates are smoothed toward the citywide rate in proportion to how little data an area "
               "has (empirical Bayes), so an area with few residents or few shootings is not ranked "
               "on one or two events.")
    return out + list(bal.notes)


def change_readings(pc: ProgramChange, unit: str = "shootings", min_count: int | None = None) -> list[str]:
    """Sentences on the before/after change (rates per 1,000 residents per year) and the
    comparison (or why there is none).

    With ``min_count``, the rate of a group whose count is hidden (``1 .. min_count - 1``,
    :func:`workbench.privacy.suppressed_mask`) is not given: it would tell the count.
    """
    g = pc.groups.set_index("group")
    out = []

    def rate(r: pd.Series, when: str) -> str:
        if min_count is not None and suppressed_mask(np.array([r[when]], float), min_count)[0]:
            return f"not shown (fewer than {min_count} {unit})"
        return f"{r[f'rate_{when}']:.2f}"

    for grp in ("reached", "not reached"):
        if grp in g.index:
            r = g.loc[grp]
            out.append(f"Areas {grp} by the program ({_areas(int(r['areas']))}): {rate(r, 'before')} "
                       f"{unit} per 1,000 residents per year before the start, {rate(r, 'after')} after.")
    if pc.did is not None:
        d = pc.did
        out.append(f"Difference in differences: {d['estimate']:+.2f} per 1,000 residents per year "
                   f"({d['level']:.0%} interval {d['lower']:+.2f} to {d['upper']:+.2f}). "
                   "This is an association under strong assumptions (see the caveats), not an effect.")
    else:
        out.append(f"No comparison: {pc.reason}.")
    return out


def pretrend_readings(pre: ProgramChange | None) -> list[str]:
    """Sentences on the pre-period placebo comparison (per 1,000 residents per year)."""
    if pre is None or pre.did is None:
        return ["No pre-period check: the before period or the comparison groups are too small."]
    d = pre.did
    clear = d["lower"] > 0 or d["upper"] < 0
    head = (f"Pre-period check (pretend start {pre.program_start:%Y-%m-%d}, same areas): difference "
            f"{d['estimate']:+.2f} ({d['level']:.0%} interval {d['lower']:+.2f} to {d['upper']:+.2f}). ")
    if clear:
        return [head + "The groups were already drifting apart before the program, so the trends are not "
                "parallel and the comparison above should not be read as the program's doing."]
    return [head + "No clear drift before the program; this supports, but does not prove, parallel trends."]


# ---- tables -------------------------------------------------------------------------------------

def _display(df: pd.DataFrame, precision: int = 2, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A privacy-applied table as the page shows it: human labels, numbers as text."""
    out = df.copy()
    for c in out.columns:
        out[c] = out[c].astype(object).map(lambda v: format_number(v, precision))
    return human_columns(out, labels).reset_index(drop=True)


def _suppressed(df: pd.DataFrame, counts: Sequence[str], min_count: int,
                precision: int = 2) -> tuple[pd.DataFrame, str]:
    shown, footnote = suppress_counts(df, list(counts), min_count)
    return _display(shown, precision), footnote


def _group_table(groups: pd.DataFrame, min_count: int) -> tuple[pd.DataFrame, str]:
    """Counts and pooled rates per group before and after the start; a rate (and the change)
    resting on a hidden count is blanked, since with the residents it would tell the count."""
    g = groups.rename(columns={"before": "count before", "after": "count after"})
    hid_b = suppressed_mask(g["count before"].to_numpy(float), min_count)
    hid_a = suppressed_mask(g["count after"].to_numpy(float), min_count)
    table, footnote = _suppressed(g, ["count before", "count after"], min_count)
    for col, hide in (("rate before", hid_b), ("rate after", hid_a), ("change", hid_b | hid_a)):
        if col in table:
            table.loc[hide, col] = ""
    if (hid_b | hid_a).any():
        footnote += " Rates resting on a hidden count are left blank."
    return table, footnote


# ---- the page -----------------------------------------------------------------------------------

def _missing(dataset: Dataset) -> list[str]:
    missing = []
    if not dataset.has("areas"):
        missing.append("no areas")
    elif "population" not in dataset["areas"].columns or dataset["areas"]["population"].isna().all():
        missing.append("no area populations (rates per resident are impossible)")
    for table, what in (("patrols", "no patrol records"), ("responses", "no response records"),
                        ("referrals", "no referrals")):
        if not dataset.has(table):
            missing.append(what)
    return missing


def dosage_section(dataset: Dataset, *, min_count: int = 11, title: str = "Dosage: police presence, support and need",
                   start: Any = None, end: Any = None, program_start: Any = None, police_measure: str = "auto",
                   exposure_radius_m: float | None = 400) -> DosageSection:
    """Check the data, count the doses per area and make the heading and the totals.

    Parameters
    ----------
    dataset : Dataset
    min_count : int, default 11
        Privacy threshold: counts ``1 .. min_count - 1`` are hidden.
    title : str
        Page title (the heading; text from a parameter file is escaped when shown).
    start, end : str or Timestamp, optional
        Balance window ``[start, end)``, dates in the data's time zone; ``start`` defaults to
        the program start (before it no victim could be served), ``end`` to the report's data
        end (:func:`workbench.data.data_end`).
    program_start : str or Timestamp, optional
        Start of the co-responder program; default the day of the first co-responder arrival.
    police_measure : {"auto", "patrol_hours", "contacts", "stops", "arrests"}
        ``"auto"``: patrol hours, or police contacts without patrol records.
    exposure_radius_m : float, default 400
        Radius around a shooting within which residents count as exposed (meters).

    Returns
    -------
    DosageSection
        ``ok`` False when the page cannot be made (the heading says what is missing; every
        later item is unavailable).
    """
    missing = _missing(dataset)
    source = dosage.police_source(dataset)
    has_support = dataset.has("responses") and bool((dataset["responses"]["responder_type"] != "police").any())
    ok = dataset.has("areas") and not any(m.startswith("no area") for m in missing) and source != "none" \
        and has_support
    sec = DosageSection(ok=ok, heading="", missing=missing, min_count=min_count, source=source)
    if not ok:
        sec.heading = (f"## {title}\n\nData: **{dataset.name}**. These data have " + ", ".join(missing)
                       + ". The dosage view needs area populations, a police measure (patrol records, or police "
                       "responses and arrests) and co-responder records, so **the sections below are skipped**.")
        for key, head in ITEMS.items():  # every part of the page says it could not be made
            sec._put(Item(key, head, readings=[NOTHING_TO_READ], page=PAGE, available=False))
        return sec
    if end is None:
        de = data_end(dataset)
        end = f"{de.end:%Y-%m-%d}" if de is not None else None  # every page stops at the one data end
    ps = dosage.infer_program_start(dataset) if program_start is None else \
        local_timestamp(program_start, dataset.timezone)
    sec.program_start, sec.end = ps, end
    sec.police_measure = police_measure if police_measure != "auto" else \
        ("patrol_hours" if source == "patrols" else "contacts")
    counts = dosage.dose_counts(dataset, start=start if start is not None else ps, end=end,
                                exposure_radius_m=exposure_radius_m)
    sec.counts = dosage.add_trauma_index(counts, dataset)
    sec.names = area_names(dataset["areas"])
    s0, e0 = counts.attrs["window"]
    sec.heading = (f"## {title}\n\nData: **{dataset.name}**; balance window {s0:%Y-%m-%d} to {e0:%Y-%m-%d} (exclusive)"
                   + (" starting at the program start, because before it no victim could be served"
                      if start is None and ps is not None else "")
                   + f". {police_source_text(source)}"
                   + (" " + ", ".join(missing).capitalize() + "." if missing else ""))
    tot = sec.counts.drop(columns=["area_id", "period"], errors="ignore").sum(numeric_only=True, min_count=1)
    rows = [(label, round(float(tot[col]))) for label, col in TOTALS
            if col in tot.index and np.isfinite(tot[col])]
    table, footnote = _suppressed(pd.DataFrame(rows, columns=["measure", "total"]), ["total"], min_count, 0)
    sec._put(Item("totals", "Need, police dose and support dose", table=table, page=PAGE, readings=[
        footnote, f"People exposed: {counts.attrs['exposure_source']}. Trauma context index: "
        f"{sec.counts.attrs.get('trauma_source', 'not computed')}.", *counts.attrs["notes"]]))
    return sec


def add_balance(sec: DosageSection, *, support_measure: str = "visits", police_high: float = 1.5,
                support_low: float = 0.67, min_probability: float = 0.8, seed: int = 0,
                top_n: int = 10) -> Item:
    """Fit the balance view and add the items ``"balance"``, ``"classes"``, ``"top"`` and ``"reading"``.

    Parameters
    ----------
    sec : DosageSection
        From :func:`dosage_section` (``ok``).
    support_measure : {"visits", "referrals", "engaged"}
        Support dose per victim.
    police_high : float, default 1.5
        Police ratio at or above which the police dose counts as high for the need.
    support_low : float, default 0.67
        Support per victim at or below this share of the citywide rate counts as low.
    min_probability : float, default 0.8
        Posterior probability an area needs to be put in a class.
    seed : int, default 0
        Seed of the posterior draws.
    top_n : int, default 10
        Rows of the table of the areas most out of balance.

    Returns
    -------
    Item
        ``"balance"``: the readings of the quadrant chart; ``figure["labels"]`` maps the
        ``area_id`` of every area the page names (the rows of ``"top"``) to its name.
    """
    if not sec.ok or sec.counts is None:
        return sec._put(Item("balance", "Police dose against support dose", page=PAGE, available=False,
                             readings=[NOTHING_TO_READ]))
    mc = sec.min_count
    col = POLICE_MEASURES.get(sec.police_measure)
    if col is not None and (col not in sec.counts or sec.counts[col].isna().all()):
        why = (f"The balance view is not available: these data have no {POLICE_WORDS[sec.police_measure]} "
               "(choose another police measure).")
        for key, title in (("classes", "Where the balance classes are"), ("top", "Areas most out of balance")):
            sec._put(Item(key, title, page=PAGE, available=False, readings=[why]))
        sec._put(Item("reading", "Reading the numbers", page=PAGE, available=False,
                      readings=[police_source_text(sec.source), why]))
        return sec._put(Item("balance", "Police dose against support dose", page=PAGE, available=False,
                             readings=[why]))
    bal = dosage.balance(sec.counts, police_measure=sec.police_measure, support_measure=support_measure,
                         police_high=police_high, support_low=support_low, min_probability=min_probability,
                         seed=seed)
    sec.balance = bal
    top = dosage.most_out_of_balance(bal, top_n, min_count=mc)
    labels = {str(a): str(sec.names.get(str(a), a)) for a in top["area_id"]}
    item = sec._put(Item("balance", "Police dose against support dose", readings=balance_readings(bal),
                         page=PAGE, figure={"labels": labels}))
    cls = dosage.policy_classes(bal, mc).value_counts().rename_axis("class").reset_index(name="areas")
    sec._put(Item("classes", "Where the balance classes are", table=_display(cls), page=PAGE))
    if len(top):
        shown = top.assign(area_id=top["area_id"].map(labels)).rename(columns=TOP_LABELS)
        table, footnote = _suppressed(shown, ["population", "shootings", "victims"], mc)
        sec._put(Item("top", "Areas most out of balance", table=table, readings=[footnote], page=PAGE,
                      figure={"area_id": top["area_id"].tolist()}))
    else:
        sec._put(Item("top", "Areas most out of balance", page=PAGE,
                      readings=["No area is clearly out of balance at these thresholds."]))
    sec._put(Item("reading", "Reading the numbers", page=PAGE, readings=[
        police_source_text(sec.source), *balance_readings(bal)[:2],
        "A high police ratio says an area gets more police than its violence predicts compared with other "
        "areas of this city; it does not say why, nor that the police are doing anything wrong there.",
        "Support is measured per victim, so an area with few victims has a wide interval and is rarely put "
        "in a support class: absence of a class is not evidence of good service."]))
    return item


def add_change(sec: DosageSection, dataset: Dataset, *, outcome: str = "shootings",
               program_areas: Sequence[str] | None = None, reach_share: float = 0.5, trend_freq: str = "Y",
               seed: int = 0) -> Item:
    """Fit the before/after comparison and add the items ``"change"`` and ``"caveats"``.

    Parameters
    ----------
    sec : DosageSection
        From :func:`dosage_section`.
    dataset : Dataset
        The same data.
    outcome : str, default "shootings"
        Count column of the dose counts compared (``shootings``, ``patrol_hours``,
        ``police_contacts``, ``victims_unserved``); rates per 1,000 residents per year.
    program_areas : list of str, optional
        Area ids the program served (default: inferred from co-responder coverage).
    reach_share : float, default 0.5
        Inferred reach: share of post-start shootings with a co-responder that makes an area reached.
    trend_freq : {"Y", "Q", "M"}
        Period of the trend chart.
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    Item
        ``"change"``: the group table (counts suppressed) and readings; ``figure`` holds
        ``trends`` (pooled rate per group and period, :func:`workbench.dosage.group_trends`) and
        ``unit``. Unavailable, with the reason in its readings, when there is no program start
        or the comparison cannot be computed.
    """
    title = "Change after the program start"
    if not sec.ok:
        return sec._put(Item("change", title, page=PAGE, available=False, readings=[NOTHING_TO_READ]))
    if sec.program_start is None:
        return sec._put(Item("change", title, page=PAGE, available=False, readings=[
            "No program start is known and no co-responder arrivals to infer it from: no before/after."]))
    try:
        pc = dosage.program_change(dataset, sec.program_start, outcome=outcome, program_areas=program_areas,
                                   reach_share=reach_share, end=sec.end, seed=seed)
    except ValueError as exc:  # no data before the start, an unknown outcome, an empty window
        return sec._put(Item("change", title, page=PAGE, available=False,
                             readings=[f"Change after the program start: not available ({exc})."]))
    sec.change = pc
    unit = outcome.replace("_", " ")
    trends = dosage.group_trends(dataset, pc, freq=trend_freq, end=sec.end)
    table, footnote = _group_table(pc.groups, sec.min_count)
    sec._put(Item("caveats", "Caveats (read these with the chart).", readings=list(pc.caveats), page=PAGE))
    return sec._put(Item("change", title, table=table, page=PAGE, figure={"trends": trends, "unit": unit},
                         readings=[footnote, *change_readings(pc, unit, sec.min_count)]))


def add_pretrend(sec: DosageSection, dataset: Dataset, *, seed: int = 0) -> Item:
    """Fit the pre-period placebo of the comparison and add the item ``"pretrend"``.

    Parameters
    ----------
    sec : DosageSection
        After :func:`add_change`.
    dataset : Dataset
    seed : int, default 0
        Seed of the bootstrap.
    """
    if sec.change is None:
        return sec._put(Item("pretrend", "Pre-period check", page=PAGE, available=False,
                             readings=pretrend_readings(None)))
    sec.pretrend = dosage.pretrend_check(dataset, sec.change, seed=seed)
    return sec._put(Item("pretrend", "Pre-period check", readings=pretrend_readings(sec.pretrend), page=PAGE,
                         available=sec.pretrend is not None and sec.pretrend.did is not None))
