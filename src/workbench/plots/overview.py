"""Matplotlib figures of the data overview page. Drawing only: the numbers, and which of them are
hidden, come from :mod:`workbench.sections.overview` (:class:`~workbench.sections.overview.OverviewSection`).

Every function returns the :class:`matplotlib.figure.Figure` and draws nothing that the privacy
rules forbid: suppressed values are drawn as gaps or grey hatched areas, never as numbers, and
no figure shows individual incident locations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from . import palette as pal

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from matplotlib.figure import Figure

    from workbench.sections.overview import DensityGrid

__all__ = ["plot_area_rates", "plot_density", "plot_monthly"]

_SUPPRESSED = {"color": "#d9d9d9", "hatch": "///", "edgecolor": "#9e9e9e", "linewidth": 0.3}


def plot_monthly(monthly: pd.DataFrame, min_count: int, title: str = "Incidents per month") -> "Figure":
    """Line chart of monthly totals; hidden months are drawn as gaps with a grey mark.

    Parameters
    ----------
    monthly : DataFrame
        :attr:`workbench.sections.overview.OverviewSection.monthly`: ``month``, ``total`` and
        ``hidden`` (the months whose total the page hides,
        :func:`workbench.sections.overview.monthly_hidden`).
    min_count : int
        Suppression threshold (named in the legend).
    title : str

    Raises
    ------
    ValueError
        ``monthly`` has no ``hidden`` column (raw counts: the chart would show what the table hides).
    """
    if "hidden" not in monthly.columns:
        raise ValueError("plot_monthly needs the section's figure input (a 'hidden' column): pass "
                         "workbench.sections.overview.overview_section(...).monthly, not raw monthly counts")
    fig, ax = plt.subplots(figsize=(9, 3.2), layout="constrained")
    x = pd.PeriodIndex(monthly["month"], freq="M").to_timestamp()
    hide = monthly["hidden"].to_numpy(dtype=bool)
    y = monthly["total"].astype(float).to_numpy()
    ax.plot(x, np.where(hide, np.nan, y), marker="o", ms=3, lw=1.5, color=pal.BLUE)
    if hide.any():
        ax.plot(x[hide], np.zeros(int(hide.sum())), "x", color="#9e9e9e",
                label="not shown (a count below " f"{min_count})")
        ax.legend(loc="upper left", frameon=False)
    ax.set_ylabel("incidents")
    ax.set_ylim(bottom=0)
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_area_rates(rates: "gpd.GeoDataFrame", title: str | None = None) -> "Figure":
    """Choropleth of incident rates per area; suppressed areas hatched grey.

    Parameters
    ----------
    rates : GeoDataFrame
        From :func:`workbench.sections.overview.area_rates` (``rate``, ``suppressed``,
        ``attrs['rate_unit']``).
    title : str, optional
    """
    unit = rates.attrs.get("rate_unit", "")
    fig, ax = plt.subplots(figsize=(7, 7), layout="constrained")
    shown = rates[~rates["suppressed"]]
    if len(shown):
        shown.plot(column="rate", ax=ax, cmap=pal.RATES, edgecolor="white", linewidth=0.3,
                   legend=True, legend_kwds={"label": f"incidents {unit}", "shrink": 0.6})
    hidden = rates[rates["suppressed"]]
    if len(hidden):
        hidden.plot(ax=ax, **_SUPPRESSED)
        ax.legend(handles=[Patch(facecolor=_SUPPRESSED["color"], hatch="///", edgecolor="#9e9e9e",
                                 label="too few incidents to show")], loc="lower left", frameon=False)
    ax.set_axis_off()
    ax.set_title(title or f"Incidents {unit}", loc="left")
    return fig


def plot_density(grid: "DensityGrid", areas: "gpd.GeoDataFrame | None" = None,
                 title: str = "Incident density", distance_unit: str = "m") -> "Figure":
    """Smoothed density surface (incidents per km²) with area outlines.

    Parameters
    ----------
    grid : DensityGrid
        From :func:`workbench.sections.overview.density_grid`; NaN cells (suppressed) stay blank.
    areas : GeoDataFrame, optional
        Outlines to draw (reprojected to the grid's CRS).
    title : str
    distance_unit : {'m', 'ft'}
        Unit of the smoothing distance in the title (``Dataset.distance_unit``).
    """
    from workbench.data.units import format_distance

    fig, ax = plt.subplots(figsize=(7, 7), layout="constrained")
    if np.isfinite(grid.density).any():
        im = ax.imshow(grid.density, origin="lower", extent=grid.extent, cmap=pal.DENSITY,
                       interpolation="bilinear")
        fig.colorbar(im, ax=ax, shrink=0.6, label="incidents per km²")
    if areas is not None and len(areas) and hasattr(areas, "to_crs"):  # codes without boundaries: none
        areas.to_crs(grid.crs).boundary.plot(ax=ax, color="#555555", linewidth=0.3)
    ax.set_xlim(grid.extent[0], grid.extent[1])
    ax.set_ylim(grid.extent[2], grid.extent[3])
    ax.set_axis_off()
    ax.set_title(f"{title} (smoothing {format_distance(grid.bandwidth_m, distance_unit)})", loc="left")
    return fig
