"""Regular grids over incident points: square and hexagon cell counts, the map cell width, Gi* on cells.

One parameter, one name: the width of a grid cell is ``cell_m`` (meters) everywhere, from the
places notebook's parameter to :func:`cell_counts`, :func:`grid_counts`, :func:`gi_cells` and the
map drawing (:func:`workbench.maps.add_cells`).

- :func:`grid_counts` -- every square cell of a bounding box with its count (Gi* needs the zeros);
- :func:`cell_counts` -- hexagon or square cells holding at least one point, with their counts;
- :func:`cell_size_table`, :func:`choose_cell_size` -- how much of a policy map survives
  small-count suppression at each width, and the finest width at which most incidents stay shown;
- :func:`gi_cells` -- Getis-Ord Gi* on square cells (only cells touching the areas when given).

Counts are plain numbers here: hiding small counts is the caller's (a report section or a map
layer, through :mod:`workbench.privacy`). :func:`choose_cell_size` only *measures* what
suppression would hide, with :func:`workbench.privacy.enough`, the one threshold rule.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from workbench.privacy import enough

from ._inputs import as_xy, check_projected

__all__ = ["CELL_SHAPES", "DEFAULT_CELL_SIZES", "cell_counts", "cell_size_table", "choose_cell_size", "gi_cells",
           "grid_counts", "hex_cells"]

CELL_SHAPES = ("hexagon", "square")
#: Candidate cell widths for :func:`choose_cell_size`, meters (each about sqrt(2) times the last,
#: so a cell's area doubles from one to the next).
DEFAULT_CELL_SIZES = (250.0, 350.0, 500.0, 700.0, 1000.0, 1400.0, 2000.0)
_SQRT3 = np.sqrt(3.0)


def _check_cell_m(cell_m: float) -> float:
    cell = float(cell_m)
    if not np.isfinite(cell) or cell <= 0:
        raise ValueError(f"cell_m = {cell_m!r}: the cell width must be a positive number of meters")
    return cell


def grid_counts(
    points: Any, cell_m: float = 250.0, bounds: tuple[float, float, float, float] | None = None, crs: Any = None
) -> gpd.GeoDataFrame:
    """Square grid cells with point counts, every cell of the box (zeros included), for Gi* on cells.

    Parameters
    ----------
    points : (n, 2) array, DataFrame with ``x``/``y``, or GeoDataFrame (projected CRS)
    cell_m : float, default 250
        Cell side, meters.
    bounds : (xmin, ymin, xmax, ymax), optional
        Default: the points' bounding box.
    crs : optional
        CRS of the cells (default: that of ``points`` when a GeoDataFrame).

    Returns
    -------
    GeoDataFrame
        ``cell_id`` (``"r<row>c<col>"``), ``row``, ``col``, ``count``, square polygons.

    Examples
    --------
    >>> import numpy as np
    >>> g = grid_counts(np.array([[0.0, 0.0], [10.0, 10.0], [260.0, 5.0]]), cell_m=250.0)
    >>> g["count"].tolist()
    [2, 1]
    """
    cell = _check_cell_m(cell_m)
    xy = as_xy(points)
    if isinstance(points, gpd.GeoDataFrame):
        check_projected(points, "incidents")
        crs = crs or points.crs
    lo = xy.min(axis=0) if bounds is None else np.asarray(bounds[:2], float)
    hi = xy.max(axis=0) if bounds is None else np.asarray(bounds[2:], float)
    nx, ny = (np.floor((hi - lo) / cell).astype(int) + 1).tolist()
    col = np.floor((xy[:, 0] - lo[0]) / cell).astype(int)
    row = np.floor((xy[:, 1] - lo[1]) / cell).astype(int)
    ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    counts = np.bincount(row[ok] * nx + col[ok], minlength=nx * ny)
    rows, cols = np.divmod(np.arange(nx * ny), nx)
    x0 = lo[0] + cols * cell
    y0 = lo[1] + rows * cell
    geom = shapely.box(x0, y0, x0 + cell, y0 + cell)
    ids = np.char.add(np.char.add("r", rows.astype(str)), np.char.add("c", cols.astype(str)))
    return gpd.GeoDataFrame({"cell_id": ids, "row": rows, "col": cols, "count": counts}, geometry=geom, crs=crs)


def _hex_axial(xy: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial (q, r) of the pointy-top hexagon of circumradius ``radius`` holding each point."""
    q = (_SQRT3 / 3 * xy[:, 0] - xy[:, 1] / 3) / radius
    r = (2.0 / 3 * xy[:, 1]) / radius
    # cube rounding (x + y + z = 0): round all three, fix the one with the largest error
    x, z = q, r
    y = -x - z
    rx, ry, rz = np.round(x), np.round(y), np.round(z)
    dx, dy, dz = np.abs(rx - x), np.abs(ry - y), np.abs(rz - z)
    fix_x = (dx > dy) & (dx > dz)
    fix_z = ~fix_x & (dz >= dy)
    rx = np.where(fix_x, -ry - rz, rx)
    rz = np.where(fix_z, -rx - ry, rz)
    return rx.astype(np.int64), rz.astype(np.int64)


def hex_cells(q: np.ndarray, r: np.ndarray, radius: float, origin: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Pointy-top hexagon polygons for axial coordinates ``(q, r)`` (circumradius ``radius``, meters)."""
    cx = origin[0] + radius * _SQRT3 * (q + r / 2.0)
    cy = origin[1] + radius * 1.5 * r
    ang = np.deg2rad(30 + 60 * np.arange(7))
    ring = np.column_stack([np.cos(ang), np.sin(ang)]) * radius
    ring[-1] = ring[0]
    coords = np.stack([cx, cy], axis=1)[:, None, :] + ring[None, :, :]
    return shapely.polygons(coords)


def cell_counts(points: Any, cell_m: float = 250.0, shape: str = "hexagon", *, crs: Any = None) -> gpd.GeoDataFrame:
    """Point counts per grid cell, only cells with at least one point.

    Parameters
    ----------
    points : GeoDataFrame of points (projected CRS), DataFrame with ``x``/``y`` or (n, 2) array
    cell_m : float, default 250
        Cell width in meters: distance between opposite sides (hexagon; centers ``cell_m`` apart)
        or the side (square).
    shape : {'hexagon', 'square'}
    crs : optional
        CRS of plain coordinates (default: that of ``points``).

    Returns
    -------
    GeoDataFrame
        ``cell_id``, ``count`` (at least 1), cell polygons in the points' CRS. Counts are not
        suppressed here (:func:`workbench.privacy.suppressed_mask` does that for a page or a map).
    """
    if shape not in CELL_SHAPES:
        raise ValueError(f"shape must be one of {CELL_SHAPES}, got {shape!r}")
    cell = _check_cell_m(cell_m)
    if isinstance(points, gpd.GeoDataFrame):
        check_projected(points, "incidents")
        crs = crs or points.crs
    xy = as_xy(points)
    if shape == "square":
        if not len(xy):
            return gpd.GeoDataFrame({"cell_id": pd.Series([], dtype=object), "count": np.array([], np.int64)},
                                    geometry=[], crs=crs)
        g = grid_counts(xy, cell_m=cell, crs=crs)
        return g[g["count"] > 0][["cell_id", "count", "geometry"]].reset_index(drop=True)
    radius = cell / _SQRT3
    origin = (float(np.floor(xy[:, 0].min())), float(np.floor(xy[:, 1].min()))) if len(xy) else (0.0, 0.0)
    q, r = _hex_axial(xy - np.asarray(origin), radius)
    key = pd.DataFrame({"q": q, "r": r}).value_counts().rename("count").reset_index()
    geom = hex_cells(key["q"].to_numpy(), key["r"].to_numpy(), radius, origin)
    ids = "q" + key["q"].astype(str) + "r" + key["r"].astype(str)
    return gpd.GeoDataFrame({"cell_id": ids, "count": key["count"].to_numpy(np.int64)}, geometry=geom, crs=crs)


def cell_size_table(
    points: Any,
    candidates: tuple[float, ...] = DEFAULT_CELL_SIZES,
    shape: str = "hexagon",
    *,
    min_count: int = 11,
    crs: Any = None,
) -> pd.DataFrame:
    """How much of the map survives small-count suppression at each cell width.

    Parameters
    ----------
    points, shape, crs
        As in :func:`cell_counts`.
    candidates : tuple of float
        Cell widths to try, meters.
    min_count : int, default 11
        Privacy threshold: cells with ``1 .. min_count-1`` points would be hidden.

    Returns
    -------
    DataFrame
        One row per width: ``cell_m``, ``cells`` (with at least one incident), ``cells_shown``
        (at or above ``min_count``), ``share_shown`` (share of the incidents that fall in shown
        cells, 0..1).
    """
    rows = []
    for w in sorted(float(c) for c in candidates):
        n = cell_counts(points, cell_m=w, shape=shape, crs=crs)["count"].to_numpy()
        shown = enough(n, min_count)
        total = int(n.sum())
        rows.append({"cell_m": w, "cells": len(n), "cells_shown": int(shown.sum()),
                     "share_shown": float(n[shown].sum() / total) if total else 0.0})
    return pd.DataFrame(rows)


def choose_cell_size(
    points: Any,
    candidates: tuple[float, ...] = DEFAULT_CELL_SIZES,
    shape: str = "hexagon",
    *,
    min_count: int = 11,
    min_share_shown: float = 0.5,
    crs: Any = None,
) -> float:
    """The finest cell width at which a policy map still shows most incidents.

    Small cells locate violence precisely but most of them hold fewer than ``min_count``
    incidents and are suppressed (grey); large cells show every count but blur the places.
    This returns the smallest width in ``candidates`` whose shown cells hold at least
    ``min_share_shown`` of the incidents, or the largest width when none does.

    Parameters
    ----------
    points, candidates, shape, min_count, crs
        As in :func:`cell_size_table`.
    min_share_shown : float, default 0.5
        Share of incidents (0..1] that must fall in cells at or above ``min_count``.

    Returns
    -------
    float
        Cell width ``cell_m``, meters.
    """
    if not 0 < min_share_shown <= 1:
        raise ValueError("min_share_shown must be in (0, 1]")
    if not len(candidates):
        raise ValueError("candidates must list at least one cell width (meters)")
    t = cell_size_table(points, candidates, shape, min_count=min_count, crs=crs)
    ok = t[t["share_shown"] >= min_share_shown]
    return float(ok["cell_m"].iloc[0] if len(ok) else t["cell_m"].iloc[-1])


def gi_cells(incidents: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, cell_m: float,
             seed: int | None = None) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* on square cells of ``cell_m`` meters (queen contiguity, FDR-adjusted classes).

    Parameters
    ----------
    incidents : GeoDataFrame
        Incident points in a projected CRS.
    areas : GeoDataFrame, optional
        Area polygons: only cells touching an area are kept (the city, not its bounding box).
    cell_m : float
        Cell side, meters.
    seed : int, optional
        Seed of the Gi* permutations (none are run: analytic p-values).

    Returns
    -------
    GeoDataFrame
        :func:`grid_counts` cells with ``z``, ``p_fdr`` and ``cls`` (``"hot spot 95%"``,
        ``"cold spot 99%"``, ``"not significant"``...). Counts are not suppressed.
    """
    from .getis import getis_ord

    cells = grid_counts(incidents, cell_m=cell_m)
    if areas is not None and len(areas):
        a = areas.to_crs(cells.crs)
        keep = cells.sindex.query(a.geometry, predicate="intersects")[1]
        cells = cells.iloc[np.unique(keep)].reset_index(drop=True)
    gi = getis_ord(cells, "count", "queen", permutations=0, seed=seed)
    return cells.join(gi[["z", "p_fdr", "cls"]])
