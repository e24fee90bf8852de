"""The city's geography: outline, areas with socioeconomic gradients, places, point sampling.

Everything is built in the projected CRS (meters) of :class:`~workbench.synth.params.Params`
and converted to WGS84 only when the tables are assembled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.special import expit, logit

from .names import place_names
from .params import Params
from .scales import Scale


@dataclass
class Geography:
    """Areas of the city in the projected CRS.

    Attributes
    ----------
    outline : shapely.Polygon
        City outline (meters).
    polygons : numpy.ndarray of shapely geometries
        One polygon per area (meters), area ``k`` has id ``A{k+1:04d}``.
    center_x, center_y : float
        City center (meters).
    disadvantage : numpy.ndarray
        Latent disadvantage field at each area's centroid (standardized, SD units).
    attributes : pandas.DataFrame
        population, households, unemployment_rate, food_insecurity_rate, vacancy_rate,
        median_income, children (one row per area).
    """

    outline: shapely.Polygon
    polygons: np.ndarray
    center_x: float
    center_y: float
    disadvantage: np.ndarray
    attributes: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of areas."""
        return len(self.polygons)

    @property
    def population(self) -> np.ndarray:
        """Residents per area (int64)."""
        return self.attributes["population"].to_numpy(dtype=np.int64)


def to_projected(params: Params) -> Transformer:
    """WGS84 -> projected CRS transformer (``always_xy``)."""
    return Transformer.from_crs("EPSG:4326", params.crs, always_xy=True)


def to_wgs84(params: Params) -> Transformer:
    """Projected CRS -> WGS84 transformer (``always_xy``)."""
    return Transformer.from_crs(params.crs, "EPSG:4326", always_xy=True)


def make_outline(cx: float, cy: float, radius_m: float, rng: np.random.Generator) -> shapely.Polygon:
    """A smooth irregular outline with a straight 'lakefront' on the east side.

    ``r(theta) = R (1 + sum_k a_k cos(k theta + phi_k))`` for ``k = 2..4``, clipped at
    ``x <= cx + 0.8 R``.
    """
    theta = np.linspace(0.0, 2 * np.pi, 181)[:-1]
    k = np.arange(2, 5)
    amp = rng.uniform(0.04, 0.12, size=k.size)
    phase = rng.uniform(0, 2 * np.pi, size=k.size)
    r = radius_m * (1 + (amp[:, None] * np.cos(k[:, None] * theta + phase[:, None])).sum(0))
    ring = shapely.Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))
    lake = shapely.box(cx - 3 * radius_m, cy - 3 * radius_m, cx + 0.8 * radius_m, cy + 3 * radius_m)
    return shapely.intersection(ring, lake).normalize()


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total``."""
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    short = total - int(out.sum())
    if short > 0:
        out[np.argsort(-(raw - out), kind="stable")[:short]] += 1
    return out


def make_geography(scale: Scale, params: Params, rng: np.random.Generator) -> Geography:
    """Outline, Voronoi areas of a jittered grid, disadvantage field and area attributes.

    The disadvantage field is ``D = z(g * (-x/R) + sum_j a_j exp(-|c - c_j|^2 / (2 s^2)))``
    (a west-east gradient plus Gaussian bumps), standardized over areas. Indicators are
    ``expit(logit(base) + b D + e)`` with ``e ~ N(0, area_noise_sd)``.
    """
    cx, cy = to_projected(params).transform(params.center_lon, params.center_lat)
    radius = scale.radius_km * 1000.0
    outline = make_outline(cx, cy, radius, rng)

    spacing = np.sqrt(outline.area / scale.n_areas)
    minx, miny, maxx, maxy = outline.bounds
    gx, gy = np.meshgrid(np.arange(minx + spacing / 2, maxx, spacing),
                         np.arange(miny + spacing / 2, maxy, spacing))
    px = gx.ravel() + rng.uniform(-0.3, 0.3, gx.size) * spacing
    py = gy.ravel() + rng.uniform(-0.3, 0.3, gy.size) * spacing
    inside = shapely.contains_xy(outline, px, py)
    px, py = px[inside], py[inside]
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(np.column_stack([px, py])),
                                 extend_to=outline, ordered=True)
    )
    polygons = shapely.intersection(cells, outline)
    polygons = np.asarray(polygons)[~shapely.is_empty(polygons)]
    polygons = np.asarray([shapely.normalize(p) for p in polygons], dtype=object)

    cent = shapely.centroid(polygons)
    x, y = shapely.get_x(cent), shapely.get_y(cent)
    nb = params.disadvantage_bumps
    bx = rng.uniform(cx - radius, cx + 0.8 * radius, nb)
    by = rng.uniform(cy - radius, cy + radius, nb)
    ba = rng.normal(0.0, 1.0, nb) + 0.5
    s = params.disadvantage_bump_scale * radius
    field_ = -params.disadvantage_gradient * (x - cx) / radius
    field_ += (ba[None, :] * np.exp(-((x[:, None] - bx) ** 2 + (y[:, None] - by) ** 2) / (2 * s * s))).sum(1)
    dis = (field_ - field_.mean()) / field_.std()

    n = len(polygons)
    area_km2 = shapely.area(polygons) / 1e6
    dens = np.exp(params.population_density_sd * rng.normal(size=n) - 0.15 * dis)
    pop = _largest_remainder(area_km2 * dens, scale.residents)

    def noisy(base: float, b: float) -> np.ndarray:
        return expit(logit(base) + b * dis + rng.normal(0, params.area_noise_sd, n))

    attrs = pd.DataFrame(
        {
            "population": pop,
            "households": np.round(pop / np.clip(2.4 + 0.25 * dis, 1.5, None)).astype(np.int64),
            "unemployment_rate": noisy(0.08, 0.55),
            "food_insecurity_rate": noisy(0.14, 0.50),
            "vacancy_rate": noisy(0.09, 0.60),
            "median_income": np.round(62_000 * np.exp(-0.35 * dis + rng.normal(0, 0.12, n)), -2),
            "children": np.round(pop * noisy(0.22, 0.20)).astype(np.int64),
        }
    )
    return Geography(outline, polygons, float(cx), float(cy), dis, attrs)


def sample_in_areas(geo: Geography, area_idx: np.ndarray, rng: np.random.Generator,
                    max_rounds: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Uniform random points inside the given areas (rejection sampling in each bounding box).

    Parameters
    ----------
    geo : Geography
    area_idx : numpy.ndarray of int
        Area index of every point wanted.
    rng : numpy.random.Generator

    Returns
    -------
    x, y : numpy.ndarray
        Coordinates (meters, projected CRS).
    """
    area_idx = np.asarray(area_idx, dtype=np.int64)
    bounds = shapely.bounds(geo.polygons)
    x = np.empty(area_idx.size)
    y = np.empty(area_idx.size)
    todo = np.arange(area_idx.size)
    for _ in range(max_rounds):
        if todo.size == 0:
            break
        b = bounds[area_idx[todo]]
        tx = rng.uniform(b[:, 0], b[:, 2])
        ty = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geo.polygons[area_idx[todo]], tx, ty)
        x[todo[ok]], y[todo[ok]] = tx[ok], ty[ok]
        todo = todo[~ok]
    if todo.size:  # pragma: no cover - degenerate sliver areas
        pts = shapely.point_on_surface(geo.polygons[area_idx[todo]])
        x[todo], y[todo] = shapely.get_x(pts), shapely.get_y(pts)
    return x, y


def locate(geo: Geography, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the area containing each point (-1 when outside every area)."""
    tree = shapely.STRtree(geo.polygons)
    pts = shapely.points(x, y)
    src, dst = tree.query(pts, predicate="intersects")
    out = np.full(len(pts), -1, dtype=np.int64)
    first = np.unique(src, return_index=True)
    out[first[0]] = dst[first[1]]
    return out


def make_places(geo: Geography, params: Params, rng: np.random.Generator) -> pd.DataFrame:
    """Places (schools, parks, ...) with names, Poisson per area in proportion to population.

    Returns
    -------
    pandas.DataFrame
        ``kind``, ``name``, ``x``, ``y`` (meters), ``area`` (index), sorted by area then kind.
    """
    kinds = list(params.places_per_10k)
    rate = np.asarray([params.places_per_10k[k] for k in kinds])
    counts = rng.poisson(np.outer(geo.population / 10_000.0, rate))
    # every kind at least once in the city so maps and tests always have each kind
    missing = counts.sum(0) == 0
    counts[np.argmax(geo.population), missing] = 1
    area = np.repeat(np.repeat(np.arange(geo.n), len(kinds)), counts.ravel())
    kind = np.repeat(np.tile(np.asarray(kinds, dtype=object), geo.n), counts.ravel())
    x, y = sample_in_areas(geo, area, rng)
    return pd.DataFrame({"kind": kind, "name": place_names(kind, rng), "x": x, "y": y, "area": area})
