"""``load_dataset``: read a source, map its columns onto the contract, validate.

Sources
-------
- a folder of files, each read by its extension (CSV, Parquet/GeoParquet, GeoJSON,
  GeoPackage, Shapefile); a *contract folder* (``dataset.json`` present) or any folder of
  contract-named files (``incidents.csv``, ``areas.geojson`` ...) loads with no mapping;
- a SQLAlchemy URL (``sqlite:///city.db``; ``postgresql://...`` with a PostgreSQL driver
  installed): tables named after the contract tables load with no mapping, others through
  ``sql:`` in the table mapping.

Nothing is written: bad input raises one :class:`DataError` before any output exists.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .checks import run_checks
from .coerce import Finding
from .dataset import META_FILE, TABLES, Dataset
from .errors import DataError
from .flags import flag_notes
from .mapping import DataSpec, TableMapping, read_params_data
from .sources import (
    SourceFrame,
    contract_file,
    read_files,
    read_sql,
    sql_engine,
    sql_tables,
)
from .transform import apply_mapping


def find_philadelphia() -> Path | None:
    """The real Philadelphia data folder (``<repo>/../shared/data/philadelphia``), or ``None``.

    Looks beside the repository this package is installed from (editable install), then
    beside the current working directory and its parents.
    """
    rel = Path("shared") / "data" / "philadelphia"
    roots = [Path(__file__).resolve().parents[3]]
    cwd = Path.cwd().resolve()
    roots += [cwd, *cwd.parents]
    for root in roots:
        for cand in (root.parent / rel, root / rel):
            if (cand / "README.md").exists() or any(cand.glob("shootings_*.json")):
                return cand
    return None


def _as_spec(spec: DataSpec | dict | str | Path, base_dir: Path | None) -> tuple[DataSpec, Path | None]:
    if isinstance(spec, DataSpec):
        return spec, base_dir
    if isinstance(spec, dict):
        return DataSpec.model_validate(spec), base_dir
    p = Path(spec)
    if p.suffix.lower() in (".yaml", ".yml") and p.is_file():
        ds, yaml_dir = read_params_data(p)
        return ds, base_dir if base_dir is not None else yaml_dir
    if "://" in str(spec):
        return DataSpec(source=str(spec)), base_dir
    # a folder given directly
    return DataSpec(source=str(p)), base_dir


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)


def _read_boundary(spec: DataSpec, base_dir: Path | None) -> tuple[gpd.GeoDataFrame | None, str | None]:
    if not spec.study_area:
        return None, None
    path = spec.resolve_path(spec.study_area, base_dir)
    if not path.exists():
        raise DataError.single(str(path), None, "study_area boundary file not found")
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            g = gpd.read_parquet(path)
        else:
            g = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001
        raise DataError.single(str(path), None, f"cannot read study area: {exc}") from exc
    if g.crs is None:
        g = g.set_crs("EPSG:4326")
    return g, path.name


def separate_names(dataset: Dataset) -> Dataset:
    """Move personal names out of ``people`` into ``dataset.identifiers`` (in place).

    The name columns (:data:`workbench.privacy.NAME_COLUMNS`) are kept beside the tables with
    ``person_id`` so the privacy scan can still refuse a page that shows them, but no analysis
    table, contract folder or notebook kernel holds them.
    """
    from workbench.privacy import NAME_COLUMNS

    people = dataset.tables.get("people")
    if people is None:
        return dataset
    cols = [c for c in people.columns if c in NAME_COLUMNS]
    if not cols:
        return dataset
    keep = ["person_id"] if "person_id" in people.columns else []
    dataset.identifiers = people[keep + cols].copy()
    dataset.tables["people"] = people.drop(columns=cols)
    return dataset


def load_dataset(
    spec: DataSpec | dict | str | Path, base_dir: Path | None = None, keep_names: bool = False
) -> Dataset:
    """Read, map and validate a city's data.

    Parameters
    ----------
    spec : DataSpec, dict, str or Path
        The ``data:`` section (model or dict), a parameter YAML file (its ``data:`` section is
        used and relative paths resolve against its folder), a folder or a SQLAlchemy URL.
    base_dir : Path, optional
        Folder that relative paths in ``spec`` resolve against (default: the YAML file's folder,
        or the working directory).

    Returns
    -------
    Dataset
        Validated contract tables; ``crs`` resolved (``'auto'`` -> UTM zone of the incidents,
        ``'EPSG:xxxxx'``); ``notes`` lists dropped rows and absent columns.

    Raises
    ------
    DataError
        Unreadable source, missing or misnamed columns, unparseable dates, unknown codes,
        duplicate ids, dangling references, points outside the study area, empty tables: all
        problems at once, each naming source, column, count and first ids.
    pydantic.ValidationError
        ``spec`` (a dict or the YAML's ``data:`` section) is not a valid :class:`DataSpec`.

    Notes
    -----
    Personal names in ``people`` (``name``, ``full_name``, ``first_name``, ``last_name``) are
    moved to ``dataset.identifiers`` unless ``keep_names=True`` (:func:`separate_names`): no
    analysis needs them, and the report's privacy scan reads them from there.
    """
    spec, base_dir = _as_spec(spec, base_dir)
    engine = None
    folder: Path | None = None
    meta: dict = {}
    if spec.is_sql:
        engine = sql_engine(spec.sql_url(base_dir), spec.password_env)
        try:
            available = sql_tables(engine)
        except Exception as exc:  # noqa: BLE001
            raise DataError.single(spec.source, None, f"cannot open database: {exc}") from exc
    else:
        folder = spec.source_path(base_dir)
        if not folder.is_dir():
            hint = " (it has a synthetic: section: run the report to generate it)" if spec.synthetic else ""
            raise DataError.single(str(folder), None, f"source folder not found{hint}")
        if (folder / META_FILE).exists():
            meta = json.loads((folder / META_FILE).read_text())
        available = set()

    timezone = spec.timezone or meta.get("timezone")
    if not timezone:
        raise DataError.single(
            spec.source, None, "no timezone: set data.timezone (IANA name, e.g. America/Chicago)"
        )
    spec = spec.model_copy(update={"timezone": timezone})

    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    origins = {}
    findings: list[Finding] = []
    notes: list[dict] = []
    formats: dict[str, dict] = {}
    policy: dict[str, str] = {}
    cache: dict[tuple, SourceFrame] = {}

    def _files(patterns: list[str], layer: str | None, encoding: str | None) -> SourceFrame:
        delimiter = m.delimiter if m is not None else None
        key = (tuple(patterns), layer, encoding, delimiter)
        if key not in cache:
            cache[key] = read_files(folder, patterns, layer, encoding, delimiter)
        hit = cache[key]
        return SourceFrame(hit.df, hit.label, hit.files, hit.rows)

    for table in TABLES:
        m: TableMapping | None = spec.tables.get(table)
        sf: SourceFrame | None = None
        encoding = (m.encoding if m is not None else None) or spec.encoding
        if m is not None and m.files:
            sf = _files(m.files, m.layer, encoding) if folder is not None else None
            if sf is None:
                raise DataError.single(spec.source, None, f"{table}: files: needs a folder source")
            sf.label = ", ".join(m.files)
        elif m is not None and m.sql:
            if engine is None:
                raise DataError.single(spec.source, None, f"{table}: sql: needs a database source")
            sf = read_sql(engine, m.sql, spec.source)
        elif folder is not None:
            f = contract_file(folder, table)
            if f is not None:
                sf = _files([f.name], m.layer if m else None, encoding)
                sf.label = _relative(f, folder)
            elif m is not None:
                raise DataError.single(
                    str(folder), None, f"{table}: no files: given and no {table}.* file found"
                )
        elif table in available:
            sf = read_sql(engine, table, spec.source)
        elif m is not None:
            raise DataError.single(spec.source, None, f"{table}: no sql: given and no table '{table}'")
        if sf is None:
            continue
        if m is not None:
            df, kept, fs, ns = apply_mapping(table, sf, m, spec)
            sf = sf.take(kept)
            findings += fs
            notes += ns
            formats[table] = dict(m.dates)
            policy[table] = m.on_bad_rows
        else:
            df = sf.df
        tables[table] = df
        sources[table] = sf.label
        origins[table] = sf.origin

    crs = spec.crs
    if crs == "auto" and meta.get("crs") not in (None, "", "auto"):
        crs = meta["crs"]
    boundary, boundary_label = _read_boundary(spec, base_dir)
    name = spec.name
    if name == "dataset":
        name = meta.get("name") or (folder.name if folder is not None else "dataset")
    dataset = Dataset(
        tables=dict(tables), timezone=timezone, crs=crs, name=name, sources=sources, notes=notes
    )
    tables.clear()  # the dataset holds the only reference to each raw table: run_checks consumes them
    cache.clear()
    df = sf = None
    if spec.max_date == "none":
        max_date, max_label = None, ""
    elif spec.max_date == "load":
        max_date = pd.Timestamp.now(tz="UTC")
        max_label = f"(the load time, {max_date.tz_convert(timezone):%Y-%m-%d %H:%M})"
    else:
        max_date = pd.Timestamp(spec.max_date)
        if max_date.tzinfo is None:  # a date: the whole day counts
            max_date = (max_date + pd.Timedelta(days=1)).tz_localize(timezone) - pd.Timedelta("1ns")
        max_label = spec.max_date
    checked = run_checks(
        dataset,
        max_date=max_date,
        max_date_label=max_label,
        origins=origins,
        findings=findings,
        on_bad_rows=policy,
        study_area=boundary,
        study_area_label=boundary_label,
        buffer_m=spec.study_area_buffer_m,
        formats=formats,
        ambiguous=spec.ambiguous_times,
        nonexistent=spec.nonexistent_times,
        drop_unreferenced=[t for t, m in spec.tables.items() if m.drop_unreferenced],
        consume=True,
    )
    checked.notes = [n for n in checked.notes if n.get("kind") not in ("flag", "data_end")]
    checked.distance_unit = spec.distance_unit
    checked.data_end_setting = spec.data_end
    checked.notes += flag_notes(checked)
    from workbench._memory import release_arrow_memory

    release_arrow_memory()  # the raw tables' Parquet buffers
    return checked if keep_names else separate_names(checked)
