"""Timestamps in the data's stated time zone, always tz-aware.

Rules
-----
- already tz-aware values (``datetime64[ns, tz]``, text with ``Z`` or ``+hh:mm``) are
  *converted* to the dataset's zone (the instant is kept);
- naive values (no offset) are *localized*: read as wall-clock time in the dataset's zone;
- a naive time that occurs twice (the repeated hour when daylight time ends, e.g. 01:30 on
  the first Sunday of November in America/New_York) is ambiguous: ``earliest`` (default) takes
  the first occurrence (daylight time), ``latest`` the second (standard time), ``error``
  reports the rows;
- a naive time that never occurs (the skipped hour when daylight time starts, e.g. 02:30 on
  the second Sunday of March) is nonexistent: ``shift_forward`` (default) moves it to the first
  instant after the gap (03:00), ``shift_backward`` to the last instant before it, ``error``
  reports the rows;
- text that no format parses is reported (never silently dropped).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})\s*$"


def local_timestamp(value: object, tz: str) -> pd.Timestamp | None:
    """One instant in the dataset's zone ``tz``: the one rule for dates given as parameters.

    A naive value (``"2024-06-01"``, ``datetime(2024, 6, 1)``) is read as wall-clock time in ``tz``;
    an aware one (``"2024-06-01T00:00Z"``, a tz-aware ``Timestamp``) is converted, keeping the
    instant. ``None``, ``NaT`` and blank text give ``None`` (no bound).

    Examples
    --------
    >>> local_timestamp("2024-06-01", "America/Chicago")
    Timestamp('2024-06-01 00:00:00-0500', tz='America/Chicago')
    >>> local_timestamp(pd.Timestamp("2024-06-01T05:00Z"), "America/Chicago")
    Timestamp('2024-06-01 00:00:00-0500', tz='America/Chicago')
    >>> local_timestamp("  ", "UTC") is None
    True
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        return None
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)


def _parse_text(text: pd.Series, formats: Sequence[str] | None, utc: bool) -> pd.Series:
    """Parse strings (all non-null) with the formats in order; NaT where none fits."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]" if utc else "datetime64[ns]")
    todo = text.index
    tries: list[str] = list(formats) if formats else ["ISO8601", "mixed"]
    for fmt in tries:
        if len(todo) == 0:
            break
        parsed = pd.to_datetime(text.loc[todo], format=fmt, errors="coerce", utc=utc)
        parsed = parsed.astype(out.dtype)
        ok = parsed.notna()
        out.loc[parsed.index[ok]] = parsed[ok]
        todo = parsed.index[~ok]
    return out


def parse_timestamps(
    values: pd.Series,
    timezone: str,
    formats: str | Sequence[str] | None = None,
    ambiguous: str = "earliest",
    nonexistent: str = "shift_forward",
) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """Parse and localize timestamps.

    Parameters
    ----------
    values : Series
        Text, naive or aware datetimes.
    timezone : str
        IANA time zone of the data.
    formats : str or sequence of str, optional
        strptime formats tried in order for text; default ISO 8601, then any recognizable form.
    ambiguous : {'earliest', 'latest', 'error'}
        Policy for wall-clock times repeated when daylight time ends.
    nonexistent : {'shift_forward', 'shift_backward', 'error'}
        Policy for wall-clock times skipped when daylight time starts.

    Returns
    -------
    parsed : Series
        ``datetime64[ns, timezone]``; NaT where missing or bad.
    bad : dict of str to ndarray of bool
        Row masks by problem (``"unparseable date"``, ``"ambiguous local time ..."``,
        ``"nonexistent local time ..."``). Missing input values are not flagged here.
    """
    if isinstance(formats, str):
        formats = [formats]
    s = pd.Series(values).reset_index(drop=True)
    target = pd.DatetimeTZDtype("ns", timezone)
    bad: dict[str, np.ndarray] = {}
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert(timezone).astype(target), bad

    missing = s.isna().to_numpy()
    if pd.api.types.is_datetime64_dtype(s.dtype):
        naive = s.astype("datetime64[ns]")
        aware_utc = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    else:
        obj = s.astype(object)
        if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):
            is_aware_obj = np.zeros(len(s), dtype=bool)
        else:  # python datetimes with tzinfo (some SQL drivers) -> convert via UTC
            is_aware_obj = obj.map(lambda v: getattr(v, "tzinfo", None) is not None).to_numpy(bool)
        text = obj.where(~is_aware_obj & ~missing).dropna()
        text = text.astype(str).str.strip()
        has_offset = text.str.contains(_OFFSET, regex=True, na=False)
        naive = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        aware_utc = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
        if (~has_offset).any():
            naive.loc[text.index[~has_offset]] = _parse_text(text[~has_offset], formats, utc=False)
        if has_offset.any():
            aware_utc.loc[text.index[has_offset]] = _parse_text(text[has_offset], formats, utc=True)
        if is_aware_obj.any():
            aware_utc.loc[is_aware_obj] = pd.to_datetime(obj[is_aware_obj], utc=True).astype(
                aware_utc.dtype
            )
        unparsed = (~missing) & naive.isna().to_numpy() & aware_utc.isna().to_numpy()
        if unparsed.any():
            bad["unparseable date"] = unparsed

    amb = {"earliest": np.ones(len(s), dtype=bool), "latest": np.zeros(len(s), dtype=bool)}.get(
        ambiguous, "NaT"
    )
    nonex = nonexistent if nonexistent != "error" else "NaT"
    local = naive.dt.tz_localize(timezone, ambiguous=amb, nonexistent=nonex)
    if ambiguous == "error" or nonexistent == "error":
        lost = naive.notna().to_numpy() & local.isna().to_numpy()
        if lost.any():
            # tell the two apart: a nonexistent time shifted forward becomes valid
            probe = naive[lost].dt.tz_localize(
                timezone, ambiguous=np.ones(int(lost.sum()), dtype=bool), nonexistent="NaT"
            )
            is_gap = np.zeros(len(s), dtype=bool)
            is_gap[np.flatnonzero(lost)] = probe.isna().to_numpy()
            if (lost & is_gap).any():
                bad["nonexistent local time (skipped when daylight time starts)"] = lost & is_gap
            if (lost & ~is_gap).any():
                bad["ambiguous local time (repeated when daylight time ends)"] = lost & ~is_gap
    out = local.astype(target)
    aware = aware_utc.notna().to_numpy()
    if aware.any():
        out.loc[aware] = aware_utc[aware].dt.tz_convert(timezone).astype(target)
    return out, bad


def combine_date_time(date: pd.Series, time: pd.Series) -> pd.Series:
    """Join a date column and a time-of-day column into one text column (``'date time'``).

    Missing when either part is missing (a missing time is not taken as midnight). A date
    written as a midnight timestamp (``2024-01-07 00:00:00``, as Excel date cells read) keeps
    only its date.
    """
    d = date.astype(object).where(date.notna())
    t = time.astype(object).where(time.notna())

    def _txt(v: object) -> str:
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d")
        return str(v).strip()

    # a date cell written as a midnight timestamp (Excel, databases) keeps only its date
    dtxt = d.map(_txt, na_action="ignore").str.replace(r"[ T]00:00(:00(\.0+)?)?$", "", regex=True)
    out = dtxt + " " + t.map(lambda v: str(v).strip(), na_action="ignore")
    return out.where(d.notna() & t.notna())
