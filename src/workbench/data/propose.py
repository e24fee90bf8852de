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
- area codes without polygons (precinct, district), mapped as areas given by codes (no boundaries).

:func:`render_yaml` writes the proposal as a parameter file whose comments give the evidence
and mark what to check (``EDIT``); :func:`check_proposal` loads it with
:func:`workbench.data.load_dataset` and returns what still fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .detect import (
    AREA_WORDS,
    DATE_FORMATS,
    DATETIME_FORMATS,
    RACE_CODES,
    SAMPLE_ROWS,
    SEX_CODES,
    TIME_FORMATS,
    code_map,
    datetime_format,
    guess_projected_crs,
    guess_timezone,
    id_score,
    kind_codes,
    number_format,
    read_sample,
    text_values,
)
from .errors import DataError
from .numbers import parse_numbers

__all__ = [
    "Evidence", "Proposal", "check_proposal", "guess_projected_crs", "map_command", "propose_mapping",
    "render_yaml",
]



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
        pattern = re.sub(r"\d+", "*", p.name)
        siblings = sorted(p.parent.glob(pattern)) if pattern != p.name else []
        if len(siblings) > 1:  # yearly / monthly extracts of the same export
            m["files"] = pattern
            # sample every file (up to 24), so codes seen only in some years are proposed too
            per = max(1, sample_rows // min(len(siblings), 24))
            parts = [df if f == p else read_sample(f, None, per)[0] for f in siblings[:24]]
            if all(list(x.columns) == list(df.columns) for x in parts):
                df = pd.concat([x.head(per) for x in parts], ignore_index=True)
            ev.append(Evidence("files", pattern, f"{len(siblings)} files match (read together, and "
                               "sampled from each)", "medium"))
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
        score = id_score(c)
        t = text_values(df[c])
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
        t = text_values(df[id_col])
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
        t = text_values(s)
        if len(t) == 0 or not t.str.contains(r"\d").mean() > 0.9:
            continue
        midnight = t.str.contains(r"[ T]00:00(?::00(?:\.0+)?)?$").mean() > 0.999
        if midnight:  # date cells written as midnight timestamps (Excel, databases)
            t = t.str.replace(r"[ T]00:00(:00(\.0+)?)?$", "", regex=True)
        fmt, share = datetime_format(t, DATE_FORMATS)
        has_time = t.str.contains(r"\d:\d\d").mean() > 0.5
        if share >= 0.95 and not has_time:
            date_cols.append((c, fmt, share, midnight))
            continue
        fmt, share = datetime_format(t, DATETIME_FORMATS)
        if share >= 0.95 and has_time:
            if fmt == "ISO8601" and t.str.contains(r"[+-]\d\d:?\d\d$|Z$").mean() > 0.9:
                fmt = None  # offsets given: read as is
            dt_cols.append((c, fmt, share, has_time))
            continue
        fmt, share = datetime_format(t, TIME_FORMATS)
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
        (dc, dfmt, ds, _), (tc, tfmt, ts) = date_cols[0], time_cols[0]
        used |= {dc, tc}
        m.setdefault("combine", {})["occurred_at"] = [dc, tc]
        m.setdefault("dates", {})["occurred_at"] = f"{dfmt} {tfmt}"
        ev.append(Evidence("occurred_at", f"{dc} + {tc}", f"date column ({dfmt}, {ds:.0%}) and time "
                           f"column ({tfmt}, {ts:.0%}) combined", "high"))
    elif date_cols:
        c, fmt, share, midnight = date_cols[0]
        used.add(c)
        m.setdefault("columns", {})["occurred_at"] = c
        m.setdefault("dates", {})["occurred_at"] = f"{fmt} %H:%M:%S" if midnight else fmt
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
    geom_c = None
    for c in cols:
        if c in used or c in numeric:
            continue
        v = df[c].dropna()
        if len(v) == 0:
            continue
        first = v.iloc[0]
        if isinstance(first, (bytes, bytearray, memoryview)) or (
            isinstance(first, str) and first.strip().upper().startswith(("POINT", "SRID="))
        ) or type(first).__module__.startswith("shapely"):
            geom_c = c
            break
    if geom_c is not None and not (lon_c and lat_c):
        from .coerce import point_xy, to_geometry

        g, _ = to_geometry(df[geom_c].reset_index(drop=True))
        glon, glat, _ = point_xy(g)
        if np.isfinite(glon).any():
            used.add(geom_c)
            m["point"] = geom_c
            lonlat = (float(np.nanmedian(glon)), float(np.nanmedian(glat)))
            ev.append(Evidence("lon/lat", geom_c, "point geometry (WKB/WKT), median "
                               f"{lonlat[0]:.4f}, {lonlat[1]:.4f} (WGS84 assumed)", "medium"))
            lon_c = lat_c = x_c = y_c = None
    if "point" in m:
        pass  # coordinates come from the point geometry
    elif lon_c and lat_c:
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
    def _demo(pat: str, exact: str) -> str | None:
        hits = [c for c in cols if c not in used and re.search(pat, c, re.I)]
        best = [c for c in hits if re.search(exact, c, re.I)]  # 'age' / 'VICTIM_AGE' before 'age_group'
        return (best or hits or [None])[0]

    demo = {"sex": _demo(r"sex|gender", r"sex$|gender$"), "race": _demo(r"race|ethnic", r"race$"),
            "age": _demo(r"(^|_)age($|_)", r"(^|_)age$")}
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
            codes_p["sex"], share = code_map(df[demo["sex"]], SEX_CODES)
            ev.append(Evidence("sex", demo["sex"], f"{share:.0%} of codes recognized", "medium"))
        else:
            people.setdefault("constants", {})["sex"] = "unknown"
        if demo["race"]:
            people.setdefault("columns", {})["race_ethnicity"] = demo["race"]
            codes_p["race_ethnicity"], share = code_map(df[demo["race"]], RACE_CODES)
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

    # area codes without polygons: the first becomes area_id (areas as codes), others are noted
    area_c = None
    for c in cols:
        if c in used or not re.search("|".join(AREA_WORDS), c, re.I):
            continue
        k = text_values(df[c]).nunique()
        if 1 < k <= 500 and area_c is None:
            area_c = c
            m.setdefault("columns", {})["area_id"] = c
            areas_m: dict[str, Any] = {k2: v for k2, v in m.items() if k2 in ("files", "sql", "encoding", "delimiter")}
            areas_m |= {"columns": {"area_id": c}, "dedupe": {"key": ["area_id"]}, "absent": ["population"],
                        "on_bad_rows": "drop"}
            tables["areas"] = areas_m
            used.add(c)
            ev.append(Evidence("area_id", c, f"{k} area codes without polygons: areas as codes", "medium"))
            notes.append(f"{c}: {k} area codes without polygons; mapped as area codes (area_id): tables and "
                         "rates by area use them, maps by area and exposure zones are skipped (give an areas "
                         "file with boundaries, names or population if you have one)")
        elif 1 < k <= 500:
            notes.append(f"{c}: {k} area codes without polygons; not mapped (only one area column is used)")
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
    except (ValueError, OSError, UnicodeError) as exc:  # unreadable file: say so, no traceback
        print(f"Bad input data: {file}: cannot read a table from it ({type(exc).__name__}: {exc})",
              file=sys.stderr)
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
        print("Fix the data or edit the mapping; to drop (and count) rows a table cannot use, set "
              "on_bad_rows: drop on it.")
        return 2
    print("validate: OK (the proposal loads; check the EDIT lines all the same)")
    return 0
