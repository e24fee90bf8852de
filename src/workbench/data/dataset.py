"""The in-memory dataset: contract tables plus the time zone and the projected CRS.

A :class:`Dataset` is what every analysis reads. Tables follow the contract in
:mod:`workbench.data.contract`: ids are strings, timestamps are tz-aware in ``timezone``,
``lon``/``lat`` are WGS84 degrees, ``areas`` (and ``places``) are GeoDataFrames in EPSG:4326.
Distances are always computed in ``crs``, a projected CRS in meters.

A *contract folder* is the on-disk form: one ``<table>.parquet`` per table (``areas`` as
GeoParquet) plus ``dataset.json`` with the metadata. The synthetic city writes one, the report
runner snapshots validated data into one, and a folder of contract-named files loads with no
column mapping at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from workbench._memory import release_arrow_memory

from .errors import DataError

#: Contract tables in dependency order (a table only references tables before it).
TABLES: tuple[str, ...] = (
    "areas",
    "places",
    "incidents",
    "people",
    "victimizations",
    "arrests",
    "responses",
    "referrals",
    "followups",
    "patrols",
)

#: Tables stored as GeoDataFrames.
GEO_TABLES: frozenset[str] = frozenset({"areas", "places"})

#: File written beside the tables with the dataset's metadata.
META_FILE = "dataset.json"

WGS84 = "EPSG:4326"


@dataclass
class Dataset:
    """Contract tables of one city.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Contract tables by name (see :data:`TABLES`); absent tables are simply not keys.
    timezone : str
        IANA time zone the timestamps are expressed in (``"America/New_York"``).
    crs : str
        Projected CRS used for every distance, in meters (``"EPSG:32618"``).
    name : str
        Short name of the city or source, shown in reports.
    sources : dict of str to str
        Where each table came from (file path or SQL table), for error messages and reports.
    notes : list of dict
        Data-quality notes kept with the data (``{"table", "column", "note", "n_rows"}``):
        rows dropped by an ``on_bad_rows: drop`` policy, columns absent in the source, ...
        Shown by :func:`workbench.data.data_quality_summary`; never person-level.
    distance_unit : {'m', 'ft'}
        Unit pages *show* distances in (``data.distance_unit``); every analysis still
        computes in meters in :attr:`crs`. See :mod:`workbench.data.units`.
    data_end_setting : str
        ``data.data_end`` of the parameter file: ``auto`` (the rule of
        :func:`workbench.data.data_end`) or an ISO date (the last day covered).
    identifiers : DataFrame, optional
        Personal names kept *out of* the analysis tables (``person_id`` plus the name columns
        of :data:`workbench.privacy.NAME_COLUMNS`; see :func:`workbench.data.load_dataset`).
        Used only by the privacy scan; never written by :meth:`to_folder`, so names never
        reach a notebook kernel.
    """

    tables: dict[str, pd.DataFrame]
    timezone: str
    crs: str
    name: str = "dataset"
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[dict] = field(default_factory=list)
    distance_unit: str = "m"
    data_end_setting: str = "auto"
    identifiers: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    # -- access -------------------------------------------------------------------------
    def has(self, *names: str) -> bool:
        """True when every named table is present and non-empty."""
        return all(n in self.tables and len(self.tables[n]) > 0 for n in names)

    def require(self, *names: str, analysis: str) -> None:
        """Raise :class:`DataError` naming the missing tables that ``analysis`` needs."""
        missing = [n for n in names if not self.has(n)]
        if missing:
            raise DataError.single(
                source=self.name,
                column=None,
                message=f"{analysis} needs the table(s) {', '.join(missing)}, "
                "which this dataset does not have",
            )

    def get(self, name: str) -> pd.DataFrame | None:
        """The table, or ``None`` when absent."""
        return self.tables.get(name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            raise DataError.single(self.name, None, f"table '{name}' is not in this dataset")
        return self.tables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    # -- geometry ------------------------------------------------------------------------
    def points(self, name: str = "incidents") -> gpd.GeoDataFrame:
        """A table with ``lon``/``lat`` (or a point geometry) as a GeoDataFrame in :attr:`crs`."""
        df = self[name]
        if isinstance(df, gpd.GeoDataFrame):
            return df.to_crs(self.crs)
        geom = gpd.points_from_xy(df["lon"], df["lat"], crs=WGS84)
        return gpd.GeoDataFrame(df, geometry=geom, crs=WGS84).to_crs(self.crs)

    # -- identity ------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """SHA-256 of the table contents (row order and column order included), hex."""
        h = hashlib.sha256()
        h.update(json.dumps({"timezone": self.timezone, "crs": self.crs}).encode())
        for name in TABLES:
            if name not in self.tables:
                continue
            df = self.tables[name]
            h.update(name.encode())
            h.update(",".join(map(str, df.columns)).encode())
            plain = pd.DataFrame(df).copy()
            if isinstance(df, gpd.GeoDataFrame):
                geo = df.geometry.name
                plain[geo] = df.geometry.to_wkb()
            h.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
        return h.hexdigest()

    def summary(self) -> pd.DataFrame:
        """Row and column counts per table."""
        rows = [
            {"table": n, "rows": len(self.tables[n]), "columns": len(self.tables[n].columns)}
            for n in TABLES
            if n in self.tables
        ]
        return pd.DataFrame(rows, columns=["table", "rows", "columns"])

    # -- display ---------------------------------------------------------------------------
    def _overview(self) -> dict:
        """What :meth:`__repr__` and :meth:`_repr_html_` show: aggregates only, never a row."""
        tables = [(n, len(self.tables[n])) for n in TABLES if n in self.tables]
        tables += [(n, len(df)) for n, df in self.tables.items() if n not in TABLES]
        period = ""
        inc = self.tables.get("incidents")
        if inc is not None and "occurred_at" in inc.columns and len(inc):
            t = pd.to_datetime(inc["occurred_at"], errors="coerce").dropna()
            if len(t):
                period = f"{t.min():%Y-%m-%d} to {t.max():%Y-%m-%d}"
        try:
            from pyproj import CRS

            crs_unit = CRS.from_user_input(self.crs).axis_info[0].unit_name
        except Exception:  # an unreadable CRS is shown as given
            crs_unit = "unknown unit"
        return {"name": str(self.name), "tables": tables, "period": period, "timezone": str(self.timezone),
                "crs": str(self.crs), "crs_unit": crs_unit, "distance_unit": str(self.distance_unit),
                "notes": len(self.notes)}

    def __repr__(self) -> str:
        """A short summary: name, tables with row counts, period, time zone, CRS and unit.

        Never a table's contents (a dataset holds person-level rows).
        """
        o = self._overview()
        lines = [f"Dataset {o['name']!r}: {len(o['tables'])} tables"]
        width = max([len(n) for n, _ in o["tables"]] or [0])
        lines += [f"  {n.ljust(width)}  {rows:>10,} rows" for n, rows in o["tables"]]
        lines.append(f"  period      {o['period'] or 'no incident times'} (incidents.occurred_at)")
        lines.append(f"  time zone   {o['timezone']}")
        lines.append(f"  CRS         {o['crs']} ({o['crs_unit']}); distances shown in {o['distance_unit']}")
        if o["notes"]:
            lines.append(f"  notes       {o['notes']} data-quality notes (data_quality_summary)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The same summary as an HTML table for Jupyter (every text escaped; no table contents)."""
        from html import escape as e

        o = self._overview()
        rows = "".join(f"<tr><td>{e(n)}</td><td style=\"text-align:right\">{r:,}</td></tr>"
                       for n, r in o["tables"])
        notes = f"<br>{o['notes']} data-quality notes" if o["notes"] else ""
        return (
            f"<div><strong>Dataset {e(o['name'])}</strong>"
            f"<table><tr><th>table</th><th>rows</th></tr>{rows}</table>"
            f"Period {e(o['period'] or 'no incident times')} &middot; time zone {e(o['timezone'])} &middot; "
            f"CRS {e(o['crs'])} ({e(o['crs_unit'])}), distances shown in {e(o['distance_unit'])}{notes}</div>"
        )

    # -- contract folder -----------------------------------------------------------------
    def to_folder(self, path: str | Path, extra_meta: dict | None = None) -> Path:
        """Write the contract folder (``<table>.parquet`` + ``dataset.json``).

        Output is byte-identical for identical tables (no timestamps in the files).
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, df in self.tables.items():
            target = path / f"{name}.parquet"
            if isinstance(df, gpd.GeoDataFrame):
                df.to_parquet(target, index=False, compression="zstd")
            else:
                df.to_parquet(target, index=False, compression="zstd", engine="pyarrow")
        meta = {
            "name": self.name,
            "timezone": self.timezone,
            "crs": self.crs,
            "tables": [n for n in TABLES if n in self.tables],
        }
        if self.notes:
            meta["notes"] = self.notes
        if self.distance_unit != "m":
            meta["distance_unit"] = self.distance_unit
        if self.data_end_setting != "auto":
            meta["data_end"] = self.data_end_setting
        meta.update(extra_meta or {})
        (path / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def from_folder(cls, path: str | Path) -> "Dataset":
        """Read a contract folder written by :meth:`to_folder` *without validating it*.

        Use :func:`workbench.data.load_dataset` for data that has not been validated yet.
        """
        path = Path(path)
        meta = json.loads((path / META_FILE).read_text())
        tables: dict[str, pd.DataFrame] = {}
        sources: dict[str, str] = {}
        for name in meta["tables"]:
            f = path / f"{name}.parquet"
            tables[name] = gpd.read_parquet(f) if name in GEO_TABLES and _is_geoparquet(f) else pd.read_parquet(f)
            sources[name] = str(f)
        release_arrow_memory()
        return cls(
            tables=tables,
            timezone=meta["timezone"],
            crs=meta["crs"],
            name=meta.get("name", path.name),
            sources=sources,
            notes=list(meta.get("notes", [])),
            distance_unit=meta.get("distance_unit", "m"),
            data_end_setting=meta.get("data_end", "auto"),
        )


def _is_geoparquet(path: Path) -> bool:
    """True when the Parquet file carries GeoParquet metadata (areas given as codes without
    boundaries are plain Parquet)."""
    import pyarrow.parquet as pq

    return b"geo" in (pq.read_schema(path).metadata or {})
