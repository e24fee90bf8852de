"""Aggregation cells for policy maps: hexagon or square grids with incident counts.

Policy maps never draw an incident: they draw the cells of a regular grid coloured by how many
incidents fall in each, and cells with fewer than ``min_count`` incidents are marked suppressed
(:func:`workbench.privacy.suppressed_mask`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from workbench.privacy import suppressed_mask, suppression_marker
from workbench.spatial import grid_counts
from workbench.spatial._inputs import as_xy, check_projected

__all__ = ["CELL_SHAPES", "DEFAULT_CELL_SIZES", "cell_counts", "cell_size_table", "choose_cell_size", "hex_cells"]

CELL_SHAPES = ("hexagon", "square")
#: Candidate cell widths for :func:`choose_cell_size`, meters (each about sqrt(2) times the last,
#: so a cell's area doubles from one to the next).
DEFAULT_CELL_SIZES = (250.0, 350.0, 500.0, 700.0, 1000.0, 1400.0, 2000.0)
_SQRT3 = np.sqrt(3.0)


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
    """Pointy-top hexagon polygons for axial coordinates ``(q, r)`` (circumradius ``radius``, m)."""
    cx = origin[0] + radius * _SQRT3 * (q + r / 2.0)
    cy = origin[1] + radius * 1.5 * r
    ang = np.deg2rad(30 + 60 * np.arange(7))
    ring = np.column_stack([np.cos(ang), np.sin(ang)]) * radius
    ring[-1] = ring[0]
    coords = np.stack([cx, cy], axis=1)[:, None, :] + ring[None, :, :]
    return shapely.polygons(coords)


def cell_counts(
    points: Any,
    cell_m: float = 250.0,
    shape: str = "hexagon",
    *,
    min_count: int = 11,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Incident counts per grid cell, only cells with at least one incident.

    Parameters
    ----------
    points : GeoDataFrame of points (projected CRS), DataFrame with ``x``/``y`` or (n, 2) array
    cell_m : float, default 250
        Cell width in meters: distance between opposite sides (hexagon; centers ``cell_m`` apart)
        or the side (square).
    shape : {'hexagon', 'square'}
    min_count : int, default 11
        Counts ``1 .. min_count-1`` are flagged ``suppressed``.
    crs : optional
        CRS of plain coordinates (default: that of ``points``).

    Returns
    -------
    GeoDataFrame
        ``cell_id``, ``count``, ``suppressed`` (bool), ``label`` (the count, or ``'<11'``),
        cell polygons in the points' CRS.
    """
    if shape not in CELL_SHAPES:
        raise ValueError(f"shape must be one of {CELL_SHAPES}, got {shape!r}")
    if cell_m <= 0:
        raise ValueError("cell_m must be positive (meters)")
    if isinstance(points, gpd.GeoDataFrame):
        check_projected(points, "incidents")
        crs = crs or points.crs
    xy = as_xy(points)
    if shape == "square":
        g = grid_counts(xy, cell_size=cell_m, crs=crs)
        g = g[g["count"] > 0][["cell_id", "count", "geometry"]].reset_index(drop=True)
    else:
        radius = cell_m / _SQRT3
        origin = (float(np.floor(xy[:, 0].min())), float(np.floor(xy[:, 1].min()))) if len(xy) else (0.0, 0.0)
        q, r = _hex_axial(xy - np.asarray(origin), radius)
        key = pd.DataFrame({"q": q, "r": r}).value_counts().rename("count").reset_index()
        geom = hex_cells(key["q"].to_numpy(), key["r"].to_numpy(), radius, origin)
        ids = "q" + key["q"].astype(str) + "r" + key["r"].astype(str)
        g = gpd.GeoDataFrame({"cell_id": ids, "count": key["count"].to_numpy(np.int64)}, geometry=geom, crs=crs)
    sup = suppressed_mask(g["count"].to_numpy(), min_count)
    g["suppressed"] = sup
    g["label"] = np.where(sup, suppression_marker(min_count), g["count"].astype(str))
    return g


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
    points, shape, min_count, crs
        As in :func:`cell_counts`.
    candidates : tuple of float
        Cell widths to try, meters.

    Returns
    -------
    DataFrame
        One row per width: ``cell_m``, ``cells`` (with at least one incident), ``cells_shown``
        (at or above ``min_count``), ``share_shown`` (share of the incidents that fall in shown
        cells, 0..1).
    """
    rows = []
    for w in sorted(float(c) for c in candidates):
        g = cell_counts(points, cell_m=w, shape=shape, min_count=min_count, crs=crs)
        total = int(g["count"].sum())
        shown = g.loc[~g["suppressed"], "count"].sum()
        rows.append({"cell_m": w, "cells": len(g), "cells_shown": int((~g["suppressed"]).sum()),
                     "share_shown": float(shown / total) if total else 0.0})
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
        Cell width, meters.
    """
    if not 0 < min_share_shown <= 1:
        raise ValueError("min_share_shown must be in (0, 1]")
    if not len(candidates):
        raise ValueError("candidates must list at least one cell width (meters)")
    t = cell_size_table(points, candidates, shape, min_count=min_count, crs=crs)
    ok = t[t["share_shown"] >= min_share_shown]
    return float(ok["cell_m"].iloc[0] if len(ok) else t["cell_m"].iloc[-1])
