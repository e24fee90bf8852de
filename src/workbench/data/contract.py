"""The data contract: columns, types, codes, keys and references of every table.

One declarative description (:data:`COLUMNS`, :data:`KEYS`, :data:`REFERENCES`) is the single
source of truth. The pandera schemas in :data:`SCHEMAS`, the type coercion of the loaders and
``docs/data-contract.md`` all follow it.

Conventions
-----------
- ids are strings (``object`` dtype holding ``str``);
- timestamps are tz-aware ``datetime64[ns, <tz>]`` in the dataset's time zone;
- ``lon``/``lat`` are WGS84 degrees (float64);
- counts that may be unknown are pandas nullable ``Int64``;
- rates are fractions in ``[0, 1]``;
- ``areas`` and ``places`` are GeoDataFrames in EPSG:4326.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from .dataset import GEO_TABLES, TABLES

#: Allowed codes of the coded columns.
CODES: dict[str, tuple[str, ...]] = {
    "place_kind": (
        "school",
        "park",
        "recreation_center",
        "clinic",
        "place_of_worship",
        "library",
        "other",
    ),
    "incident_kind": ("fatal_shooting", "nonfatal_shooting", "shots_fired"),
    "sex": ("male", "female", "other", "unknown"),
    "race_ethnicity": ("black", "hispanic", "white", "asian", "other", "unknown"),
    "offense_category": ("violent", "weapons", "drugs", "property", "other"),
    "responder_type": (
        "police",
        "social_worker",
        "nurse",
        "community_health_worker",
        "violence_interrupter",
        "victim_advocate",
    ),
    "service": (
        "mental_health",
        "medical",
        "housing",
        "employment",
        "food_assistance",
        "victim_services",
        "legal",
        "youth_program",
    ),
    "outcome": ("engaged", "declined", "unreachable", "scheduled"),
    "patrol_activity": ("patrol", "stop", "arrest", "community_engagement"),
}


@dataclass(frozen=True)
class ColumnSpec:
    """One contract column.

    Parameters
    ----------
    name : str
        Column name.
    kind : str
        ``id`` / ``text`` (str), ``code`` (str from ``codes``), ``float``, ``int`` (nullable
        Int64), ``bool``, ``timestamp`` (tz-aware) or ``geometry``.
    required : bool
        The column must exist (optional columns are validated when present).
    nullable : bool
        Missing values are allowed.
    codes : tuple of str
        Allowed values for ``kind == "code"``.
    min, max : float or None
        Inclusive value range for numbers.
    unit : str
        Unit or meaning, for the documentation.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    codes: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    unit: str = ""


def _c(name: str, kind: str, **kw) -> ColumnSpec:
    return ColumnSpec(name, kind, **kw)


def _rate(name: str) -> ColumnSpec:
    return _c(name, "float", required=False, nullable=True, min=0.0, max=1.0, unit="fraction 0..1")


_LON = _c("lon", "float", min=-180.0, max=180.0, unit="degrees east, WGS84")
_LAT = _c("lat", "float", min=-90.0, max=90.0, unit="degrees north, WGS84")

#: Columns of every table, in contract order.
COLUMNS: dict[str, tuple[ColumnSpec, ...]] = {
    "areas": (
        _c("area_id", "id"),
        _c("name", "text", required=False, nullable=True, unit="area name shown to readers (default: area_id)"),
        _c("geometry", "geometry", required=False,
           unit="Polygon/MultiPolygon, EPSG:4326 (absent: area codes without boundaries)"),
        _c("population", "int", min=0, unit="residents (missing only when declared absent)"),
        _c("households", "int", required=False, nullable=True, min=0, unit="households"),
        _rate("unemployment_rate"),
        _rate("food_insecurity_rate"),
        _rate("vacancy_rate"),
        _c("median_income", "float", required=False, nullable=True, min=0, unit="USD per year"),
        _c("children", "int", required=False, nullable=True, min=0, unit="residents under 18"),
    ),
    "places": (
        _c("place_id", "id"),
        _c("kind", "code", codes=CODES["place_kind"]),
        _c("name", "text", nullable=True),
        _c("geometry", "geometry", unit="Point, EPSG:4326"),
    ),
    "incidents": (
        _c("incident_id", "id"),
        _c("occurred_at", "timestamp", unit="local time, tz-aware"),
        _LON,
        _LAT,
        _c("kind", "code", codes=CODES["incident_kind"]),
        _c("area_id", "id", required=False, nullable=True,
           unit="area from the source (codes without polygons); default: point in polygon"),
    ),
    "people": (
        _c("person_id", "id", unit="pseudonymous"),
        _c("birth_year", "int", nullable=True, min=1880, max=2100, unit="year"),
        _c("sex", "code", codes=CODES["sex"]),
        _c("race_ethnicity", "code", codes=CODES["race_ethnicity"]),
        _c("home_area_id", "id", required=False, nullable=True),
    ),
    "victimizations": (
        _c("incident_id", "id"),
        _c("person_id", "id"),
        _c("fatal", "bool"),
    ),
    "arrests": (
        _c("arrest_id", "id"),
        _c("person_id", "id"),
        _c("arrested_at", "timestamp", unit="local time, tz-aware"),
        _c("offense_category", "code", codes=CODES["offense_category"]),
    ),
    "responses": (
        _c("response_id", "id"),
        _c("incident_id", "id"),
        _c("responder_type", "code", codes=CODES["responder_type"]),
        _c("agency", "text", nullable=True),
        _c("arrived_at", "timestamp", unit="local time, tz-aware"),
        _c("departed_at", "timestamp", nullable=True, unit="local time, tz-aware"),
    ),
    "referrals": (
        _c("referral_id", "id"),
        _c("response_id", "id"),
        _c("person_id", "id"),
        _c("service", "code", codes=CODES["service"]),
        _c("provider", "text", nullable=True),
        _c("referred_at", "timestamp", unit="local time, tz-aware"),
    ),
    "followups": (
        _c("followup_id", "id"),
        _c("referral_id", "id"),
        _c("attempted_at", "timestamp", unit="local time, tz-aware"),
        _c("outcome", "code", codes=CODES["outcome"]),
    ),
    "patrols": (
        _c("patrol_id", "id"),
        _c("unit", "text", nullable=True, unit="patrol unit (car, beat, team)"),
        _c("area_id", "id", unit="area patrolled (a track of points is mapped to areas first)"),
        _c("started_at", "timestamp", unit="local time, tz-aware"),
        _c("ended_at", "timestamp", nullable=True, unit="local time, tz-aware"),
        _c("activity", "code", codes=CODES["patrol_activity"],
           unit="patrol (time present), stop, arrest, community_engagement"),
    ),
}

#: Unique key of every table (several columns = composite key).
KEYS: dict[str, tuple[str, ...]] = {
    "areas": ("area_id",),
    "places": ("place_id",),
    "incidents": ("incident_id",),
    "people": ("person_id",),
    "victimizations": ("incident_id", "person_id"),
    "arrests": ("arrest_id", "person_id"),
    "responses": ("response_id",),
    "referrals": ("referral_id",),
    "followups": ("followup_id",),
    "patrols": ("patrol_id",),
}


@dataclass(frozen=True)
class Reference:
    """A foreign key: ``table.column`` values must exist in ``target.target_column``.

    Checked only when both tables are present.
    """

    table: str
    column: str
    target: str
    target_column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column} -> {self.target}.{self.target_column}"


#: Foreign keys, checked when both tables are present.
REFERENCES: tuple[Reference, ...] = (
    Reference("people", "home_area_id", "areas", "area_id"),
    Reference("incidents", "area_id", "areas", "area_id"),
    Reference("victimizations", "incident_id", "incidents", "incident_id"),
    Reference("victimizations", "person_id", "people", "person_id"),
    Reference("arrests", "person_id", "people", "person_id"),
    Reference("responses", "incident_id", "incidents", "incident_id"),
    Reference("referrals", "response_id", "responses", "response_id"),
    Reference("referrals", "person_id", "people", "person_id"),
    Reference("followups", "referral_id", "referrals", "referral_id"),
    Reference("patrols", "area_id", "areas", "area_id"),
)

#: Tables every dataset must have.
REQUIRED_TABLES: tuple[str, ...] = ("incidents",)

#: Tables whose rows carry a location (checked against the study area).
LOCATED_TABLES: tuple[str, ...] = ("incidents", "places")


def column_spec(table: str, column: str) -> ColumnSpec | None:
    """The :class:`ColumnSpec` of ``table.column``, or ``None`` when not in the contract."""
    for spec in COLUMNS[table]:
        if spec.name == column:
            return spec
    return None


def timestamp_columns(table: str) -> list[str]:
    """Names of the timestamp columns of ``table``."""
    return [c.name for c in COLUMNS[table] if c.kind == "timestamp"]


# -- pandera ----------------------------------------------------------------------------
def _is_tz_aware(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.DatetimeTZDtype)


def _geometry_checks(table: str) -> list[pa.Check]:
    allowed = {"Point"} if table == "places" else {"Polygon", "MultiPolygon"}

    def _types(s: pd.Series) -> pd.Series:
        import geopandas as gpd

        gs = gpd.GeoSeries(s)
        return gs.isna() | gs.geom_type.isin(sorted(allowed))

    return [pa.Check(_types, name=f"geometry type in {sorted(allowed)}")]


def _pandera_column(
    table: str, spec: ColumnSpec, unique: bool = False, fast: bool = False
) -> pa.Column:
    checks: list[pa.Check] = []
    dtype: object
    if spec.kind in ("id", "text"):
        dtype = None if fast else str
    elif spec.kind == "code":
        dtype = None if fast else str
        checks.append(pa.Check.isin(list(spec.codes), name="allowed codes"))
    elif spec.kind == "float":
        dtype = "float64"
    elif spec.kind == "int":
        dtype = "Int64"
    elif spec.kind == "bool":
        dtype = bool
    elif spec.kind == "timestamp":
        dtype = None
        checks.append(pa.Check(_is_tz_aware, element_wise=False, name="tz-aware timestamp"))
    elif spec.kind == "geometry":
        dtype = None
        checks += _geometry_checks(table)
    else:  # pragma: no cover - contract typo
        raise ValueError(spec.kind)
    if spec.min is not None:
        checks.append(pa.Check.ge(spec.min, name=f">= {spec.min:g}"))
    if spec.max is not None:
        checks.append(pa.Check.le(spec.max, name=f"<= {spec.max:g}"))
    return pa.Column(
        dtype,
        checks=checks,
        nullable=spec.nullable,
        required=spec.required,
        unique=unique,
        description=spec.unit or None,
    )


def _schema(table: str, fast: bool = False) -> pa.DataFrameSchema:
    key = list(KEYS[table])
    return pa.DataFrameSchema(
        {
            spec.name: _pandera_column(table, spec, unique=key == [spec.name] and not fast, fast=fast)
            for spec in COLUMNS[table]
        },
        unique=key if len(key) > 1 and not fast else None,
        name=table,
        strict=False,
        coerce=False,
    )


#: A pandera schema per contract table (dtypes, codes, ranges, nulls, unique keys).
SCHEMAS: dict[str, pa.DataFrameSchema] = {t: _schema(t) for t in TABLES}

#: The schemas :func:`workbench.data.validate` runs after converting the columns: text
#: columns are already guaranteed ``str`` (pandera's per-element ``str`` check costs ~1 s per
#: million values) and keys are checked separately with the duplicated ids named.
VALIDATION_SCHEMAS: dict[str, pa.DataFrameSchema] = {t: _schema(t, fast=True) for t in TABLES}

__all__ = [
    "CODES",
    "COLUMNS",
    "KEYS",
    "GEO_TABLES",
    "LOCATED_TABLES",
    "REFERENCES",
    "REQUIRED_TABLES",
    "SCHEMAS",
    "TABLES",
    "ColumnSpec",
    "Reference",
    "column_spec",
    "timestamp_columns",
]
