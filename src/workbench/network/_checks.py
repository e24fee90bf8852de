"""Input checks shared by the network modules: one :class:`DataError` per bad table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.data.errors import DataError, Problem


def require_columns(df: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    """Raise :class:`DataError` when ``df`` lacks any of ``columns``.

    Parameters
    ----------
    df : DataFrame
        The table to check.
    table : str
        Contract table name used in the message (``"arrests"``).
    columns : sequence of str
        Required column names.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError.single(table, None, f"expected a DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            [Problem(table, c, "required column is missing") for c in missing]
        )


def require_not_null(df: pd.DataFrame, table: str, columns: Sequence[str], id_column: str) -> None:
    """Raise :class:`DataError` listing every column of ``columns`` that has nulls."""
    problems = []
    for c in columns:
        bad = df[c].isna().to_numpy()
        if bad.any():
            ids = df.loc[bad, id_column].astype(str).tolist() if c != id_column else [
                str(i) for i in np.flatnonzero(bad)
            ]
            problems.append(
                Problem(table, c, "missing values", int(bad.sum()), tuple(ids[:5]))
            )
    if problems:
        raise DataError(problems)


def require_tz_aware(df: pd.DataFrame, table: str, column: str) -> None:
    """Raise :class:`DataError` unless ``df[column]`` is a tz-aware datetime column."""
    s = df[column]
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        raise DataError.single(
            table,
            column,
            f"timestamps must be tz-aware datetimes (got dtype {s.dtype})",
            n_rows=len(s),
            ids=[],
        )


def as_timestamp(value: object, like: pd.Series | None = None, what: str = "date") -> pd.Timestamp:
    """Parse ``value`` as a tz-aware :class:`~pandas.Timestamp`.

    A naive value is localized to the time zone of ``like`` (a tz-aware datetime Series); with no
    ``like`` it must carry its own time zone.

    Parameters
    ----------
    value : str, datetime or Timestamp
        The date or instant.
    like : Series, optional
        Tz-aware timestamps whose zone a naive ``value`` is read in.
    what : str
        Name used in the error message.
    """
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        tz = getattr(getattr(like, "dt", None), "tz", None) if like is not None else None
        if tz is None:
            raise ValueError(f"{what} {value!r} has no time zone and none can be inferred")
        ts = ts.tz_localize(tz)
    return ts
