"""Past victims: who was shot before the program (or never referred), where, and who to reach first.

- :func:`past_victims` -- person-level list (researchers only);
- :func:`past_victim_counts` -- counts by area, year or time since (policy pages, after
  suppression);
- :func:`unserved_trend` -- past victims still unserved as outreach proceeds;
- :func:`outreach_priority` -- ranking by current re-victimization risk with network and area
  exposure (researchers only);
- :func:`outreach_audit` -- selection rates, calibration and disparity flags of the outreach
  list by race/ethnicity, sex and age group (aggregate).
"""

from .audit import OutreachAudit, outreach_audit, outreach_audit_frame
from .past import (
    RISK_COVARIATES,
    outreach_priority,
    past_victim_counts,
    past_victims,
    unserved_trend,
)

__all__ = [
    "RISK_COVARIATES",
    "OutreachAudit",
    "outreach_audit",
    "outreach_audit_frame",
    "outreach_priority",
    "past_victim_counts",
    "past_victims",
    "unserved_trend",
]
