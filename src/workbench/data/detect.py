"""Column detectors for ``workbench map`` (:mod:`workbench.data.propose`).

Each detector looks at a sample of one column (or two) and returns its guess with the share of
values that support it: number formats, timestamp formats, id-like names, incident-kind words,
sex and race codes, the time zone of a point and the CRS of projected coordinates. They read
nothing but the sample given, except :func:`read_sample` (the first rows of a file or SQL
table) and :func:`guess_projected_crs` (the PROJ database).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError
from .sources import CSV_EXT, EXCEL_EXT, PARQUET_EXT, guess_encoding

__all__ = [
    "AREA_WORDS", "DATE_FORMATS", "DATETIME_FORMATS", "RACE_CODES", "SAMPLE_ROWS", "SEX_CODES",
    "TIME_FORMATS", "code_map", "datetime_format", "guess_projected_crs", "guess_timezone", "id_score",
    "is_binary", "kind_codes", "number_format", "read_sample", "text_values",
]

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
AREA_WORDS = ("precinct", "district", "beat", "ward", "sector", "zone", "area", "borough", "psa")

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
def is_binary(s: pd.Series) -> bool:
    v = s.dropna()
    return len(v) > 0 and isinstance(v.iloc[0], (bytes, bytearray, memoryview))


def text_values(s: pd.Series) -> pd.Series:
    if is_binary(s):
        return pd.Series([], dtype=object)
    return s.dropna().astype(str).str.strip().replace("", np.nan).dropna()


def number_format(s: pd.Series) -> tuple[dict | None, float]:
    """The number format a text column is written in, and the share of values it reads.

    Returns ``(None, share)`` for plain numbers, ``({'thousands': ',' ...}, share)`` for
    formatted ones; share 0 when the column is not numeric.
    """
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return None, float(s.notna().mean() > 0)
    t = text_values(s)
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


def datetime_format(t: pd.Series, formats: tuple[str, ...]) -> tuple[str | None, float]:
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


def id_score(name: str) -> int:
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
    if is_binary(values):
        return None
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


SEX_CODES = {"m": "male", "male": "male", "f": "female", "female": "female", "u": "unknown",
        "unknown": "unknown", "x": "other", "other": "other"}
RACE_CODES = {"b": "black", "black": "black", "african american": "black", "w": "white",
         "white": "white", "h": "hispanic", "hispanic": "hispanic", "latino": "hispanic",
         "a": "asian", "asian": "asian", "o": "other", "other": "other", "u": "unknown",
         "unknown": "unknown"}


def code_map(values: pd.Series, table: dict[str, str]) -> tuple[dict, float]:
    uniq = [str(u) for u in pd.unique(values.dropna().astype(str))]
    out = {u: table.get(u.strip().lower(), "unknown") for u in uniq}
    known = np.mean([u.strip().lower() in table for u in uniq]) if uniq else 0.0
    out[None] = "unknown"
    out["*"] = "unknown"  # codes not in the sample
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
