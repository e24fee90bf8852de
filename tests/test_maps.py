"""Offline folium maps: no network references, Leaflet inlined, policy mode never shows an incident."""

from __future__ import annotations

import html as html_lib
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from workbench import spatial as sp
from workbench.assets import leaflet_css, leaflet_js
from workbench.maps import (
    OfflineMap,
    OfflineMapError,
    external_references,
    kde_visible,
    map_html,
    places_map,
)

MIN = 11


@pytest.fixture(scope="module")
def layers(tiny_dataset):
    ds = tiny_dataset
    inc = ds.points("incidents")
    kd = sp.KernelDensity(bandwidth=250, cell_size=50).fit(inc)
    gi = sp.grid_counts(inc, cell_m=250)
    gi = gi.join(sp.getis_ord(gi, "count", "queen", permutations=0)[["cls"]])
    gi["label"] = np.where((gi["count"] > 0) & (gi["count"] < MIN), f"<{MIN}", gi["count"].astype(str))
    ex = sp.exposure_zones(inc, ds["areas"], ds.get("places"))
    dose = sp.exposure_dose(ex)
    ti = sp.trauma_index(ds["areas"], dose.set_index("area_id")["dose_per_resident_year"])
    return dict(incidents=inc, areas=ds["areas"], places=ds.get("places"), kde=kd, gi=gi, exposure=ex, trauma=ti)


@pytest.fixture(scope="module")
def policy_html(layers):
    return map_html(places_map(mode="policy", min_count=MIN, tiles="OpenStreetMap", **layers))


@pytest.fixture(scope="module")
def researcher_html(layers):
    return map_html(places_map(mode="researcher", min_count=MIN, **layers))


def _coordinates(html: str) -> set[tuple[float, float]]:
    """Every (lon, lat) pair written in the page's GeoJSON, rounded to 6 decimals (~0.1 m)."""
    nums = re.findall(r"\[\s*(-?\d+\.\d+)\s*,\s*(-?\d+\.\d+)\s*\]", html)
    return {(round(float(a), 6), round(float(b), 6)) for a, b in nums}


def test_map_is_offline_with_leaflet_inline(policy_html):
    assert external_references(policy_html) == []
    assert not re.search(r"<script[^>]+src=", policy_html)
    assert not re.search(r"<link[^>]+href=", policy_html)
    assert leaflet_js()[:2000] in policy_html and 'version="1.9.3"' in policy_html
    assert ".leaflet-container" in policy_html and "data:image/png;base64," in policy_html
    for cdn in ("cdn.jsdelivr", "code.jquery", "cdnjs", "bootstrapcdn", "awesome-markers", "font-awesome"):
        assert cdn not in policy_html
    assert "L.tileLayer(" not in policy_html  # policy mode never fetches tiles, even when asked
    # every http(s) string left is text inside Leaflet (attribution link, SVG namespace, a comment)
    left = set(re.findall(r"https?://[^\s\"'<>)\\]+", policy_html))
    assert left <= {"https://leafletjs.com", "http://www.w3.org/2000/svg",
                    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319"}, left


def test_assets_come_from_the_installed_package():
    css = leaflet_css()
    assert "url(images/" not in css and css.count("data:image/png;base64,") == 3
    assert "sourceMappingURL" not in leaflet_js()


def test_notebook_iframe_embeds_the_offline_map(layers):
    m = places_map(mode="policy", min_count=MIN, **layers)
    frame = m._repr_html_()
    assert frame.count("<iframe srcdoc=") == 1
    inner = html_lib.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert external_references(inner) == [] and 'version="1.9.3"' in inner
    assert external_references(frame) == []


def test_layers_legends_and_control(policy_html, researcher_html):
    for name in ("Incidents per 250 m cell", "Density (smoothed)", "Hot and cold spots (Gi*)",
                 "Exposure zones (areas)", "Trauma context index", "Places"):
        assert name in policy_html
    assert "L.control.layers(" in policy_html and "wb-legend" in policy_html
    assert "overlayadd" in policy_html  # legends follow their layers
    assert "Incidents (exact points)" in researcher_html and "Exposure zones (circles)" in researcher_html


def test_policy_map_shows_no_incident(layers, policy_html, researcher_html):
    inc = layers["incidents"].to_crs("EPSG:4326")
    pts = {(round(x, 6), round(y, 6)) for x, y in zip(inc.geometry.x, inc.geometry.y)}
    assert not pts & _coordinates(policy_html)
    assert not any(i in policy_html for i in layers["incidents"]["incident_id"])
    assert "Exposure zones (circles)" not in policy_html
    # the same check finds them in researcher mode (so it would catch a leak)
    assert len(pts & _coordinates(researcher_html)) > 0.9 * len(pts)
    assert layers["incidents"]["incident_id"].iloc[0] in researcher_html


def test_policy_cells_suppress_small_counts(layers, policy_html):
    from workbench.sections.places import map_cells

    cells = map_cells(layers["incidents"], 250, "hexagon", MIN)
    small = cells["count"] < MIN
    assert small.any() and (cells.loc[small, "label"] == f"<{MIN}").all()
    assert (cells.loc[~small, "label"] == cells.loc[~small, "count"].astype(str)).all()
    tooltips = re.findall(r'"incidents":\s*"([^"]*)"', policy_html)
    assert tooltips and all(t in (f"\\u003c{MIN}", f"<{MIN}", f"\\u0026lt;{MIN}", f"&lt;{MIN}") or int(t) >= MIN
                            for t in tooltips)  # "<11", HTML-escaped for the tooltip


@pytest.mark.parametrize("shape", ["hexagon", "square"])
def test_cell_counts_partition_the_points(shape):
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 2000, (3000, 2)) + [500_000, 4_600_000]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32616")
    cells = sp.cell_counts(pts, cell_m=200, shape=shape)
    assert cells["count"].sum() == len(xy) and cells["cell_id"].is_unique
    area = 200 * 200 * (np.sqrt(3) / 2 if shape == "hexagon" else 1)
    assert np.allclose(cells.area, area)
    hit = gpd.sjoin(pts, cells, predicate="intersects")  # each point in exactly its counted cell
    counts = hit.groupby("cell_id").size()
    assert counts.index.nunique() == len(cells)
    assert (hit.index.value_counts() <= 2).all()  # on a shared edge at most
    tree = shapely.STRtree(cells.geometry.to_numpy())
    assert len(np.unique(tree.query(pts.geometry.to_numpy(), predicate="within")[0])) >= len(xy) - 5


def test_kde_hides_isolated_incidents():
    rng = np.random.default_rng(5)
    cluster = rng.normal(0, 60, (200, 2))
    lone = np.array([[3000.0, 3000.0]])
    xy = np.vstack([cluster, lone]) + [500_000, 4_600_000]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32616")
    kd = sp.KernelDensity(bandwidth=250, cell_size=50).fit(pts)
    vis = kde_visible(kd, xy, MIN)
    ix = np.argmin(np.abs(kd.x_ - xy[-1, 0]))
    iy = np.argmin(np.abs(kd.y_ - xy[-1, 1]))
    assert kd.density_[iy, ix] > 0 and not vis[iy - 5:iy + 6, ix - 5:ix + 6].any()
    cx, cy = np.argmin(np.abs(kd.x_ - 500_000)), np.argmin(np.abs(kd.y_ - 4_600_000))
    assert vis[cy, cx]
    assert kde_visible(kd, None, MIN).sum() == (kd.density_ > 0).sum()


def test_map_html_refuses_external_links(layers):
    import folium

    m = OfflineMap([41.8, -87.7])
    folium.Marker([41.8, -87.7]).add_to(m)
    map_html(m)  # plain markers are fine (icon from the inlined CSS)
    m2 = folium.Map([41.8, -87.7], tiles=None)  # folium's own map links CDNs
    with pytest.raises(OfflineMapError):
        map_html(m2)


def test_researcher_tiles_are_optional(layers):
    html = map_html(places_map(mode="researcher", tiles="OpenStreetMap", **layers))
    assert "L.tileLayer(" in html and "tile.openstreetmap.org" in html
    assert external_references(html) == []  # tiles are fetched by Leaflet, not linked by the page


def test_bad_mode(layers):
    with pytest.raises(ValueError, match="mode"):
        places_map(layers["incidents"], mode="public")


def test_map_with_no_significant_cell_renders(layers):
    """A valid small city can have no significant Gi* cell and no place: the layers are empty, not a crash."""
    gi = layers["gi"].copy()
    gi["cls"] = "not significant"
    html = map_html(places_map(mode="policy", min_count=MIN, **{**layers, "gi": gi, "places": layers["places"].iloc[:0]}))
    assert "none significant" in html
