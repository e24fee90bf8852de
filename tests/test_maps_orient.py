"""Maps readers can orient by: named outlines with tooltips, labels by zoom, place icons by type,
a scale bar, an optional base map; every data text escaped."""

from __future__ import annotations

import pytest

from workbench.maps import places_map
from workbench.maps.offline import external_references, map_html
from workbench.maps.orient import BasemapError, add_basemap, label_zoom

BASEMAP = {"url": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "© Example <contributors>"}


@pytest.fixture(scope="module")
def city(synthetic_tiny):
    ds = synthetic_tiny.dataset
    return ds, ds.points("incidents")


def test_policy_map_has_named_outlines_labels_icons_and_a_scale_bar(city):
    ds, inc = city
    html = map_html(places_map(inc, areas=ds["areas"], places=ds["places"], min_count=11))
    for name in ds["areas"]["name"]:
        assert name in html  # tooltips and labels carry names
    assert html.count("wb-area-label") >= 2 and "wb-labels-on" in html
    assert "L.control.scale" in html
    assert "Schools (" in html and "wb-place-icon" in html
    assert "Incidents in the period:" in html and "Residents:" in html
    assert not external_references(html)
    assert "L.tileLayer(" not in html  # no base map by default


def test_data_text_is_escaped_everywhere(city):
    ds, inc = city
    areas = ds["areas"].copy()
    areas.loc[0, "name"] = '<img src=x onerror="alert(1)">'
    places = ds["places"].copy()
    places.loc[places.index[0], "name"] = "<script>alert(2)</script>"
    html = map_html(places_map(inc, areas=areas, places=places, min_count=11))
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    text = html.replace("\\u0026", "&")  # JSON inside the page writes & as \u0026
    assert "&lt;img src=x" in text and "&lt;script&gt;alert(2)" in text


def test_basemap_parameter(city):
    ds, inc = city
    m = places_map(inc, areas=ds["areas"], min_count=11, basemap=BASEMAP)
    html = map_html(m)  # tiles on purpose: allowed
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in html
    assert "&lt;contributors&gt;" in html.replace("\\u0026", "&") and "<contributors>" not in html
    for bad in ({"url": "http://t.example.org/{z}/{x}/{y}.png", "attribution": "x"},
                {"url": "https://t.example.org/{z}/{x}.png", "attribution": "x"},
                {"url": "https://t.example.org/{z}/{x}/{y}.png"},
                {"url": "https://t.example.org/{z}/{x}/{y}.png", "attribution": "x", "token": "s"},
                "https://t.example.org/{z}/{x}/{y}.png"):
        with pytest.raises(BasemapError):
            add_basemap(m, bad)


def test_label_zoom_shows_names_when_areas_are_wide_enough(synthetic_demo, synthetic_tiny):
    demo = label_zoom(synthetic_demo.dataset["areas"])
    tiny = label_zoom(synthetic_tiny.dataset["areas"])
    # demo areas ~0.9 km wide: names from zoom 14; the tiny city's ~1 km areas alike
    assert 13 <= demo <= 15 and 12 <= tiny <= 15
