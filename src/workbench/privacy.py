"""Small-count suppression and the identifier scan every export goes through.

This is the ONE privacy module: notebooks call :func:`suppress_counts` (and
:func:`suppressed_mask` for maps and charts) before showing any count, and the report runner
calls :func:`check_export` on every HTML file before it is published. Every other module that
shows a count, or a share, median, rate or chart resting on one, asks this module
(:func:`is_suppressed`, :func:`count_text`, :func:`enough`) instead of comparing with the
threshold itself; minima and maxima of person- and event-level columns are coarsened by
:func:`coarse_range` (see :func:`protect_quality` for the data-quality table).

Suppression rule
----------------
Counts from 1 to ``min_count - 1`` are replaced by the marker ``"<{min_count}"`` (``"<11"``
for the usual threshold of 11). **Zero stays 0**: a zero describes nobody, so it cannot
identify anyone, and hiding it would make "none happened" indistinguishable from "a few
happened", which is what readers most often need to know. Missing values stay missing.

Only *primary* suppression is applied. Complementary suppression (hiding a second cell so a
suppressed one cannot be recovered from a row or column total) is not done automatically;
tables that show totals beside suppressed cells must suppress the totals too, or show only
totals.

Identifier scan
---------------
:func:`scan_html` looks for person ids and person names in rendered HTML. Ids are matched as
whole tokens (runs of letters, digits, ``_`` and ``-``) after HTML entities are decoded, so a
pseudonymous id such as ``P000123`` is found in a table cell, a tooltip or a script, but not
inside an unrelated longer token (e.g. a base64 image). Purely numeric ids shorter than
:data:`MIN_NUMERIC_ID_DIGITS` digits cannot be told apart from ordinary counts and are not
scanned; give people non-numeric pseudonyms.

Names are refused as a person's *full name* (given and family name written together) or as a
name word written next to a person attribute (an age, a birth date, a person id); a name word
on its own is not refused, since family names are ordinary words too (race codes, colours, place
names). See :func:`scan_html`. The page is tokenized once and every word looked up in a set,
so the cost does not grow with the number of names.

Audiences
---------
:func:`check_export` applies the rules of the report's audience (:data:`AUDIENCES`):

- ``"policy"`` (the default): no person id and no name anywhere;
- ``"research"``: pseudonymous person ids are allowed (the restricted research report lists
  people by pseudonym), names are still never allowed. Small counts are suppressed by the
  notebooks in both audiences.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from workbench.data.dataset import Dataset

__all__ = [
    "AREA_LEVEL_TABLES",
    "AUDIENCES",
    "DEFAULT_MIN_COUNT",
    "HIDDEN_TOTAL",
    "Finding",
    "IdSet",
    "NameIndex",
    "PrivacyError",
    "check_export",
    "coarse_range",
    "complementary_mask",
    "count_text",
    "enough",
    "forbidden_ids",
    "forbidden_names",
    "is_suppressed",
    "name_index",
    "ordinary_words",
    "protect_quality",
    "scan_html",
    "suppress_counts",
    "suppressed_mask",
    "suppression_marker",
]

#: Report audiences: ``policy`` (no person ids, no names) and ``research`` (pseudonymous ids
#: allowed, names never).
AUDIENCES: tuple[str, ...] = ("policy", "research")

#: The usual small-cell threshold (counts 1..10 are hidden).
DEFAULT_MIN_COUNT = 11

#: Shown for a count (or total) hidden only so that a suppressed count cannot be recovered.
HIDDEN_TOTAL = "n/s"

#: Purely numeric ids shorter than this are not scanned (they look like ordinary counts).
MIN_NUMERIC_ID_DIGITS = 6

#: Tables whose ``person_id`` column holds person ids.
PERSON_ID_TABLES: tuple[str, ...] = ("people", "victimizations", "arrests", "referrals")

#: Columns of ``people`` that, when present, hold personal names.
NAME_COLUMNS: tuple[str, ...] = ("name", "full_name", "first_name", "last_name")

_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
_TOKEN_FULL = re.compile(r"[A-Za-z0-9_\-]+\Z")
_MAX_SHOWN = 5


class PrivacyError(RuntimeError):
    """An export contains person-level identifiers; nothing may be published.

    Parameters
    ----------
    findings : sequence of Finding
        What the scan found.
    where : str
        The export (file name) that was scanned.
    audience : {"policy", "research"}, default "policy"
        The rules that were applied (the message says which).
    """

    def __init__(self, findings: Sequence["Finding"], where: str = "export", audience: str = "policy"):
        self.findings = list(findings)
        self.where = where
        self.audience = audience
        kinds = sorted({f.kind for f in self.findings})
        # names are shown as initials only: an error message or log must not carry one
        shown = ", ".join(f.value if f.kind != "name" else _mask(f.value.split(" [next to")[0])
                          for f in self.findings[:_MAX_SHOWN])
        more = ", ..." if len(self.findings) > _MAX_SHOWN else ""
        rule = (
            "Research HTML may show pseudonymous person ids but never names."
            if audience == "research"
            else "Policy HTML must not show person-level rows, ids or names."
        )
        super().__init__(
            f"Privacy scan refused {where}: {len(self.findings)} person-level "
            f"{'/'.join(kinds)} found ({shown}{more}). {rule}"
        )


@dataclass(frozen=True)
class Finding:
    """One identifier found in an export.

    Parameters
    ----------
    kind : {"person_id", "name"}
        What was found.
    value : str
        The identifier itself.
    context : str
        Up to 40 characters of text on each side of the first occurrence.
    """

    kind: str
    value: str
    context: str


# -- suppression ---------------------------------------------------------------------------
def suppression_marker(min_count: int) -> str:
    """The text shown instead of a suppressed count, e.g. ``"<11"``."""
    return f"<{int(min_count)}"


def _check_min_count(min_count: int) -> int:
    if int(min_count) != min_count or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
    return int(min_count)


def suppressed_mask(values: pd.Series | np.ndarray, min_count: int) -> np.ndarray:
    """Boolean mask of the counts that must be hidden (``1 <= value < min_count``).

    Parameters
    ----------
    values : Series or ndarray
        Counts (people, incidents...). Missing values are never masked.
    min_count : int
        Smallest count that may be shown (>= 1).

    Returns
    -------
    ndarray of bool
    """
    min_count = _check_min_count(min_count)
    v = np.asarray(pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce"), float)
    with np.errstate(invalid="ignore"):
        mask = (v > 0) & (v < min_count)
    return mask.reshape(np.shape(values))


def suppress_counts(
    df: pd.DataFrame,
    columns: Iterable[str] | None = None,
    min_count: int = DEFAULT_MIN_COUNT,
    total: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """Hide small counts for display.

    Parameters
    ----------
    df : DataFrame
        Table of counts.
    columns : iterable of str, optional
        Count columns to suppress; default every numeric column.
    min_count : int, default 11
        Smallest count that may be shown. Counts ``1 .. min_count - 1`` become
        ``"<min_count"``; zero stays ``0`` (see the module docstring for why).
    total : str, optional
        Column holding the row total of ``columns``. Complementary suppression is then
        applied (:func:`complementary_mask`): in a row with exactly one hidden count, a second
        cell (or the total) is hidden too and shown as :data:`HIDDEN_TOTAL`, so the hidden
        count cannot be recovered by subtraction.

    Returns
    -------
    table : DataFrame
        Display-ready copy: suppressed columns hold Python ints and marker strings.
    footnote : str
        Plain-language note to print under the table (says how many cells were hidden).
    """
    min_count = _check_min_count(min_count)
    if columns is None:
        columns = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"suppress_counts: no column(s) {', '.join(map(str, missing))}")
    out = df.copy()
    marker = suppression_marker(min_count)
    if total is not None:
        if total not in df.columns:
            raise KeyError(f"suppress_counts: no total column {total!r}")
        columns = [c for c in columns if c != total]
    values = df[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if total is not None:
        cell_mask, total_mask = complementary_mask(values, min_count)
        total_values = pd.to_numeric(df[total], errors="coerce").to_numpy(dtype=float)
        total_primary = suppressed_mask(total_values, min_count)
    else:
        cell_mask = suppressed_mask(values, min_count) if values.size else values.astype(bool)
    primary = suppressed_mask(values, min_count) if values.size else cell_mask
    n_hidden = int(cell_mask.sum())
    for j, c in enumerate(columns):
        shown = _display(values[:, j], df.index)
        shown[primary[:, j]] = marker
        shown[cell_mask[:, j] & ~primary[:, j]] = HIDDEN_TOTAL
        out[c] = shown
    if total is not None:
        shown = _display(total_values, df.index)
        shown[total_primary] = marker
        shown[total_mask & ~total_primary] = HIDDEN_TOTAL
        out[total] = shown
        n_hidden += int((total_mask | total_primary).sum())
    footnote = (
        f"Counts from 1 to {min_count - 1} are shown as '{marker}' to protect privacy "
        f"({n_hidden} cell{'s' if n_hidden != 1 else ''} hidden here); zero means none."
    )
    if (out[columns + ([total] if total else [])] == HIDDEN_TOTAL).any().any():
        footnote += (
            f" '{HIDDEN_TOTAL}' (not shown): hidden as well, so that a hidden count cannot be "
            "worked out from the row total."
        )
    return out, footnote


def _display(values: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series([None if np.isnan(v) else int(v) for v in values], index=index, dtype=object)


def complementary_mask(values: np.ndarray, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Primary plus complementary suppression for rows of counts shown with their total.

    Parameters
    ----------
    values : ndarray, shape (n_rows, n_columns)
        Counts; each row's total is shown beside them.
    min_count : int
        Smallest count that may be shown.

    Returns
    -------
    cells : ndarray of bool, shape (n_rows, n_columns)
        Cells to hide: the small counts (1 .. min_count-1) and, in every row with exactly one
        of them, the smallest other positive count.
    totals : ndarray of bool, shape (n_rows,)
        Totals to hide: rows with exactly one small count and no other positive count (the
        total would equal the hidden count), and totals that are small themselves.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 2:
        raise ValueError("complementary_mask needs a 2-D array (rows x count columns)")
    primary = suppressed_mask(v, min_count)
    cells = primary.copy()
    single = primary.sum(axis=1) == 1
    candidates = ~primary & (np.nan_to_num(v) > 0)
    cost = np.where(candidates, v, np.inf)
    j = np.argmin(cost, axis=1) if v.shape[1] else np.zeros(len(v), dtype=int)
    has = np.isfinite(cost.min(axis=1)) if v.shape[1] else np.zeros(len(v), dtype=bool)
    rows = np.flatnonzero(single & has)
    cells[rows, j[rows]] = True
    totals = (single & ~has) | suppressed_mask(np.nansum(v, axis=1), min_count)
    return cells, totals


# -- display helpers: every other module shows counts through these -----------------------
def is_suppressed(n: float | None, min_count: int) -> bool:
    """Whether the single count ``n`` must be hidden (``1 <= n < min_count``).

    Missing values (``None``, NaN) and zero are never hidden.
    """
    v = np.nan if n is None else n
    return bool(suppressed_mask(np.array([v], dtype=float), min_count)[0])


def enough(values, min_count: int):
    """Where a count is large enough to show what was computed from it (``n >= min_count``).

    A share, median, rate, rank or chart built on fewer than ``min_count`` records (none
    included) is not shown: it would describe a handful of people. This is the one test for
    that rule; other modules call it instead of comparing with ``min_count`` themselves.

    Parameters
    ----------
    values : scalar, Series or ndarray
        Counts (records behind each figure). Missing values count as not enough.
    min_count : int
        Smallest count that may be shown.

    Returns
    -------
    bool, Series of bool (same index) or ndarray of bool
        Same shape as ``values``.
    """
    min_count = _check_min_count(min_count)
    if np.ndim(values) == 0:
        v = pd.to_numeric(pd.Series([values]), errors="coerce").to_numpy(float)[0]
        return bool(np.isfinite(v) and v >= min_count)
    arr = np.asarray(values)
    v = pd.to_numeric(pd.Series(arr.ravel()), errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):
        ok = (v >= min_count).reshape(arr.shape)
    if isinstance(values, pd.Series):
        return pd.Series(ok, index=values.index, name=values.name)
    return ok


def count_text(n: float | None, min_count: int, words: bool = False) -> str:
    """A count for display: ``"1,234"``, or the marker when it is suppressed.

    Parameters
    ----------
    n : float or None
        The count; missing gives ``"not available"``.
    min_count : int
        Smallest count that may be shown.
    words : bool, default False
        ``True``: a suppressed count reads ``"fewer than 11"`` (for sentences);
        ``False``: ``"<11"`` (for tables and figures).
    """
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return "not available"
    if is_suppressed(n, min_count):
        return f"fewer than {int(min_count)}" if words else suppression_marker(min_count)
    return f"{int(round(float(n))):,}"


#: Tables whose values describe areas, not people or single events: their ranges are shown
#: exactly in the data-quality table; every other table's are coarsened (see :func:`coarse_range`).
AREA_LEVEL_TABLES: tuple[str, ...] = ("areas", "places")


def coarse_range(values: pd.Series, column: str = "") -> tuple[str | None, str | None]:
    """Minimum and maximum of a person- or event-level column, coarsened for policy pages.

    The exact minimum or maximum of such a column is one record's value (the first shooting's
    exact time, the oldest person's birth year), so it is never shown:

    - timestamps -> calendar month (``"2024-03"``);
    - years (integer column whose name ends in ``year``) -> decade (``"1950s"``);
    - any other value -> not shown (``None``).

    Parameters
    ----------
    values : Series
    column : str, optional
        The column's name (to recognise years).

    Returns
    -------
    (str or None, str or None)
    """
    s = values.dropna()
    if s.empty or pd.api.types.is_bool_dtype(s.dtype):
        return None, None
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        lo, hi = s.min(), s.max()
        return f"{lo:%Y-%m}", f"{hi:%Y-%m}"
    if pd.api.types.is_numeric_dtype(s.dtype) and str(column).lower().endswith("year"):
        lo, hi = int(s.min()) // 10 * 10, int(s.max()) // 10 * 10
        return f"{lo}s", f"{hi}s"
    return None, None


def protect_quality(quality: pd.DataFrame, columns: dict[tuple[str, str], pd.Series] | None = None,
                    min_count: int = DEFAULT_MIN_COUNT) -> pd.DataFrame:
    """A data-quality table (:func:`workbench.data.data_quality_summary`) made safe for policy pages.

    - ``rows``, ``nulls`` and ``distinct`` go through :func:`suppress_counts`; ``share_null`` is
      hidden (:data:`HIDDEN_TOTAL`) where ``nulls`` is, since share x rows gives it back;
    - ``min``/``max`` of every table not in :data:`AREA_LEVEL_TABLES` are replaced by
      :func:`coarse_range` of the column (month, decade or nothing).

    Parameters
    ----------
    quality : DataFrame
        Columns ``table, column, rows, nulls, share_null, distinct, min, max`` (others kept).
    columns : dict, optional
        ``(table, column) -> Series`` of the values, to coarsen ``min``/``max`` from the data;
        without it non-area ranges are dropped.
    min_count : int, default 11

    Returns
    -------
    DataFrame
        Display-ready (object columns; missing values as empty text).
    """
    q = quality.copy()
    counts = [c for c in ("rows", "nulls", "distinct") if c in q.columns]
    numeric = q[counts].apply(pd.to_numeric, errors="coerce")
    hidden_nulls = suppressed_mask(numeric["nulls"].to_numpy(), min_count) if "nulls" in q else None
    shown, _ = suppress_counts(numeric, counts, min_count)
    for c in counts:
        q[c] = shown[c].to_numpy()
    if "share_null" in q:
        share = pd.to_numeric(q["share_null"], errors="coerce")
        text = np.array([f"{v:.1%}" if pd.notna(v) else "" for v in share], dtype=object)
        if hidden_nulls is not None:
            text[hidden_nulls] = HIDDEN_TOTAL
        q["share_null"] = text
    if {"min", "max", "table", "column"} <= set(q.columns):
        lo = q["min"].astype(object).to_numpy()
        hi = q["max"].astype(object).to_numpy()
        for i, (t, c) in enumerate(zip(q["table"], q["column"])):  # one row per column, not per record
            if t in AREA_LEVEL_TABLES or c == "(table)":
                continue
            s = (columns or {}).get((t, c))
            lo[i], hi[i] = coarse_range(s, c) if s is not None else (None, None)
        q["min"], q["max"] = lo, hi
    return q.astype(object).where(q.notna(), "")


# -- identifier scan -----------------------------------------------------------------------
def forbidden_ids(dataset: "Dataset") -> set[str]:
    """Every person id in the dataset (``person_id`` of people, victimizations, ...)."""
    ids: set[str] = set()
    for name in PERSON_ID_TABLES:
        df = dataset.get(name)
        if df is not None and "person_id" in df.columns:
            ids.update(df["person_id"].dropna().astype(str).unique().tolist())
    return ids


def _name_frames(dataset: "Dataset") -> list[pd.DataFrame]:
    frames = []
    people = dataset.get("people")
    if people is not None:
        frames.append(people)
    extra = getattr(dataset, "identifiers", None)  # names the loader kept out of the tables
    if extra is not None and len(extra):
        frames.append(extra)
    return frames


def forbidden_names(dataset: "Dataset") -> set[str]:
    """Personal names of the dataset: one full name per person where the data allow.

    Read from the columns in :data:`NAME_COLUMNS` of ``people`` and of
    ``dataset.identifiers`` (where :func:`workbench.data.load_dataset` keeps names out of the
    analysis tables). ``first_name`` and ``last_name`` are joined into one full name.
    """
    names: set[str] = set()
    for df in _name_frames(dataset):
        for c in ("name", "full_name"):
            if c in df.columns:
                names.update(s for s in df[c].dropna().astype(str).str.strip().unique() if s)
        first = df["first_name"] if "first_name" in df.columns else None
        last = df["last_name"] if "last_name" in df.columns else None
        if first is not None and last is not None:
            full = (first.fillna("").astype(str).str.strip() + " " + last.fillna("").astype(str).str.strip())
            names.update(s for s in full.str.strip().unique() if s)
        else:
            for part in (first, last):
                if part is not None:
                    names.update(s for s in part.dropna().astype(str).str.strip().unique() if s)
    return names


#: A word of a name: letters, with inner apostrophes (O'Brien); hyphens split (Smith-Jones).
_WORD = re.compile(r"([^\W\d_]+(?:['’][^\W\d_]+)*)")
#: Tag and attribute names are markup, not text (attribute *values* are kept: tooltips leak too).
_MARKUP = re.compile(r"</?[A-Za-z][\w:.-]*|(?<![\w:.-])[\w:.-]+=(?=[\"'])")
#: Embedded images and fonts: no readable text.
_DATA_URI = re.compile(r"data:[\w.+/-]+;base64,[A-Za-z0-9+/=]+")
#: What may stand between the parts of one written name: spaces, tag boundaries, a hyphen.
_SAME_NAME = re.compile(r"[\s\"'>/\-]*\Z")
#: "Last, First".
_COMMA_NAME = re.compile(r"[\s\"'>/]*,[\s\"'>/]*\Z")
#: Person attributes that identify someone when written next to a name: an age, a birth date
#: or year. Age bands ("aged 18-24", "age 25 to 34") and percentages are aggregates, not matched.
_ATTRIBUTE_TEXT = (
    r"\bage[ds]?\b\s*:?\s*\d{1,3}\b"
    r"(?!\s*(?:(?:-|–|—|to|and|or)\s*\d|\+|%|(?:and|or)\s+(?:over|older|above|under|younger)))"
    r"|\b\d{1,3}\s*[-‐ ]?\s*(?:years?|yrs?)[\s-]*old\b"
    r"|\b\d{1,3}\s*y/?o\b"
    r"|\bborn\b(?:\s+(?:in|on))?\s*(?:\d{4}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})\b"
    r"|\b(?:dob|d\.o\.b\.|date of birth)\b\s*:?\s*\d"
    r"|\bb\.\s*\d{4}\b"
)
_GAP = r"[\s\"'>/,:;()\[\]\-–—]{0,12}"
#: A person attribute (age, birth date or year) written right after a name word ...
_ATTR_AFTER = re.compile(_GAP + r"(" + _ATTRIBUTE_TEXT + r")", re.IGNORECASE)
#: ... or right before it ("24-year-old Smith").
_ATTR_BEFORE = re.compile(r"(" + _ATTRIBUTE_TEXT + r")" + _GAP + r"\Z", re.IGNORECASE)
#: The token (a person id?) right after / before a name word.
_ID_AFTER = re.compile(_GAP + r"([A-Za-z0-9_\-]+)")
_ID_BEFORE = re.compile(r"(?<![A-Za-z0-9_\-])([A-Za-z0-9_\-]+)" + _GAP + r"\Z")


@dataclass(frozen=True)
class NameIndex:
    """Personal names prepared for :func:`scan_html` (build once, scan many pages).

    Attributes
    ----------
    words : frozenset of str
        Every word of every name, in lower case.
    pairs : frozenset of tuple of str
        ``(given, family)`` word pairs that, written next to each other, are a person's full
        name: the first word with the second and with the last (``"John Smith"`` for
        ``"John A. Smith"`` too).
    """

    words: frozenset
    pairs: frozenset
    ordinary: frozenset = frozenset()

    @property
    def single(self) -> frozenset:
        """Name words that count next to a person attribute: :attr:`words` minus :attr:`ordinary`."""
        return self.words - self.ordinary

    @classmethod
    def from_names(cls, names: Iterable[str], ordinary: Iterable[str] = ()) -> "NameIndex":
        """Index full names (``"First Last"`` or ``"Last, First"``).

        Parameters
        ----------
        names : iterable of str
        ordinary : iterable of str, optional
            Words the data use as categories or place names (``"white"``, ``"washington"``);
            they are never a finding on their own, even next to an age ("a 24-year-old White
            man"). The contract's codes are always ordinary.
        """
        words: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for n in names:
            if not n:
                continue
            n = str(n)
            if "," in n:  # "Last, First" -> "First Last"
                last, _, first = n.partition(",")
                n = f"{first} {last}"
            toks = [t.lower() for t in _WORD.findall(n)]
            words.update(toks)
            if len(toks) >= 2:
                pairs.add((toks[0], toks[1]))
                pairs.add((toks[0], toks[-1]))
        common = _code_words() | {w.lower() for o in ordinary for w in _WORD.findall(str(o))}
        return cls(frozenset(words), frozenset(pairs), frozenset(common & words))


def _code_words() -> set[str]:
    from workbench.data.contract import CODES

    return {w for codes in CODES.values() for c in codes for w in _WORD.findall(c.replace("_", " "))}


def ordinary_words(dataset: "Dataset", max_distinct: int = 5000) -> set[str]:
    """Words the dataset itself uses outside names: codes, place names, agencies, providers.

    Text columns other than ids and names with at most ``max_distinct`` distinct values.
    """
    out: set[str] = set()
    for df in dataset.tables.values():
        for c in df.columns:
            if c in NAME_COLUMNS or str(c).endswith("_id") or c == "geometry":
                continue
            s = df[c]
            if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)
                    or isinstance(s.dtype, pd.CategoricalDtype)):
                continue
            u = pd.unique(s.dropna().astype(str))
            if len(u) <= max_distinct:
                out.update(w.lower() for v in u for w in _WORD.findall(v.replace("_", " ")))
    return out


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 40) : end + 40].replace("\n", " ")


@dataclass(frozen=True)
class IdSet:
    """Person ids prepared for :func:`scan_html` (build once, scan many pages).

    Attributes
    ----------
    tokens : frozenset of str
        Ids that are whole tokens (letters, digits, ``_``, ``-``): one set lookup per page token.
    other : frozenset of str
        Unusual ids with spaces or punctuation (searched as text).
    """

    tokens: frozenset
    other: frozenset

    @classmethod
    def of(cls, ids: Iterable[str]) -> "IdSet":
        """Ids as strings, without blanks and without numeric ids shorter than
        :data:`MIN_NUMERIC_ID_DIGITS` digits (they look like counts)."""
        ids = {str(i) for i in ids if str(i).strip()}
        ids = {i for i in ids if not (i.isdigit() and len(i) < MIN_NUMERIC_ID_DIGITS)}
        tokens = {i for i in ids if _TOKEN_FULL.match(i)}
        return cls(frozenset(tokens), frozenset(ids - tokens))


def _ids_in(text: str, ids: IdSet) -> tuple[set[str], list[tuple[str, int, int]]]:
    """Ids present in ``text`` and (id, start, end) of each one's first occurrence.

    One pass over the page's tokens with a set lookup; positions are looked for only when an
    id is present.
    """
    present = set(_TOKEN.findall(text)) & ids.tokens if ids.tokens else set()
    first: dict[str, tuple[str, int, int]] = {}
    if present:
        for m in _TOKEN.finditer(text):
            tok = m.group(0)
            if tok in present and tok not in first:
                first[tok] = (tok, m.start(), m.end())
                if len(first) == len(present):
                    break
    for i in ids.other:  # unusual ids with spaces or punctuation
        pos = text.find(i)
        if pos >= 0:
            present.add(i)
            first[i] = (i, pos, pos + len(i))
    return present, sorted(first.values(), key=lambda x: x[1])


def _mask(value: str) -> str:
    """Initials only (``"J. S."``): error messages and logs never carry a name."""
    return " ".join(w[0].upper() + "." for w in _WORD.findall(value)) or "?"


def _scan_names(text: str, index: NameIndex, ids_present: set[str] | frozenset = frozenset()) -> list[Finding]:
    """Full names, and names written next to an age, birth date or person id (one pass)."""
    if not index.words:
        return []
    clean = _MARKUP.sub(" ", _DATA_URI.sub(" ", text))
    lower = clean.lower()
    if len(lower) != len(clean):  # a rare letter whose lower case is longer: word by word
        lower = _WORD.sub(lambda m: m.group(0).lower(), clean)
    parts = _WORD.split(lower)  # gap, word, gap, word, ..., gap (lower case)
    low = parts[1::2]
    found: dict[str, Finding] = {}

    def add(value: str, key: str, what: str = "") -> None:
        if "name:" + key not in found:
            pos = max(lower.find(value.lower()), 0)
            found["name:" + key] = Finding("name", clean[pos : pos + len(value)] + what,
                                           _context(clean, pos, pos + len(value)))

    present = set(low) & index.words  # one set operation over the page's words
    if len(present) >= 1 and len(low) >= 2:
        gaps = parts[2::2]  # gaps[i] lies between low[i] and low[i + 1]
        hit = np.fromiter(map(present.__contains__, low), dtype=bool, count=len(low))
        # full names: two name words written together, in either order
        for i in np.flatnonzero(hit[:-1] & hit[1:]):
            a, b = low[i], low[i + 1]
            if ((a, b) in index.pairs and _SAME_NAME.match(gaps[i])) or \
                    ((b, a) in index.pairs and _COMMA_NAME.match(gaps[i])):
                add(a + gaps[i] + b, f"{a} {b}")
        # "John A. Smith": a middle initial between the two
        for i in np.flatnonzero(hit[:-2] & hit[2:]):
            if len(low[i + 1]) == 1 and (low[i], low[i + 2]) in index.pairs \
                    and re.fullmatch(r"[\s\"'>/]*", gaps[i]) and re.fullmatch(r"\.?[\s\"'>/]*", gaps[i + 1]):
                add(low[i] + gaps[i] + low[i + 1] + gaps[i + 1] + low[i + 2], f"{low[i]} {low[i + 2]}")
    # one name word (capitalized, as names are written) right next to a person attribute:
    # only the words of the page that are names are looked at, each with an anchored match
    single = present & index.single
    if not single:
        return list(found.values())
    ends = np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
    for i in np.flatnonzero(np.fromiter(map(single.__contains__, low), dtype=bool, count=len(low))):
        start, end = int(ends[2 * i]), int(ends[2 * i + 1])
        word = clean[start:end]
        if not word[:1].isupper():
            continue
        m = _ATTR_AFTER.match(clean, end, end + 60) or _ATTR_BEFORE.search(clean, max(0, start - 60), start)
        if m is None and ids_present:
            m = _ID_AFTER.match(clean, end, end + 80)
            if m is None or m.group(1) not in ids_present:
                m = _ID_BEFORE.search(clean, max(0, start - 80), start)
                m = m if m is not None and m.group(1) in ids_present else None
        if m is not None:
            add(word, low[i], " [next to: " + m.group(1).strip() + "]")
    return list(found.values())


def scan_html(
    html: str,
    forbidden_ids: Iterable[str] | IdSet,
    names: Iterable[str] | NameIndex = (),
    report_ids: bool = True,
) -> list[Finding]:
    """Find person ids and personal names in rendered HTML, in one pass per page.

    Parameters
    ----------
    html : str
        The exported document.
    forbidden_ids : iterable of str or IdSet
        Person ids (matched as whole tokens), or an :class:`IdSet` built from them once.
    names : iterable of str or NameIndex, optional
        Personal full names (``"First Last"``), or a :class:`NameIndex` built from them once.
    report_ids : bool, default True
        Report the ids themselves (policy pages). ``False`` (research pages, where pseudonymous
        ids are allowed): ids are only used to find a name written next to one.

    Returns
    -------
    list of Finding
        Ids first, then names, in order of appearance; one finding per distinct value.

    Notes
    -----
    A name is found when the page carries

    - a person's **full name**: a given name and a family name of the same person written
      together (``"John Smith"``, ``"SMITH, John"``, ``"John A. Smith"``, also split over two
      table cells), case-insensitive; or
    - **one name word next to a person attribute**: a capitalized name word directly before or
      after an age (``"Smith, age 24"``, ``"24-year-old Smith"``), a birth date or year, or a
      person id.

    A name word on its own is *not* a finding: family names are also ordinary words (race
    codes such as "White" and "Black", colours in CSS, place names such as "Washington Park"),
    and refusing every page that holds one would refuse every report. The scan tokenizes the
    page once and looks every word up in a set, so its cost does not grow with the number of
    names.
    """
    text = html_lib.unescape(html)
    ids = forbidden_ids if isinstance(forbidden_ids, IdSet) else IdSet.of(forbidden_ids)
    present, hits = _ids_in(text, ids)
    found: list[Finding] = []
    if report_ids:
        found += [Finding("person_id", i, _context(text, s, e)) for i, s, e in hits]
    index = names if isinstance(names, NameIndex) else NameIndex.from_names(
        n.strip() for n in names if n and str(n).strip())
    found += _scan_names(text, index, present)
    return found


def _scan_key(dataset: "Dataset") -> tuple:
    """What the cached scan indexes of ``dataset`` were built from (the frames' identity and shape)."""
    frames = [dataset.get(t) for t in PERSON_ID_TABLES] + _name_frames(dataset)
    return tuple(None if df is None else (id(df), len(df), tuple(df.columns)) for df in frames)


def _scan_indexes(dataset: "Dataset") -> tuple[IdSet, NameIndex]:
    """:class:`IdSet` and :class:`NameIndex` of a dataset, built once and reused for every page."""
    key = _scan_key(dataset)
    cached = getattr(dataset, "_privacy_scan_indexes", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    indexes = (IdSet.of(forbidden_ids(dataset)),
               NameIndex.from_names(forbidden_names(dataset), ordinary_words(dataset)))
    try:
        object.__setattr__(dataset, "_privacy_scan_indexes", (key, indexes))
    except (AttributeError, TypeError):  # pragma: no cover - a frozen or slotted dataset
        pass
    return indexes


def name_index(dataset: "Dataset") -> NameIndex:
    """:class:`NameIndex` of :func:`forbidden_names`, built once per dataset and reused."""
    return _scan_indexes(dataset)[1]


def check_export(html: str, dataset: "Dataset", where: str = "export", audience: str = "policy") -> None:
    """Raise :class:`PrivacyError` when ``html`` breaks the privacy rules of its audience.

    Parameters
    ----------
    html : str
        The exported document.
    dataset : Dataset
        The data the export was made from.
    where : str, optional
        Name of the export, used in the error message.
    audience : {"policy", "research"}, default "policy"
        ``"policy"``: no person id and no name of ``dataset`` may appear. ``"research"``:
        pseudonymous person ids may appear, names may not.

    Raises
    ------
    PrivacyError
        Listing what was found.
    ValueError
        ``audience`` is not one of :data:`AUDIENCES`.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, got {audience!r}")
    ids, names = _scan_indexes(dataset)
    findings = scan_html(html, ids, names, report_ids=audience == "policy")
    if findings:
        raise PrivacyError(findings, where=where, audience=audience)
