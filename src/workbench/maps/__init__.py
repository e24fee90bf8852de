"""Offline folium maps of places: aggregated cells, density, Gi*, exposure, places, trauma index.

- :class:`OfflineMap`, :func:`map_html`, :func:`save_map`, :func:`external_references` -- a folium
  map with Leaflet inlined from the installed ``xstatic-leaflet`` package (no CDN, no internet);
- :func:`add_cells` -- counted grid cells (:func:`workbench.spatial.cell_counts`, width ``cell_m``;
  the width from :func:`workbench.spatial.choose_cell_size`) drawn with small counts grey;
- ``add_*`` layer functions and :class:`Legend`;
- :func:`add_area_outlines`, :func:`add_place_icons`, :func:`add_basemap` -- named outlines with
  labels by zoom, place icons by type, an optional base map (:mod:`workbench.maps.orient`);
- :func:`places_map` -- the whole map in ``'policy'`` or ``'researcher'`` mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .build import MODES, places_map
    from .cells import add_cells
    from .layers import (
        GI_COLORS,
        Legend,
        add_exposure_areas,
        add_exposure_circles,
        add_gi,
        add_incidents,
        add_kde,
        add_places,
        add_trauma,
        class_colors,
        kde_visible,
    )
    from .offline import OfflineMap, OfflineMapError, external_references, map_html, save_map
    from .orient import BasemapError, add_area_outlines, add_basemap, add_place_icons, label_zoom

__all__ = [
    "BasemapError",
    "GI_COLORS",
    "MODES",
    "Legend",
    "OfflineMap",
    "OfflineMapError",
    "add_area_outlines",
    "add_basemap",
    "add_cells",
    "add_exposure_areas",
    "add_exposure_circles",
    "add_gi",
    "add_incidents",
    "add_kde",
    "add_place_icons",
    "add_places",
    "add_trauma",
    "class_colors",
    "external_references",
    "label_zoom",
    "kde_visible",
    "map_html",
    "places_map",
    "save_map",
]


__getattr__, __dir__ = lazy_exports(__name__)
