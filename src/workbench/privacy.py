"""Small-count suppression and the identifier scan every export goes through.

This is the ONE privacy module: notebooks call :func:`suppress_counts` (and
:func:`suppressed_mask` for maps and charts) before showing any count, and the report runner
calls :func:`check_export` on every HTML file before it is published.

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
    "AUDIENCES",
    "DEFAULT_MIN_COUNT",
    "HIDDEN_TOTAL",
    "Finding",
    "PrivacyError",
    "check_export",
    "complementary_mask",
    "forbidden_ids",
    "forbidden_names",
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
        shown = ", ".join(f.value for f in self.findings[:_MAX_SHOWN])
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


# -- identifier scan -----------------------------------------------------------------------
def forbidden_ids(dataset: "Dataset") -> set[str]:
    """Every person id in the dataset (``person_id`` of people, victimizations, ...)."""
    ids: set[str] = set()
    for name in PERSON_ID_TABLES:
        df = dataset.get(name)
        if df is not None and "person_id" in df.columns:
            ids.update(df["person_id"].dropna().astype(str).unique().tolist())
    return ids


def forbidden_names(dataset: "Dataset") -> set[str]:
    """Personal names in ``people`` (columns in :data:`NAME_COLUMNS`), if the data have any."""
    names: set[str] = set()
    people = dataset.get("people")
    if people is None:
        return names
    for c in NAME_COLUMNS:
        if c in people.columns:
            names.update(s for s in people[c].dropna().astype(str).str.strip().unique() if s)
    return names


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 40) : end + 40].replace("\n", " ")


def scan_html(html: str, forbidden_ids: Iterable[str], names: Iterable[str] = ()) -> list[Finding]:
    """Find person ids and names in rendered HTML.

    Parameters
    ----------
    html : str
        The exported document.
    forbidden_ids : iterable of str
        Person ids that must not appear (matched as whole tokens).
    names : iterable of str, optional
        Personal names that must not appear (case-insensitive, whole words).

    Returns
    -------
    list of Finding
        One finding per distinct id or name found, in order of first appearance.
    """
    text = html_lib.unescape(html)
    found: dict[str, Finding] = {}

    ids = {str(i) for i in forbidden_ids if str(i).strip()}
    ids = {i for i in ids if not (i.isdigit() and len(i) < MIN_NUMERIC_ID_DIGITS)}
    tokenlike = {i for i in ids if _TOKEN_FULL.match(i)}
    if tokenlike:
        # one pass over the document's tokens; set lookup per token (no loop over ids)
        for m in _TOKEN.finditer(text):
            tok = m.group(0)
            if tok in tokenlike and tok not in found:
                found[tok] = Finding("person_id", tok, _context(text, m.start(), m.end()))
    for i in sorted(ids - tokenlike):  # unusual ids with spaces or punctuation
        pos = text.find(i)
        if pos >= 0:
            found[i] = Finding("person_id", i, _context(text, pos, pos + len(i)))

    names = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, chunk)) + r")\b", re.IGNORECASE)
        for m in pattern.finditer(text):
            key = "name:" + m.group(0).lower()
            if key not in found:
                found[key] = Finding("name", m.group(0), _context(text, m.start(), m.end()))
    return list(found.values())


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
    ids = forbidden_ids(dataset) if audience == "policy" else set()
    findings = scan_html(html, ids, forbidden_names(dataset))
    if findings:
        raise PrivacyError(findings, where=where, audience=audience)
