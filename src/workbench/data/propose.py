"""``workbench map``: propose a commented mapping YAML from a raw export.

:func:`propose_mapping` reads a sample of a CSV / Parquet / Excel file (or a SQL table or
query) and guesses, column by column and each with its evidence and a confidence:

- the text encoding and CSV delimiter;
- number formats (thousands separators, decimal commas);
- the incident id, and whether it repeats (one row per victim, per victim x suspect ...);
- date and time columns (one timestamp column, or a date and a time column) and their format;
- coordinates: lon/lat in degrees (swapped columns noticed), or projected x/y with a guessed
  CRS (state plane feet: the zone whose area of use contains the reprojected points);
- the incident kind (fatal / non-fatal / shots fired) and the most-severe-row rule;
- victims' demographic columns and a victim id, giving ``people`` and ``victimizations``;
- area codes without polygons (precinct, district), reported as not mapped.

:func:`render_yaml` writes the proposal as a parameter file whose comments give the evidence
and mark what to check (``EDIT``); :func:`check_proposal` loads it with
:func:`workbench.data.load_dataset` and returns what still fails.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .errors import DataError
from .numbers import parse_numbers
from .sources import CSV_EXT, EXCEL_EXT, PARQUET_EXT, guess_encoding

__all__ = ["Evidence", "Proposal", "check_proposal", "propose_mapping", "render_yaml"]

#: Rows read to propose a mapping.
SAMPLE_ROWS = 20_000

#: Timestamp formats tried on text columns, most specific first.
DATETIME_FORMATS = (
    "ISO8601",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d")
TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p", "%H%M")

_ID_WORDS = ("incident", "case", "event", "report", "dc_key", "cad", "complaint", "ccn", "numero", "inc")
_AREA_WORDS = ("precinct", "district", "beat", "ward", "sector", "zone", "area", "borough", "psa")


@dataclass
class Evidence:
    """Why one mapping entry was proposed."""

    field: str
    source: str
    evidence: str
    confidence: str  # high | medium | low

    def line(self) -> str:
        return f"{self.field} <- {self.source}: {self.evidence} [{self.confidence}]"


@dataclass
class Proposal:
    """A proposed ``data:`` section with its evidence.

    Attributes
    ----------
    data : dict
        The ``data:`` section (``source``, ``timezone``, ``crs``, ``tables``).
    evidence : list of Evidence
        One entry per decision.
    edits : list of str
        What the user should check or fill in (``EDIT`` comments in the YAML).
    notes : list of str
        Columns seen but not mapped, and why.
    """

    data: dict
    evidence: list[Evidence] = field(default_factory=list)
    edits: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- reading -----------------------------------------------------------------------------
def _sniff_delimiter(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        head = "".join(fh.readline() for _ in range(20))
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_sample(path: Path, sql: str | None = None, n: int = SAMPLE_ROWS) -> tuple[pd.DataFrame, dict]:
    """The first ``n`` rows as text plus the reading options found (encoding, delimiter)."""
    opts: dict[str, Any] = {}
    name = str(path).lower()
    if "://" in str(path) or name.endswith((".db", ".sqlite", ".sqlite3")):
        from .sources import read_sql, sql_engine

        url = str(path) if "://" in str(path) else f"sqlite:///{Path(path).resolve()}"
        if not sql:
            raise DataError.single(str(path), None, "a database needs --sql TABLE or a SELECT query")
        df = read_sql(sql_engine(url), sql, url).df.head(n)
        return df, {"sql": sql}
    path = Path(path)
    if not path.exists():
        raise DataError.single(str(path), None, "file not found")
    if name.endswith(CSV_EXT):
        enc = guess_encoding(path) or "utf-8"
        if enc not in ("utf-8",):
            opts["encoding"] = enc
        delim = _sniff_delimiter(path, enc)
        if delim != ",":
            opts["delimiter"] = delim
        try:
            df = pd.read_csv(path, dtype=str, nrows=n, encoding=enc, sep=delim)
        except UnicodeDecodeError:
            opts["encoding"] = "latin-1"
            df = pd.read_csv(path, dtype=str, nrows=n, encoding="latin-1", sep=delim)
        return df, opts
    if name.endswith(PARQUET_EXT):
        return pd.read_parquet(path).head(n), opts
    if name.endswith(EXCEL_EXT):
        try:
            return pd.read_excel(path, dtype=str, nrows=n), opts
        except ImportError as exc:
            raise DataError.single(str(path), None, f"reading Excel needs openpyxl ({exc})") from exc
    from .sources import read_file

    return read_file(path).head(n), opts


# -- detectors ---------------------------------------------------------------------------
def _text(s: pd.Series) -> pd.Series:
    return s.dropna().astype(str).str.strip().replace("", np.nan).dropna()


def number_format(s: pd.Series) -> tuple[dict | None, float]:
    """The number format a text column is written in, and the share of values it reads.

    Returns ``(None, share)`` for plain numbers, ``({'thousands': ',' ...}, share)`` for
    formatted ones; share 0 when the column is not numeric.
    """
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return None, float(s.notna().mean() > 0)
    t = _text(s)
    if len(t) == 0:
        return None, 0.0
    if t.str.fullmatch(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?").mean() >= 0.98:
        return None, 1.0
    candidates = [
        ({"thousands": ","}, r"[-+$(]*\d{1,3}(,\d{3})*(\.\d+)?\)?"),
        ({"decimal": ","}, r"[-+]?\d+(,\d+)?"),
        ({"thousands": ".", "decimal": ","}, r"[-+]?\d{1,3}(\.\d{3})*(,\d+)?"),
        ({"thousands": " ", "decimal": ","}, r"[-+]?\d{1,3}([ \u00a0]\d{3})*(,\d+)?"),
    ]
    best: tuple[dict | None, float] = (None, 0.0)
    for fmt, pattern in candidates:
        share = float(t.str.fullmatch(pattern).mean())
        if share > best[1] + 1e-9:
            best = (fmt, share)
    return best


def _datetime_format(t: pd.Series, formats: tuple[str, ...]) -> tuple[str | None, float]:
    import warnings

    best: tuple[str | None, float] = (None, 0.0)
    for fmt in formats:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(t, format=fmt, errors="coerce", utc=True)
        share = float(parsed.notna().mean())
        if share > best[1]:
            best = (fmt, share)
        if share >= 0.999:
            break
    return best


def _id_score(name: str) -> int:
    low = name.lower()
    score = 0
    if any(w in low for w in _ID_WORDS):
        score += 2
    if re.search(r"(^|_|\b)(id|no|num|number|key|nr)($|_|\b)", low) or low.endswith(("id", "no")):
        score += 2
    if any(w in low for w in ("victim", "suspect", "person", "offender", "arrest", "officer")):
        score -= 3
    return score


_FATAL = re.compile(r"fatal|homicide|death|dead|killed|deceased|murder", re.I)
_NONFATAL = re.compile(r"non[- ]?fatal|injur|wound|bless|hit|not fatal", re.I)
_SHOTS = re.compile(r"shots?[ _-]?fired|coups de feu|shotspotter|discharg", re.I)
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def kind_codes(values: pd.Series) -> dict | None:
    """Code map of a few-valued column onto ``incident_kind``, or ``None`` if it is not one."""
    uniq = [str(u) for u in pd.unique(values.dropna().astype(str))]
    if not uniq or len(uniq) > 20:
        return None
    low = {u.strip().lower() for u in uniq}
    if low <= _TRUE | _FALSE:
        return {"true": "fatal_shooting", "false": "nonfatal_shooting"} | (
            {u: ("fatal_shooting" if u.strip().lower() in _TRUE else "nonfatal_shooting")
             for u in uniq if u.strip().lower() not in ("true", "false")}
        )
    out = {}
    for u in uniq:
        if _SHOTS.search(u):
            out[u] = "shots_fired"
        elif _NONFATAL.search(u):
            out[u] = "nonfatal_shooting"
        elif _FATAL.search(u):
            out[u] = "fatal_shooting"
    if not out or not any(v == "fatal_shooting" for v in out.values()):
        return None
    for u in uniq:
        out.setdefault(u, "nonfatal_shooting")
    return out


_SEX = {"m": "male", "male": "male", "f": "female", "female": "female", "u": "unknown",
        "unknown": "unknown", "x": "other", "other": "other"}
_RACE = {"b": "black", "black": "black", "african american": "black", "w": "white",
         "white": "white", "h": "hispanic", "hispanic": "hispanic", "latino": "hispanic",
         "a": "asian", "asian": "asian", "o": "other", "other": "other", "u": "unknown",
         "unknown": "unknown"}


def _code_map(values: pd.Series, table: dict[str, str]) -> tuple[dict, float]:
    uniq = [str(u) for u in pd.unique(values.dropna().astype(str))]
    out = {u: table.get(u.strip().lower(), "unknown") for u in uniq}
    known = np.mean([u.strip().lower() in table for u in uniq]) if uniq else 0.0
    out[None] = "unknown"
    return out, float(known)


def guess_timezone(lon: float, lat: float) -> tuple[str, str]:
    """A coarse IANA zone from a point (contiguous US by longitude band), and its confidence."""
    if 24 <= lat <= 50 and -125 <= lon <= -66:
        if lon >= -86.5:
            return "America/New_York", "low"
        if lon >= -101.0:
            return "America/Chicago", "low"
        if lon >= -114.5:
            return "America/Denver", "low"
        return "America/Los_Angeles", "low"
    return "UTC", "none"


def guess_projected_crs(x: np.ndarray, y: np.ndarray) -> tuple[list[str], str]:
    """Candidate CRSs (best first) for projected x/y, and the evidence.

    Every EPSG projected CRS in feet (state plane) or meters (UTM) is a candidate when the
    sample's median point, reprojected from it, falls inside the CRS's own area of use. State
    plane zones differ by false origins, so one or a few remain; UTM zones all accept the same
    numbers, so a metric UTM guess is undeterminable without the city.
    """
    from pyproj import Transformer
    from pyproj.database import query_crs_info
    from pyproj.enums import PJType

    mx, my = float(np.nanmedian(x)), float(np.nanmedian(y))
    qx = np.array([mx, *np.nanquantile(x, [0.05, 0.95])])
    qy = np.array([my, *np.nanquantile(y, [0.05, 0.95])])
    feet = not (1e5 <= mx <= 9e5 and 1e6 <= my <= 1e7)  # UTM magnitudes otherwise
    infos = query_crs_info(auth_name="EPSG", pj_types=[PJType.PROJECTED_CRS])
    hits = []
    for info in infos:
        name = info.name
        if feet and "ftUS" not in name and "(ft)" not in name:
            continue
        if not feet and "UTM zone" not in name:
            continue
        if "deprecated" in name.lower() or info.area_of_use is None or info.deprecated:
            continue
        # NAD83 realizations (HARN, 2011) differ by centimetres: the plain one stands for all
        if not name.startswith(("NAD83 /", "WGS 84 /")):
            continue
        w, s, e, n = info.area_of_use.bounds
        if not (-180 <= w <= 180):
            continue
        try:
            tr = Transformer.from_crs(f"EPSG:{info.code}", "EPSG:4326", always_xy=True)
            lons, lats = tr.transform(qx, qy)
        except Exception:  # noqa: BLE001 - a CRS PROJ cannot use is no candidate
            continue
        lons, lats = np.asarray(lons), np.asarray(lats)
        if not (np.all(np.isfinite(lons)) and np.all(np.isfinite(lats))):
            continue
        lon, lat = float(lons[0]), float(lats[0])
        # the median and the 5% / 95% corners of the sample all inside the area of use
        if np.all((w <= lons) & (lons <= e) & (s <= lats) & (lats <= n)):
            size = (e - w) * (n - s)
            plain = 0 if name.startswith("NAD83 /") or name.startswith("WGS 84 /") else 1
            hits.append((plain, size, f"EPSG:{info.code}", name, lon, lat))
    hits.sort()
    if not hits:
        return [], f"no state plane (feet) or UTM zone places the median point ({mx:.0f}, {my:.0f})"
    if not feet:
        return [h[2] for h in hits[:3]], (
            f"UTM-sized meters (median {mx:.0f}, {my:.0f}): the zone cannot be told from the "
            "numbers alone"
        )
    best = hits[0]
    others = ", ".join(f"{h[2]} {h[3]}" for h in hits[1:4])
    return [h[2] for h in hits], (
        f"median ({mx:,.0f}, {my:,.0f}) in feet lands at lon {best[4]:.3f}, lat {best[5]:.3f}, "
        f"inside the area of use of {best[3]}" + (f"; also possible: {others}" if others else "")
    )


# -- the proposal ------------------------------------------------------------------------
def propose_mapping(
    path: str | Path,
    table: str = "incidents",
    sql: str | None = None,
    sample_rows: int = SAMPLE_ROWS,
    crs_hint: str | None = None,
) -> Proposal:
    """Propose the ``data:`` section that maps a raw export onto the contract.

    Parameters
    ----------
    path : str or Path
        CSV, Parquet or Excel file, SQLite file or SQLAlchemy URL.
    table : str
        The contract table the file mostly holds (``incidents``; victims' ``people`` and
        ``victimizations`` are added when victim columns are found).
    sql : str, optional
        Table name or ``SELECT`` query, for a database.
    sample_rows : int
        Rows read.
    crs_hint : str, optional
        CRS of projected coordinates when known (skips the guess).

    Returns
    -------
    Proposal
    """
    if table != "incidents":
        raise DataError.single(
            str(path), None, f"--table {table}: only incidents exports are proposed so far "
            "(people and victimizations are derived from victim columns of the same file)"
        )
    df, opts = read_sample(Path(path) if "://" not in str(path) else path, sql, sample_rows)
    cols = [str(c) for c in df.columns]
    ev: list[Evidence] = []
    edits: list[str] = []
    notes: list[str] = []
    m: dict[str, Any] = {}
    p = Path(str(path))
    if "sql" in opts:
        m["sql"] = opts["sql"]
    else:
        m["files"] = p.name
    for k in ("encoding", "delimiter"):
        if k in opts:
            m[k] = opts[k]
            ev.append(Evidence(k, p.name, f"{k} detected: {opts[k]!r}", "high" if k == "delimiter" else "medium"))
    used: set[str] = set()
    n = len(df)

    # numbers
    numeric: dict[str, np.ndarray] = {}
    formats: dict[str, dict] = {}
    for c in cols:
        fmt, share = number_format(df[c])
        if share >= 0.95:
            v, _ = parse_numbers(df[c], (fmt or {}).get("thousands"), (fmt or {}).get("decimal", "."))
            numeric[c] = v.to_numpy(dtype=float)
            if fmt:
                formats[c] = fmt

    # incident id
    id_cands = []
    for c in cols:
        score = _id_score(c)
        t = _text(df[c])
        if score <= 0 or len(t) == 0:
            continue
        if c in numeric and c not in formats and not re.search(r"id|no|num|key", c, re.I):
            continue
        id_cands.append((score, t.nunique() / max(len(t), 1), c))
    id_cands.sort(key=lambda r: (-r[0], -r[1]))
    id_col = id_cands[0][2] if id_cands else None
    repeats = False
    if id_col is None:
        edits.append("no incident id column found: set columns.incident_id")
        ev.append(Evidence("incident_id", "?", "no column looks like an incident id", "none"))
    else:
        used.add(id_col)
        t = _text(df[id_col])
        repeats = t.nunique() < len(t)
        ratio = f"{t.nunique()} distinct in {len(t)} rows"
        ev.append(
            Evidence("incident_id", id_col, f"name looks like an id; {ratio}"
                     + (" (repeats: several rows per incident)" if repeats else " (unique)"),
                     "high" if id_cands[0][0] >= 4 else "medium")
        )
        m.setdefault("columns", {})["incident_id"] = id_col

    # dates and times
    dt_cols, date_cols, time_cols = [], [], []
    for c in cols:
        if c in used or (c in numeric and not re.search(r"date|time|dt|ts|when", c, re.I)):
            continue
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            dt_cols.append((c, "datetime", 1.0, True))
            continue
        t = _text(s)
        if len(t) == 0 or not t.str.contains(r"\d").mean() > 0.9:
            continue
        fmt, share = _datetime_format(t, DATE_FORMATS)
        has_time = t.str.contains(r"\d:\d\d").mean() > 0.5
        if share >= 0.95 and not has_time:
            date_cols.append((c, fmt, share))
            continue
        fmt, share = _datetime_format(t, DATETIME_FORMATS)
        if share >= 0.95 and has_time:
            if fmt == "ISO8601" and t.str.contains(r"[+-]\d\d:?\d\d$|Z$").mean() > 0.9:
                fmt = None  # offsets given: read as is
            dt_cols.append((c, fmt, share, has_time))
            continue
        fmt, share = _datetime_format(t, TIME_FORMATS)
        if share >= 0.95:
            time_cols.append((c, fmt, share))
    if dt_cols:
        c, fmt, share, _ = dt_cols[0]
        used.add(c)
        m.setdefault("columns", {})["occurred_at"] = c
        if fmt and fmt not in ("ISO8601", "datetime"):
            m.setdefault("dates", {})["occurred_at"] = fmt
        ev.append(Evidence("occurred_at", c, f"{share:.0%} of values read as {fmt or 'timestamps with offset'}"
                           , "high" if share > 0.99 else "medium"))
        if fmt and "%d/%m" in fmt:
            edits.append(f"{c}: day-first dates assumed ({fmt}); check against a known date")
    elif date_cols and time_cols:
        (dc, dfmt, ds), (tc, tfmt, ts) = date_cols[0], time_cols[0]
        used |= {dc, tc}
        m.setdefault("combine", {})["occurred_at"] = [dc, tc]
        m.setdefault("dates", {})["occurred_at"] = f"{dfmt} {tfmt}"
        ev.append(Evidence("occurred_at", f"{dc} + {tc}", f"date column ({dfmt}, {ds:.0%}) and time "
                           f"column ({tfmt}, {ts:.0%}) combined", "high"))
    elif date_cols:
        c, fmt, share = date_cols[0]
        used.add(c)
        m.setdefault("columns", {})["occurred_at"] = c
        m.setdefault("dates", {})["occurred_at"] = fmt
        ev.append(Evidence("occurred_at", c, f"dates only ({fmt}); times are midnight", "medium"))
        edits.append("occurred_at has no time of day: Knox and time-of-day results are coarse")
    else:
        ev.append(Evidence("occurred_at", "?", "no date column found", "none"))
        edits.append("no date column found: set columns.occurred_at and dates.occurred_at")

    # coordinates
    def pick(words: tuple[str, ...], ok) -> str | None:
        named = [c for c in numeric if c not in used and re.search("|".join(words), c, re.I) and ok(c)]
        return named[0] if named else None

    def in_range(c: str, lim: float) -> bool:
        v = numeric[c]
        v = v[np.isfinite(v)]
        return len(v) > 0 and bool(np.all(np.abs(v) <= lim)) and np.nanstd(v) > 0

    lon_c = pick(("lon", "lng", "long", r"^x$", "point_x"), lambda c: in_range(c, 180))
    lat_c = pick(("lat", r"^y$", "point_y"), lambda c: in_range(c, 90))
    x_c = pick((r"x", "east"), lambda c: np.nanmedian(np.abs(numeric[c])) > 1000)
    y_c = pick((r"y", "north"), lambda c: np.nanmedian(np.abs(numeric[c])) > 1000)
    lonlat = None
    if lon_c and lat_c:
        lon_v, lat_v = numeric[lon_c], numeric[lat_c]
        if np.nanmedian(np.abs(lat_v)) > np.nanmedian(np.abs(lon_v)) and np.nanmax(np.abs(lat_v)) > 90:
            lon_c, lat_c = lat_c, lon_c
            ev.append(Evidence("lon/lat", f"{lat_c}/{lon_c}", "columns look swapped", "medium"))
        lonlat = (np.nanmedian(numeric[lon_c]), np.nanmedian(numeric[lat_c]))
        used |= {lon_c, lat_c}
        m.setdefault("columns", {}).update({"lon": lon_c, "lat": lat_c})
        ev.append(Evidence("lon/lat", f"{lon_c}, {lat_c}", f"degrees: median {lonlat[0]:.4f}, "
                           f"{lonlat[1]:.4f} (WGS84 assumed)", "high"))
        for c in (lon_c, lat_c):
            if c in formats:
                m.setdefault("numbers", {})["lon" if c == lon_c else "lat"] = formats[c]
    elif x_c and y_c:
        used |= {x_c, y_c}
        m["x"], m["y"] = x_c, y_c
        xs, ys = numeric[x_c], numeric[y_c]
        if crs_hint:
            cands, why = [crs_hint], "given with --crs"
        else:
            cands, why = guess_projected_crs(xs, ys)
        if cands:
            m["source_crs"] = cands[0]
            from pyproj import Transformer

            tr = Transformer.from_crs(cands[0], "EPSG:4326", always_xy=True)
            lonlat = tr.transform(float(np.nanmedian(xs)), float(np.nanmedian(ys)))
            conf = "high" if crs_hint else ("medium" if len(cands) <= 4 else "low")
            ev.append(Evidence("source_crs", f"{x_c}, {y_c}", why, conf))
            if not crs_hint:
                edits.append(f"source_crs {cands[0]} is a guess from the numbers: confirm it "
                             "with the data's documentation")
        else:
            m["source_crs"] = "EPSG:XXXX"
            ev.append(Evidence("source_crs", f"{x_c}, {y_c}", why, "none"))
            edits.append("source_crs unknown: give the EPSG code of the x/y columns")
        for c, k in ((x_c, "x"), (y_c, "y")):
            if c in formats:
                m.setdefault("numbers", {})[k] = formats[c]
    else:
        ev.append(Evidence("lon/lat", "?", "no coordinate columns found", "none"))
        edits.append("no coordinates found: set columns lon/lat or x/y with source_crs")

    # kind
    kind_c, codes = None, None
    for c in cols:
        if c in used:
            continue
        cm = kind_codes(df[c])
        if cm is not None:
            named = bool(re.search(r"kind|type|offense|fatal|injur|categ|desc|ucr|crime", c, re.I))
            if kind_c is None or named:
                kind_c, codes = c, cm
            if named:
                break
    if kind_c is not None:
        used.add(kind_c)
        m.setdefault("columns", {})["kind"] = kind_c
        m.setdefault("codes", {})["kind"] = codes
        ev.append(Evidence("kind", kind_c, f"{len(codes)} values mapped by words (fatal, injury, "
                           "shots fired)", "medium"))
        edits.append(f"check the kind codes of {kind_c}")
    else:
        m.setdefault("constants", {})["kind"] = "nonfatal_shooting"
        ev.append(Evidence("kind", "?", "no fatal/non-fatal column: every incident set to "
                           "nonfatal_shooting", "low"))
        edits.append("no kind column: constants.kind is nonfatal_shooting for every row")

    if repeats:
        m["dedupe"] = {"key": ["incident_id"]}
        if kind_c is not None:
            m["dedupe"]["order"] = {"kind": ["fatal_shooting", "nonfatal_shooting", "shots_fired"]}
        ev.append(Evidence("dedupe", id_col or "?", "incident ids repeat: one incident per id, the "
                           "most severe row kept", "high"))

    # victims: demographic columns and a victim id
    tables: dict[str, dict] = {"incidents": m}
    demo = {k: next((c for c in cols if c not in used and re.search(pat, c, re.I)), None)
            for k, pat in (("sex", r"sex|gender"), ("race", r"race|ethnic"), ("age", r"(^|_)age($|_)"))}
    victim_id = next((c for c in cols if c not in used and re.search(r"vic", c, re.I)
                      and re.search(r"id|no|num|key", c, re.I)), None)
    if id_col and (demo["sex"] or demo["race"] or victim_id):
        people: dict[str, Any] = {k: v for k, v in m.items() if k in ("files", "sql", "encoding", "delimiter")}
        vict: dict[str, Any] = dict(people)
        pid = {"column": "person_id", "salt": "CHANGE-ME", "length": 16}
        if victim_id:
            pid |= {"key": [victim_id], "per_row": False}
            ev.append(Evidence("person_id", victim_id, "victim id column: one person per victim id "
                               "(pseudonymized, salted)", "medium"))
        else:
            pid |= {"key": [id_col]}
            ev.append(Evidence("person_id", "(row)", "no victim id: one person per row", "medium"))
        edits.append("person_ids.salt: replace CHANGE-ME with a secret of your own")
        people["person_ids"] = dict(pid)
        vict["person_ids"] = dict(pid)
        vict["columns"] = {"incident_id": id_col}
        codes_p: dict[str, Any] = {}
        if demo["sex"]:
            people.setdefault("columns", {})["sex"] = demo["sex"]
            codes_p["sex"], share = _code_map(df[demo["sex"]], _SEX)
            ev.append(Evidence("sex", demo["sex"], f"{share:.0%} of codes recognized", "medium"))
        else:
            people.setdefault("constants", {})["sex"] = "unknown"
        if demo["race"]:
            people.setdefault("columns", {})["race_ethnicity"] = demo["race"]
            codes_p["race_ethnicity"], share = _code_map(df[demo["race"]], _RACE)
            ev.append(Evidence("race_ethnicity", demo["race"], f"{share:.0%} of codes recognized", "medium"))
        else:
            people.setdefault("constants", {})["race_ethnicity"] = "unknown"
        if codes_p:
            people["codes"] = codes_p
        at = m.get("columns", {}).get("occurred_at")
        if demo["age"] and at:
            people["birth_year"] = {"age": demo["age"], "at": at}
            if m.get("dates", {}).get("occurred_at"):
                people["birth_year"]["format"] = m["dates"]["occurred_at"]
            ev.append(Evidence("birth_year", demo["age"], "year of the event minus age", "medium"))
        else:
            people.setdefault("absent", []).append("birth_year")
        fatal_c = kind_c
        if fatal_c is not None and codes is not None:
            vict["columns"]["fatal"] = fatal_c
            vict["codes"] = {"fatal": {k: v == "fatal_shooting" for k, v in codes.items()}}
        else:
            vict.setdefault("constants", {})["fatal"] = False
        if victim_id:
            people["dedupe"] = {"key": ["person_id"]}
            vict["dedupe"] = {"key": ["incident_id", "person_id"]}
        vict["on_bad_rows"] = "drop"
        people["drop_unreferenced"] = True
        tables["people"] = people
        tables["victimizations"] = vict
        used |= {c for c in (demo["sex"], demo["race"], demo["age"], victim_id) if c}

    # area codes without polygons
    for c in cols:
        if c in used or not re.search("|".join(_AREA_WORDS), c, re.I):
            continue
        k = _text(df[c]).nunique()
        if 1 < k <= 500:
            notes.append(f"{c}: {k} area codes without polygons; not mapped (areas need "
                         "boundaries: maps and area rates are skipped without them)")
    for c in cols:
        if c not in used and not any(c in x for x in notes):
            notes.append(f"{c}: not mapped")

    data: dict[str, Any] = {"name": p.stem if "sql" not in opts else "database"}
    data["source"] = str(p.parent) if "sql" not in opts else str(path)
    if lonlat is not None and np.all(np.isfinite(lonlat)):
        tz, conf = guess_timezone(float(lonlat[0]), float(lonlat[1]))
        ev.append(Evidence("timezone", "coordinates", f"{tz} from the longitude of the median "
                           "point", conf))
    else:
        tz = "UTC"
    edits.insert(0, f"timezone {tz} is a guess: set the IANA zone the times are recorded in")
    data["timezone"] = tz
    data["crs"] = "auto"
    data["tables"] = tables
    return Proposal(data=data, evidence=ev, edits=edits, notes=notes)


def _flow(v: Any) -> str:
    text = yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return text[:-3].strip() if text.endswith("\n...") else text


def render_yaml(proposal: Proposal, source: str | None = None) -> str:
    """The proposal as a commented parameter file (``data:`` section only).

    ``source`` replaces ``data.source`` (e.g. relative to where the YAML is written).
    """
    d = dict(proposal.data)
    if source is not None:
        d["source"] = source
    by_field: dict[str, list[Evidence]] = {}
    for e in proposal.evidence:
        by_field.setdefault(e.field, []).append(e)

    def why(*keys: str) -> str:
        es = [e for k in keys for e in by_field.get(k, [])]
        return ("  # " + "; ".join(f"{e.evidence} [{e.confidence}]" for e in es)) if es else ""

    lines = [
        "# Proposed by 'workbench map': check every line marked EDIT, then run",
        "#   workbench validate --params THIS_FILE",
        "# Evidence and confidence (high / medium / low / none) are given beside each entry.",
    ]
    lines += [f"# EDIT: {e}" for e in proposal.edits]
    run = re.sub(r"[^A-Za-z0-9_.\-]+", "-", str(d["name"])).strip("-.") or "city"
    lines += [f"run_name: {_flow(run)}", f"title: {_flow(f'Shootings: {run}')}  # EDIT: the report title",
              "privacy: {min_count: 11}",
              "notebooks: [00_data_overview, 01_places, 02_people, 03_response, 04_past_victims, 05_dosage]",
              "data:", f"  name: {_flow(d['name'])}", f"  source: {_flow(d['source'])}",
              f"  timezone: {d['timezone']}  # EDIT{why('timezone').replace('  #', ':', 1)}",
              "  crs: auto  # analyses in meters, in the UTM zone of the incidents",
              "  tables:"]
    for table, m in d["tables"].items():
        lines.append(f"    {table}:")
        for k, v in m.items():
            if k == "columns":
                lines.append("      columns:")
                for c, src in v.items():
                    key = {"lon": "lon/lat", "lat": "lon/lat"}.get(c, c)
                    comment = why(key) if table == "incidents" or c not in ("incident_id",) else ""
                    if table != "incidents" and c == "race_ethnicity":
                        comment = why("race_ethnicity")
                    lines.append(f"        {c}: {_flow(src)}{comment}")
            elif k == "codes":
                lines.append("      codes:")
                for c, cm in v.items():
                    lines.append(f"        {c}: {_flow({('null' if a is None else a): b for a, b in cm.items()})}")
            else:
                lines.append(f"      {k}: {_flow(v)}{why(k) if table == 'incidents' else ''}")
    if proposal.notes:
        lines.append("# Source columns not mapped:")
        lines += [f"#   {n}" for n in proposal.notes]
    return "\n".join(lines) + "\n"


def check_proposal(yaml_path: str | Path) -> list[str]:
    """Load the proposed file with :func:`load_dataset`; the problems left (empty when valid)."""
    from pydantic import ValidationError

    from .loader import load_dataset

    try:
        yaml.safe_load(Path(yaml_path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return [f"{yaml_path}: not valid YAML: {exc}"]
    try:
        load_dataset(Path(yaml_path))
    except DataError as exc:
        return [str(p) for p in exc.problems]
    except ValidationError as exc:
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return []


def map_command(
    file: str,
    table: str = "incidents",
    out: str | None = None,
    sql: str | None = None,
    crs: str | None = None,
    force: bool = False,
) -> int:
    """``workbench map``: write the proposal beside the working directory and validate it.

    Returns 0 when the proposal loads, 2 when the file cannot be read, the output exists (and
    ``force`` is not set) or the proposal still fails validation (the problems are printed).
    """
    import os
    import sys

    is_url = "://" in file
    target = Path(out) if out else Path.cwd() / f"{Path(file).stem if not is_url else 'database'}-mapping.yaml"
    if target.exists() and not force:
        print(f"{target} exists: give another --out, or --force to replace it", file=sys.stderr)
        return 2
    try:
        proposal = propose_mapping(file, table=table, sql=sql, crs_hint=crs)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 2
    source = proposal.data["source"]
    if not is_url:
        source = os.path.relpath(Path(source).resolve(), target.resolve().parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_yaml(proposal, source=source), encoding="utf-8")
    print(f"wrote {target}")
    for e in proposal.evidence:
        print(f"  {e.line()}")
    for e in proposal.edits:
        print(f"  EDIT: {e}")
    try:
        problems = check_proposal(target)
    except Exception as exc:  # noqa: BLE001 - report, never a traceback
        problems = [f"{type(exc).__name__}: {exc}"]
    if problems:
        print(f"validate: {len(problems)} problem(s) left:")
        for p in problems:
            print(f"  - {p}")
        return 2
    print("validate: OK (the proposal loads; check the EDIT lines all the same)")
    return 0
