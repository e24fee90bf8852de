"""Apply a :class:`TableMapping` to rows read from a source: contract columns out.

Order of operations: pseudonymous ids (from the raw rows), column renames / constants /
combined date+time / point geometry / derived birth year / absent columns, value code maps,
then deduplication. Types are set afterwards by :func:`workbench.data.coerce.canonicalize`.
"""

from __future__ import annotations

import dataclasses
import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd

from .checks import missing_column_message
from .coerce import Finding, point_xy, to_geometry
from .contract import COLUMNS
from .mapping import DataSpec, TableMapping
from .numbers import parse_numbers, sample_values
from .sources import SourceFrame
from .timestamps import combine_date_time, parse_timestamps


def _norm(v: object) -> object:
    """Code-map key form: text, ``true``/``false`` for booleans, no ``.0`` on whole floats."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    text = str(v).strip()
    return text.lower() if text.lower() in ("true", "false") else text


def apply_codes(values: pd.Series, codes: dict) -> pd.Series:
    """Map source values to contract codes; unmapped values are kept (and later reported as
    unknown codes). ``"*"`` maps every other non-missing value, ``None`` maps missing ones."""
    table = {_norm(k): v for k, v in codes.items() if k is not None and k != "*"}
    default = codes.get("*")
    uniq = pd.unique(values.dropna())
    lookup = {}
    for u in uniq:
        key = _norm(u)
        if key in table:
            lookup[u] = table[key]
        elif default is not None:
            lookup[u] = default
        else:
            lookup[u] = u
    out = values.map(lookup).astype(object)
    if None in codes:
        out = out.where(values.notna(), codes[None])
    return out


def person_ids(
    sf: SourceFrame, key: list[str], salt: str, length: int, per_row: bool = True
) -> pd.Series:
    """Salted SHA-256 of (salt, file name, row number, key values), first ``length`` hex digits.

    Deterministic: the same file rows give the same ids in every table mapped from them. With
    ``per_row=False`` only the key values are hashed: one source person, one id, on every row.
    """
    if per_row:
        parts = pd.Series(sf.files.astype(str)) + "\x1f" + pd.Series(sf.rows.astype(str))
    else:
        parts = pd.Series(["p"] * len(sf.df), dtype=object)
    for k in key:
        parts = parts + "\x1f" + sf.df[k].astype(str).reset_index(drop=True)
    prefix = (salt + "\x1f").encode()
    ids = [hashlib.sha256(prefix + p.encode()).hexdigest()[:length] for p in parts]
    return pd.Series(ids, dtype=object)


def dedupe_positions(
    df: pd.DataFrame, key: list[str], order: dict[str, list], keep: str = "first"
) -> np.ndarray:
    """Positions of the rows kept: one per key, the most preferred by ``order`` (then first, or
    last, in source order). Rows with a missing key part are all kept (validation reports
    them)."""
    n = len(df)
    ranks = []
    for col, prefs in order.items():
        lookup: dict[object, int] = {}
        for r, v in enumerate(prefs):
            lookup.setdefault(_norm(v), r)
        uniq = {u: lookup.get(_norm(u), len(prefs)) for u in pd.unique(df[col].dropna())}
        ranks.append(df[col].map(uniq).fillna(len(prefs)).to_numpy(dtype=np.int64))
    pos = np.arange(n) if keep == "first" else np.arange(n)[::-1].copy()
    sort = np.lexsort([pos] + ranks[::-1]) if ranks else np.argsort(pos, kind="stable")
    complete = df[key].notna().all(axis=1).to_numpy()
    ordered = df.iloc[sort]
    dup = ordered[key].duplicated(keep="first").to_numpy() & complete[sort]
    return np.sort(sort[~dup])


def apply_mapping(
    table: str, sf: SourceFrame, m: TableMapping, spec: DataSpec
) -> tuple[pd.DataFrame, np.ndarray, list[Finding], list[dict]]:
    """Build the contract columns of ``table`` from the source rows.

    Returns
    -------
    df : DataFrame
        Contract columns (raw values, types not yet set).
    kept : ndarray of int
        Positions of the source rows kept (after deduplication).
    findings : list of Finding
        Problems found while mapping (missing source columns, unusable ages/dates).
    notes : list of dict
        Data-quality notes (absent columns, duplicates merged).
    """
    src = sf.df
    n = len(src)
    cols = [str(c) for c in src.columns]
    contract = {s.name for s in COLUMNS[table]}
    unknown = sorted(
        (set(m.columns) | set(m.codes) | set(m.constants) | set(m.combine) | set(m.absent))
        - contract
    )
    findings: list[Finding] = []
    notes: list[dict] = []
    for c in unknown:
        findings.append(
            Finding(table, c, f"mapping names '{c}', which is not a column of {table} "
                    f"(contract columns: {', '.join(s.name for s in COLUMNS[table])})")
        )
    out: dict[str, pd.Series] = {}

    def need(col: str, for_col: str) -> bool:
        if col in src.columns:
            return True
        findings.append(
            Finding(
                table,
                for_col,
                f"source column '{col}' not found"
                + (f" (closest: '{h}')" if (h := _closest(col, cols)) else ""),
            )
        )
        return False

    if m.person_ids is not None and all(need(k, m.person_ids.column) for k in m.person_ids.key):
        salt = m.person_ids.salt if m.person_ids.salt is not None else spec.name
        out[m.person_ids.column] = person_ids(
            sf, m.person_ids.key, salt, m.person_ids.length, m.person_ids.per_row
        )

    geo = src.geometry if isinstance(src, gpd.GeoDataFrame) else None
    point_col = m.point
    for cs in COLUMNS[table]:
        c = cs.name
        if c in out:
            continue
        if c in m.constants:
            out[c] = pd.Series([m.constants[c]] * n, dtype=object)
        elif c in m.combine:
            d, t = m.combine[c]
            if need(d, c) and need(t, c):
                out[c] = combine_date_time(src[d], src[t]).reset_index(drop=True)
        elif c in m.columns:
            if need(m.columns[c], c):
                out[c] = src[m.columns[c]].reset_index(drop=True)
        elif c in m.absent:
            out[c] = pd.Series([pd.NA] * n, dtype=object)
            notes.append(
                {
                    "table": table,
                    "column": c,
                    "note": f"{c} absent in source (set to missing)",
                    "n_rows": n,
                    "kind": "absent",
                }
            )
        elif c == "birth_year" and m.birth_year is not None:
            b = m.birth_year
            if need(b.age, c) and need(b.at, c):
                raw_age = src[b.age].reset_index(drop=True)
                age = pd.to_numeric(raw_age, errors="coerce")
                text_age = (raw_age.notna() & age.isna()).to_numpy()
                if text_age.any():  # 'Unknown', 'n/a': a missing age, not an error
                    shown = ", ".join(repr(str(v)) for v in pd.unique(raw_age[text_age])[:3])
                    notes.append(
                        {
                            "table": table,
                            "column": c,
                            "note": f"{int(text_age.sum())} non-numeric ages ({shown}) "
                            "give a missing birth year",
                            "n_rows": int(text_age.sum()),
                            "kind": "info",
                        }
                    )
                bad_age = (age < 0).to_numpy()
                at, bad = parse_timestamps(
                    src[b.at], spec.timezone or "UTC", b.format, "earliest", "shift_forward"
                )
                year = at.dt.year.astype("float64") - np.floor(age.where(~bad_age))
                out[c] = year.astype("Int64")
                if bad_age.any():
                    findings.append(Finding(table, c, f"negative age in '{b.age}'", bad_age))
                for msg, mask in bad.items():
                    findings.append(Finding(table, c, f"{msg} in '{b.at}'", mask))
        elif c in ("lon", "lat") and m.x is not None:
            if c == "lon" and need(m.x, c) and need(m.y, "lat"):
                lon, lat, fs = project_xy(table, src[m.x], src[m.y], m)
                out["lon"], out["lat"] = lon, lat
                findings += fs
        elif c in ("lon", "lat") and (point_col or (geo is not None and c not in src.columns)):
            if point_col and not need(point_col, c):
                continue
            g = src[point_col] if point_col else geo
            if not isinstance(g, gpd.GeoSeries):  # WKT / WKB text
                g, _ = to_geometry(g.reset_index(drop=True))
            lon, lat, not_point = point_xy(g)
            out[c] = pd.Series(lon if c == "lon" else lat)
            if c == "lon" and not_point.any():
                findings.append(Finding(table, "lon/lat", "geometry is not a point", not_point))
        elif c == "geometry" and geo is not None:
            if table == "areas" and not geo.geom_type.isin(["Polygon", "MultiPolygon"]).any():
                continue  # areas as codes read from a file of points (incidents): no boundaries
            out[c] = geo.reset_index(drop=True)
        elif c in src.columns:
            v = src[c]
            out[c] = v.reset_index(drop=True)
        elif cs.required:
            findings.append(Finding(table, c, missing_column_message(c, cols)))

    for c, codes in m.codes.items():
        if c in out:
            out[c] = apply_codes(out[c], codes)

    for cs in COLUMNS[table]:  # thousands separators, decimal commas, currency signs
        fmt = m.number_format(cs.name)
        if cs.kind in ("float", "int") and cs.name in out and fmt is not None and cs.name not in m.codes:
            raw = out[cs.name]
            out[cs.name], bad = parse_numbers(raw, fmt.thousands, fmt.decimal)
            if bad.any():
                findings.append(_number_finding(table, cs.name, raw, bad, fmt))

    if "geometry" in out and isinstance(out["geometry"], gpd.GeoSeries):
        df: pd.DataFrame = gpd.GeoDataFrame(
            out, geometry="geometry", crs=geo.crs if geo is not None else "EPSG:4326"
        )
    else:
        df = pd.DataFrame(out, index=pd.RangeIndex(n))
    kept = np.arange(n)
    if m.dedupe is not None and len(df):
        # key / order columns not mapped themselves may be source columns (a victim number)
        by = pd.DataFrame(df).copy()
        for k in m.dedupe.key + list(m.dedupe.order):
            if k not in by.columns and k in src.columns:
                by[k] = src[k].reset_index(drop=True)
        missing = [k for k in m.dedupe.key + list(m.dedupe.order) if k not in by.columns]
        reported = {f.column for f in findings}
        if missing and all(k in reported for k in missing):
            pass  # the missing source column is already reported
        elif missing:
            findings.append(
                Finding(
                    table,
                    missing[0],
                    f"dedupe names '{missing[0]}', neither a mapped column nor a source column"
                    + (f" (closest: '{h}')" if (h := _closest(missing[0], cols)) else ""),
                )
            )
        else:
            kept = dedupe_positions(by, m.dedupe.key, m.dedupe.order, m.dedupe.keep)
            n_merged = n - len(kept)
            if n_merged:
                others = [c for c in df.columns if c not in m.dedupe.key and c not in m.dedupe.order]
                gkey = [by[k] for k in m.dedupe.key]
                notes.append(
                    {
                        "table": table,
                        "column": "/".join(m.dedupe.key),
                        "note": f"{n_merged} duplicate rows merged into {len(kept)} "
                        f"(one per {'/'.join(m.dedupe.key)})",
                        "n_rows": int(n_merged),
                        "kind": "info",
                    }
                )
                for c in others:
                    if c == "geometry":
                        continue
                    nun = df[c].groupby(gkey, dropna=True).nunique(dropna=True)
                    k = int((nun > 1).sum())
                    if k:
                        notes.append(
                            {
                                "table": table,
                                "column": c,
                                "note": f"{k} {'/'.join(m.dedupe.key)} with differing {c} "
                                "among merged rows (kept the preferred row's value)",
                                "n_rows": k,
                                "kind": "info",
                            }
                        )
            df = df.iloc[kept].reset_index(drop=True)
            findings = [
                dataclasses.replace(f, mask=f.mask[kept]) if f.mask is not None else f
                for f in findings
            ]
    return df, kept, findings, notes


def project_xy(
    table: str, x: pd.Series, y: pd.Series, m: TableMapping
) -> tuple[pd.Series, pd.Series, list[Finding]]:
    """WGS84 lon/lat of projected ``x``/``y`` in ``m.source_crs`` (numbers parsed with the
    mapping's number format); findings for unreadable numbers and unplaceable points."""
    from pyproj import CRS, Transformer

    findings: list[Finding] = []
    vals = []
    for name, col in (("x", x), ("y", y)):
        fmt = m.number_format(name)
        v, bad = parse_numbers(col, fmt.thousands if fmt else None, fmt.decimal if fmt else ".")
        if bad.any():
            findings.append(_number_finding(table, f"lon/lat ({name}: {col.name})", col, bad, fmt))
        vals.append(v.to_numpy(dtype=float))
    xs, ys = vals
    crs = CRS.from_user_input(m.source_crs)
    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    with np.errstate(all="ignore"):
        lon, lat = tr.transform(xs, ys)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    placed = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
    lon[~placed], lat[~placed] = np.nan, np.nan
    given = np.isfinite(xs) & np.isfinite(ys)
    lost = given & ~placed
    if lost.any():
        findings.append(
            Finding(table, "lon/lat", f"x/y cannot be placed in source_crs {m.source_crs}", lost)
        )
    return pd.Series(lon), pd.Series(lat), findings


def _number_finding(table: str, column: str, raw: pd.Series, bad: np.ndarray, fmt) -> Finding:
    conv = (
        f"thousands {fmt.thousands!r}, decimal {fmt.decimal!r}" if fmt is not None else "plain numbers"
    )
    return Finding(
        table,
        column,
        "not a number",
        bad,
        hint=f"values {sample_values(raw, bad)} (read with {conv}); set thousands:/decimal: "
        "for this source or numbers: per column",
    )


def _closest(name: str, cols: list[str]) -> str | None:
    from .checks import closest

    return closest(name, cols)
