"""Bring a table's columns to the contract's types, reporting values that do not fit.

Each function returns the converted column and boolean row masks of values it could not
convert (missing inputs are not flagged: the not-null rules of the schema do that).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .contract import COLUMNS
from .dataset import GEO_TABLES, WGS84
from .numbers import sample_values
from .timestamps import parse_timestamps


@dataclass
class Finding:
    """Something wrong in one table, before it becomes a :class:`Problem`.

    ``mask`` (bool per row) marks the offending rows; ``None`` means the whole table or column
    is wrong (missing column, empty table), which no row-dropping policy can fix.
    ``ids`` overrides the ids shown (e.g. the duplicated key values). ``detail`` (offending
    values) is added to the error message but left out of data-quality notes. ``by_key``
    names rows by their key even when the finding is about a key column (dangling references).
    """

    table: str
    column: str | None
    message: str
    mask: np.ndarray | None = None
    ids: list[str] | None = field(default=None)
    detail: str = ""
    by_key: bool = False
    hint: str = ""

    @property
    def n_rows(self) -> int:
        return 0 if self.mask is None else int(self.mask.sum())


_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def to_text(s: pd.Series) -> pd.Series:
    """Strings (``object`` dtype) with ``None`` for missing; integral floats lose ``.0``."""
    notna = s.notna().to_numpy()
    if pd.api.types.is_bool_dtype(s.dtype):
        out = s.map({True: "true", False: "false"})
    elif pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        integral = np.isfinite(v) & (np.mod(v, 1) == 0)
        txt = s.astype(str).to_numpy(dtype=object)
        if integral.any():
            txt[integral] = v[integral].astype(np.int64).astype(str)
        out = pd.Series(txt, index=s.index, dtype=object)
    elif pd.api.types.is_object_dtype(s.dtype) and pd.api.types.infer_dtype(s, skipna=True) in (
        "string",
        "empty",
    ):
        return s.where(pd.Series(notna, index=s.index), None)
    else:
        out = s.astype(str).astype(object)
    return out.where(pd.Series(notna, index=s.index), None).astype(object)


def to_float(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    return out, (s.notna() & out.isna()).to_numpy()


def to_int(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    num = pd.to_numeric(s, errors="coerce").astype("float64")
    bad = (s.notna() & num.isna()).to_numpy()
    frac = (num.notna() & (num % 1 != 0)).to_numpy()
    num = num.where(~frac)
    return num.astype("Int64"), bad | frac


def to_bool(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(s.dtype) and not isinstance(s.dtype, pd.BooleanDtype):
        return s, np.zeros(len(s), dtype=bool)
    uniq = pd.unique(s.dropna())
    table = {}
    for u in uniq:
        key = str(u).strip().lower()
        table[u] = True if key in _TRUE else False if key in _FALSE else None
    out = s.map(table).astype(object)
    bad = (s.notna() & out.isna()).to_numpy()
    if out.notna().all():
        out = out.astype(bool)
    return out, bad


def to_geometry(s: pd.Series) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Geometry from a GeoSeries, shapely objects, WKT text or WKB (bytes or hex)."""
    if isinstance(s, gpd.GeoSeries):
        return s, np.zeros(len(s), dtype=bool)
    vals = s.to_numpy(dtype=object)
    out = np.full(len(vals), None, dtype=object)
    bad = np.zeros(len(vals), dtype=bool)
    for kind in ("geom", "wkb", "wkt"):
        todo = np.flatnonzero(pd.notna(vals) & pd.isna(out) & ~bad)
        if len(todo) == 0:
            break
        sub = vals[todo]
        if kind == "geom":
            is_geom = shapely.is_geometry(sub)
            out[todo[is_geom]] = sub[is_geom]
        elif kind == "wkb":
            is_bytes = np.array([isinstance(v, (bytes, bytearray, memoryview)) for v in sub])
            is_hex = np.array(
                [isinstance(v, str) and len(v) > 8 and v[:2] in ("01", "00") for v in sub]
            )
            pick = is_bytes | is_hex
            if pick.any():
                parsed = shapely.from_wkb(
                    [bytes(v) if not isinstance(v, str) else v for v in sub[pick]],
                    on_invalid="ignore",
                )
                out[todo[pick]] = parsed
        else:
            parsed = shapely.from_wkt(sub.astype(str), on_invalid="ignore")
            out[todo] = parsed
            bad[todo[pd.isna(parsed)]] = True
    return gpd.GeoSeries(out, index=s.index, crs=WGS84), bad


def point_xy(geom: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 lon, lat of point geometries (NaN where missing or not a point) and a mask of
    non-point geometries."""
    g = gpd.GeoSeries(geom)
    if g.crs is not None and not g.crs.equals(WGS84):
        g = g.to_crs(WGS84)
    arr = g.to_numpy()
    is_point = shapely.get_type_id(arr) == 0
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    lon = np.where(is_point & present, shapely.get_x(arr), np.nan)
    lat = np.where(is_point & present, shapely.get_y(arr), np.nan)
    return lon, lat, present & ~is_point


def canonicalize(
    table: str,
    df: pd.DataFrame,
    timezone: str,
    formats: dict[str, list[str] | str] | None = None,
    ambiguous: str = "earliest",
    nonexistent: str = "shift_forward",
    localize: bool = True,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Convert the contract columns of ``table`` to their contract types.

    With ``localize=False`` timestamp columns that are not tz-aware are left as they are (the
    schema then reports them); tz-aware ones are still converted to ``timezone``.

    Returns the converted frame (RangeIndex; a GeoDataFrame in EPSG:4326 for ``areas`` and
    ``places``) and the findings for values that could not be converted.
    """
    formats = formats or {}
    df = df.reset_index(drop=True)
    findings: list[Finding] = []
    is_geo_table = table in GEO_TABLES
    geo_name = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    out = pd.DataFrame(df).copy()
    if is_geo_table and geo_name not in (None, "geometry"):
        out = out.rename(columns={geo_name: "geometry"})
    if table == "places" and "geometry" not in out and {"lon", "lat"} <= set(out.columns):
        lon, bad_lon = to_float(out["lon"])
        lat, bad_lat = to_float(out["lat"])
        pts = gpd.points_from_xy(lon, lat, crs=WGS84)
        pts[(lon.isna() | lat.isna()).to_numpy()] = None
        out["geometry"] = gpd.GeoSeries(pts, index=out.index)
        out = out.drop(columns=["lon", "lat"])
    if (
        geo_name is not None
        and not is_geo_table
        and {"lon", "lat"} <= {s.name for s in COLUMNS[table]}
        and not ({"lon", "lat"} & set(out.columns))
    ):
        lon, lat, b = point_xy(df.geometry)
        out["lon"], out["lat"] = lon, lat
        if b.any():
            findings.append(Finding(table, "lon", "geometry is not a point", b))
    for spec in COLUMNS[table]:
        c = spec.name
        if c not in out.columns:
            continue
        col = out[c]
        bad: dict[str, np.ndarray] = {}
        if spec.kind in ("id", "text", "code"):
            out[c] = to_text(col)
        elif spec.kind == "float":
            out[c], b = to_float(col)
            bad["not a number"] = b
        elif spec.kind == "int":
            out[c], b = to_int(col)
            bad["not a whole number"] = b
        elif spec.kind == "bool":
            out[c], b = to_bool(col)
            bad["not true/false"] = b
        elif spec.kind == "timestamp":
            if localize or isinstance(col.dtype, pd.DatetimeTZDtype):
                out[c], bad = parse_timestamps(
                    col, timezone, formats.get(c), ambiguous, nonexistent
                )
                out[c].index = out.index
        elif spec.kind == "geometry":
            g, b = to_geometry(df.geometry if c == "geometry" and geo_name else col)
            out[c] = g.to_numpy()
            bad["unreadable geometry"] = b
        for msg, m in bad.items():
            if m.any():
                hint = "" if spec.kind == "geometry" else f"values {sample_values(col, m)}"
                if spec.kind == "timestamp" and msg.startswith("unparseable"):
                    hint += f"; give their format with dates: {{{c}: ...}}"
                elif spec.kind in ("float", "int"):
                    hint += "; for 1,234.5 or 1.234,5 set thousands:/decimal: in the mapping"
                findings.append(Finding(table, c, msg, m, hint=hint))
    if is_geo_table and "geometry" in out.columns:
        crs = df.crs if isinstance(df, gpd.GeoDataFrame) and df.crs is not None else WGS84
        gdf = gpd.GeoDataFrame(out, geometry="geometry", crs=crs)
        if not gdf.crs.equals(WGS84):
            gdf = gdf.to_crs(WGS84)
        out = gdf
    elif isinstance(df, gpd.GeoDataFrame) and geo_name in out.columns and not is_geo_table:
        out = out.drop(columns=[geo_name])
    return out, findings


def finalize(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Last dtype fixes after bad rows are gone (bool columns without missing values)."""
    for spec in COLUMNS[table]:
        if spec.kind == "bool" and spec.name in df and df[spec.name].dtype == object:
            if df[spec.name].notna().all():
                df[spec.name] = df[spec.name].astype(bool)
    return df


def contract_order(table: str, df: pd.DataFrame) -> list[str]:
    """Contract columns present, in contract order, then any extra columns."""
    names = [c.name for c in COLUMNS[table]]
    return [c for c in names if c in df.columns] + [c for c in df.columns if c not in names]

