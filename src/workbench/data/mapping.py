"""Parameters that say where a city's data live and how its columns map onto the contract.

:class:`DataSpec` is the ``data:`` section of a parameter file; :class:`TableMapping` says,
for one contract table, which file(s) or SQL table to read and how to turn source columns into
contract columns. Everything city-specific lives in these parameters, never in code.

Example (one victim per row in yearly GeoJSON files)::

    data:
      name: philadelphia
      source: ../../shared/data/philadelphia
      timezone: America/New_York
      crs: auto
      study_area: boundaries/city_limits.geojson
      tables:
        incidents:
          files: shootings_*.json
          columns: {incident_id: dc_key, occurred_at: date, kind: fatal}
          codes: {kind: {true: fatal_shooting, false: nonfatal_shooting}}
          dedupe: {key: [incident_id], order: {kind: [fatal_shooting, nonfatal_shooting]}}
          on_bad_rows: drop
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from .dataset import TABLES


#: File extensions read as SQLite databases when ``source`` is a path.
SQLITE_EXT = (".db", ".sqlite", ".sqlite3")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Synthetic(_Strict):
    """Generate the source folder with :func:`workbench.synth.write_city` when it is missing."""

    scale: str = "demo"
    seed: int = 20261125


class PersonIds(_Strict):
    """Pseudonymous person ids generated per source row.

    Each id is the first ``length`` hex digits of SHA-256 over ``salt``, the source file's
    name, the row number within that file and the values of ``key`` columns. Two tables mapped
    from the same file with the same settings therefore get the same ids for the same rows
    (``people`` and ``victimizations`` from one file of victims).

    Parameters
    ----------
    column : str
        Contract column that receives the id (``person_id``).
    key : list of str
        Source columns mixed into the hash besides file and row (e.g. the incident number).
    salt : str
        Secret-ish salt; defaults to the dataset name. Change it to unlink published ids.
    length : int
        Hex digits kept (16 = 64 bits; collisions are checked by the unique-key check).
    per_row : bool
        ``True`` (default): file and row number are hashed too, so every source row is a new
        person. ``False``: only ``salt`` and the ``key`` columns are hashed, so the rows of one
        source person (a victim id repeated on every victim x suspect row) get one id.
    """

    column: str = "person_id"
    key: list[str] = Field(default_factory=list)
    salt: str | None = None
    length: int = Field(16, ge=8, le=64)
    per_row: bool = True

    @model_validator(mode="after")
    def _needs_key(self) -> "PersonIds":
        if not self.per_row and not self.key:
            raise ValueError("person_ids with per_row: false needs key: (the source person column(s))")
        return self


class BirthYearFromAge(_Strict):
    """Derive ``birth_year`` as year(event date) - age (may be one year late).

    Parameters
    ----------
    age : str
        Source column with the age in whole years at the event.
    at : str
        Source column with the event date.
    format : str or list of str, optional
        strptime format(s) of ``at``; inferred when omitted.
    """

    age: str
    at: str
    format: str | list[str] | None = None


class Dedupe(_Strict):
    """Keep one row per ``key``, preferring rows by ``order``.

    ``key`` names contract columns (after mapping) or source columns that are not mapped
    themselves (a victim number in a victim x suspect export). ``order`` maps a contract (or
    source) column to its values from most to least preferred: with
    ``{kind: [fatal_shooting, nonfatal_shooting]}`` an incident with any fatal victim is fatal
    (the "most severe row" rule). Among equally preferred rows ``keep`` decides: the ``first``
    (default) or ``last`` in source order.
    """

    key: list[str]
    order: dict[str, list[Any]] = Field(default_factory=dict)
    keep: Literal["first", "last"] = "first"


class NumberFormat(_Strict):
    """How numbers are written in a source column.

    Parameters
    ----------
    thousands : str, optional
        Thousands separator (``","`` in ``1,234.5``; ``"."`` in ``1.234,5``; ``" "``).
    decimal : str
        Decimal mark (``"."`` or ``","``).
    """

    thousands: str | None = None
    decimal: Literal[".", ","] = "."

    @model_validator(mode="after")
    def _distinct(self) -> "NumberFormat":
        if self.thousands is not None and self.thousands == self.decimal:
            raise ValueError(f"thousands and decimal are both {self.decimal!r}")
        return self


class TableMapping(_Strict):
    """How one contract table is read from a source.

    Parameters
    ----------
    files : str or list of str, optional
        File name(s) or glob(s) inside the source folder; matches are concatenated in sorted
        order. The reader follows the extension: ``.csv``, ``.parquet`` (GeoParquet when it has
        geo metadata), ``.geojson``/``.json``, ``.gpkg``, ``.shp``.
    layer : str, optional
        Layer of a GeoPackage.
    sql : str, optional
        SQL table name, or a ``SELECT`` query, for a SQLAlchemy source.
    columns : dict
        Renames, ``contract column: source column``. Unmapped contract columns are taken from a
        source column of the same name.
    codes : dict
        Value maps per contract column, ``{column: {source value: contract value}}``. Keys are
        compared as text (``true``, ``1``, ``M``); the key ``"*"`` maps every other value and
        ``null`` maps missing values. A value with no entry is an "unknown code" error.
    dates : dict
        strptime format (or list of formats tried in order) per timestamp column; inferred
        when omitted.
    combine : dict
        Timestamp columns built from a date and a time column, ``{occurred_at: [date, time]}``.
    constants : dict
        Contract columns set to one value for every row.
    point : str, optional
        Source point-geometry column that gives ``lon``/``lat`` (default: the geometry of a
        spatial source when ``lon``/``lat`` are not mapped).
    x, y : str, optional
        Source columns of projected coordinates (easting, northing) in ``source_crs``; the
        loader reprojects them to WGS84 ``lon``/``lat`` (the contract's columns).
    source_crs : str, optional
        CRS of ``x``/``y`` (``EPSG:2272``, Pennsylvania South in US survey feet), or of the
        ``point`` geometry when it carries none. Required with ``x``/``y``.
    encoding : str, optional
        Text encoding of the source files (``latin-1``, ``cp1252``, ``utf-16``); default the
        data section's ``encoding`` (UTF-8, with or without a byte-order mark).
    delimiter : str, optional
        Field separator of CSV files (default ``,``; ``;`` is common with decimal commas).
    thousands, decimal : str, optional
        Number format of every numeric column of this source (``thousands: ","``;
        ``thousands: "."`` with ``decimal: ","``); currency signs and spaces are removed.
    numbers : dict of NumberFormat
        Number format per contract column (or ``x``/``y``), overriding the table's.
    birth_year : BirthYearFromAge, optional
        Derive ``birth_year`` from an age and the event date.
    person_ids : PersonIds, optional
        Generate pseudonymous person ids per row.
    dedupe : Dedupe, optional
        One row per key with a precedence order.
    absent : list of str
        Contract columns the source does not have; they are set to missing and the
        data-quality summary says so (e.g. ``[population]``).
    on_bad_rows : {'error', 'drop'}
        ``error`` (default) refuses the data; ``drop`` removes rows that break the contract
        (bad dates, missing coordinates, points outside the study area, unknown codes, dangling
        references) and reports their count in the data-quality summary.
    drop_unreferenced : bool
        After the checks, drop rows no other table refers to (e.g. the people of victim rows
        dropped with their incident), and count them in the data-quality summary.
    """

    files: str | list[str] | None = None
    layer: str | None = None
    sql: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    codes: dict[str, dict[Any, Any]] = Field(default_factory=dict)
    dates: dict[str, str | list[str]] = Field(default_factory=dict)
    combine: dict[str, list[str]] = Field(default_factory=dict)
    constants: dict[str, Any] = Field(default_factory=dict)
    point: str | None = None
    x: str | None = None
    y: str | None = None
    source_crs: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    thousands: str | None = None
    decimal: Literal[".", ","] | None = None
    numbers: dict[str, NumberFormat] = Field(default_factory=dict)
    birth_year: BirthYearFromAge | None = None
    person_ids: PersonIds | None = None
    dedupe: Dedupe | None = None
    absent: list[str] = Field(default_factory=list)
    on_bad_rows: Literal["error", "drop"] = "error"
    drop_unreferenced: bool = False

    @field_validator("codes")
    @classmethod
    def _null_keys(cls, v: dict[str, dict[Any, Any]]) -> dict[str, dict[Any, Any]]:
        # the text key "null" (what a JSON dump of a None key gives back) maps missing values
        return {c: {(None if k == "null" else k): x for k, x in m.items()} for c, m in v.items()}

    @field_serializer("codes")
    def _dump_codes(self, v: dict[str, dict[Any, Any]]) -> dict[str, dict[str, Any]]:
        def key(k: Any) -> str:
            if k is None:
                return "null"
            if isinstance(k, bool):
                return "true" if k else "false"
            return str(k)

        return {c: {key(k): x for k, x in m.items()} for c, m in v.items()}

    @field_validator("encoding")
    @classmethod
    def _table_encoding(cls, v: str | None) -> str | None:
        return _check_encoding(v)

    @field_validator("files")
    @classmethod
    def _as_list(cls, v: str | list[str] | None) -> list[str] | None:
        if v is None:
            return None
        return [v] if isinstance(v, str) else list(v)

    @field_validator("combine")
    @classmethod
    def _pairs(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for col, parts in v.items():
            if len(parts) != 2:
                raise ValueError(f"combine.{col} needs [date column, time column]")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> "TableMapping":
        if self.files and self.sql:
            raise ValueError("give either files or sql, not both")
        if (self.x is None) != (self.y is None):
            raise ValueError("give both x: and y: (projected coordinate columns)")
        if self.x is not None and self.source_crs is None:
            raise ValueError(
                "x:/y: need source_crs: (the EPSG code of the coordinates, e.g. EPSG:2272 for "
                "Pennsylvania South in US survey feet; 'workbench map' guesses it)"
            )
        if self.x is not None and ({"lon", "lat"} & set(self.columns)):
            raise ValueError("map either x:/y: or columns lon/lat, not both")
        if self.source_crs is not None:
            _check_crs(self.source_crs, "source_crs")
        NumberFormat(thousands=self.thousands, decimal=self.decimal or ".")
        return self

    def number_format(self, column: str) -> NumberFormat | None:
        """The number format of a contract column (or ``x``/``y``), or ``None`` (plain)."""
        if column in self.numbers:
            return self.numbers[column]
        if self.thousands is None and self.decimal is None:
            return None
        return NumberFormat(thousands=self.thousands, decimal=self.decimal or ".")


def _check_encoding(v: str | None) -> str | None:
    if v is not None:
        import codecs

        try:
            codecs.lookup(v)
        except LookupError as exc:
            raise ValueError(f"unknown text encoding {v!r} (e.g. utf-8, latin-1, cp1252)") from exc
    return v


def _check_crs(value: str, what: str) -> None:
    from pyproj import CRS

    try:
        CRS.from_user_input(value)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"{what}: unknown CRS {value!r} (give an EPSG code, e.g. EPSG:2272)") from exc


class DataSpec(_Strict):
    """The ``data:`` section of a parameter file.

    Parameters
    ----------
    name : str
        Short name of the city or source.
    source : str
        Folder (relative paths resolve against the parameter file's folder), SQLite file
        (``city.db``, the default SQL engine) or SQLAlchemy URL (``sqlite:///city.db``,
        ``postgresql://user@host/db``).
    timezone : str, optional
        IANA zone the timestamps are in. Naive timestamps are localized to it, aware ones
        converted. Optional only for a contract folder whose ``dataset.json`` names it.
    crs : str
        Projected CRS for distances (``EPSG:32618``) or ``auto``: the UTM zone of the incidents,
        resolved when loading and stored in :attr:`Dataset.crs`.
    study_area : str, optional
        Boundary file of the study area; default: the union of the areas.
    study_area_buffer_m : float
        Tolerance around the study area, in meters, for the "point outside the study area" check.
    encoding : str, optional
        Text encoding of every file of the source (default UTF-8); per table ``encoding:``
        overrides it.
    max_date : str, optional
        Latest plausible event date: ``load`` (default) the moment of loading (an event after
        the data were extracted is an error), an ISO date (``2025-12-31``), or ``none``. Rows
        dated after it are refused, or dropped and counted with ``on_bad_rows: drop``.
    distance_unit : {'m', 'ft'}
        Unit distances are *shown* in on the pages (analyses always run in meters in ``crs``).
    data_end : str
        The report's one data end: ``auto`` (default: the end of the last complete month with
        data, :func:`workbench.data.data_end`) or an ISO date, the last day every page covers.
    ambiguous_times : {'earliest', 'latest', 'error'}
        Naive local times that occur twice (the hour repeated when DST ends): take the first
        (daylight time) or second (standard time) occurrence, or refuse them.
    nonexistent_times : {'shift_forward', 'shift_backward', 'error'}
        Naive local times skipped when DST starts: move them to the first valid instant after
        (or before) the gap, or refuse them.
    synthetic : Synthetic, optional
        Scale and seed for the report runner to generate the folder when it is missing.
    password_env : str, optional
        Name of an environment variable holding the database password (SQL sources only), so
        that no password sits in the YAML; ``PGPASSWORD`` and ``~/.pgpass`` work too.
    tables : dict of TableMapping
        Per-table mapping; tables not listed are read from contract-named files or SQL tables
        when present.
    """

    name: str = "dataset"
    source: str
    timezone: str | None = None
    crs: str = "auto"
    study_area: str | None = None
    study_area_buffer_m: float = Field(25.0, ge=0)
    encoding: str | None = None
    max_date: str = "load"
    distance_unit: Literal["m", "ft"] = "m"
    data_end: str = "auto"
    ambiguous_times: Literal["earliest", "latest", "error"] = "earliest"
    nonexistent_times: Literal["shift_forward", "shift_backward", "error"] = "shift_forward"
    synthetic: Synthetic | None = None
    password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    tables: dict[str, TableMapping] = Field(default_factory=dict)

    @field_validator("tables", mode="before")
    @classmethod
    def _empty_entries(cls, v: Any) -> Any:
        # ``incidents:`` with nothing under it in YAML means "contract-named, no mapping"
        if isinstance(v, dict):
            return {k: ({} if m is None else m) for k, m in v.items()}
        return {} if v is None else v

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, v: dict[str, TableMapping]) -> dict[str, TableMapping]:
        unknown = sorted(set(v) - set(TABLES))
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}; contract tables are {list(TABLES)}")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {v!r}") from exc
        return v

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str | None) -> str | None:
        return _check_encoding(v)

    @field_validator("max_date")
    @classmethod
    def _max_date(cls, v: str) -> str:
        if v not in ("load", "none"):
            import pandas as pd

            try:
                pd.Timestamp(v)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"max_date {v!r}: give load, none or an ISO date") from exc
        return v

    @field_validator("data_end", mode="before")
    @classmethod
    def _data_end(cls, v: Any) -> str:
        v = "auto" if v is None else str(v).strip()  # YAML reads 2024-12-31 as a date
        if v != "auto":
            import pandas as pd

            try:
                ts = pd.Timestamp(v)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"data_end {v!r}: give auto or an ISO date (2024-12-31)") from exc
            if ts.tzinfo is not None or ts != ts.normalize():
                raise ValueError(f"data_end {v!r}: give a date without a time (the last day covered)")
            v = f"{ts:%Y-%m-%d}"
        return v

    @property
    def is_sql(self) -> bool:
        """True when :attr:`source` is a SQLAlchemy URL or a SQLite file (``.db``,
        ``.sqlite``, ``.sqlite3``)."""
        return "://" in self.source or self.source.lower().endswith(SQLITE_EXT)

    def source_path(self, base_dir: Path | None) -> Path:
        """The source folder, resolved against ``base_dir`` (the parameter file's folder)."""
        p = Path(self.source).expanduser()
        if not p.is_absolute() and base_dir is not None:
            p = Path(base_dir) / p
        return p

    def resolve_path(self, value: str, base_dir: Path | None) -> Path:
        """A file named in the spec: absolute, else relative to the source folder, else to
        ``base_dir``."""
        p = Path(value).expanduser()
        if p.is_absolute():
            return p
        if not self.is_sql:
            candidate = self.source_path(base_dir) / p
            if candidate.exists():
                return candidate
        return (Path(base_dir) if base_dir is not None else Path.cwd()) / p

    def sql_url(self, base_dir: Path | None) -> str:
        """The SQLAlchemy URL, with a relative SQLite path resolved against ``base_dir``."""
        if "://" not in self.source:  # a SQLite file path
            return "sqlite:///" + str(self.source_path(base_dir).resolve())
        url = self.source
        prefix = "sqlite:///"
        if url.startswith(prefix) and base_dir is not None:
            rest = url[len(prefix) :]
            if rest and not rest.startswith("/") and rest != ":memory:":
                url = prefix + str((Path(base_dir) / rest).resolve())
        return url


def read_params_data(path: str | Path) -> tuple[DataSpec, Path]:
    """Read the ``data:`` section of a parameter YAML file.

    Returns
    -------
    spec : DataSpec
    base_dir : Path
        The YAML file's folder, against which relative paths resolve.
    """
    path = Path(path)
    doc = yaml.safe_load(path.read_text()) or {}
    if "data" not in doc:
        raise ValueError(f"{path}: no 'data:' section")
    return DataSpec.model_validate(doc["data"]), path.resolve().parent
