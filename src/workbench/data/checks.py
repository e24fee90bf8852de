"""Validation: every contract rule on every table, all findings in ONE :class:`DataError`.

Checks, table by table in dependency order (:data:`TABLES`):

1. required columns present (a misnamed column gets the closest source column suggested);
2. values convertible to the contract types (numbers, booleans, dates, geometries);
3. the pandera schema (codes, ranges, not-null rules, tz-aware timestamps, geometry types);
4. unique keys;
5. references to the (already checked) parent tables;
6. points inside the study area (union of areas or an explicit boundary, plus a buffer);
7. no empty table; ``incidents`` present.

With ``on_bad_rows="drop"`` for a table, rows failing checks 2-6 are removed and counted in
:attr:`Dataset.notes`; table-level problems (missing column, empty table) always raise.
Response-duration plausibility (``departed_at >= arrived_at``) is not checked here: it is the
response analysis's data check, which reports rather than rejects.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.pandas as pa
import shapely
from pyproj import CRS

from .coerce import Finding, canonicalize, contract_order, finalize, point_xy
from .contract import (
    COLUMNS,
    KEYS,
    LOCATED_TABLES,
    REFERENCES,
    REQUIRED_TABLES,
    VALIDATION_SCHEMAS,
)
from .dataset import TABLES, WGS84, Dataset
from .errors import MAX_IDS_SHOWN, DataError, Problem

Origin = Callable[[np.ndarray], list[str]]

_SKIP_CHECKS = {"column_in_dataframe", "field_uniqueness", "multiple_fields_uniqueness"}


def closest(name: str, candidates: list[str]) -> str | None:
    """The candidate closest to ``name`` (difflib), or ``None``."""
    cands = [str(c) for c in candidates]
    hits = difflib.get_close_matches(name, cands, n=1, cutoff=0.5)
    if not hits:
        low = {c.lower(): c for c in cands}
        hits = [low[h] for h in difflib.get_close_matches(name.lower(), list(low), n=1, cutoff=0.5)]
    if not hits:  # 'race' for 'race_ethnicity', 'when' for 'occurred_when'
        words = set(name.lower().split("_"))
        parts = [
            c
            for c in cands
            if (len(c) >= 3 and c.lower() in words) or name.lower() in c.lower().split("_")
        ]
        hits = parts[:1]
    return hits[0] if hits else None


def missing_column_message(column: str, candidates: list[str]) -> str:
    """``missing column 'x' (closest source column: 'y')``."""
    msg = f"missing required column '{column}'"
    hint = closest(column, candidates)
    if hint is not None:
        msg += f" (closest source column: '{hint}'; map it with columns: {{{column}: {hint}}})"
    elif candidates:
        shown = ", ".join(map(str, list(candidates)[:12]))
        msg += f" (source columns: {shown})"
    return msg


def _fmt_values(values: pd.Series, k: int = 5) -> str:
    uniq = pd.unique(values.dropna().astype(str))
    shown = ", ".join(repr(v) for v in uniq[:k])
    return shown + (", ..." if len(uniq) > k else "")


def _pandera_findings(table: str, df: pd.DataFrame, absent: set[str]) -> list[Finding]:
    schema = VALIDATION_SCHEMAS[table]
    try:
        schema.validate(df, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
    out: list[Finding] = []
    n = len(df)
    for (column, check), grp in fc.groupby(["column", "check"], dropna=False, sort=False):
        check = str(check)
        if check in _SKIP_CHECKS or pd.isna(column):
            continue
        column = str(column)
        if check == "not_nullable" and column in absent:
            continue
        idx = pd.to_numeric(grp["index"], errors="coerce").dropna().astype(int).to_numpy()
        mask = None
        detail = ""
        if len(idx):
            mask = np.zeros(n, dtype=bool)
            mask[idx[(idx >= 0) & (idx < n)]] = True
        spec = next(s for s in COLUMNS[table] if s.name == column)
        if check == "not_nullable":
            msg = "missing value"
        elif check.startswith("isin("):
            msg = "unknown code"
            detail = (
                f" {_fmt_values(grp['failure_case'])} "
                f"(allowed: {', '.join(spec.codes)}; map them with codes: {{{column}: ...}})"
            )
        elif check.startswith("dtype(") and mask is None and spec.kind == "bool":
            continue  # object dtype only because of missing values, reported as such
        elif check.startswith("dtype("):
            msg = f"wrong type (expected {spec.kind})"
            detail = f": {_fmt_values(grp['failure_case'], 3)}"
        elif check == "tz-aware timestamp":
            msg = (
                f"timestamps have no time zone (dtype {df[column].dtype}): localize them "
                "(Series.dt.tz_localize) or read the data with load_dataset"
            )
        elif check.startswith(("greater_than_or_equal_to(", "less_than_or_equal_to(")):
            bound = f">= {spec.min:g}" if check.startswith("greater") else f"<= {spec.max:g}"
            msg = f"value out of range (must be {bound})"
            detail = f": {_fmt_values(grp['failure_case'])}"
        else:
            msg = f"failed check {check}"
        out.append(Finding(table, column, msg, mask, detail=detail))
    return out


def _without_repeats(earlier: list[Finding], schema: list[Finding]) -> list[Finding]:
    """Drop schema findings (missing value, wrong type) on rows already reported as
    unconvertible in the same column (an unparseable date is not also a missing date)."""
    flagged: dict[str | None, np.ndarray] = {}
    for f in earlier:
        if f.mask is not None:
            prev = flagged.get(f.column)
            flagged[f.column] = f.mask.copy() if prev is None else prev | f.mask
    out = []
    for f in schema:
        prev = flagged.get(f.column)
        if prev is not None and (f.message == "missing value" or f.message.startswith("wrong type")):
            if f.mask is None:
                continue
            rest = f.mask & ~prev
            if not rest.any():
                continue
            f = dataclasses.replace(f, mask=rest)
        out.append(f)
    return out


def _key_findings(table: str, df: pd.DataFrame) -> list[Finding]:
    key = [k for k in KEYS[table] if k in df.columns]
    if len(key) != len(KEYS[table]) or len(df) == 0:
        return []
    complete = df[key].notna().all(axis=1)
    dup = df[key].duplicated(keep=False) & complete
    if not dup.any():
        return []
    vals = df.loc[dup, key].astype(str).agg("/".join, axis=1)
    distinct = list(dict.fromkeys(vals))
    k = ", ".join(key)
    hint = (
        f"{len(distinct)} distinct {'/'.join(key)} repeated (e.g. "
        f"{', '.join(repr(v) for v in distinct[:MAX_IDS_SHOWN])}). If the source has one row per "
        f"victim x suspect (or victim x offense), keep one row per key with dedupe: {{key: [{k}], "
        "order: {...}} in the table mapping; 'workbench map FILE' proposes it"
    )
    return [Finding(table, "/".join(key), "duplicate key", dup.to_numpy(), ids=distinct, hint=hint)]


def _future_findings(table: str, df: pd.DataFrame, max_date: pd.Timestamp, label: str):
    """Rows dated after ``max_date`` (the extraction date): impossible events."""
    out = []
    for spec in COLUMNS[table]:
        if spec.kind != "timestamp" or spec.name not in df.columns:
            continue
        col = df[spec.name]
        if not isinstance(col.dtype, pd.DatetimeTZDtype):
            continue
        bad = (col > max_date.tz_convert(col.dt.tz)).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            latest = col[bad].max()
            out.append(
                Finding(
                    table,
                    spec.name,
                    f"dated after max_date {label or max_date.isoformat()}",
                    bad,
                    hint=f"latest {latest:%Y-%m-%d %H:%M}; fix the dates, set data.max_date, "
                    "or drop them with on_bad_rows: drop",
                )
            )
    return out


def _reference_findings(table: str, df: pd.DataFrame, tables: Mapping[str, pd.DataFrame]):
    out = []
    for ref in REFERENCES:
        if ref.table != table or ref.target not in tables or ref.column not in df.columns:
            continue
        parent = tables[ref.target]
        if ref.target_column not in parent.columns:
            continue
        bad = (df[ref.column].notna() & ~df[ref.column].isin(parent[ref.target_column])).to_numpy()
        if bad.any():
            missing = _fmt_values(df.loc[bad, ref.column])
            msg = f"refers to {ref.target_column} not in {ref.target}"
            out.append(Finding(table, ref.column, msg, bad, detail=f": {missing}", by_key=True))
    return out


def study_area_geometry(
    areas: pd.DataFrame | None, boundary=None
) -> shapely.Geometry | None:
    """The study area in WGS84: ``boundary`` (GeoDataFrame/GeoSeries/geometry) or the union of
    the (checked) areas; ``None`` when neither is available."""
    if boundary is None:
        if areas is None or len(areas) == 0 or not isinstance(areas, gpd.GeoDataFrame):
            return None
        boundary = areas
    if isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        g = boundary.geometry if isinstance(boundary, gpd.GeoDataFrame) else boundary
        if g.crs is not None and not g.crs.equals(WGS84):
            g = g.to_crs(WGS84)
        g = g[g.notna() & ~g.is_empty]
        return shapely.make_valid(g.union_all()) if len(g) else None
    return boundary


def _outside_findings(
    table: str, df: pd.DataFrame, area: shapely.Geometry, crs: str, buffer_m: float, label: str
) -> list[Finding]:
    if table == "incidents":
        if not {"lon", "lat"} <= set(df.columns):
            return []
        lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(float)
    else:
        if not isinstance(df, gpd.GeoDataFrame) or len(df) == 0:
            return []
        g = df.geometry.to_numpy()
        lon, lat = shapely.get_x(g), shapely.get_y(g)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    if not ok.any():
        return []
    from pyproj import Transformer

    # coordinate arrays, not point objects (2 million incidents: 0.7 GB of shapely points)
    x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lon[ok], lat[ok])
    zone = gpd.GeoSeries([area], crs=WGS84).to_crs(crs).iloc[0].buffer(buffer_m)
    shapely.prepare(zone)
    inside = shapely.contains_xy(zone, np.asarray(x), np.asarray(y))
    bad = np.zeros(len(df), dtype=bool)
    bad[np.flatnonzero(ok)[~inside]] = True
    if not bad.any():
        return []
    return [Finding(table, "lon/lat", f"point outside the study area ({label}, buffer {buffer_m:g} m)", bad)]


@functools.lru_cache(maxsize=64)
def _utm_for_bounds(bounds: tuple[float, float, float, float]) -> str:
    """UTM zone (``EPSG:326xx``/``327xx``) of WGS84 bounds, via geopandas' estimate_utm_crs
    (a PROJ database query: cached per bounds rounded to 0.01 degree)."""
    x0, y0, x1, y1 = bounds
    pts = gpd.GeoSeries(gpd.points_from_xy([x0, x1], [y0, y1]), crs=WGS84)
    return f"EPSG:{pts.estimate_utm_crs().to_epsg()}"


def unplaceable_message(lon: pd.Series, lat: pd.Series) -> str:
    """Why no incident has usable lon/lat: swapped columns, projected numbers, or nothing."""
    lon = pd.to_numeric(lon, errors="coerce")
    lat = pd.to_numeric(lat, errors="coerce")
    given = lon.notna() & lat.notna()
    if not given.any():
        return "no incident has coordinates, so no UTM zone (crs: auto) can be chosen"
    swapped = lat.abs().gt(90) & lon.abs().le(90)
    if swapped[given].mean() > 0.5:
        return (
            "lat values beyond 90 while lon values fit latitudes: lon and lat look swapped "
            f"(e.g. lon {lon[given].iloc[0]:g}, lat {lat[given].iloc[0]:g}); swap them in "
            "columns: {lon: ..., lat: ...}"
        )
    big = (lon.abs().gt(1000) | lat.abs().gt(1000))[given].mean() > 0.5
    if big:
        return (
            f"lon/lat values like {lon[given].iloc[0]:g}, {lat[given].iloc[0]:g} are projected "
            "coordinates, not degrees: map them with x:/y: and source_crs: (e.g. EPSG:2272 "
            "for state plane feet; 'workbench map FILE' guesses the CRS)"
        )
    return "no incident has lon/lat within -180..180 / -90..90, so no UTM zone can be chosen"


def resolve_crs(crs: str | None, incidents: pd.DataFrame | None) -> str:
    """``'auto'`` -> the UTM zone of the incidents' median point (``EPSG:326xx``/``327xx``);
    anything else must be a projected CRS."""
    if crs in (None, "", "auto"):
        if incidents is not None and isinstance(incidents, gpd.GeoDataFrame) and not (
            {"lon", "lat"} <= set(incidents.columns)
        ):
            x, y, _ = point_xy(incidents.geometry)
            incidents = pd.DataFrame({"lon": x, "lat": y})
        if incidents is None or not {"lon", "lat"} <= set(incidents.columns):
            raise DataError.single("crs", None, "crs 'auto' needs incidents with lon/lat")
        lon = pd.to_numeric(incidents["lon"], errors="coerce")
        lat = pd.to_numeric(incidents["lat"], errors="coerce")
        ok = lon.between(-180, 180) & lat.between(-90, 90)
        if not ok.any():
            raise DataError.single("incidents", "lon/lat", unplaceable_message(lon, lat))
        # the median point: robust to stray geocodes (0, 0) that would widen the bounds
        x, y = round(float(lon[ok].median()), 2), round(float(lat[ok].median()), 2)
        try:
            return _utm_for_bounds((x, y, x, y))
        except RuntimeError as exc:  # no UTM zone (polar): almost always swapped columns
            cause = (
                "lon and lat look swapped (swap them in columns: {lon: ..., lat: ...})"
                if abs(x) <= 90 and abs(y) > 80
                else "set crs: to a projected CRS in meters"
            )
            raise DataError.single(
                "incidents",
                "lon/lat",
                f"no UTM zone for the median point (lon {x:g}, lat {y:g}): {cause}",
            ) from exc
    try:
        c = CRS.from_user_input(crs)
    except Exception as exc:  # noqa: BLE001
        raise DataError.single("crs", None, f"unknown CRS {crs!r}: {exc}") from exc
    if not c.is_projected:
        raise DataError.single("crs", None, f"CRS {crs!r} is not projected (distances need meters)")
    unit = c.axis_info[0].unit_name if c.axis_info else ""
    if unit not in ("metre", "meter"):
        raise DataError.single(
            "crs",
            None,
            f"CRS {crs!r} measures in {unit or 'unknown units'}, not meters: analyses (bands, "
            "cell sizes, bandwidths) are in meters. Set crs: auto (the UTM zone) or a metric "
            "projected CRS; give source coordinates in feet with x:/y: and source_crs: "
            "in the table mapping, and show distances in feet with distance_unit: ft",
        )
    epsg = c.to_epsg()
    return f"EPSG:{epsg}" if epsg else c.to_string()


def _ids(table: str, df: pd.DataFrame, f: Finding, origin: Origin | None) -> list[str]:
    if f.ids is not None:
        return [str(i) for i in f.ids[:MAX_IDS_SHOWN]]
    if f.mask is None:
        return []
    pos = np.flatnonzero(f.mask)[:MAX_IDS_SHOWN]
    key = list(KEYS[table])
    key_bad = (
        f.column is None
        or (not f.by_key and any(k in str(f.column).split("/") for k in key))
        or not set(key) <= set(df.columns)
        or df.iloc[pos][key].isna().any(axis=None)
    )
    if key_bad:
        return origin(pos) if origin is not None else [f"row {p + 1}" for p in pos]
    return list(df.iloc[pos][key].astype(str).agg("/".join, axis=1))


def _problem(source: str, table: str, df: pd.DataFrame, f: Finding, origin: Origin | None):
    """The user-facing :class:`Problem` of a finding (table-level findings count no rows)."""
    return Problem(
        source=source,
        column=f.column,
        message=f.message + f.detail,
        n_rows=f.n_rows,
        first_ids=tuple(_ids(table, df, f, origin)),
        hint=f.hint,
    )


def source_label(dataset: Dataset, table: str) -> str:
    src = dataset.sources.get(table)
    return table if not src or src == table else f"{table} ({src})"


def run_checks(
    dataset: Dataset,
    *,
    origins: Mapping[str, Origin] | None = None,
    findings: list[Finding] | None = None,
    on_bad_rows: str | Mapping[str, str] = "error",
    study_area=None,
    study_area_label: str | None = None,
    buffer_m: float = 25.0,
    formats: Mapping[str, Mapping[str, list[str] | str]] | None = None,
    ambiguous: str = "earliest",
    nonexistent: str = "shift_forward",
    drop_unreferenced: tuple[str, ...] | list[str] = (),
    localize: bool = True,
    max_date: pd.Timestamp | None = None,
    max_date_label: str = "",
    consume: bool = False,
) -> Dataset:
    """Check and clean every table; see the module docstring. Used by :func:`validate` and
    :func:`workbench.data.load_dataset` (which passes row origins and mapping findings, and
    ``consume=True``: each raw table leaves ``dataset`` once its clean copy is made, so a large
    city's raw and clean tables are not all in memory at once)."""
    origins = dict(origins or {})
    pre = list(findings or [])
    formats = formats or {}
    policy = (
        {t: on_bad_rows for t in TABLES} if isinstance(on_bad_rows, str) else dict(on_bad_rows)
    )
    problems: list[Problem] = []
    notes = [dict(n) for n in dataset.notes]
    absent = {(n["table"], n["column"]) for n in notes if n.get("kind") == "absent"}
    tz = dataset.timezone
    clean: dict[str, pd.DataFrame] = {}

    for table in REQUIRED_TABLES:
        if table not in dataset.tables:
            problems.append(
                Problem(dataset.name, None, f"required table '{table}' is missing", 0, ())
            )

    crs = dataset.crs
    try:
        crs = resolve_crs(dataset.crs, dataset.tables.get("incidents"))
    except DataError as exc:
        problems += exc.problems
        crs = None

    area_geom = None
    area_label = study_area_label or "union of areas"
    for table in TABLES:
        if table not in dataset.tables:
            continue
        label = source_label(dataset, table)
        origin = origins.get(table)
        raw = dataset.tables[table]
        df, fs = canonicalize(
            table, raw, tz, dict(formats.get(table, {})), ambiguous, nonexistent, localize
        )
        fs = [f for f in pre if f.table == table] + fs
        reported_cols = {f.column for f in fs if f.mask is None}
        for spec in COLUMNS[table]:
            if spec.required and spec.name not in df.columns and spec.name not in reported_cols:
                cands = [c for c in raw.columns if c not in {s.name for s in COLUMNS[table]}]
                fs.append(Finding(table, spec.name, missing_column_message(spec.name, cands)))
        if consume:  # the loader's own dataset: the raw table is not needed any more
            dataset.tables[table] = None
            del raw
        if len(df) == 0:
            fs.append(Finding(table, None, "table is empty"))
        else:
            table_absent = {c for (t, c) in absent if t == table}
            fs += _without_repeats(fs, _pandera_findings(table, df, table_absent))
            fs += _key_findings(table, df)
            if max_date is not None:
                fs += _future_findings(table, df, max_date, max_date_label)
            fs += _reference_findings(table, df, clean)
            if table in LOCATED_TABLES:
                if area_geom is None:
                    area_geom = study_area_geometry(clean.get("areas"), study_area)
                if area_geom is not None and crs is not None:
                    fs += _outside_findings(table, df, area_geom, crs, buffer_m, area_label)
        row_fs = [f for f in fs if f.mask is not None and f.n_rows]
        table_fs = [f for f in fs if f.mask is None]
        if policy.get(table, "error") == "drop" and row_fs:
            bad = np.zeros(len(df), dtype=bool)
            for f in row_fs:
                bad |= f.mask
                notes.append(
                    {
                        "table": table,
                        "column": f.column,
                        "note": f"dropped {f.n_rows} row{'s' if f.n_rows != 1 else ''}: "
                        f"{f.message}",
                        "n_rows": f.n_rows,
                        "kind": "dropped",
                    }
                )
            notes.append(
                {
                    "table": table,
                    "column": None,
                    "note": f"{int(bad.sum())} of {len(df)} rows dropped (on_bad_rows: drop)",
                    "n_rows": int(bad.sum()),
                    "kind": "dropped",
                }
            )
            keep = np.flatnonzero(~bad)
            df = df.iloc[keep].reset_index(drop=True)
            if len(df) == 0:
                table_fs.append(Finding(table, None, "no rows left after dropping bad rows"))
            row_fs = []
        problems += [_problem(label, table, df, f, origin) for f in table_fs + row_fs]
        df = finalize(table, df)
        clean[table] = df[contract_order(table, df)]

    if problems:
        raise DataError(problems)
    for table in drop_unreferenced or ():
        if table in clean:
            clean[table], note = _drop_unreferenced(table, clean)
            if note:
                notes.append(note)
    return Dataset(
        tables=clean,
        timezone=tz,
        crs=crs,
        name=dataset.name,
        sources=dict(dataset.sources),
        notes=notes,
        distance_unit=dataset.distance_unit,
        data_end_setting=dataset.data_end_setting,
    )


def _drop_unreferenced(table: str, tables: Mapping[str, pd.DataFrame]):
    """Rows of ``table`` that some present table refers to, and a note on the rest."""
    df = tables[table]
    refs = [r for r in REFERENCES if r.target == table and r.table in tables]
    if not refs or len(df) == 0:
        return df, None
    col = refs[0].target_column
    used = pd.concat([tables[r.table][r.column] for r in refs if r.column in tables[r.table]])
    keep = df[col].isin(used.dropna()).to_numpy()
    n = int((~keep).sum())
    if n == 0:
        return df, None
    names = ", ".join(sorted({r.table for r in refs}))
    note = {
        "table": table,
        "column": None,
        "note": f"{n} of {len(df)} rows dropped: not referenced by {names}",
        "n_rows": n,
        "kind": "dropped",
    }
    return df[keep].reset_index(drop=True), note


def validate(
    dataset: Dataset,
    *,
    study_area=None,
    study_area_buffer_m: float = 25.0,
    on_bad_rows: str | Mapping[str, str] = "error",
    localize: bool = False,
) -> Dataset:
    """Check a dataset against the contract; return it with contract dtypes.

    Parameters
    ----------
    dataset : Dataset
        Tables to check (e.g. from :meth:`Dataset.from_folder` or built in code).
    study_area : GeoDataFrame, GeoSeries or shapely geometry, optional
        Boundary (WGS84 when a bare geometry); default the union of ``areas``.
    study_area_buffer_m : float
        Tolerance around the study area in meters.
    on_bad_rows : {'error', 'drop'} or dict of table to policy
        ``drop`` removes offending rows and records their count in ``notes``.
    localize : bool
        ``False`` (default): timestamps must already be tz-aware (those in another zone are
        converted); naive or text timestamps are reported. ``True``: parse text and localize
        naive values in ``dataset.timezone``, as :func:`load_dataset` does for source files.

    Returns
    -------
    Dataset
        Converted tables (ids as str, tz-aware timestamps in ``dataset.timezone``), ``crs``
        resolved when it was ``'auto'``.

    Raises
    ------
    DataError
        One error listing every problem: table and source, column, number of bad rows, first
        ids (the row's key, or row numbers when the key itself is bad).
    """
    return run_checks(
        dataset,
        on_bad_rows=on_bad_rows,
        study_area=study_area,
        buffer_m=study_area_buffer_m,
        localize=localize,
    )
