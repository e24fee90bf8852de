"""Past victims: who was shot before the program (or never referred), where, and who to reach first.

- :func:`past_victims` -- person-level list (researchers only);
- :func:`past_victim_counts` -- counts by area, year or time since (policy pages, after
  suppression);
- :func:`unserved_trend` -- past victims still unserved as outreach proceeds;
- :func:`outreach_priority` -- ranking by current re-victimization risk with network and area
  exposure (researchers only).
"""

from .past import RISK_COVARIATES, outreach_priority, past_victim_counts, past_victims, unserved_trend

__all__ = ["RISK_COVARIATES", "outreach_priority", "past_victim_counts", "past_victims", "unserved_trend"]
