"""Numbers as exports write them: thousands separators, decimal commas, currency signs.

``parse_numbers(["1,234.5", "$2,000", "(12)"], thousands=",")`` gives ``[1234.5, 2000, -12]``.
Values that still do not read as numbers are returned as NaN and flagged, so the caller can
name them in the error.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Currency signs and codes removed before parsing (``$1,200``, ``1.200 EUR``).
_CURRENCY = re.compile(r"[$€£¥]|\b(?:USD|EUR|GBP)\b", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_numbers(
    values: pd.Series, thousands: str | None = None, decimal: str = "."
) -> tuple[pd.Series, np.ndarray]:
    """Parse text numbers written with a given separator convention.

    Parameters
    ----------
    values : Series
        Text (or already numeric) values.
    thousands : str, optional
        Thousands separator to remove (``","``, ``"."``, ``" "``, ``"'"``).
    decimal : {'.', ','}
        Decimal mark.

    Returns
    -------
    numbers : Series of float64
        NaN where missing or unreadable.
    bad : ndarray of bool
        Values present but not readable as numbers.
    """
    s = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        out = s.astype("float64")
        return out, np.zeros(len(s), dtype=bool)
    present = s.notna().to_numpy()
    text = s.astype("string").str.strip()
    text = text.str.replace(_CURRENCY, "", regex=True)
    negative = text.str.match(r"^\(.*\)$").fillna(False).to_numpy(dtype=bool)  # (12) = -12
    text = text.str.strip("()")
    if thousands is not None:
        if thousands.strip() == "":
            text = text.str.replace(_SPACES, "", regex=True)
        else:
            text = text.str.replace(thousands, "", regex=False)
    text = text.str.replace(_SPACES, "", regex=True)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    out = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64")
    out = out.where(~negative, -out)
    bad = present & out.isna().to_numpy() & (s.astype("string").str.strip() != "").fillna(False).to_numpy()
    return out, bad


def sample_values(values: pd.Series, mask: np.ndarray, k: int = 3) -> str:
    """``'1.234,5', '12 %'``: the first distinct offending values, quoted, for messages."""
    uniq = pd.unique(pd.Series(values).reset_index(drop=True)[mask].astype(str))
    shown = ", ".join(repr(v) for v in uniq[:k])
    return shown + (", ..." if len(uniq) > k else "")
