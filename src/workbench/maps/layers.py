"""Map layers: each function adds one toggleable layer (and its legend) to a folium map.

All inputs are in a projected CRS (meters) or any CRS with a known ``crs``; they are reprojected
to WGS84 for Leaflet here. Colours come from :mod:`workbench.plots.palette` (Okabe-Ito for kinds,
colour-blind-safe colormaps for values, drawn with matplotlib's colormaps; pyplot is not imported);
legends are small Leaflet controls shown only while their layer is on (:class:`Legend`).

Privacy: :func:`workbench.maps.add_cells`, :func:`add_gi`, :func:`add_exposure_areas`, :func:`add_kde` (with
``min_support``) and :func:`add_trauma` never draw a single incident's location; only
:func:`add_incidents` and :func:`add_exposure_circles` do, and :mod:`workbench.maps.build` calls
them in researcher mode only.
"""

from __future__ import annotations

import html
from typing import Any, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template
from matplotlib import colormaps
from matplotlib.colors import to_hex
from pyproj import Transformer
from scipy.spatial import cKDTree

from workbench.data.units import format_distance
from workbench.escape import html_text
from workbench.plots import palette as pal
from workbench.privacy import enough

__all__ = [
    "GI_COLORS",
    "Legend",
    "add_exposure_areas",
    "add_exposure_circles",
    "add_gi",
    "add_incidents",
    "add_kde",
    "add_places",
    "add_trauma",
    "class_colors",
    "kde_visible",
]

WGS84 = "EPSG:4326"
SUPPRESSED_COLOR = "#bdbdbd"

#: Gi* class -> colour (ColorBrewer RdBu, :data:`workbench.plots.palette.DIVERGING_6`: red hot, blue cold).
GI_COLORS = dict(zip(
    ["hot spot 99%", "hot spot 95%", "hot spot 90%", "cold spot 90%", "cold spot 95%", "cold spot 99%"],
    pal.DIVERGING_6,
))

#: Place kind -> colour (Okabe-Ito; 'other' neutral grey).
PLACE_COLORS = {
    "school": pal.BLUE, "park": pal.BLUISH_GREEN, "recreation_center": pal.ORANGE, "clinic": pal.REDDISH_PURPLE,
    "place_of_worship": pal.SKY_BLUE, "library": pal.BLACK, "other": "#666666",
}

#: Incident kind -> colour (Okabe-Ito), researcher-mode points.
INCIDENT_COLORS = {"fatal_shooting": pal.VERMILLION, "nonfatal_shooting": pal.ORANGE, "shots_fired": pal.SKY_BLUE}

#: Exposure-zone circles (researcher mode).
EXPOSURE_ZONE_COLOR = pal.REDDISH_PURPLE


class Legend(MacroElement):
    """A legend box (Leaflet control) tied to an overlay: shown while the layer is on.

    Parameters
    ----------
    title : str
    items : sequence of (colour, label)
    note : str, optional
        Small print under the items.
    layer : folium layer, optional
        The overlay; when given, the legend follows its on/off state in the layer control.
    position : str, default 'bottomright'
    opacity : float, default 1
        Fill opacity of the swatches (that of the layer's fill, so colours match the map).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
{{ this.get_name() }}.onAdd = function (map) {
    var div = L.DomUtil.create('div', 'wb-legend');
    div.innerHTML = {{ this.html|tojson }};
    return div;
};
{% if this.layer_name %}
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{{ this._parent.get_name() }}.on('overlayadd', function (e) {
    if (e.name === {{ this.layer_name|tojson }}) { {{ this.get_name() }}.addTo({{ this._parent.get_name() }}); }
});
{{ this._parent.get_name() }}.on('overlayremove', function (e) {
    if (e.name === {{ this.layer_name|tojson }}) { {{ this.get_name() }}.remove(); }
});
{% else %}
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endif %}
{% endmacro %}
"""
    )

    def __init__(self, title: str, items: Sequence[tuple[str, str]], note: str | None = None,
                 layer: Any = None, position: str = "bottomright", opacity: float = 1.0) -> None:
        super().__init__()
        self._name = "Legend"
        rows = "".join(f'<div><i style="background:{c};opacity:{opacity:g}"></i>{html.escape(str(lab))}</div>'
                       for c, lab in items)
        small = f"<small>{html.escape(note)}</small>" if note else ""
        self.html = f"<b>{html.escape(title)}</b>{rows}{small}"
        self.position = position
        self.layer_name = getattr(layer, "layer_name", None)
        self.show = bool(getattr(layer, "show", True))


# -- helpers ----------------------------------------------------------------------------------
def class_colors(values: np.ndarray, k: int = 5, cmap: str = pal.COUNTS, scheme: str = "quantile") -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Colour per value from ``k`` classes (quantile or equal-interval), and the legend items.

    NaN values get the suppressed grey and no legend item (the caller adds one if needed).
    """
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    colors = np.full(len(v), SUPPRESSED_COLOR, dtype=object)
    if not ok.any():
        return colors, []
    if scheme == "quantile":
        edges = np.unique(np.quantile(v[ok], np.linspace(0, 1, k + 1)))
    else:
        edges = np.unique(np.linspace(v[ok].min(), v[ok].max(), k + 1))
    if len(edges) < 2:
        edges = np.array([v[ok].min(), v[ok].min() + 1e-9])
    n_cls = len(edges) - 1
    cls = np.clip(np.searchsorted(edges, v[ok], side="right") - 1, 0, n_cls - 1)
    cm = colormaps[cmap]
    palette = [to_hex(cm(0.15 + 0.85 * i / max(n_cls - 1, 1))) for i in range(n_cls)]
    colors[ok] = np.asarray(palette, dtype=object)[cls]
    if np.all(v[ok] == np.round(v[ok])):  # counts: whole-number classes that do not overlap
        return colors, _integer_items(edges, palette, int(v[ok].max()))
    fmt = _fmt(edges)
    items = [(palette[i], f"{fmt(edges[i])} to {fmt(edges[i + 1])}") for i in range(n_cls)]
    return colors, items


def _integer_items(edges: np.ndarray, palette: list[str], top: int) -> list[tuple[str, str]]:
    """Legend items for whole numbers: class ``i`` holds ``edges[i] <= v < edges[i + 1]`` (the
    last also ``v = top``), labelled ``"12 to 15"`` or ``"11"``; classes holding no whole number
    are left out."""
    items = []
    for i, color in enumerate(palette):
        lo = int(np.ceil(edges[i]))
        hi = top if i == len(palette) - 1 else int(np.ceil(edges[i + 1])) - 1
        if hi >= lo:
            items.append((color, f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"))
    return items


def _fmt(edges: np.ndarray):
    span = float(np.nanmax(np.abs(edges))) if len(edges) else 1.0
    if span >= 100:
        return lambda x: f"{x:,.0f}"
    if span >= 1:
        return lambda x: f"{x:,.1f}"
    return lambda x: f"{x:.3g}"


def _area_label(a: pd.DataFrame, id_column: str = "area_id") -> np.ndarray:
    """Tooltip text of each area: its name (else its id), HTML-escaped (tooltips render HTML)."""
    from workbench.data.names import area_names

    names = area_names(a.rename(columns={id_column: "area_id"}) if id_column != "area_id" else a)
    return np.asarray([html.escape(str(v)) for v in names.to_numpy()], dtype=object)


def _to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValueError("layer data need a CRS")
    return gdf.to_crs(WGS84)


def _geojson_layer(gdf: gpd.GeoDataFrame, name: str, colors: np.ndarray, fields: list[str], aliases: list[str],
                   show: bool, opacity: float = 0.65, weight: float = 0.5) -> folium.FeatureGroup:
    """One GeoJson overlay with per-feature colours (``_color``) and a tooltip."""
    g = _to_wgs84(gdf[fields + ["geometry"]].copy())
    for f in fields:  # JSON-safe; text HTML-escaped: folium's tooltip writes it as innerHTML
        if not pd.api.types.is_numeric_dtype(g[f]) or pd.api.types.is_bool_dtype(g[f]):
            g[f] = g[f].astype(str).map(html_text)
    g["_color"] = list(colors)
    fg = folium.FeatureGroup(name=name, show=show)
    folium.GeoJson(
        g.to_json(drop_id=True),
        style_function=lambda f: {"fillColor": f["properties"]["_color"], "color": "#555555",
                                  "weight": weight, "fillOpacity": opacity},
        highlight_function=lambda f: {"weight": 2, "color": "#000000"},
        # folium refuses a tooltip whose fields an empty layer does not have: no features, no tooltip
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, localize=True) if fields and len(g) else None,
        name=name,
    ).add_to(fg)
    return fg


# -- layers -----------------------------------------------------------------------------------
def add_incidents(m: folium.Map, incidents: gpd.GeoDataFrame, *, name: str = "Incidents (exact points)",
                  show: bool = True, fields: Sequence[str] = ("incident_id", "occurred_at", "kind"),
                  color_by: str = "kind") -> folium.FeatureGroup:
    """Exact incident points (researcher mode only)."""
    fields = [f for f in fields if f in incidents.columns]
    palette = INCIDENT_COLORS
    kinds = incidents[color_by].astype(str) if color_by in incidents else pd.Series("", index=incidents.index)
    colors = kinds.map(palette).fillna("#444444").to_numpy(object)
    g = _to_wgs84(incidents[fields + ["geometry"]].copy())
    for f in fields:
        g[f] = g[f].astype(str)
    g["_color"] = colors
    return _point_layer(m, g, name, show, fields, "Incidents", palette, kinds,
                        radius=3, weight=0.5, fill_opacity=0.8, stroke="#222222")


def kde_visible(kd: Any, support_points: np.ndarray | None = None, min_count: int = 11) -> np.ndarray:
    """Cells of a fitted density that may be drawn: positive, and (with ``support_points``) with at least
    ``min_count`` points within one bandwidth of the cell center.

    Returns
    -------
    ndarray of bool, shape ``kd.density_.shape``
    """
    dens = np.asarray(kd.density_, float)
    ny, nx = dens.shape
    vis = dens > 0
    if support_points is not None and len(support_points):
        xx, yy = np.meshgrid(kd.x_, kd.y_)
        centers = np.column_stack([xx.ravel(), yy.ravel()])
        tree = cKDTree(np.asarray(support_points, float))
        n_near = tree.query_ball_point(centers, r=float(kd.bandwidth), return_length=True).reshape(ny, nx)
        vis &= enough(n_near, min_count)
    elif support_points is not None:
        vis[:] = False
    return vis


def add_kde(m: folium.Map, kd: Any, *, name: str = "Density (smoothed)", show: bool = False,
            min_support: np.ndarray | None = None, support_points: np.ndarray | None = None,
            min_count: int = 11, cmap: str = pal.DENSITY, opacity: float = 0.7,
            distance_unit: str = "m") -> folium.raster_layers.ImageOverlay:
    """Kernel density surface (a fitted :class:`workbench.spatial.KernelDensity`) as an inline PNG.

    Parameters
    ----------
    kd : KernelDensity
        Fitted, with ``crs_`` set (a GeoDataFrame input).
    support_points : (n, 2) array, optional
        The incident coordinates (meters). When given, cells with fewer than ``min_count``
        incidents within one bandwidth of their center are left transparent, so the surface never
        shows the bump of an isolated incident (policy mode).
    """
    dens = np.asarray(kd.density_, float)
    vis = kde_visible(kd, support_points, min_count)
    per_km2 = dens * 1e6
    top = np.quantile(per_km2[vis], 0.99) if vis.any() else 1.0
    scaled = np.clip(per_km2 / (top or 1.0), 0, 1)
    rgba = colormaps[cmap](scaled)
    rgba[..., 3] = np.where(vis, 0.25 + 0.75 * scaled, 0.0)
    half = kd.cell_size / 2
    tr = Transformer.from_crs(kd.crs_, WGS84, always_xy=True)
    lon, lat = tr.transform([kd.x_[0] - half, kd.x_[-1] + half], [kd.y_[0] - half, kd.y_[-1] + half])
    layer = folium.raster_layers.ImageOverlay(
        image=(rgba * 255).astype(np.uint8), bounds=[[lat[0], lon[0]], [lat[1], lon[1]]], origin="lower",
        opacity=opacity, name=name, show=show, interactive=False,
    )
    layer.add_to(m)
    fmt = _fmt(np.array([top]))
    steps = [0.1, 0.4, 0.7, 1.0]
    items = [(to_hex(colormaps[cmap](s)), f"{fmt(s * top)} per km²" + ("+" if s == 1.0 else "")) for s in steps]
    note = "Smoothed incidents per km² over the period"
    if support_points is not None:
        note += (f"; blank where fewer than {min_count} incidents lie within "
                 f"{format_distance(kd.bandwidth, distance_unit)}")
    Legend("Density", items, note=note, layer=layer).add_to(m)
    return layer


def add_gi(m: folium.Map, cells: gpd.GeoDataFrame, *, name: str = "Hot and cold spots (Gi*)", show: bool = False,
           min_count: int = 11, label: str = "label") -> folium.FeatureGroup:
    """Getis-Ord Gi* classes on cells or areas (column ``cls``); non-significant units not drawn.

    ``cells`` needs ``cls`` and a display column ``label`` (a suppressed count label or a name).
    """
    sig = cells[cells["cls"] != "not significant"].copy()
    colors = sig["cls"].map(GI_COLORS).fillna("#999999").to_numpy(object)
    sig["class"] = sig["cls"]
    fields = ["class"] + ([label] if label in sig else [])
    aliases = ["Gi* class:"] + (["Incidents:"] if label in sig else [])
    fg = _geojson_layer(sig, name, colors, fields, aliases, show, opacity=0.7)
    fg.add_to(m)
    present = [c for c in GI_COLORS if c in set(sig["cls"])]
    note = "Confidence after false-discovery-rate adjustment; cells without significant clustering are not drawn"
    Legend("Gi* hot and cold spots", [(GI_COLORS[c], c) for c in present] or [("#ffffff", "none significant")],
           note=note, layer=fg, opacity=0.7).add_to(m)
    return fg


def add_exposure_areas(m: folium.Map, areas: gpd.GeoDataFrame, exposures: pd.Series, *, min_count: int,
                       name: str = "Exposure zones (areas)", show: bool = False,
                       id_column: str = "area_id") -> folium.FeatureGroup:
    """Policy-mode exposure: areas touched by exposure zones, coloured by how many zones touched them.

    Zones are drawn as the union of the areas they overlap (never as circles around a shooting);
    areas touched by fewer than ``min_count`` zones are grey and show ``'<11'``.
    """
    from workbench.privacy import suppressed_mask, suppression_marker

    a = areas.copy()
    a[id_column] = a[id_column].astype(str)
    n = a[id_column].map(exposures.rename(index=str)).fillna(0).to_numpy(float)
    a = a[n > 0].copy()
    n = n[n > 0]
    sup = suppressed_mask(n, min_count)
    colors, items = class_colors(np.where(sup, np.nan, n), cmap=pal.EXPOSURE)
    a["zones"] = np.where(sup, suppression_marker(min_count), n.astype(int).astype(str))
    a["area"] = _area_label(a, id_column)
    fg = _geojson_layer(a, name, colors, ["area", "zones"], ["Area:", "Exposure zones:"], show, opacity=0.55)
    fg.add_to(m)
    if sup.any():
        items.append((SUPPRESSED_COLOR, f"fewer than {min_count} (hidden)"))
    Legend("Exposure zones touching the area", items, layer=fg, opacity=0.55).add_to(m)
    return fg


def add_exposure_circles(m: folium.Map, zones: gpd.GeoDataFrame, *, name: str = "Exposure zones (circles)",
                         show: bool = False, distance_unit: str = "m") -> folium.FeatureGroup:
    """Researcher mode: each zone polygon (circle around a shooting) with its dates and residents."""
    z = zones.copy()
    z["from"] = z["start"].dt.strftime("%Y-%m-%d")
    z["to"] = z["end"].dt.strftime("%Y-%m-%d")
    z["residents"] = z["residents_exposed"].round(0)
    fields = [f for f in ("incident_id", "from", "to", "residents", "n_places") if f in z]
    colors = np.full(len(z), EXPOSURE_ZONE_COLOR, dtype=object)
    fg = _geojson_layer(z, name, colors, fields, [f"{f}:" for f in fields], show, opacity=0.2, weight=1)
    fg.add_to(m)
    radius = format_distance(float(zones["radius_m"].iloc[0]), distance_unit) if len(zones) else ""
    Legend("Exposure zones", [(EXPOSURE_ZONE_COLOR, f"{radius} around a shooting" if len(zones) else "none")],
           layer=fg).add_to(m)
    return fg


def add_places(m: folium.Map, places: gpd.GeoDataFrame, *, name: str = "Places", show: bool = True) -> folium.FeatureGroup:
    """Public places (schools, parks, clinics...) as small circles with kind and name."""
    p = places[[c for c in ("kind", "name") if c in places] + ["geometry"]].copy()
    kinds = p["kind"].astype(str) if "kind" in p else pd.Series("other", index=p.index)
    p["_color"] = kinds.map(PLACE_COLORS).fillna(PLACE_COLORS["other"]).to_numpy(object)
    g = _to_wgs84(p)
    for f in ("kind", "name"):
        if f in g:
            g[f] = g[f].astype(str).str.replace("_", " ")
    fields = [f for f in ("kind", "name") if f in g]
    return _point_layer(m, g, name, show, fields, "Places", PLACE_COLORS, kinds,
                        radius=4, weight=1, fill_opacity=0.9, stroke="#ffffff")


def _point_layer(m: folium.Map, g: gpd.GeoDataFrame, name: str, show: bool, fields: list[str],
                 legend_title: str, palette: dict[str, str], kinds: pd.Series, *, radius: float,
                 weight: float, fill_opacity: float, stroke: str) -> folium.FeatureGroup:
    """Circle markers coloured by ``g["_color"]`` with tooltips, and a legend of the kinds present."""
    g = g.copy()
    for f in fields:  # text HTML-escaped: folium's tooltip writes it as innerHTML
        if not pd.api.types.is_numeric_dtype(g[f]) or pd.api.types.is_bool_dtype(g[f]):
            g[f] = g[f].astype(str).map(html_text)
    fg = folium.FeatureGroup(name=name, show=show)
    folium.GeoJson(
        g.to_json(drop_id=True),
        marker=folium.CircleMarker(radius=radius, weight=weight, fill=True, fill_opacity=fill_opacity),
        style_function=lambda f: {"fillColor": f["properties"]["_color"], "color": stroke},
        tooltip=folium.GeoJsonTooltip(fields=fields) if fields and len(g) else None,
        name=name,
    ).add_to(fg)
    fg.add_to(m)
    present = [k for k in palette if k in set(kinds)]
    Legend(legend_title, [(palette[k], k.replace("_", " ")) for k in present], layer=fg).add_to(m)
    return fg


def add_trauma(m: folium.Map, areas: gpd.GeoDataFrame, index: pd.DataFrame, *, name: str = "Trauma context index",
               show: bool = False, id_column: str = "area_id") -> folium.FeatureGroup:
    """Choropleth of :func:`workbench.spatial.trauma_index` (quintiles; rank and index in the tooltip)."""
    a = areas[[id_column, "geometry"] + (["name"] if "name" in areas else [])].copy()
    a[id_column] = a[id_column].astype(str)
    ti = index.set_index(index[id_column].astype(str))
    a["index"] = a[id_column].map(ti["index"]).astype(float).round(2)
    a["rank"] = a[id_column].map(ti["rank"].astype("Float64")).astype(float)
    colors, items = class_colors(a["index"].to_numpy(), cmap=pal.RATES)
    a["area"] = _area_label(a, id_column)
    a["rank_label"] = a["rank"].map(lambda r: "n/a" if pd.isna(r) else f"{int(r)}")
    a["index_label"] = a["index"].map(lambda v: "n/a" if pd.isna(v) else f"{v:.2f}")
    fg = _geojson_layer(a, name, colors, ["area", "rank_label", "index_label"], ["Area:", "Rank:", "Index:"], show)
    fg.add_to(m)
    if a["index"].isna().any():
        items.append((SUPPRESSED_COLOR, "too little information"))
    Legend("Trauma context index (quintiles)", items, note="Higher = heavier exposure and hardship", layer=fg,
           opacity=0.65).add_to(m)
    return fg
