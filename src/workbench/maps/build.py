"""The places map: one offline folium map with every places layer, in policy or researcher mode.

Modes
-----
``'policy'`` (default): incidents are shown only as counts per grid cell (hexagons or squares of
``cell_m`` meters), cells with fewer than ``min_count`` incidents are grey and unlabelled
(``'<11'``); exposure zones are drawn as the **union of the areas they touch** (coloured by the
number of zones, suppressed below ``min_count``), never as circles centered on a shooting; the
density surface is blank wherever fewer than ``min_count`` incidents lie within one bandwidth;
no basemap tiles. ``'researcher'``: exact incident points with ids and times, exposure-zone circles,
the unmasked density surface; tiles optional.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from workbench.data.units import format_distance

from .cells import add_cells
from .layers import (
    add_exposure_areas,
    add_exposure_circles,
    add_gi,
    add_incidents,
    add_kde,
    add_trauma,
)
from .offline import OfflineMap
from .orient import add_area_outlines, add_basemap, add_place_icons

__all__ = ["MODES", "places_map"]

MODES = ("policy", "researcher")


def _area_figures(areas: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, min_count: int) -> pd.DataFrame:
    """Tooltip figures per area: residents and incidents of the map's period (suppressed)."""
    from workbench.privacy import suppressed_mask, suppression_marker

    out = pd.DataFrame(index=areas["area_id"].astype(str))
    if "population" in areas:
        pop = pd.to_numeric(areas["population"], errors="coerce").to_numpy(float)
        out["Residents"] = [f"{int(v):,}" if np.isfinite(v) else "not known" for v in pop]
    if len(incidents):
        a = areas[["area_id", "geometry"]].to_crs(incidents.crs)
        hit = a.sindex.query(incidents.geometry, predicate="within")
        first = np.unique(hit[0], return_index=True)[1]  # one area per incident
        n = np.bincount(hit[1][first], minlength=len(a))
        sup = suppressed_mask(n, min_count)
        out["Incidents in the period"] = np.where(sup, suppression_marker(min_count), [f"{int(v):,}" for v in n])
    return out


def places_map(
    incidents: gpd.GeoDataFrame,
    *,
    mode: str = "policy",
    min_count: int = 11,
    areas: gpd.GeoDataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    cell_m: float = 250.0,
    cell_shape: str = "hexagon",
    kde: Any = None,
    gi: gpd.GeoDataFrame | None = None,
    exposure: Any = None,
    trauma: pd.DataFrame | None = None,
    tiles: Any = None,
    basemap: dict | None = None,
    height: int | str = 560,
    distance_unit: str = "m",
) -> OfflineMap:
    """Build the places map.

    Parameters
    ----------
    incidents : GeoDataFrame
        Incident points in a projected CRS (``Dataset.points('incidents')``, possibly a period).
    mode : {'policy', 'researcher'}
    min_count : int
        Privacy threshold (counts below it are hidden in policy mode).
    areas, places : GeoDataFrame, optional
        Area polygons (outline, exposure union, trauma choropleth) and places (any CRS).
    cells : GeoDataFrame, optional
        Counted cells of the incidents layer (policy mode): ``count`` per polygon, from
        :func:`workbench.spatial.cell_counts` (a report section passes them with their
        ``suppressed``/``label`` columns). Default: counted from ``incidents`` with ``cell_m``
        and ``cell_shape`` by :func:`workbench.spatial.cell_counts` (the map counts nothing itself).
    cell_m, cell_shape : float, {'hexagon', 'square'}
        Width of the cells (meters; it names the layer, ``Incidents per 250 m cell``) and their
        shape when ``cells`` are not given.
    kde : KernelDensity, optional
        Fitted density surface.
    gi : GeoDataFrame, optional
        Gi* result joined to its cells or areas (``cls`` and ``label`` columns, polygons).
    exposure : Exposure, optional
        From :func:`workbench.spatial.exposure_zones` (areas needed in policy mode).
    trauma : DataFrame, optional
        From :func:`workbench.spatial.trauma_index` (drawn on ``areas``).
    tiles : str, optional
        Basemap tiles (researcher mode only).
    basemap : dict, optional
        ``{url: 'https://.../{z}/{x}/{y}.png', attribution: '...'}``: a base-map tile layer in
        either mode (:func:`workbench.maps.orient.add_basemap`). Default none: the map fetches
        nothing and works offline.
    height : int or str
        Map height in the notebook (pixels or CSS).
    distance_unit : {'m', 'ft'}
        Unit of the distances in layer names and legends (``Dataset.distance_unit``).

    Returns
    -------
    OfflineMap
        With a layer control (overlays toggleable) and one legend per visible overlay.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    policy = mode == "policy"
    if areas is not None and not isinstance(areas, gpd.GeoDataFrame):
        areas = None  # area codes without boundaries: nothing to draw (the page says so)
    frame = areas if areas is not None and len(areas) else incidents
    lon0, lat0, lon1, lat1 = frame.to_crs("EPSG:4326").total_bounds
    m = OfflineMap(location=[(lat0 + lat1) / 2, (lon0 + lon1) / 2], tiles=None if policy else tiles,
                   height=height, prefer_canvas=True)
    m.fit_bounds([[lat0, lon0], [lat1, lon1]])
    add_basemap(m, basemap)
    if areas is not None and len(areas):
        add_area_outlines(m, areas, figures=_area_figures(areas, incidents, min_count))

    if policy:
        if cells is None and len(incidents):
            from workbench.spatial import cell_counts

            cells = cell_counts(incidents, cell_m=cell_m, shape=cell_shape)
        if cells is not None and len(cells):
            add_cells(m, cells, min_count=min_count, name=f"Incidents per {format_distance(cell_m, distance_unit)} cell",
                      show=True)
    else:
        add_incidents(m, incidents, show=True)
    if kde is not None:
        pts = np.column_stack([incidents.geometry.x, incidents.geometry.y]) if policy else None
        add_kde(m, kde, support_points=pts, min_count=min_count, show=False, distance_unit=distance_unit)
    if gi is not None:
        add_gi(m, gi, min_count=min_count, show=False)
    if exposure is not None:
        if policy:
            if areas is not None:
                counts = exposure.areas.groupby("area_id")["incident_id"].nunique()
                add_exposure_areas(m, areas, counts, min_count=min_count, show=False)
        else:
            add_exposure_circles(m, exposure.zones, show=False, distance_unit=distance_unit)
    if trauma is not None and areas is not None:
        add_trauma(m, areas, trauma, show=False)
    if places is not None and len(places):
        add_place_icons(m, places, show={"school"})  # schools on; parks, clinics... one click away
    folium.LayerControl(collapsed=False).add_to(m)
    return m
