"""Past victims: who was shot before the program (or never referred), where, and who to reach first.

- :func:`past_victims` -- person-level list (researchers only);
- :func:`past_victim_counts` -- counts by area, year or time since (policy pages, after
  suppression);
- :func:`still_unserved` -- the headline count (shot before the start, no referral) of a list;
  :func:`unserved_past_victims` -- that count as of a date with its program start and rule (the
  one call the index and the past-victims page make);
- :func:`unserved_trend` -- past victims still unserved as outreach proceeds;
- :func:`outreach_priority` -- ranking by current re-victimization risk; network exposure
  (co-arrestees shot in the prior year) and area exposure enter the risk (researchers only);
- :func:`fit_revictimization_risk`, :func:`current_covariates`, :func:`priority_inputs`,
  :func:`rank_by_risk` -- the Cox model behind it (covariates at the index shooting for
  fitting, or network exposure updated during follow-up with ``exposure="time_varying"``; at
  ``as_of`` for prediction);
- :func:`evaluate_outreach` -- forward check: rank at ``as_of``, count who was shot again after;
- :func:`outreach_audit` -- selection rates, calibration and disparity flags of the outreach
  list by race/ethnicity, sex and age group (aggregate).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .audit import OutreachAudit, outreach_audit, outreach_audit_frame
    from .evaluate import evaluate_outreach
    from .past import (
        BASE_COVARIATES,
        RISK_COVARIATES,
        UnservedPastVictims,
        outreach_priority,
        past_victim_counts,
        past_victims,
        priority_inputs,
        rank_by_risk,
        still_unserved,
        unserved_past_victims,
        unserved_trend,
    )
    from .risk import (
        EXPOSURES,
        NETWORK_COVARIATE,
        RevictimizationRisk,
        current_covariates,
        fit_revictimization_risk,
    )

__all__ = [
    "BASE_COVARIATES",
    "EXPOSURES",
    "NETWORK_COVARIATE",
    "RISK_COVARIATES",
    "OutreachAudit",
    "RevictimizationRisk",
    "UnservedPastVictims",
    "current_covariates",
    "evaluate_outreach",
    "fit_revictimization_risk",
    "outreach_audit",
    "outreach_audit_frame",
    "outreach_priority",
    "past_victim_counts",
    "past_victims",
    "priority_inputs",
    "rank_by_risk",
    "still_unserved",
    "unserved_past_victims",
    "unserved_trend",
]


__getattr__, __dir__ = lazy_exports(__name__)
