"""Response measures: who responds to shootings, how fast, for how long, and what follows.

- :mod:`~workbench.response.tables` -- checked, joined response/referral/follow-up records
  (:func:`prepare_response_data`, :class:`ResponseData`), data end and program start;
- :mod:`~workbench.response.measures` -- co-response coverage, time on scene, referrals,
  follow-up and engagement rates, monthly trends.

The response page's tables and sentences are made in :mod:`workbench.sections.response`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .measures import (
        GROUPINGS,
        coresponse_coverage,
        followup_rates,
        monthly_trends,
        referral_counts,
        time_on_scene,
    )
    from .tables import (
        CORESPONDER_TYPES,
        ResponseData,
        data_end,
        incident_areas,
        infer_program_start,
        prepare_response_data,
    )

__all__ = [
    "CORESPONDER_TYPES",
    "GROUPINGS",
    "ResponseData",
    "coresponse_coverage",
    "data_end",
    "followup_rates",
    "incident_areas",
    "infer_program_start",
    "monthly_trends",
    "prepare_response_data",
    "referral_counts",
    "time_on_scene",
]


__getattr__, __dir__ = lazy_exports(__name__)
