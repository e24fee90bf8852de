"""A folium map that renders without internet: Leaflet inlined, no CDN links, no default plugins.

:class:`OfflineMap` is a :class:`folium.Map` whose ``default_js``/``default_css`` (folium's CDN links
to Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers) are empty; on render it puts
Leaflet's JavaScript and CSS, read from the installed ``xstatic-leaflet`` package by
:mod:`workbench.assets`, into the page header as inline ``<script>``/``<style>`` elements. The
notebook display (``_repr_html_``, an ``<iframe srcdoc=...>``) and :func:`map_html` both go
through that render, so the map embedded in a notebook output, and hence in the nbconvert HTML,
is the offline one.

:func:`external_references` lists what a page would fetch from the network; :func:`map_html`
refuses to return a page with any (tile URLs excepted, when the map has tiles on purpose).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure

from workbench.assets import leaflet_css, leaflet_js

__all__ = ["OfflineMap", "OfflineMapError", "external_references", "map_html", "save_map"]

#: Extra CSS for legends and suppressed cells (ours, not third-party).
WORKBENCH_CSS = """
.wb-legend{background:rgba(255,255,255,.92);padding:6px 8px;font:12px/1.35 sans-serif;
  border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);max-width:240px}
.wb-legend b{display:block;margin-bottom:3px}
.wb-legend i{display:inline-block;width:14px;height:12px;margin-right:5px;vertical-align:-1px;
  border:1px solid #777}
.wb-legend small{display:block;color:#444;margin-top:3px}
.leaflet-container{background:#f4f4f2}
.wb-area-label{display:none;font:11px/1.2 sans-serif;color:#222;text-align:center;white-space:nowrap;
  text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;pointer-events:none;background:none;border:none}
.wb-labels-on .wb-area-label{display:block}
.wb-place{background:none;border:none}
.wb-place-icon{width:14px;height:14px;border-radius:50%;color:#fff;font:bold 9px/14px sans-serif;
  text-align:center;border:1px solid #fff;box-shadow:0 0 2px rgba(0,0,0,.7)}
"""

# resources fetched by the browser: <script src>, <link href>, <img src>, <iframe src>, CSS url()/@import
_RESOURCE = re.compile(
    r"""<(?:script|img|iframe|source|embed)\b[^>]*?\bsrc\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*?\bhref\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)"""
    r"""|url\(\s*["']?\s*((?:https?:)?//[^"')\s]+)"""
    r"""|@import\s+["']((?:https?:)?//[^"']+)""",
    re.I,
)


class OfflineMapError(RuntimeError):
    """The rendered map still references an external script, stylesheet or image."""


class OfflineMap(folium.Map):
    """:class:`folium.Map` with Leaflet inlined and no CDN links (see module docstring).

    Parameters
    ----------
    location, zoom_start, **kwargs
        As :class:`folium.Map`. ``tiles`` defaults to ``None`` (no basemap: nothing is fetched,
        the vector and image layers still show on a plain background). Pass e.g.
        ``tiles='OpenStreetMap'`` for a basemap when online.
    """

    default_js: list = []
    default_css: list = []

    def __init__(self, location: Any = None, *, tiles: Any = None, zoom_start: int = 12, **kwargs: Any) -> None:
        kwargs.setdefault("control_scale", True)
        super().__init__(location=location, tiles=tiles, zoom_start=zoom_start, **kwargs)
        self.has_tiles = bool(tiles)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        """Folium's notebook HTML, marked as a workbench map in the output's metadata: the report
        export keeps exactly these outputs' scripts (every other HTML output is sanitized,
        :func:`workbench.escape.sanitize_html`)."""
        return {"text/html": self._repr_html_()}, {"text/html": {"workbench_map": True}}

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
        header = figure.header
        # named children: re-rendering replaces them instead of adding copies
        header.add_child(Element(f"<style>{leaflet_css()}</style>"), name="leaflet_css_inline")
        header.add_child(Element(f"<style>{WORKBENCH_CSS}</style>"), name="workbench_css_inline")
        header.add_child(Element(f"<script>{leaflet_js()}</script>"), name="leaflet_js_inline")
        super().render(**kwargs)


def external_references(html: str) -> list[str]:
    """URLs of scripts, stylesheets, images and frames a page would fetch over the network.

    Anchors (``<a href>``), XML namespaces and text are not fetched and not listed; tile URL
    templates live in JavaScript strings and are not listed either (see :func:`map_html`).
    """
    return [next(g for g in m.groups() if g) for m in _RESOURCE.finditer(html)]


def _root(m: folium.Map) -> Figure:
    if m._parent is None:
        Figure().add_child(m)
    return m.get_root()


def map_html(m: folium.Map) -> str:
    """The full HTML page of a map, checked to be offline.

    Raises
    ------
    OfflineMapError
        When the page references an external resource, or tile URLs although the map has no
        tiles on purpose.
    """
    html = _root(m).render()
    refs = external_references(html)
    if refs:
        raise OfflineMapError(f"map references external resources: {refs[:5]}")
    if not getattr(m, "has_tiles", False) and re.search(r"L\.tileLayer\(", html):
        raise OfflineMapError("map has a tile layer although tiles are off")
    return html


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write :func:`map_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(map_html(m), encoding="utf-8")
    return path
