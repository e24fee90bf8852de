"""Real-data quality flags and the report's one data end date.

Every rule is stated here once; :func:`workbench.data.load_dataset` attaches the flags to
:attr:`Dataset.notes` (so the data-quality table, ``workbench validate`` and every notebook show
the same words) and :func:`data_end` gives the one end date every page and chart uses.

Flags (``kind: flag`` notes)
----------------------------
``stray dates``
    Incidents separated from the rest of the data by a gap of more than
    :data:`STRAY_GAP_DAYS` days at the start or end, in a group of at most
    :data:`STRAY_SHARE` of the incidents (a lone record months after the rest).
``partial month``
    The first (last) calendar month with data starts (ends) more than three typical gaps between
    records (the median gap, at least one day) after its first (before its last) instant, stray
    records left aside: the month was only partly extracted.
``same place and time``
    Several incident ids with identical coordinates and timestamp: probably one event
    recorded under several numbers (they also make the Knox "same location" row large).
``stacked coordinates``
    One coordinate pair carrying at least :data:`STACK_MIN` incidents and
    :data:`STACK_SHARE` of them: a geocoding default (a police headquarters, a city hall,
    a district centroid) rather than where shootings happened.
``implausible values``
    Birth years before 1900 or after the data end, ages at the event below 0 or above 110,
    responses departing before they arrive, patrols ending before they start.

Data end
--------
The end of the last *complete* calendar month with data, stray records left aside: the last
month is complete unless it is flagged partial (its last record comes more than three typical
gaps before its end); then the data end is the last day of the previous month. Monthly series
stop there (no false collapse to zero after the data end) and every page says "data through
<date>". ``data.data_end: YYYY-MM-DD`` in the parameter file replaces the rule by a date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dataset import Dataset

#: Gap (days) that isolates a stray group of records from the bulk of the data.
STRAY_GAP_DAYS = 60.0
#: Largest share of incidents a stray group may hold.
STRAY_SHARE = 0.005
#: A coordinate pair with at least this many incidents ...
STACK_MIN = 10
#: ... and at least this share of all incidents is flagged as stacked.
STACK_SHARE = 0.002

FLAG_COLUMNS = ["flag", "table", "column", "n_rows", "detail"]


def _times(dataset: Dataset) -> pd.Series:
    inc = dataset.tables.get("incidents")
    if inc is None or "occurred_at" not in inc or len(inc) == 0:
        return pd.Series([], dtype="datetime64[ns, UTC]")
    return inc["occurred_at"].dropna()


def slack_days(times: pd.Series) -> float:
    """Days a record-free stretch at a month's edge may last and the month still count as
    covered: 3 typical (median) gaps between consecutive records, at least 1 day."""
    t = pd.Series(times).dropna().sort_values()
    if len(t) < 2:
        return 1.0
    gaps = t.diff().dt.total_seconds().to_numpy()[1:] / 86400.0
    return max(1.0, 3.0 * float(np.median(gaps)))


def month_edges(times: pd.Series) -> tuple[bool, bool]:
    """Whether the first and the last calendar month of ``times`` are only partly covered
    (more than :func:`slack_days` without records after the first month's start or before the
    last month's end)."""
    t = pd.Series(times).dropna()
    if len(t) == 0:
        return False, False
    slack = pd.Timedelta(days=slack_days(t))
    first, last = t.min(), t.max()
    start = first.normalize().replace(day=1)
    end = (last.normalize() + pd.offsets.MonthEnd(0)).normalize() + pd.Timedelta(days=1)
    return bool(first - start > slack), bool(end - last > slack)


def stray_mask(times: pd.Series) -> np.ndarray:
    """Rows of ``times`` isolated at the start or end of the data (see module docstring)."""
    t = pd.Series(times).reset_index(drop=True)
    n = len(t)
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    order = np.argsort(t.to_numpy(), kind="stable")
    days = (t.iloc[order] - t.iloc[order[0]]).dt.total_seconds().to_numpy() / 86400.0
    gaps = np.diff(days)
    big = np.flatnonzero(gaps > STRAY_GAP_DAYS)  # gap between sorted rows i and i + 1
    limit = max(1, int(np.floor(STRAY_SHARE * n)))
    head = big[big + 1 <= limit]
    if len(head):
        out[order[: head.max() + 1]] = True
    tail = big[n - (big + 1) <= limit]
    if len(tail):
        out[order[tail.min() + 1 :]] = True
    return out


@dataclass(frozen=True)
class DataEnd:
    """The report's data end.

    Attributes
    ----------
    through : pandas.Timestamp
        Last day covered (local date, midnight, tz-aware): "data through" this day.
    end : pandas.Timestamp
        First instant after the data (local midnight after ``through``): the exclusive end of
        ``[start, end)`` windows and monthly series.
    last_record : pandas.Timestamp
        The latest non-stray record.
    rule : str
        The rule in words.
    """

    through: pd.Timestamp
    end: pd.Timestamp
    last_record: pd.Timestamp
    rule: str

    @property
    def label(self) -> str:
        """``'data through 2024-12-31'``."""
        return f"data through {self.through:%Y-%m-%d}"

    @property
    def last_instant(self) -> pd.Timestamp:
        """The last instant covered (``end`` minus 1 ns): the inclusive end of ``(start, end]``
        periods (the summary period, the Now block's last days)."""
        return self.end - pd.Timedelta(1, "ns")

    @property
    def sentence(self) -> str:
        """One line for a page: ``'Data through 2024-12-31 (the end of the last complete month
        with data); anything later is left out.'``."""
        why = ("set in the parameter file, data.data_end" if self.rule.startswith("set in")
               else "the end of the last complete month with data"
               if self.rule.startswith("end of the last complete month") and "less than one" not in self.rule
               else "the day of the last record")
        return f"Data through {self.through:%Y-%m-%d} ({why}); anything later is left out."


def _midnight_after(day: pd.Timestamp) -> pd.Timestamp:
    """Local midnight after ``day`` (a tz-aware midnight), also across a DST change."""
    if day.tzinfo is None:
        return day + pd.Timedelta(days=1)
    nxt = day.tz_localize(None) + pd.Timedelta(days=1)
    return nxt.tz_localize(day.tz, ambiguous=False, nonexistent="shift_forward")


def data_end(dataset: Dataset) -> DataEnd | None:
    """The one data end of a report (module docstring); ``None`` without incident times.

    Every page and every computation that needs "the end of the data" calls this function:
    the summary period (:func:`workbench.sections.summary.summary_period`), the monthly counts
    (:func:`workbench.sections.overview.monthly_counts`), the response and follow-up censoring time
    (:func:`workbench.response.data_end`) and the Now block (:func:`workbench.sections.now.data_end`).
    ``data.data_end: YYYY-MM-DD`` in the parameter file (:attr:`Dataset.data_end_setting`)
    overrides the rule.
    """
    t = _times(dataset)
    if len(t) == 0:
        return None
    t = t.dt.tz_convert(dataset.timezone)
    setting = str(getattr(dataset, "data_end_setting", "auto") or "auto")
    keep = t[~stray_mask(t)]
    last = keep.max()
    if setting != "auto":
        through = pd.Timestamp(setting).tz_localize(None).normalize().tz_localize(dataset.timezone)
        rule = f"set in the parameter file (data.data_end: {through:%Y-%m-%d})"
        return DataEnd(through=through, end=_midnight_after(through), last_record=last, rule=rule)
    t = keep
    day = last.normalize()
    month_last_day = (day + pd.offsets.MonthEnd(0)).normalize()
    if not month_edges(t)[1]:
        through = month_last_day
        why = (f"the last record ({last:%Y-%m-%d}) is within {slack_days(t):.1f} days, three "
               "typical gaps between records, of the month's end")
    else:
        through = (day.replace(day=1) - pd.Timedelta(days=1)).normalize()
        if through < t.min().normalize():  # less than one month of data: keep it all
            through, why = day, "less than one complete month: the last record's day"
        else:
            why = f"the last record ({last:%Y-%m-%d}) leaves {last:%B %Y} incomplete"
    rule = f"end of the last complete month with data ({why}; stray records left aside)"
    return DataEnd(through=through, end=_midnight_after(through), last_record=last, rule=rule)


def data_end_note(dataset: Dataset) -> str:
    """The data end as one line for a page (:attr:`DataEnd.sentence`); ``''`` without incidents."""
    end = data_end(dataset)
    return "" if end is None else end.sentence


def quality_flags(dataset: Dataset, examples: int = 0, min_count: int | None = 11) -> pd.DataFrame:
    """Data-quality flags (module docstring), one row per flag.

    Parameters
    ----------
    dataset : Dataset
        A validated dataset.
    examples : int
        Incident ids shown per flag in ``detail`` with exact counts and points (for the data
        owner's ``workbench validate``); 0 (default) for pages: no ids, no points.
    min_count : int or None
        With ``examples=0``: counts in ``detail`` below it are shown with the privacy marker
        (:func:`workbench.privacy.suppression_marker`); ``None`` leaves counts out of the text
        (the notes stored with the data, whose page threshold is not known yet).

    Returns
    -------
    DataFrame
        Columns ``flag, table, column, n_rows, detail``; empty when nothing is flagged.
    """
    rows: list[dict] = []
    inc = dataset.tables.get("incidents")

    def k(n: int, what: str) -> str:
        """``'12 incidents '``, ``'<11 incidents '`` or ``''``: a count in words for the text."""
        if examples:
            return f"{n:,} {what} "
        if min_count is None:
            return ""
        from workbench.privacy import suppressed_mask, suppression_marker

        shown = suppression_marker(min_count) if suppressed_mask(np.array([n]), min_count)[0] else f"{n:,}"
        return f"{shown} {what} "

    def ids(mask: np.ndarray) -> str:
        if not examples or inc is None:
            return ""
        shown = inc.loc[mask, "incident_id"].astype(str).head(examples)
        return f" (e.g. {', '.join(shown)})"

    if inc is not None and len(inc) and "occurred_at" in inc:
        t = inc["occurred_at"]
        stray = stray_mask(t)
        if stray.any():
            rest = t[~stray]
            rows.append({
                "flag": "stray dates", "table": "incidents", "column": "occurred_at",
                "n_rows": int(stray.sum()),
                "detail": f"{k(int(stray.sum()), 'record(s)') or 'record(s) '}dated "
                f"{', '.join(sorted({f'{v:%Y-%m}' for v in t[stray]}))[:80]}, more than "
                f"{STRAY_GAP_DAYS:g} days from the rest ({rest.min():%Y-%m-%d} to "
                f"{rest.max():%Y-%m-%d}); left out of the data end{ids(stray)}",
            })
        rest = t[~stray]
        if len(rest):
            first, last = rest.min(), rest.max()
            months = rest.dt.strftime("%Y-%m").value_counts()
            typical = float(months.median()) if len(months) else 0.0
            part_first, part_last = month_edges(rest)
            if part_first and len(months) > 1:
                n = int(months.get(f"{first:%Y-%m}", 0))
                rows.append({
                    "flag": "partial month", "table": "incidents", "column": "occurred_at",
                    "n_rows": n,
                    "detail": f"first month {first:%Y-%m} starts on day {first.day} "
                    f"({k(n, 'incidents;')}a typical month has {typical:.0f})",
                })
            if part_last and len(months) > 1:
                n = int(months.get(f"{last:%Y-%m}", 0))
                rows.append({
                    "flag": "partial month", "table": "incidents", "column": "occurred_at",
                    "n_rows": n,
                    "detail": f"last month {last:%Y-%m} ends on day {last.day} ({k(n, 'incidents;')}"
                    f"a typical month has {typical:.0f}); left out after the data end",
                })
        if {"lon", "lat"} <= set(inc.columns):
            key = inc[["lon", "lat", "occurred_at"]]
            dup = key.duplicated(keep=False).to_numpy() & key.notna().all(axis=1).to_numpy()
            if dup.any():
                groups = int(key[dup].drop_duplicates().shape[0])
                rows.append({
                    "flag": "same place and time", "table": "incidents",
                    "column": "lon/lat/occurred_at", "n_rows": int(dup.sum()),
                    "detail": (f"{k(int(dup.sum()), 'incidents in')}{k(groups, 'groups')}"
                               or "several incident ids ")
                    + "share coordinates and timestamp: probably "
                    + f"one event each, recorded under several ids (merge them with dedupe: if so)"
                    + ids(dup),
                })
            counts = inc.groupby(["lon", "lat"]).size()
            limit = max(STACK_MIN, STACK_SHARE * len(inc))
            stacked = counts[counts >= limit]
            if len(stacked):
                on = inc.set_index(["lon", "lat"]).index.isin(stacked.index)
                top = stacked.sort_values(ascending=False)
                where = (  # exact points for the data owner only
                    " (" + "; ".join(f"{n} at ({lo:.5f}, {la:.5f})" for (lo, la), n in top.head(3).items()) + ")"
                    if examples else ""
                )
                rows.append({
                    "flag": "stacked coordinates", "table": "incidents", "column": "lon/lat",
                    "n_rows": int(on.sum()),
                    "detail": f"{k(len(stacked), 'point(s)') or 'point(s) '}carry "
                    f"{k(int(on.sum()), 'incidents') or f'at least {STACK_MIN} incidents each '}"
                    f"{where.strip()}{' ' if where else ''}".rstrip() + ": "
                    "check for a geocoding default (police HQ, city hall, centroid)",
                })
    rows += _implausible(dataset, k)
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def _implausible(dataset: Dataset, k) -> list[dict]:
    rows = []
    people = dataset.tables.get("people")
    end = data_end(dataset)
    if people is not None and "birth_year" in people and len(people):
        by = pd.to_numeric(people["birth_year"], errors="coerce")
        top = end.through.year if end is not None else pd.Timestamp.now().year
        bad = (by < 1900) | (by > top)
        if bad.any():
            rows.append({"flag": "implausible values", "table": "people", "column": "birth_year",
                         "n_rows": int(bad.sum()),
                         "detail": f"{k(int(bad.sum()), 'birth years') or 'birth years '}before 1900 or after {top}"})
        vic, inc = dataset.tables.get("victimizations"), dataset.tables.get("incidents")
        if vic is not None and inc is not None and len(vic):
            at = vic["incident_id"].map(inc.set_index("incident_id")["occurred_at"])
            b = vic["person_id"].map(people.set_index("person_id")["birth_year"])
            age = at.dt.year - pd.to_numeric(b, errors="coerce")
            bad = (age < 0) | (age > 110)
            if bad.any():
                rows.append({"flag": "implausible values", "table": "victimizations",
                             "column": "age", "n_rows": int(bad.sum()),
                             "detail": f"{k(int(bad.sum()), 'victims') or 'victims '}aged below 0 or above 110 at the event"})
    for table, a, b in (("responses", "arrived_at", "departed_at"), ("patrols", "started_at", "ended_at")):
        df = dataset.tables.get(table)
        if df is None or a not in df or b not in df:
            continue
        bad = (df[b] < df[a]).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            rows.append({"flag": "implausible values", "table": table, "column": f"{a}/{b}",
                         "n_rows": int(bad.sum()),
                         "detail": f"{k(int(bad.sum()), 'negative durations') or 'negative durations '}({b} before {a})"})
    return rows


def flag_notes(dataset: Dataset) -> list[dict]:
    """The flags and the data end as :attr:`Dataset.notes` entries (counts only)."""
    notes = [
        {"table": r.table, "column": r.column, "note": f"{r.flag}: {r.detail}",
         "n_rows": int(r.n_rows), "kind": "flag"}
        for r in quality_flags(dataset, min_count=None).itertuples()
    ]
    end = data_end(dataset)
    if end is not None:
        notes.append({"table": "incidents", "column": None,
                      "note": f"{end.label}: {end.rule}", "n_rows": 0, "kind": "data_end"})
    return notes


def same_location_pairs(incidents: pd.DataFrame) -> dict[str, float]:
    """What the Knox "same location" row (pairs at distance 0) is made of.

    Returns
    -------
    dict
        ``pairs``: incident pairs at identical coordinates; ``same_time``: of those, pairs also
        sharing the timestamp (the "same place and time" flag: probably one event under two
        ids); ``share_same_time``: their share (NaN without pairs); ``share_incidents``: share
        of incidents sharing their coordinates with another incident.
    """
    if incidents is None or len(incidents) == 0:
        return {"pairs": 0, "same_time": 0, "share_same_time": float("nan"), "share_incidents": 0.0}
    c = incidents.groupby(["lon", "lat"]).size().to_numpy()
    d = incidents.groupby(["lon", "lat", "occurred_at"]).size().to_numpy()
    pairs = int((c * (c - 1) // 2).sum())
    same = int((d * (d - 1) // 2).sum())
    return {
        "pairs": pairs,
        "same_time": same,
        "share_same_time": same / pairs if pairs else float("nan"),
        "share_incidents": float(incidents[["lon", "lat"]].duplicated(keep=False).mean()),
    }
