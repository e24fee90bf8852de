"""Readers: files in a folder (by extension) and SQL tables or queries (SQLAlchemy).

Every reader returns a :class:`SourceFrame`: the rows plus, per row, the file it came from and
its record number there, so error messages can point at the exact row of the exact file.
CSV is read as text (ids keep their leading zeros); types are set later by the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import DataError

#: Extensions each reader handles.
CSV_EXT = (".csv", ".txt", ".csv.gz")
PARQUET_EXT = (".parquet", ".geoparquet", ".pq")
VECTOR_EXT = (".geojson", ".json", ".gpkg", ".shp", ".fgb")
#: Extensions searched, in order, for a contract-named file (``incidents.parquet`` ...).
CONTRACT_EXT = (".parquet", ".geoparquet", ".csv", ".geojson", ".gpkg")


@dataclass
class SourceFrame:
    """Rows read from one source.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        The rows, RangeIndex.
    label : str
        Human name of the source (file name, glob or SQL table) for messages.
    files : ndarray of str
        File (or SQL table) name per row.
    rows : ndarray of int
        1-based record number within that file per row.
    """

    df: pd.DataFrame
    label: str
    files: np.ndarray
    rows: np.ndarray

    def origin(self, positions: np.ndarray) -> list[str]:
        """``'file row n'`` labels of the given row positions."""
        return [f"{self.files[i]} row {self.rows[i]}" for i in positions]

    def take(self, positions: np.ndarray) -> "SourceFrame":
        """The subset of rows at ``positions`` (in that order)."""
        return SourceFrame(
            self.df.iloc[positions].reset_index(drop=True),
            self.label,
            self.files[positions],
            self.rows[positions],
        )


def _is_geoparquet(path: Path) -> bool:
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return b"geo" in meta


EXCEL_EXT = (".xlsx", ".xls")


def encoding_error(path: Path, exc: UnicodeDecodeError, encoding: str | None) -> DataError:
    """The error for undecodable text: file, byte offset, the bytes, and the fix."""
    bad = exc.object[exc.start : exc.start + 4]
    used = encoding or "utf-8"
    guess = guess_encoding(path)
    hint = f"encoding: {guess}" if guess and guess.lower() != used.lower() else "encoding: latin-1"
    return DataError.single(
        str(path),
        None,
        f"cannot decode the text as {used} at byte offset {exc.start} (bytes {bad!r}); "
        f"set the file's encoding in the table mapping or the data section, e.g. {hint}",
    )


def guess_encoding(path: Path, n_bytes: int = 200_000) -> str | None:
    """Best guess of a text file's encoding from its first bytes (charset-normalizer), or
    ``None`` when undecidable. ``utf-8`` when the sample decodes as UTF-8."""
    raw = Path(path).read_bytes()[:n_bytes]
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:  # a character cut by the sample's end
            return "utf-8"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
    except ImportError:  # pragma: no cover - charset-normalizer comes with requests
        best = None
    if best is None:
        return None
    enc = best.encoding.replace("_", "-")
    # a sample with only Western accents: latin-1 and cp1252 agree except in 0x80-0x9f
    return {"iso8859-1": "latin-1", "latin-1": "latin-1"}.get(enc, enc)


def read_file(
    path: Path, layer: str | None = None, encoding: str | None = None, delimiter: str | None = None
) -> pd.DataFrame:
    """Read one file by its extension; spatial files become GeoDataFrames in EPSG:4326.

    ``encoding`` applies to text files (CSV; default UTF-8 with or without a byte-order mark).
    """
    name = path.name.lower()
    try:
        if name.endswith(CSV_EXT):
            enc = encoding or "utf-8-sig"
            try:
                return pd.read_csv(
                    path, dtype=str, keep_default_na=True, encoding=enc, sep=delimiter or ","
                )
            except UnicodeDecodeError as exc:
                raise encoding_error(path, exc, encoding) from exc
        if name.endswith(EXCEL_EXT):
            try:
                return pd.read_excel(path, dtype=str, sheet_name=layer or 0)
            except ImportError as exc:
                raise DataError.single(
                    str(path), None, f"reading Excel needs openpyxl ({exc}); "
                    "install it, or save the sheet as CSV"
                ) from exc
        if name.endswith(PARQUET_EXT):
            if _is_geoparquet(path):
                df = gpd.read_parquet(path)
            else:
                return pd.read_parquet(path)
        elif name.endswith(VECTOR_EXT):
            kw = {"layer": layer} if layer else {}
            try:  # Arrow transport is ~1.5x faster; fall back when pyarrow is unusable
                df = gpd.read_file(path, use_arrow=True, **kw)
            except ImportError:
                df = gpd.read_file(path, **kw)
            if not isinstance(df, gpd.GeoDataFrame):
                return pd.DataFrame(df)
        else:
            raise DataError.single(
                str(path),
                None,
                f"unsupported file type '{path.suffix}' (use CSV, Excel, Parquet/GeoParquet, "
                "GeoJSON, GeoPackage or Shapefile)",
            )
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is bad input
        raise DataError.single(str(path), None, f"cannot read file: {exc}") from exc
    if isinstance(df, gpd.GeoDataFrame) and df.crs is not None and not df.crs.equals("EPSG:4326"):
        df = df.to_crs("EPSG:4326")
    return df


def resolve_files(folder: Path, patterns: list[str]) -> list[Path]:
    """Files matching the names or globs, sorted per pattern, without repeats."""
    found: list[Path] = []
    for pat in patterns:
        p = Path(pat)
        if p.is_absolute():
            matches = sorted(p.parent.glob(p.name)) if any(c in pat for c in "*?[") else [p]
        else:
            matches = sorted(folder.glob(pat)) if any(c in pat for c in "*?[") else [folder / pat]
        for m in matches:
            if m.exists() and m not in found:
                found.append(m)
    return found


def read_files(
    folder: Path,
    patterns: list[str],
    layer: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> SourceFrame:
    """Read and concatenate every file matching ``patterns`` in ``folder``."""
    label = ", ".join(patterns)
    paths = resolve_files(folder, patterns)
    if not paths:
        raise DataError.single(f"{folder}/{label}", None, "no file matches")
    frames = [read_file(p, layer, encoding, delimiter) for p in paths]
    files = np.concatenate([np.full(len(f), p.name, dtype=object) for f, p in zip(frames, paths)])
    rows = np.concatenate([np.arange(1, len(f) + 1) for f in frames])
    if len(frames) == 1:
        df = frames[0].reset_index(drop=True)
    else:
        df = pd.concat(frames, ignore_index=True)
    if len(paths) == 1:
        label = str(paths[0])
    return SourceFrame(df, label, files, rows)


def contract_file(folder: Path, table: str) -> Path | None:
    """The contract-named file of ``table`` in ``folder`` (``incidents.parquet`` ...), if any."""
    for ext in CONTRACT_EXT:
        p = folder / f"{table}{ext}"
        if p.exists():
            return p
    return None


# -- SQL --------------------------------------------------------------------------------
def _with_driver(url: str) -> str:
    """``postgresql://`` -> ``postgresql+psycopg://`` when only psycopg 3 is installed
    (SQLAlchemy's default PostgreSQL driver is psycopg2)."""
    import importlib.util

    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg"):
                return "postgresql+psycopg://" + url[len(scheme) :]
            return "postgresql://" + url[len(scheme) :]
    return url


def sql_engine(url: str, password_env: str | None = None):
    """A SQLAlchemy engine for ``url``; bad URLs become :class:`DataError` (password hidden).

    ``password_env`` names an environment variable whose value becomes the password (never
    part of a string that could be printed).
    """
    import os

    import sqlalchemy as sa

    url = _with_driver(url)
    try:
        if password_env:
            if password_env not in os.environ:
                raise DataError.single(_safe_url(url), None, f"data.password_env: the environment "
                                       f"variable {password_env} is not set")
            return sa.create_engine(sa.make_url(url).set(password=os.environ[password_env]))
        return sa.create_engine(url)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DataError.single(_safe_url(url), None, f"cannot open database: {exc}") from exc


def sql_tables(engine) -> set[str]:
    """Names of the tables (and views) in the database."""
    import sqlalchemy as sa

    insp = sa.inspect(engine)
    return set(insp.get_table_names()) | set(insp.get_view_names())


def read_sql(engine, sql: str, label_url: str) -> SourceFrame:
    """Read a SQL table (a bare name) or the result of a ``SELECT`` query."""
    import sqlalchemy as sa

    is_query = any(ch.isspace() for ch in sql.strip())
    try:
        with engine.connect() as conn:
            if is_query:
                df = pd.read_sql_query(sa.text(sql), conn)
            else:
                df = pd.read_sql_table(sql, conn)
    except Exception as exc:  # noqa: BLE001
        raise DataError.single(f"{_safe_url(label_url)} {sql}", None, f"cannot read: {exc}") from exc
    name = "query" if is_query else sql
    return SourceFrame(
        df.reset_index(drop=True),
        f"{_safe_url(label_url)} {name}",
        np.full(len(df), name, dtype=object),
        np.arange(1, len(df) + 1),
    )


def _safe_url(url: str) -> str:
    """The URL without its password."""
    try:
        import sqlalchemy as sa

        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url.split("@")[-1]
