"""What lets a reader orient on a map: named area outlines, place icons by type, a base map.

- :func:`add_area_outlines` -- area outlines with a tooltip (name and figures) and a name label
  at each area's representative point, shown from the zoom level at which a typical area is
  wide enough to hold it (:func:`label_zoom`);
- :func:`add_place_icons` -- places as small lettered icons coloured by type, one toggleable
  layer per type;
- :func:`add_basemap` -- an optional tile layer from a URL template and its attribution (off by
  default: reports stay offline).

Every text from the data (area and place names, attribution) is escaped with ``html.escape``
before it reaches a tooltip, label or attribution, all of which Leaflet renders as HTML. The
scale bar is Leaflet's (``control_scale`` of :class:`workbench.maps.offline.OfflineMap`).
"""

from __future__ import annotations

from collections.abc import Iterable

import html
import math
import re
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from workbench.data.names import area_names

__all__ = ["PLACE_ICONS", "BasemapError", "add_area_outlines", "add_basemap", "add_place_icons", "label_zoom"]

WGS84 = "EPSG:4326"

#: Place kind -> (letter on the icon, label in the layer control).
PLACE_ICONS: dict[str, tuple[str, str]] = {
    "school": ("S", "Schools"), "park": ("P", "Parks"), "recreation_center": ("R", "Recreation centers"),
    "clinic": ("+", "Clinics"), "place_of_worship": ("W", "Places of worship"), "library": ("L", "Libraries"),
    "other": ("C", "Community centers and other places"),
}

#: Label width (pixels) a typical area must have before names are shown.
LABEL_PX = 110


class BasemapError(ValueError):
    """A ``basemap`` parameter that cannot be used (the message says what to fix)."""


class _LabelZoom(MacroElement):
    """Show the area-name labels only from ``zoom`` on (toggles a class on the map container)."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function(){var m={{ this._parent.get_name() }};
function wbLabels(){var c=m.getContainer();if(m.getZoom()>={{ this.zoom }}){c.classList.add('wb-labels-on');}
else{c.classList.remove('wb-labels-on');}}
m.on('zoomend',wbLabels);m.whenReady(wbLabels);})();
{% endmacro %}
""")

    def __init__(self, zoom: int):
        super().__init__()
        self._name = "LabelZoom"
        self.zoom = int(zoom)


def label_zoom(areas: gpd.GeoDataFrame, px: float = LABEL_PX) -> int:
    """Smallest web-map zoom at which the median area is at least ``px`` pixels wide.

    Web Mercator: ``156543.03 cos(lat) / 2**z`` meters per pixel at zoom ``z``.
    """
    if not len(areas):
        return 13
    proj = areas.to_crs(areas.estimate_utm_crs()) if areas.crs is not None and areas.crs.is_geographic else areas
    width = float(np.sqrt(np.median(proj.geometry.area)))
    lat = float(areas.to_crs(WGS84).geometry.representative_point().y.median())
    z = math.log2(px * 156543.03 * math.cos(math.radians(lat)) / max(width, 1.0))
    return int(min(max(math.ceil(z), 8), 18))


def _text(values: Any) -> list[str]:
    return [html.escape(str(v)) for v in values]


def add_area_outlines(m: folium.Map, areas: gpd.GeoDataFrame, *, figures: pd.DataFrame | None = None,
                      labels: bool = True, zoom: int | None = None, name: str = "Area names") -> folium.FeatureGroup:
    """Area outlines with a tooltip (name + figures) and name labels at readable zoom levels.

    Parameters
    ----------
    m : folium.Map
    areas : GeoDataFrame
        ``area_id``, optional ``name``, polygons (any CRS).
    figures : DataFrame, optional
        Indexed by area id: columns shown in the tooltip under their own names (values already
        suppressed and formatted by the caller).
    labels : bool, default True
        Draw the name labels.
    zoom : int, optional
        Zoom from which labels show (default :func:`label_zoom`).
    name : str
        Layer name of the labels in the layer control.

    Returns
    -------
    folium.FeatureGroup
        The label layer (the outline itself is always on and not in the layer control).
    """
    a = areas.reset_index(drop=True)
    names = area_names(a)
    g = gpd.GeoDataFrame({"Area": _text(names.to_numpy())}, geometry=a.geometry.to_numpy(), crs=a.crs).to_crs(WGS84)
    fields, aliases = ["Area"], ["Area:"]
    if figures is not None and len(figures.columns):
        f = figures.copy()
        f.index = f.index.astype(str)
        for k, col in enumerate(f.columns):
            key = f"f{k}"
            g[key] = _text(a["area_id"].astype(str).map(f[col]).fillna("-"))
            fields.append(key)
            aliases.append(html.escape(f"{col}:"))
    folium.GeoJson(
        g.to_json(drop_id=True), name="Area boundaries", control=False,
        style_function=lambda _: {"fill": True, "fillOpacity": 0.0, "color": "#555555", "weight": 0.8},
        highlight_function=lambda _: {"weight": 2, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
    ).add_to(m)
    fg = folium.FeatureGroup(name=name, show=labels)
    if labels and len(g):
        pts = g.geometry.representative_point()
        lab = gpd.GeoDataFrame({"label": g["Area"].to_numpy()}, geometry=pts.to_numpy(), crs=WGS84)
        folium.GeoJson(
            lab.to_json(drop_id=True),
            marker=folium.Marker(icon=folium.DivIcon(class_name="wb-area-label", icon_size=(120, 16),
                                                     icon_anchor=(60, 8))),
            style_function=lambda f: {"html": f'<span>{f["properties"]["label"]}</span>'},
        ).add_to(fg)
        _LabelZoom(label_zoom(a) if zoom is None else zoom).add_to(m)
    fg.add_to(m)
    return fg


def add_place_icons(m: folium.Map, places: gpd.GeoDataFrame, *, show: bool | Iterable[str] = True,
                    colors: dict[str, str] | None = None) -> list[folium.FeatureGroup]:
    """Places as lettered icons coloured by type, one layer per type (name and type in the tooltip).

    ``show`` is True/False for every layer, or the place kinds whose layers start switched on (the
    others are listed in the layer control, off, so the cells stay readable).
    """
    shown = None if isinstance(show, bool) else {str(k) for k in show}
    from .layers import PLACE_COLORS

    colors = colors or PLACE_COLORS
    p = places.to_crs(WGS84)
    kinds = p["kind"].astype(str) if "kind" in p else pd.Series("other", index=p.index)
    out = []
    for kind in [k for k in PLACE_ICONS if k in set(kinds)] + sorted(set(kinds) - set(PLACE_ICONS)):
        sel = p[(kinds == kind).to_numpy()]
        letter, label = PLACE_ICONS.get(kind, ("?", kind.replace("_", " ").capitalize()))
        color = colors.get(kind, colors.get("other", "#666666"))
        g = gpd.GeoDataFrame({
            "Name": _text(sel["name"].fillna("(unnamed)") if "name" in sel else ["(unnamed)"] * len(sel)),
            "Type": html.escape(label.lower().rstrip("s") if label.endswith("s") else label.lower()),
        }, geometry=sel.geometry.to_numpy(), crs=WGS84)
        icon_html = (f'<div class="wb-place-icon" style="background:{html.escape(color)}">'
                     f"{html.escape(letter)}</div>")
        fg = folium.FeatureGroup(name=f"{label} ({len(sel)})", show=show if shown is None else kind in shown)
        folium.GeoJson(
            g.to_json(drop_id=True),
            marker=folium.Marker(icon=folium.DivIcon(html=icon_html, class_name="wb-place", icon_size=(16, 16),
                                                     icon_anchor=(8, 8))),
            tooltip=folium.GeoJsonTooltip(fields=["Name", "Type"], aliases=["", "Type:"]),
        ).add_to(fg)
        fg.add_to(m)
        out.append(fg)
    return out


_TEMPLATE_KEYS = re.compile(r"\{[zxy]\}")


def add_basemap(m: folium.Map, basemap: dict[str, Any] | None) -> folium.TileLayer | None:
    """Add a tile layer from ``{"url": template, "attribution": text}`` (None: nothing).

    The template must be an ``https://`` URL with ``{z}``, ``{x}`` and ``{y}``; the attribution is
    required (tile providers' terms) and escaped. The map is marked as having tiles on purpose
    (:func:`workbench.maps.offline.map_html` then allows the tile host).
    """
    if not basemap:
        return None
    if not isinstance(basemap, dict):
        raise BasemapError("basemap must be a mapping {url: 'https://.../{z}/{x}/{y}.png', attribution: '...'}")
    unknown = set(basemap) - {"url", "attribution", "name", "max_zoom"}
    if unknown:
        raise BasemapError(f"basemap: unknown key(s) {', '.join(sorted(unknown))} (use url, attribution, name, max_zoom)")
    url = str(basemap.get("url") or "")
    attribution = str(basemap.get("attribution") or "").strip()
    if not url.startswith("https://") or len(set(_TEMPLATE_KEYS.findall(url))) != 3 or any(c in url for c in "\"'<> "):
        raise BasemapError(f"basemap.url must be an https:// tile URL template with {{z}}, {{x}} and {{y}}, got {url!r}")
    if not attribution:
        raise BasemapError("basemap.attribution is required (the tile provider's credit line)")
    layer = folium.TileLayer(tiles=url, attr=html.escape(attribution), name=html.escape(str(basemap.get("name", "Base map"))),
                             max_zoom=int(basemap.get("max_zoom", 19)), overlay=False, control=True)
    layer.add_to(m)
    m.has_tiles = True
    return layer
