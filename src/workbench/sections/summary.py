"""The index page's executive summary: key numbers, top areas, changes; computations, no rendering.

The summary compares the *period* (the last ``months`` months of incident data, ending at the
report's one data end, :func:`workbench.data.data_end`; a report sets ``months`` with its
``summary_months`` parameter, default 12) with the *previous period* of equal length just
before it:

- shootings (fatal and non-fatal);
- resident exposures: residents living inside the 400 m exposure zone of a shooting
  (:func:`workbench.spatial.exposure_zones`), summed over shootings (a resident near two
  shootings counts twice);
- co-response coverage: share of shootings attended by a non-police responder
  (:func:`workbench.response.coresponse_coverage`);
- median days from referral to engagement, Kaplan-Meier (referrals made in the period;
  :func:`workbench.survival.engagement_table`);
- past victims still unserved at the period end (shot before the program start, never
  referred; :func:`workbench.outreach.past_victims`);

plus the areas with the most shootings (:func:`top_areas`) and what changed since the previous
run (:func:`changes_since`). Every count below ``min_count`` is suppressed (see
:mod:`workbench.privacy`); a measure whose table is missing is *not available* instead of 0.
The result is JSON-ready (:func:`summary_json`) so that the next run can compare with it.

Failures are said, not hidden: a key number whose computation raises one of
:data:`COMPUTATION_ERRORS` (bad or too few data: :class:`~workbench.data.DataError`,
``ValueError`` with lifelines' ``ConvergenceError`` and numpy's ``LinAlgError``, ``KeyError``)
reads "could not be computed: <reason>" on the index and its traceback goes to the log (the
runner copies it to ``run.log``); any other error is a bug and propagates. The workbench's typed
warnings (:class:`~workbench.StatisticalWarning`, :class:`~workbench.ConvergenceWarning`) raised
while a number is computed are collected (:attr:`Summary.cautions`) and shown on the index, one
line each. Rendering is :func:`workbench.report.index.render_summary`.
"""

from __future__ import annotations

import logging
import math
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from workbench._warnings import StatisticalWarning
from workbench.data.dataset import Dataset
from workbench.data.errors import DataError
from workbench.privacy import count_text, enough, is_suppressed

__all__ = [
    "COMPUTATION_ERRORS",
    "SHOOTING_KINDS",
    "KeyNumber",
    "Period",
    "Summary",
    "changes_since",
    "failed_summary",
    "key_numbers",
    "residents_exposed",
    "summarize",
    "summary_json",
    "summary_period",
    "top_areas",
]

log = logging.getLogger("workbench.summary")

#: Incident kinds counted as shootings (shots fired without a victim are not).
SHOOTING_KINDS: tuple[str, ...] = ("fatal_shooting", "nonfatal_shooting")

NOT_AVAILABLE = "not available in these data"

#: What a key number's computation raises on data it cannot use (too few, degenerate or
#: inconsistent records). lifelines' ``ConvergenceError`` and numpy's ``LinAlgError`` are
#: ``ValueError`` subclasses; ``DataError`` too, named for the reader. Any other exception is a bug.
COMPUTATION_ERRORS: tuple[type[Exception], ...] = (DataError, np.linalg.LinAlgError, ValueError, KeyError)

#: The previous period's text of a number that could not be computed.
UNCOMPUTED = "could not be computed"

#: Longest reason shown on the index for a number that could not be computed, characters.
REASON_CHARS = 200


@dataclass(frozen=True)
class Period:
    """The summary period and the previous period of equal length (half-open ``(start, end]``).

    Attributes
    ----------
    start, end : Timestamp
        The period (tz-aware, the dataset's time zone).
    prev_start, prev_end : Timestamp
        The previous period; ``prev_end == start``.
    months : int
        Length of each period, months.
    previous_complete : bool
        Whether the data reach back to ``prev_start`` (within 14 days; else the previous period
        is only partly covered and changes are not shown).
    through : Timestamp, optional
        The report's data end (last day covered, :func:`workbench.data.data_end`).
    rule : str
        The data end's rule in words.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    prev_start: pd.Timestamp
    prev_end: pd.Timestamp
    months: int
    previous_complete: bool
    through: pd.Timestamp | None = None
    rule: str = ""


@dataclass
class KeyNumber:
    """One key number of the summary.

    Attributes
    ----------
    key : str
        Stable identifier (``shootings``, ``people_exposed``, ...).
    label : str
        Plain-language name.
    unit : str
        ``count``, ``share`` (0..1) or ``days``.
    current, previous : float or None
        Values for the period and the previous period; ``None`` when not available or
        suppressed.
    shown, shown_previous : str
        Display text after suppression (``"<11"``, ``"not available in these data"``...).
    change : str
        Plain-language change from the previous period (empty when not computable).
    suppressed : bool
        A count below the threshold was hidden (the page adds a footnote).
    available : bool
        The tables behind the number exist.
    note : str
        What the number is, in one sentence.
    """

    key: str
    label: str
    unit: str
    current: float | None = None
    previous: float | None = None
    shown: str = NOT_AVAILABLE
    shown_previous: str = NOT_AVAILABLE
    change: str = ""
    suppressed: bool = False
    available: bool = False
    note: str = ""


@dataclass
class Summary:
    """Everything the executive summary shows.

    Attributes
    ----------
    period : Period
    numbers : list of KeyNumber
    top_areas : DataFrame
        See :func:`top_areas`.
    min_count : int
    notes : list of str
        Footnotes (the previous period not covered, ...).
    has_areas : bool
        The data have an ``areas`` table.
    cautions : list of str
        Typed workbench warnings raised while the numbers were computed, one line each
        (``"Median time to engagement: <message>"``), shown on the index.
    problems : list of str
        For the run log, not the page: one entry per number that could not be computed, with its
        traceback (the page shows the reason in the number's card).
    error : str
        Why the whole summary could not be computed (:func:`failed_summary`); empty otherwise.
    """

    period: Period | None
    numbers: list[KeyNumber]
    top_areas: pd.DataFrame
    min_count: int
    notes: list[str] = field(default_factory=list)
    has_areas: bool = True
    cautions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str = ""

    def number(self, key: str) -> KeyNumber:
        """The key number called ``key``."""
        for n in self.numbers:
            if n.key == key:
                return n
        raise KeyError(key)


def _shootings(dataset: Dataset) -> pd.DataFrame:
    inc = dataset["incidents"]
    return inc[inc["kind"].isin(SHOOTING_KINDS)]


def summary_period(dataset: Dataset, months: int = 12) -> Period:
    """The last ``months`` months of incident data and the equal period before.

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents`` (``occurred_at`` tz-aware).
    months : int, default 12
        Period length, months (>= 1).

    Returns
    -------
    Period
        The period ends at the report's one data end (:func:`workbench.data.data_end`: the end
        of the last complete month with data, stray records left aside, or ``data.data_end``),
        so a partial last month or a stray late record never makes it look nearly empty.
    """
    if months < 1:
        raise ValueError("months must be >= 1")
    t = dataset["incidents"]["occurred_at"].dropna()
    if t.empty:
        raise DataError.single("incidents", "occurred_at", "no incident times: no summary period")
    from workbench.data.flags import data_end

    t = t.dt.tz_convert(dataset.timezone)
    de = data_end(dataset)
    ns = pd.Timedelta(1, "ns")  # (start, end] with end the last instant of the data end's day
    start = de.end - pd.DateOffset(months=months)
    prev_start = start - pd.DateOffset(months=months)
    return Period(start - ns, de.last_instant, prev_start - ns, start - ns, int(months),
                  bool(t.min() <= prev_start + pd.Timedelta(days=14)), through=de.through, rule=de.rule)


def _in(ts: pd.Series, lo: pd.Timestamp, hi: pd.Timestamp) -> np.ndarray:
    return ((ts > lo) & (ts <= hi)).to_numpy()


def _count_text(value: float | None, min_count: int) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE, False
    v = int(round(value))
    return count_text(v, min_count), is_suppressed(v, min_count)


def _fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    if unit == "share":
        return f"{value:.0%}"
    if unit == "days":
        return "not reached" if math.isinf(value) else f"{value:.1f} days"
    return f"{int(round(value)):,}"


def _change(cur: float | None, prev: float | None, unit: str, lower_is_better: bool = True) -> str:
    if cur is None or prev is None or any(isinstance(v, float) and (math.isnan(v) or math.isinf(v))
                                          for v in (cur, prev)):
        return ""
    if unit == "share":
        d = (cur - prev) * 100
        return "no change" if abs(d) < 0.5 else f"{'up' if d > 0 else 'down'} {abs(d):.0f} percentage points"
    if unit == "days":
        d = cur - prev
        return "no change" if abs(d) < 0.05 else f"{'up' if d > 0 else 'down'} {abs(d):.1f} days"
    if prev == 0:
        return "none in the previous period" if cur else "no change"
    r = cur / prev - 1
    return "no change" if abs(r) < 0.005 else f"{'up' if r > 0 else 'down'} {abs(r):.0%}"


def _counts_number(key: str, label: str, note: str, cur: float | None, prev: float | None,
                   period: Period, min_count: int) -> KeyNumber:
    k = KeyNumber(key, label, "count", note=note, available=cur is not None)
    if not period.previous_complete:
        prev = None
    cur = None if cur is None else float(round(cur))
    prev = None if prev is None else float(round(prev))
    k.shown, s1 = _count_text(cur, min_count)
    k.shown_previous, s2 = _count_text(prev, min_count)
    if prev is None and cur is not None:
        k.shown_previous = "not covered by these data"
    k.suppressed = s1 or s2
    # no change is computed from a hidden count (it would reveal it)
    if not (s1 or s2):
        k.current, k.previous = cur, prev
        k.change = _change(cur, prev, "count")
    else:
        k.current = None if s1 else cur
        k.previous = None if s2 else prev
    return k


def _shootings_number(dataset: Dataset, p: Period, min_count: int) -> KeyNumber:
    t = _shootings(dataset)["occurred_at"]
    return _counts_number("shootings", "Shootings", "Fatal and non-fatal shootings (shots fired without a "
                          "victim are not counted).", float(_in(t, p.start, p.end).sum()),
                          float(_in(t, p.prev_start, p.prev_end).sum()), p, min_count)


def _exposed_number(dataset: Dataset, p: Period, min_count: int) -> KeyNumber:
    from workbench.data.units import format_distance  # in the reader's unit (data.distance_unit)

    note = (f"Residents living within {format_distance(400, getattr(dataset, 'distance_unit', 'm'))} of a "
            "shooting, summed over shootings (someone near two shootings counts twice); estimated from area "
            "populations.")
    a = dataset["areas"] if dataset.has("areas") else None
    from workbench.data.areas import area_codes_only, no_shapes_note

    if area_codes_only(dataset):  # exposure zones need area boundaries
        return _counts_number("people_exposed", "Resident exposures", no_shapes_note("Resident exposures"),
                              None, None, p, min_count)
    if a is None or "population" not in a.columns or pd.to_numeric(a["population"], errors="coerce").isna().all():
        return _counts_number("people_exposed", "Resident exposures", note, None, None, p, min_count)
    cur, prev = residents_exposed(dataset, (p.start, p.end), (p.prev_start, p.prev_end))
    return _counts_number("people_exposed", "Resident exposures", note, cur, prev, p, min_count)


#: Shootings per call of :func:`workbench.spatial.exposure_zones` in :func:`residents_exposed`:
#: memory then stays bounded (each zone polygon holds 129 vertices) whatever the number of shootings.
EXPOSURE_CHUNK = 20_000


def residents_exposed(dataset: Dataset, *windows: tuple[pd.Timestamp, pd.Timestamp],
                      chunk: int = EXPOSURE_CHUNK) -> list[float]:
    """Resident exposures (residents within 400 m of a shooting, summed over shootings) per window.

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents`` and ``areas`` with ``population``.
    *windows : (start, end) pairs
        Half-open ``(start, end]`` periods of the shooting time.
    chunk : int
        Shootings per call of :func:`workbench.spatial.exposure_zones`.

    Returns
    -------
    list of float
        One sum per window.

    Notes
    -----
    Only the shootings inside a window are turned into points and zones, ``chunk`` at a time, and
    only their per-shooting sums are kept: memory does not grow with the number of incidents (the
    zones of all shootings at once took over a gigabyte per 200,000 incidents).
    """
    from workbench.spatial import exposure_zones

    inc = dataset["incidents"]
    t = inc["occurred_at"]
    in_any = np.zeros(len(inc), dtype=bool)
    for lo, hi in windows:
        in_any |= _in(t, lo, hi)
    s = inc.loc[in_any & inc["kind"].isin(SHOOTING_KINDS).to_numpy(), ["incident_id", "occurred_at", "lon", "lat"]]
    totals = [0.0] * len(windows)
    areas = dataset["areas"]
    for k in range(0, len(s), max(1, int(chunk))):
        part = s.iloc[k : k + chunk]
        pts = gpd.GeoDataFrame(part, geometry=gpd.points_from_xy(part["lon"], part["lat"]),
                               crs="EPSG:4326").to_crs(dataset.crs)
        z = exposure_zones(pts, areas, None).zones
        for w, (lo, hi) in enumerate(windows):
            totals[w] += float(z.loc[_in(z["start"], lo, hi), "residents_exposed"].sum())
        del z, pts
    return totals


def _ratio_number(key: str, label: str, unit: str, note: str, cur: float | None, prev: float | None,
                  n_cur: int, n_prev: int, p: Period, min_count: int, what: str) -> KeyNumber:
    k = KeyNumber(key, label, unit, note=note, available=True)
    if not p.previous_complete:
        prev, n_prev = None, 0
    vals = []
    for v, n in ((cur, n_cur), (prev, n_prev)):
        if v is None:
            vals.append((None, "not covered by these data" if v is prev else NOT_AVAILABLE, False))
        elif n == 0:
            vals.append((None, f"no {what}", False))
        elif not enough(n, min_count):  # a share or median of very few people is hidden with its count
            vals.append((None, f"fewer than {min_count} {what}", True))
        else:
            vals.append((v, _fmt(v, unit), False))
    (k.current, k.shown, s1), (k.previous, k.shown_previous, s2) = vals
    k.suppressed = s1 or s2
    k.change = _change(k.current, k.previous, unit)
    return k


def _coverage_number(dataset: Dataset, p: Period, min_count: int, data: Any) -> KeyNumber:
    note = "Share of shootings attended by a non-police responder (social worker, nurse, ...)."
    if data is None:
        return KeyNumber("coresponse_coverage", "Co-response coverage", "share", note=note)
    from workbench.response import coresponse_coverage

    out = []
    for lo, hi in ((p.start, p.end), (p.prev_start, p.prev_end)):
        sh = data.shootings
        n = int(_in(sh["occurred_at"], lo, hi).sum())
        if n == 0:
            out.append((None, 0))
            continue
        eps = pd.Timedelta(microseconds=1)  # (lo, hi] in a [start, end) window
        c = coresponse_coverage(data, start=lo + eps, end=hi + eps)
        out.append((float(c["covered"].sum()) / float(c["shootings"].sum()), int(c["shootings"].sum())))
    (cur, n1), (prev, n2) = out
    return _ratio_number("coresponse_coverage", "Co-response coverage", "share", note,
                         cur if n1 else 0.0, prev if n2 else 0.0, n1, n2, p, min_count, "shootings")


def _engagement_number(dataset: Dataset, p: Period, min_count: int, data: Any) -> KeyNumber:
    note = ("Median days from a referral to the person's engagement with the service "
            "(Kaplan-Meier; referrals still open count until the data end).")
    if data is None or not dataset.has("referrals"):
        return KeyNumber("median_days_to_engagement", "Median time to engagement", "days", note=note)
    from lifelines import KaplanMeierFitter

    from workbench.survival import engagement_table

    tab = engagement_table(dataset, data)
    out = []
    for lo, hi in ((p.start, p.end), (p.prev_start, p.prev_end)):
        # referrals of the period, followed no further than the period end
        sel = tab[_in(tab["referred_at"], lo, hi)]
        if sel.empty:
            out.append((0.0, 0))
            continue
        cap = (hi - sel["referred_at"]).dt.total_seconds().to_numpy() / 86400.0
        days = np.minimum(sel["days"].to_numpy(float), cap)
        event = sel["engaged"].to_numpy(bool) & (sel["days"].to_numpy(float) <= cap)
        km = KaplanMeierFitter().fit(np.maximum(days, 0.0), event)
        out.append((float(km.median_survival_time_), len(sel)))
    (cur, n1), (prev, n2) = out
    return _ratio_number("median_days_to_engagement", "Median time to engagement", "days", note,
                         cur, prev, n1, n2, p, min_count, "referrals")


def _unserved_number(dataset: Dataset, p: Period, min_count: int) -> KeyNumber:
    note = ("Living people shot before the co-response program started who had no referral by the "
            "period end.")
    from workbench.outreach import unserved_past_victims  # the one count, shared with 04_past_victims

    cur = unserved_past_victims(dataset, as_of=p.end)  # program start: the first co-responder arrival
    if cur.program_start is None:
        return _counts_number("past_victims_unserved", "Past victims still unserved", note, None, None, p,
                              min_count)
    prev = unserved_past_victims(dataset, as_of=p.prev_end)
    k = _counts_number("past_victims_unserved", "Past victims still unserved", note,
                       None if cur.n is None else float(cur.n), None if prev.n is None else float(prev.n), p,
                       min_count)
    if k.shown_previous == "not covered by these data" and p.prev_end < cur.program_start:
        k.shown_previous = "program not started"
    return k


def _reason(exc: BaseException, dataset: Dataset | None) -> str:
    """One line for the page: the error's first line, secrets redacted, cut at :data:`REASON_CHARS`;
    only its type when the message quotes a person id or name of ``dataset`` (the index is scanned)."""
    from workbench.privacy import PrivacyError, check_export
    from workbench.redact import redact

    text = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    text = text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."
    if text and dataset is not None:
        try:
            check_export(text, dataset, where="summary")
        except PrivacyError:
            text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _trace(what: str, exc: BaseException) -> str:
    from workbench.redact import redact

    return redact(f"{what} could not be computed:\n" + "".join(traceback.format_exception(exc)).rstrip())


class _Collect:
    """Runs the summary's computations: typed warnings collected, expected failures said.

    The runner computes the summary in a thread beside the notebook workers (whose kernels are
    other processes); a warning another thread of the runner raises meanwhile passes through
    ``catch_warnings`` untouched (re-emitted) unless it is a workbench typed warning.
    """

    def __init__(self, dataset: Dataset | None):
        self.dataset = dataset
        self.cautions: list[str] = []
        self.problems: list[str] = []

    def warnings_of(self, label: str, caught: list[warnings.WarningMessage]) -> None:
        for w in caught:
            if issubclass(w.category, StatisticalWarning):
                line = f"{label}: {w.message}"
                if line not in self.cautions:
                    self.cautions.append(line)
            else:  # not ours: on to Python's own filters, untouched
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)

    def failed(self, label: str, exc: BaseException) -> str:
        """Log ``exc`` with its traceback and return the reason shown on the page."""
        log.warning("summary: %s could not be computed: %s", label, _reason(exc, None), exc_info=exc)
        self.problems.append(_trace(label, exc))
        return f"could not be computed: {_reason(exc, self.dataset)}"

    def run(self, label: str, fn, *args):
        """``(result, None)`` or ``(None, reason)`` when ``fn`` raised one of :data:`COMPUTATION_ERRORS`."""
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", StatisticalWarning)
                try:
                    return fn(*args), None
                except COMPUTATION_ERRORS as e:  # too few or unusable records: the page says why
                    return None, self.failed(label, e)
        finally:  # outside the catching block: the warnings that are not ours go on to Python's filters
            self.warnings_of(label, caught)


def _safely(collect: _Collect, fn, key: str, label: str, unit: str, *args) -> KeyNumber:
    k, reason = collect.run(label, fn, *args)
    return k if reason is None else KeyNumber(key, label, unit, shown=reason, shown_previous=UNCOMPUTED)


def key_numbers(dataset: Dataset, min_count: int = 11, months: int = 12,
                period: Period | None = None, collect: _Collect | None = None) -> list[KeyNumber]:
    """The five key numbers for the period and the previous period.

    Parameters
    ----------
    dataset : Dataset
    min_count : int, default 11
        Counts from 1 to ``min_count - 1`` are suppressed; shares and medians of fewer than
        ``min_count`` shootings or referrals are hidden.
    months : int, default 12
        Period length, months (ignored when ``period`` is given).
    period : Period, optional
    collect : optional
        Internal: gathers the typed warnings and failures for :func:`summarize`.

    Returns
    -------
    list of KeyNumber
        ``shootings``, ``people_exposed``, ``coresponse_coverage``,
        ``median_days_to_engagement``, ``past_victims_unserved``, in that order. A number whose
        computation raised one of :data:`COMPUTATION_ERRORS` shows "could not be computed:
        <reason>" (the traceback is logged).
    """
    p = period or summary_period(dataset, months)
    c = collect or _Collect(dataset)
    data, unusable = None, None
    if dataset.has("responses"):
        from workbench.response import prepare_response_data

        data, unusable = c.run("Response records", prepare_response_data, dataset)
    coverage = ("coresponse_coverage", "Co-response coverage", "share")
    engagement = ("median_days_to_engagement", "Median time to engagement", "days")
    numbers = [
        _safely(c, _shootings_number, "shootings", "Shootings", "count", dataset, p, min_count),
        _safely(c, _exposed_number, "people_exposed", "Resident exposures", "count", dataset, p, min_count),
        KeyNumber(*coverage, shown=f"{unusable} (response records)", shown_previous=UNCOMPUTED) if unusable else
        _safely(c, _coverage_number, *coverage, dataset, p, min_count, data),
        KeyNumber(*engagement, shown=f"{unusable} (response records)", shown_previous=UNCOMPUTED) if unusable else
        _safely(c, _engagement_number, *engagement, dataset, p, min_count, data),
        _safely(c, _unserved_number, "past_victims_unserved", "Past victims still unserved", "count", dataset, p,
                min_count),
    ]
    if collect is None:  # called on its own: the typed warnings go on to the caller
        for line in c.cautions:
            warnings.warn(line, StatisticalWarning, stacklevel=2)
    return numbers


def top_areas(dataset: Dataset, period: Period, min_count: int = 11, top: int = 5) -> pd.DataFrame:
    """Areas with the most shootings in the period (aggregated; no places or people).

    Areas whose count is below ``min_count`` are not listed (their rank would reveal it).

    Returns
    -------
    DataFrame
        ``rank``, ``area_id``, ``shootings``, ``previous`` (count in the previous period,
        ``"<min_count"`` when small, empty when not covered), ``per_10k`` (shootings per 10,000
        residents, NaN without population).
    """
    cols = ["rank", "area_id", "shootings", "previous", "per_10k"]
    if not dataset.has("areas"):
        return pd.DataFrame(columns=cols)
    areas = dataset["areas"]
    s = _shootings(dataset)
    s = s[s["occurred_at"] > period.prev_start]
    from workbench.data.areas import incident_area_ids  # own area codes, else point in polygon

    j = s[["occurred_at"]].assign(area_id=incident_area_ids(dataset, s).to_numpy()).dropna(subset=["area_id"])
    cur = j.loc[_in(j["occurred_at"], period.start, period.end)].groupby("area_id").size()
    prev = j.loc[_in(j["occurred_at"], period.prev_start, period.prev_end)].groupby("area_id").size()
    cur = cur[enough(cur, min_count)].sort_values(ascending=False, kind="stable").head(top)
    if cur.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({"area_id": cur.index.astype(str), "shootings": cur.to_numpy().astype(int)})
    pv = prev.reindex(cur.index, fill_value=0).to_numpy()
    out["previous"] = [("" if not period.previous_complete else count_text(int(v), min_count).replace(",", ""))
                       for v in pv]
    if "population" in areas.columns:
        pop = pd.to_numeric(areas.set_index(areas["area_id"].astype(str))["population"], errors="coerce")
        out["per_10k"] = out["shootings"] / out["area_id"].map(pop).replace(0, np.nan) * 1e4
    else:
        out["per_10k"] = np.nan
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[cols]


def summarize(dataset: Dataset, min_count: int = 11, months: int = 12, top: int = 5) -> Summary:
    """Key numbers and top areas for the executive summary.

    Parameters
    ----------
    dataset : Dataset
    min_count : int, default 11
    months : int, default 12
        Period length, months.
    top : int, default 5
        Areas listed.

    Returns
    -------
    Summary
    """
    p = summary_period(dataset, months)
    c = _Collect(dataset)
    nums = key_numbers(dataset, min_count, period=p, collect=c)
    notes = []
    areas, reason = c.run("Areas with the most shootings", top_areas, dataset, p, min_count, top)
    if reason is not None:
        areas = pd.DataFrame(columns=["rank", "area_id", "shootings", "previous", "per_10k"])
        notes.append(f"The areas with the most shootings {reason}.")
    if not p.previous_complete:
        notes.append("The data do not reach back over the whole previous period, so no changes are shown.")
    return Summary(p, nums, areas, int(min_count), notes, has_areas=dataset.has("areas"), cautions=c.cautions,
                   problems=c.problems)


def failed_summary(exc: BaseException, min_count: int = 11, months: int = 12,
                   dataset: Dataset | None = None) -> Summary:
    """The summary of a report whose summary could not be computed at all: the index says why.

    Parameters
    ----------
    exc : Exception
        What :func:`summarize` raised (logged with its traceback by the caller; the traceback is
        kept in :attr:`Summary.problems` for the run log).
    min_count : int, default 11
    months : int, default 12
        The summary period the report asked for, months.
    dataset : Dataset, optional
        The reason is shown only when it quotes no person id or name of ``dataset``.

    Returns
    -------
    Summary
        No period, no numbers; :attr:`Summary.error` says why.
    """
    return Summary(None, [], pd.DataFrame(columns=["rank", "area_id", "shootings", "previous", "per_10k"]),
                   int(min_count), [], has_areas=True, problems=[_trace("The executive summary", exc)],
                   error=f"The executive summary of the last {int(months)} month{'s' if int(months) != 1 else ''} "
                         f"could not be computed: {_reason(exc, dataset)}. The run log has the details.")


def summary_json(summary: Summary, **extra: Any) -> dict[str, Any]:
    """JSON-ready dict of a summary (written as ``summary.json`` beside ``index.html``).

    Only aggregates after suppression are included, and the period as dates (``YYYY-MM-DD``: its
    end is the day of the last shooting, not its exact time); ``extra`` (e.g. ``fingerprint``,
    ``finished``) is added at the top level.
    """
    p = summary.period

    def clean(v: Any) -> Any:
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (np.floating,)):
            return clean(float(v))
        return v

    areas = summary.top_areas.astype(object).where(summary.top_areas.notna(), None)
    if p is None:  # failed_summary: the index says why, the next run has nothing to compare
        return {"error": summary.error, "min_count": summary.min_count, "notes": list(summary.notes),
                "numbers": [], "top_areas": [], "has_areas": bool(summary.has_areas), "cautions": [], **extra}
    return {
        "period": {"start": p.start.isoformat(), "end": p.end.isoformat(), "prev_start": p.prev_start.isoformat(),
                   "prev_end": p.prev_end.isoformat(), "months": p.months,
                   "previous_complete": p.previous_complete,
                   "through": None if p.through is None else f"{p.through:%Y-%m-%d}", "rule": p.rule,
                   # first days covered (start and prev_start are the instants just before them)
                   "first_day": f"{p.start + pd.Timedelta(1, 'ns'):%Y-%m-%d}",
                   "prev_first_day": f"{p.prev_start + pd.Timedelta(1, 'ns'):%Y-%m-%d}"},
        "min_count": summary.min_count,
        "notes": list(summary.notes),
        "numbers": [{k: clean(v) for k, v in asdict(n).items()} for n in summary.numbers],
        "top_areas": [{k: clean(v) for k, v in r.items()} for r in areas.to_dict("records")],
        "has_areas": bool(summary.has_areas),
        "cautions": list(summary.cautions),
        **extra,
    }


def _day(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d}"


def _plural_months(n: int) -> str:
    return "1 month" if int(n) == 1 else f"{int(n)} months"


def changes_since(previous: dict[str, Any] | None, current: dict[str, Any],
                  against: str | None = None) -> list[str]:
    """Plain-language sentences on what changed since the previous run.

    Parameters
    ----------
    previous : dict or None
        The previous run's :func:`summary_json` (``None`` on the first run).
    current : dict
        This run's :func:`summary_json`.
    against : str, optional
        How the sentences name the earlier run when it is not the previous one (``"the run of
        2026-11-01, 3 runs back"``; the parameter ``compare_with``); default "the previous run".

    Returns
    -------
    list of str
        Empty when nothing comparable changed; one sentence for a first run. When the two runs'
        periods differ in length (``summary_months`` changed), one sentence says so and the
        key numbers and areas are not compared.
    """
    if current.get("error"):
        return []
    if not previous:
        return ["This is the first run of this report: there is no earlier run to compare with."]
    if previous.get("error"):
        return [f"{(against or 'The previous run')[:1].upper()}{(against or 'the previous run')[1:]} has no "
                "summary to compare with (it could not be computed)."]
    out: list[str] = []
    run = against or "the previous run"
    short = against or "previous run"
    when = previous.get("finished")
    if previous.get("fingerprint") and previous.get("fingerprint") == current.get("fingerprint"):
        out.append(f"The data are unchanged since {run}" + (f" ({when})." if when else "."))
    pe, ce = previous.get("period", {}).get("end"), current.get("period", {}).get("end")
    if pe and ce and pe[:10] != ce[:10]:
        out.append(f"The period now ends on {ce[:10]} ({short}: {pe[:10]}).")
    pm, cm = previous.get("period", {}).get("months"), current.get("period", {}).get("months")
    if pm and cm and pm != cm:  # numbers over periods of different length are not comparable
        out.append(f"The summary now covers {_plural_months(cm)} ({short}: {_plural_months(pm)}), so "
                   f"its numbers are not compared with {run}'s.")
        return out
    prev = {n["key"]: n for n in previous.get("numbers", [])}
    for n in current.get("numbers", []):
        o = prev.get(n["key"])
        if o is None:
            continue
        if o.get("shown") != n.get("shown"):
            out.append(f"{n['label']}: {n['shown']} now, {o.get('shown')} in {run}.")
    pa = [a["area_id"] for a in previous.get("top_areas", [])]
    ca = [a["area_id"] for a in current.get("top_areas", [])]
    new = [a for a in ca if a not in pa]
    if new and pa:
        out.append("New among the areas with the most shootings: " + ", ".join(new) + ".")
    left = [a for a in pa if a not in ca]
    if left and ca:
        out.append("No longer among them: " + ", ".join(left) + ".")
    if len(out) == (1 if out and out[0].startswith("The data are unchanged") else 0):
        out.append(f"The key numbers are the same as in {run}.")
    return out
