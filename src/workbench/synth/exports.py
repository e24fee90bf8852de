"""Synthetic *raw exports*: the synthetic city written the way agencies' systems write data.

The contract folder of :func:`workbench.synth.write_city` loads with no mapping. Real exports
do not: they carry projected coordinates in feet, thousands separators, decimal commas, Latin-1
text, separate date and time columns, one row per victim x suspect, and precinct codes instead
of polygons. :func:`write_exports` writes the same city in five such shapes (:data:`SHAPES`),
so ``workbench map`` and the loader can be tested against a known truth: every shape maps back
to the city's incidents (same ids, times, places to the centimetre, kinds) and victims.

Shapes
------
``lonlat_iso``
    CSV, lon/lat in degrees, ISO 8601 timestamps with offset, plain offense labels.
``stateplane_ft``
    CSV, x/y in Illinois East state plane (EPSG:3435, US survey feet) written ``1,164,235.12``,
    date ``03/01/2024`` and time ``14:22`` in separate columns.
``victim_suspect``
    CSV, one row per victim x suspect: incident, victim and suspect numbers repeat; victims'
    sex, race and age on every row; fatal per victim.
``latin1_comma``
    CSV in Latin-1 with ``;`` separators and decimal commas (``-87,6543``), accented street
    names, day-first dates ``01.03.2024 14:22``.
``precinct_codes``
    Parquet, lon/lat plus a precinct code per incident; no polygons anywhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: The five export shapes written by :func:`write_exports`.
SHAPES: tuple[str, ...] = (
    "lonlat_iso",
    "stateplane_ft",
    "victim_suspect",
    "latin1_comma",
    "precinct_codes",
)

#: State plane CRS of the ``stateplane_ft`` shape (Illinois East, US survey feet).
STATE_PLANE = "EPSG:3435"

_KIND_LABEL = {
    "fatal_shooting": "SHOOTING - FATAL",
    "nonfatal_shooting": "SHOOTING - INJURY",
    "shots_fired": "SHOTS FIRED",
}
_STREETS = ("Rue Montréal", "Boulevard Sainte-Thérèse", "Chemin du Lac", "Avenue Côte-des-Neiges")


def _victims(dataset) -> pd.DataFrame:
    v = dataset.tables["victimizations"].merge(dataset.tables["people"], on="person_id", how="left")
    inc = dataset.tables["incidents"].set_index("incident_id")["occurred_at"]
    at = v["incident_id"].map(inc)
    v["age"] = (at.dt.year - v["birth_year"].astype("float64")).astype("Int64")
    return v


def write_exports(dataset, out: str | Path, shapes: tuple[str, ...] = SHAPES) -> dict[str, Path]:
    """Write the dataset's incidents (and victims) as raw exports, one folder per shape.

    Parameters
    ----------
    dataset : Dataset
        A synthetic city's dataset (``generate_city(...).dataset``); any dataset with
        incidents, people and victimizations works.
    out : str or Path
        Parent folder; each shape goes to ``out/<shape>/`` (created; existing files of the same
        names are replaced, nothing else is touched).
    shapes : tuple of str
        Subset of :data:`SHAPES`.

    Returns
    -------
    dict of str to Path
        The data file written per shape.
    """
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown:
        raise ValueError(f"unknown export shape(s) {unknown}; shapes are {list(SHAPES)}")
    out = Path(out)
    inc = dataset.tables["incidents"].reset_index(drop=True)
    rng = np.random.default_rng(7)
    written: dict[str, Path] = {}
    for shape in shapes:
        folder = out / shape
        folder.mkdir(parents=True, exist_ok=True)
        local = inc["occurred_at"]
        if shape == "lonlat_iso":
            df = pd.DataFrame(
                {
                    "case_number": inc["incident_id"],
                    "occurred": local.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(
                        r"(\d\d)(\d\d)$", r"\1:\2", regex=True
                    ),
                    "longitude": inc["lon"].round(7),
                    "latitude": inc["lat"].round(7),
                    "offense": inc["kind"].map(_KIND_LABEL),
                }
            )
            path = folder / "incidents.csv"
            df.to_csv(path, index=False)
        elif shape == "stateplane_ft":
            from pyproj import Transformer

            tr = Transformer.from_crs("EPSG:4326", STATE_PLANE, always_xy=True)
            x, y = tr.transform(inc["lon"].to_numpy(), inc["lat"].to_numpy())
            df = pd.DataFrame(
                {
                    "INCIDENT_NO": inc["incident_id"],
                    "OCC_DATE": local.dt.strftime("%m/%d/%Y"),
                    "OCC_TIME": local.dt.strftime("%H:%M:%S"),
                    "X_COORD": [f"{v:,.2f}" for v in x],
                    "Y_COORD": [f"{v:,.2f}" for v in y],
                    "OFFENSE_DESC": inc["kind"].map(_KIND_LABEL),
                    "BEAT": rng.integers(100, 999, len(inc)).astype(str),
                }
            )
            path = folder / "incidents.csv"
            df.to_csv(path, index=False)
        elif shape == "victim_suspect":
            v = _victims(dataset)
            v = v.merge(inc, on="incident_id", how="left")
            # every victim row repeated once per suspect (0 suspects -> one row, no suspect)
            n_sus = rng.choice([1, 1, 2, 3], len(v))
            rep = v.loc[v.index.repeat(n_sus)].reset_index(drop=True)
            k = rep.groupby("person_id").cumcount()
            victim_no = "V" + rep["person_id"].astype(str)
            df = pd.DataFrame(
                {
                    "INCIDENT_NO": rep["incident_id"],
                    "VICTIM_NO": victim_no,
                    "SUSPECT_NO": "S" + rep["incident_id"].astype(str) + "-" + (k + 1).astype(str),
                    "DATE_TIME": rep["occurred_at"].dt.strftime("%Y-%m-%d %H:%M"),
                    "LON": rep["lon"].round(7),
                    "LAT": rep["lat"].round(7),
                    "VICTIM_INJURY": np.where(rep["fatal"].astype(bool), "FATAL", "NON-FATAL"),
                    "VICTIM_SEX": rep["sex"].map({"male": "M", "female": "F"}).fillna("U"),
                    "VICTIM_RACE": rep["race_ethnicity"].str[0].str.upper(),
                    "VICTIM_AGE": rep["age"],
                }
            )
            path = folder / "victims_suspects.csv"
            df.to_csv(path, index=False)
        elif shape == "latin1_comma":
            df = pd.DataFrame(
                {
                    "Numero": inc["incident_id"],
                    "Date": local.dt.strftime("%d.%m.%Y %H:%M"),
                    "Longitude": [f"{v:.7f}".replace(".", ",") for v in inc["lon"]],
                    "Latitude": [f"{v:.7f}".replace(".", ",") for v in inc["lat"]],
                    "Type": inc["kind"].map(
                        {
                            "fatal_shooting": "Homicide par balle",
                            "nonfatal_shooting": "Blessé par balle",
                            "shots_fired": "Coups de feu",
                        }
                    ),
                    "Rue": rng.choice(_STREETS, len(inc)),
                }
            )
            path = folder / "incidents.csv"
            df.to_csv(path, index=False, sep=";", encoding="latin-1")
        else:  # precinct_codes
            df = pd.DataFrame(
                {
                    "event_id": inc["incident_id"],
                    "event_ts": local.dt.tz_localize(None),
                    "lon": inc["lon"],
                    "lat": inc["lat"],
                    "category": inc["kind"].map(_KIND_LABEL),
                    "precinct": "P" + pd.Series(rng.integers(1, 23, len(inc))).astype(str).str.zfill(2),
                }
            )
            path = folder / "incidents.parquet"
            df.to_parquet(path, index=False)
        written[shape] = path
    return written
