"""Input coercion shared by the spatial estimators: projected coordinates and event times.

Every public function in :mod:`workbench.spatial` accepts plain inputs -- an ``(n, 2)`` array of
projected ``x, y`` in meters, a DataFrame with ``x``/``y`` columns, or a GeoDataFrame of points in a
*projected* CRS (``Dataset.points('incidents')``) -- and tz-aware timestamps (a column name or an
array). Bad input raises :class:`~workbench.data.errors.DataError` before anything is computed.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from workbench.data.errors import DataError

SECONDS_PER_DAY = 86_400


def resolve_points(points: Any, table: str = "incidents") -> Any:
    """A :class:`~workbench.data.Dataset` becomes its ``table`` as points in its projected CRS."""
    if hasattr(points, "tables") and hasattr(points, "points") and hasattr(points, "crs"):
        return points.points(table)
    return points


def _bad_rows(source: str, column: str, message: str, mask: np.ndarray, ids: Any = None) -> DataError:
    idx = np.flatnonzero(mask)
    shown = np.asarray(ids)[idx[:5]] if ids is not None else idx[:5]
    return DataError.single(source, column, message, ids=list(shown), n_rows=int(idx.size))


def check_projected(gdf: gpd.GeoDataFrame, source: str) -> None:
    """Raise :class:`DataError` unless ``gdf`` has a projected (meter) CRS."""
    if gdf.crs is None:
        raise DataError.single(source, "geometry", "has no CRS; distances need a projected CRS in meters")
    if not gdf.crs.is_projected:
        raise DataError.single(
            source,
            "geometry",
            f"is in the geographic CRS {gdf.crs.to_string()}; project it first "
            "(Dataset.points() or GeoDataFrame.to_crs(dataset.crs))",
        )


def as_xy(points: Any, source: str = "incidents", ids: Any = None) -> np.ndarray:
    """Projected coordinates as a float ``(n, 2)`` array (meters).

    Parameters
    ----------
    points : array-like of shape (n, 2), DataFrame with ``x``/``y`` columns, or GeoDataFrame
        A GeoDataFrame must hold points in a projected CRS.
    source : str
        Name used in error messages.
    ids : array-like, optional
        Row ids shown in error messages.
    """
    if isinstance(points, gpd.GeoDataFrame):
        check_projected(points, source)
        geom = points.geometry
        bad = (geom.isna() | geom.is_empty).to_numpy()
        if bad.any():
            raise _bad_rows(source, "geometry", "missing point geometry", bad, ids)
        if not (geom.geom_type == "Point").all():
            raise _bad_rows(source, "geometry", "is not a Point", (geom.geom_type != "Point").to_numpy(), ids)
        xy = np.column_stack([geom.x.to_numpy(float), geom.y.to_numpy(float)])
    elif isinstance(points, pd.DataFrame):
        missing = [c for c in ("x", "y") if c not in points.columns]
        if missing:
            raise DataError.single(source, missing[0], "column is missing (need projected x, y in meters)")
        xy = points[["x", "y"]].to_numpy(float)
    else:
        xy = np.asarray(points, dtype=float)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise DataError.single(source, "x, y", f"expected an (n, 2) array of coordinates, got shape {xy.shape}")
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise _bad_rows(source, "x, y", "non-finite coordinate", bad, ids)
    return xy


def get_times(points: Any, times: Any, default: str = "occurred_at") -> Any:
    """The times argument resolved against ``points`` (a column name or array)."""
    if times is None:
        times = default
    if isinstance(times, str):
        if not isinstance(points, pd.DataFrame) or times not in points.columns:
            raise DataError.single("incidents", times, "column is missing (event times are required)")
        return points[times]
    return times


def get_ids(points: Any, ids: Any, default: str = "incident_id") -> np.ndarray:
    """Ids from a column name or array; row numbers (as strings) when there are none."""
    if ids is None and isinstance(points, pd.DataFrame) and default in points.columns:
        ids = default
    if isinstance(ids, str):
        return points[ids].astype(str).to_numpy()
    if ids is None:
        return np.arange(len(points)).astype(str)
    return np.asarray(ids).astype(str)


def times_to_units(times: Any, resolution: str, source: str = "incidents", ids: Any = None) -> np.ndarray:
    """Event times as int64 counts of days (``resolution='day'``) or seconds (``'second'``).

    Datetimes must be tz-aware; ``'day'`` uses the *local* calendar date in their own time zone,
    so two shootings at 23:50 and 00:10 are one day apart (as in the Near Repeat Calculator,
    which reads dates); ``'second'`` counts elapsed (UTC) seconds, so DST changes do not distort
    differences. Plain numbers are read as days (fractional days allowed).
    """
    if resolution not in ("day", "second"):
        raise ValueError("time resolution must be 'day' or 'second'")
    s = times.reset_index(drop=True) if isinstance(times, pd.Series) else pd.Series(times)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dt, "tz", None) is None:
            raise DataError.single(source, "occurred_at", "timestamps have no time zone (tz-aware times required)")
        bad = s.isna().to_numpy()
        if bad.any():
            raise _bad_rows(source, "occurred_at", "missing timestamp", bad, ids)
        if resolution == "day":  # local calendar date
            local = s.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
            return local.astype(np.int64)
        return s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64)
    if pd.api.types.is_numeric_dtype(s.dtype):
        v = s.to_numpy(float)
        bad = ~np.isfinite(v)
        if bad.any():
            raise _bad_rows(source, "occurred_at", "non-finite time", bad, ids)
        if resolution == "day":
            return np.floor(v).astype(np.int64)
        return np.round(v * SECONDS_PER_DAY).astype(np.int64)
    raise DataError.single(source, "occurred_at", f"times must be tz-aware datetimes or numbers of days, got {s.dtype}")
