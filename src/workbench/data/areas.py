"""Areas with or without boundaries, and the area of every incident.

A city may give its areas as polygons (neighborhoods, tracts) or only as codes on the incident
records (a precinct, district or beat number, with no boundary file). The contract accepts
both:

- ``areas`` with a ``geometry`` column: incidents get their area by point in polygon;
- ``areas`` without geometry (``area_id``, optional ``name``, ``population``): the incidents
  carry ``area_id`` themselves, mapped from a source column (``columns: {area_id: precinct}``).

Tables and rates by area work either way (:func:`incident_area_ids`); what needs the
boundaries (maps by area, exposure zones, Gi* on areas, emerging hot spots by area, areas
touched by a zone, the study-area check) is skipped with :func:`no_shapes_note`, a plain
sentence the page shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import Dataset

__all__ = ["area_codes_only", "has_area_shapes", "incident_area_ids", "no_shapes_note"]


def has_area_shapes(dataset: Dataset) -> bool:
    """True when ``areas`` is present with boundaries (a non-empty geometry column)."""
    import geopandas as gpd

    areas = dataset.tables.get("areas")
    if areas is None or len(areas) == 0 or not isinstance(areas, gpd.GeoDataFrame):
        return False
    if "geometry" not in areas.columns and areas.geometry.name not in areas.columns:
        return False
    return bool(areas.geometry.notna().any())


def area_codes_only(dataset: Dataset) -> bool:
    """True when ``areas`` is present as codes only (no boundaries)."""
    areas = dataset.tables.get("areas")
    return areas is not None and len(areas) > 0 and not has_area_shapes(dataset)


def no_shapes_note(what: str) -> str:
    """The sentence a page shows for a part it skips because areas have no boundaries.

    >>> no_shapes_note("The map by area")
    'The map by area: skipped, because these data give areas as codes without boundaries (no polygons); tables and rates by area use the codes.'
    """
    return (f"{what}: skipped, because these data give areas as codes without boundaries (no polygons); "
            "tables and rates by area use the codes.")


def incident_area_ids(dataset: Dataset, incidents: pd.DataFrame | None = None) -> pd.Series:
    """Area id of every incident (``None`` outside every area or without areas).

    The incidents' own ``area_id`` (mapped from the source) when they carry one; otherwise,
    and for their missing values, the area whose polygon contains the point.

    Parameters
    ----------
    dataset : Dataset
    incidents : DataFrame, optional
        Rows of ``dataset['incidents']`` (or a GeoDataFrame of them in any CRS); default all.

    Returns
    -------
    Series
        Indexed like ``incidents``, dtype object.
    """
    import geopandas as gpd

    inc = dataset["incidents"] if incidents is None else incidents
    out = np.full(len(inc), None, dtype=object)
    if "area_id" in inc.columns:
        own = inc["area_id"]
        ok = own.notna().to_numpy()
        out[ok] = own.astype(object).to_numpy()[ok].astype(str)
    todo = np.flatnonzero(pd.isna(out))
    if len(todo) and has_area_shapes(dataset):
        areas = dataset["areas"][["area_id", "geometry"]]
        if isinstance(inc, gpd.GeoDataFrame) and inc.crs is not None:
            pts = inc.geometry.iloc[todo].to_crs(areas.crs)
        else:
            pts = gpd.GeoSeries(gpd.points_from_xy(inc["lon"].to_numpy()[todo], inc["lat"].to_numpy()[todo]),
                                crs="EPSG:4326").to_crs(areas.crs)
        hit = areas.sindex.query(pts.to_numpy(), predicate="within")
        first = np.unique(hit[0], return_index=True)  # one area per incident (the first)
        out[todo[first[0]]] = areas["area_id"].astype(str).to_numpy()[hit[1][first[1]]]
    return pd.Series(out, index=inc.index, dtype=object)
