"""Spatial and space-time analysis of shootings: hot spots, near repeats, exposure zones.

Inputs are plain: projected ``x, y`` in meters (an ``(n, 2)`` array, a DataFrame with ``x``/``y`` or
a GeoDataFrame of points in a projected CRS such as ``Dataset.points('incidents')``) and tz-aware
times. Results are DataFrames or fitted estimators with trailing-underscore attributes.

- :class:`KernelDensity`, :func:`kde_grid`, :func:`hot_spots` -- kernel density on a grid (per m^2,
  per resident) and the top cells;
- :class:`GetisOrd`, :func:`getis_ord` -- Getis-Ord Gi* hot/cold spots on areas or cells;
- :func:`grid_counts`, :func:`cell_counts`, :func:`choose_cell_size`, :func:`gi_cells` -- square and
  hexagon grids of ``cell_m`` meters with their counts, the finest map cell width that stays visible
  after suppression, Gi* on grid cells;
- :class:`KnoxTest` -- Knox near-repeat test (Near Repeat Calculator table), default bands
  :data:`DEFAULT_SPATIAL_BANDS` (meters) and :data:`DEFAULT_TEMPORAL_BANDS` (days);
- :func:`risk_window`, :func:`near_repeat_windows` -- zone and dates of raised near-repeat risk;
- :func:`exposure_zones`, :func:`exposure_dose` -- residents and places exposed, cumulative dose;
- :func:`canvass_list` -- ranked areas and places for co-responders;
- :func:`trauma_index` -- trauma context index per area;
- :func:`emerging_hot_spots` -- Emerging Hot Spot Analysis (Gi* per step plus a Mann-Kendall trend).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .canvass import canvass_list
    from .emerging import EmergingHotSpots, emerging_hot_spots
    from .exposure import Exposure, exposure_dose, exposure_zones
    from .getis import GetisOrd, build_weights, getis_ord
    from .grid import (
        CELL_SHAPES,
        DEFAULT_CELL_SIZES,
        cell_counts,
        cell_size_table,
        choose_cell_size,
        gi_cells,
        grid_counts,
        hex_cells,
    )
    from .kde import KernelDensity, hot_spots, kde_grid, kernel_weights
    from .knox import DEFAULT_SPATIAL_BANDS, DEFAULT_TEMPORAL_BANDS, KnoxTest
    from .trauma import standardize, trauma_index
    from .windows import RiskWindow, near_repeat_windows, risk_window

__all__ = [
    "CELL_SHAPES",
    "DEFAULT_CELL_SIZES",
    "DEFAULT_SPATIAL_BANDS",
    "DEFAULT_TEMPORAL_BANDS",
    "EmergingHotSpots",
    "Exposure",
    "GetisOrd",
    "KernelDensity",
    "KnoxTest",
    "RiskWindow",
    "build_weights",
    "canvass_list",
    "cell_counts",
    "cell_size_table",
    "choose_cell_size",
    "emerging_hot_spots",
    "exposure_dose",
    "exposure_zones",
    "getis_ord",
    "gi_cells",
    "grid_counts",
    "hex_cells",
    "hot_spots",
    "kde_grid",
    "kernel_weights",
    "near_repeat_windows",
    "risk_window",
    "standardize",
    "trauma_index",
]


__getattr__, __dir__ = lazy_exports(__name__)
