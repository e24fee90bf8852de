"""Draw aggregated incident counts per grid cell: policy maps never draw an incident.

The cells are counted in :mod:`workbench.spatial.grid` (:func:`workbench.spatial.cell_counts`,
width ``cell_m`` meters, hexagons or squares; :func:`workbench.spatial.choose_cell_size` picks the
width); :func:`add_cells` only draws them, coloured by count. Cells with fewer than ``min_count``
incidents are grey and carry the marker (``'<11'``) instead of their number
(:func:`workbench.privacy.suppressed_mask`): cells that arrive without ``suppressed``/``label``
columns are suppressed here before anything is drawn.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np

from workbench.plots import palette as pal
from workbench.privacy import suppressed_mask, suppression_marker

from .layers import SUPPRESSED_COLOR, Legend, _geojson_layer, class_colors

__all__ = ["add_cells"]


def add_cells(m: folium.Map, cells: gpd.GeoDataFrame, *, min_count: int, name: str = "Incidents per cell",
              show: bool = True, cmap: str = pal.COUNTS, what: str = "incidents") -> folium.FeatureGroup:
    """Draw counted grid cells (from :func:`workbench.spatial.cell_counts`); suppressed cells grey.

    Parameters
    ----------
    m : folium.Map
    cells : GeoDataFrame
        ``count`` per cell polygon (any CRS); optional ``suppressed`` (bool) and ``label`` (the
        count as shown) from a report section; computed with :func:`workbench.privacy.suppressed_mask`
        when absent.
    min_count : int
        Privacy threshold: counts ``1 .. min_count-1`` carry no number, only their label.
    name : str
        Layer name (``"Incidents per 250 m cell"``).
    show : bool
        Layer on when the map opens.
    cmap, what : str
        Colormap and the noun of the tooltip and legend.

    Returns
    -------
    folium.FeatureGroup
        The layer; colour classes are built from the shown counts only.
    """
    cells = cells.copy()
    if "suppressed" not in cells or "label" not in cells:
        sup = suppressed_mask(cells["count"].to_numpy(), min_count)
        cells["suppressed"] = sup
        cells["label"] = np.where(sup, suppression_marker(min_count), cells["count"].astype(str))
    shown = ~cells["suppressed"].to_numpy(bool)
    vals = np.where(shown, cells["count"].to_numpy(float), np.nan)
    colors, items = class_colors(vals, cmap=cmap)
    cells[what] = cells["label"]
    fg = _geojson_layer(cells, name, colors, [what], [f"{what.capitalize()}:"], show)
    fg.add_to(m)
    items = items + ([(SUPPRESSED_COLOR, f"fewer than {min_count} (hidden)")] if (~shown).any() else [])
    Legend(f"{what.capitalize()} per cell", items, layer=fg, opacity=0.65).add_to(m)
    return fg
