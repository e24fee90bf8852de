"""Matplotlib figures of what the analyses return (computation lives in the analysis packages).

One module per report section: :mod:`~workbench.plots.overview`, :mod:`~workbench.plots.places`,
:mod:`~workbench.plots.people`, :mod:`~workbench.plots.response`, :mod:`~workbench.plots.dosage`.
Every function takes results (DataFrames or fitted objects) and returns a matplotlib Figure;
small counts are hidden with :mod:`workbench.privacy` before anything is drawn.
"""

from . import dosage, overview, people, places, response
from .dosage import CLASS_COLORS, plot_balance_map, plot_group_trends, plot_quadrant
from .overview import plot_area_rates, plot_density, plot_monthly
from .people import (
    cascade_people,
    plot_audit,
    plot_calibration,
    plot_capture,
    plot_capture_over_time,
    plot_cascade,
    plot_exposure_distribution,
)
from .places import plot_knox_ratios, plot_ranked_areas
from .response import (
    plot_cumulative_incidence,
    plot_hazard_ratios,
    plot_km,
    plot_revictimization,
    plot_time_on_scene,
    plot_trend,
    plot_unserved,
)

__all__ = [
    "CLASS_COLORS",
    "cascade_people",
    "dosage",
    "overview",
    "people",
    "places",
    "plot_area_rates",
    "plot_audit",
    "plot_balance_map",
    "plot_calibration",
    "plot_capture",
    "plot_capture_over_time",
    "plot_cascade",
    "plot_cumulative_incidence",
    "plot_density",
    "plot_exposure_distribution",
    "plot_group_trends",
    "plot_hazard_ratios",
    "plot_km",
    "plot_knox_ratios",
    "plot_monthly",
    "plot_quadrant",
    "plot_ranked_areas",
    "plot_revictimization",
    "plot_time_on_scene",
    "plot_trend",
    "plot_unserved",
]
