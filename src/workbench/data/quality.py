"""Data-quality summary: one row per table and column, for ``workbench validate`` and notebooks."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .dataset import TABLES, Dataset

#: Columns of :func:`data_quality_summary`.
SUMMARY_COLUMNS = ["table", "column", "dtype", "rows", "nulls", "share_null", "distinct", "min", "max", "notes"]


def _minmax(s: pd.Series) -> tuple[object, object]:
    if len(s) == 0 or s.notna().sum() == 0:
        return None, None
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return str(s.min()), str(s.max())
    if pd.api.types.is_bool_dtype(s.dtype):
        return None, None
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.min(), s.max()
    return None, None


def data_quality_summary(dataset: Dataset) -> pd.DataFrame:
    """Per table and column: rows, missing values, distinct values, range and notes.

    Parameters
    ----------
    dataset : Dataset
        A (validated) dataset; its :attr:`~Dataset.notes` (dropped rows, columns absent in the
        source, merged duplicates) are attached to the table or column they concern.

    Returns
    -------
    DataFrame
        Columns ``table, column, dtype, rows, nulls, share_null, distinct, min, max, notes``;
        one ``(table)`` row per table carrying table-level notes (e.g. rows dropped), then one
        row per column. ``min``/``max`` are given for numbers and timestamps (as text for
        timestamps). Counts only: no row-level values or ids.
    """
    notes: dict[tuple[str, str | None], list[str]] = {}
    for n in dataset.notes:
        notes.setdefault((n["table"], n.get("column")), []).append(n["note"])
    rows = []
    for table in TABLES:
        if table not in dataset.tables:
            continue
        df = dataset.tables[table]
        n = len(df)
        rows.append(
            {
                "table": table,
                "column": "(table)",
                "dtype": type(df).__name__,
                "rows": n,
                "nulls": None,
                "share_null": None,
                "distinct": None,
                "min": None,
                "max": None,
                "notes": "; ".join(notes.get((table, None), [])),
            }
        )
        geo = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
        for col in df.columns:
            s = df[col]
            nulls = int(s.isna().sum())
            lo, hi = _minmax(s) if col != geo else (None, None)
            col_notes = [
                text
                for (t, c), texts in notes.items()
                if t == table and c is not None and col in str(c).split("/")
                for text in texts
            ]
            rows.append(
                {
                    "table": table,
                    "column": str(col),
                    "dtype": str(s.dtype),
                    "rows": n,
                    "nulls": nulls,
                    "share_null": nulls / n if n else None,
                    "distinct": None if col == geo else int(s.nunique(dropna=True)),
                    "min": lo,
                    "max": hi,
                    "notes": "; ".join(dict.fromkeys(col_notes)),
                }
            )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
