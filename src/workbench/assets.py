"""Offline front-end assets, read from the installed packages that ship them.

Maps must open without internet, so Leaflet's JavaScript and CSS are *inlined* into the map
HTML instead of being linked from a CDN. The files are never copied into this repository: they
are read at render time from the XStatic package that distributes them (``xstatic-leaflet``, a
Python package made to ship the upstream release files), and the small images Leaflet's CSS
refers to (layer-control icon, default marker) are turned into ``data:`` URIs.

Everything is cached per process (the files do not change while it runs).
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

__all__ = ["AssetMissing", "asset_versions", "leaflet_css", "leaflet_dir", "leaflet_js"]

_CSS_URL = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.M)


class AssetMissing(RuntimeError):
    """A front-end asset package is not installed."""


@lru_cache(maxsize=1)
def leaflet_dir() -> Path:
    """Folder of the Leaflet release files inside the ``xstatic-leaflet`` package.

    Raises
    ------
    AssetMissing
        When ``xstatic-leaflet`` is not installed.
    """
    try:
        import xstatic.pkg.leaflet as pkg
    except ImportError as exc:  # pragma: no cover - dependency
        raise AssetMissing(
            "offline maps need the 'xstatic-leaflet' package (pip install xstatic-leaflet)"
        ) from exc
    return Path(pkg.BASE_DIR)


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Minified Leaflet JavaScript (source-map comment removed), ready for an inline ``<script>``."""
    text = (leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    text = _SOURCE_MAP.sub("", text)
    return text.replace("</script", "<\\/script")  # cannot end the inline element early


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet CSS with its ``images/*.png`` references replaced by ``data:image/png`` URIs."""
    base = leaflet_dir()
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        path = base / match.group(2)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'url("data:image/png;base64,{data}")'

    return _CSS_URL.sub(inline, css).replace("</style", "<\\/style")


def asset_versions() -> dict[str, str]:
    """Installed versions of the asset packages, e.g. ``{'XStatic-Leaflet': '1.9.3.0'}``."""
    out = {}
    for dist in ("XStatic-Leaflet",):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[dist] = "missing"
    return out
