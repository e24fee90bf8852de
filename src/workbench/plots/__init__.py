"""Matplotlib figures of what the analyses return (computation lives in the analysis packages).

One module per report section: :mod:`~workbench.plots.overview`, :mod:`~workbench.plots.places`,
:mod:`~workbench.plots.people`, :mod:`~workbench.plots.response`, :mod:`~workbench.plots.dosage`.
Every function takes results (DataFrames or fitted objects) and returns a matplotlib Figure;
small counts are hidden with :mod:`workbench.privacy` before anything is drawn. Colours come from
:mod:`~workbench.plots.palette` (Okabe-Ito; colour-blind-safe colormaps).

The section modules (and so ``matplotlib.pyplot``) are imported on first use of a name, so that
``workbench.plots.palette`` can be imported by maps and the report without pulling in pyplot.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import palette

if TYPE_CHECKING:  # pragma: no cover
    from . import dosage, overview, people, places, response
    from .dosage import CLASS_COLORS, plot_balance_map, plot_group_trends, plot_quadrant
    from .overview import plot_area_rates, plot_density, plot_monthly
    from .people import (
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

_SUBMODULES = ("dosage", "overview", "people", "places", "response")

#: Public name -> section module defining it.
_NAMES: dict[str, str] = {
    "CLASS_COLORS": "dosage",
    "plot_balance_map": "dosage",
    "plot_group_trends": "dosage",
    "plot_quadrant": "dosage",
    "plot_area_rates": "overview",
    "plot_density": "overview",
    "plot_monthly": "overview",
    "plot_audit": "people",
    "plot_calibration": "people",
    "plot_capture": "people",
    "plot_capture_over_time": "people",
    "plot_cascade": "people",
    "plot_exposure_distribution": "people",
    "plot_knox_ratios": "places",
    "plot_ranked_areas": "places",
    "plot_cumulative_incidence": "response",
    "plot_hazard_ratios": "response",
    "plot_km": "response",
    "plot_revictimization": "response",
    "plot_time_on_scene": "response",
    "plot_trend": "response",
    "plot_unserved": "response",
}

__all__ = [
    "CLASS_COLORS",
    "dosage",
    "overview",
    "palette",
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
    "response",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
