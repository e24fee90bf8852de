"""Dosage: police presence against support services and need, area by area.

- :func:`dose_counts`, :func:`dose_rates`, :func:`add_trauma_index` -- need (shootings, victims,
  unserved victims, people exposed, trauma context), police dose (patrol hours, stops, arrests; or
  police responses and arrests without patrol records) and support dose (co-responder visits,
  referrals, engaged follow-ups) per area and period;
- :func:`eb_rates` -- Marshall's global empirical-Bayes rates with gamma-posterior intervals;
- :func:`balance`, :func:`most_out_of_balance`, :func:`precision_recall` -- the balance view
  (over-policed and underserved areas, and the reverse) with posterior probabilities;
- :func:`program_change`, :func:`pretrend_check`, :func:`group_trends` -- before/after the
  co-responder program, difference in differences and its pre-period placebo;
- :func:`patrols_from_track` -- GPS pings to contract ``patrols`` rows.

The page's plain-language readings and display tables are in :mod:`workbench.sections.dosage`.

See ``docs/dosage.md``.
"""

from .balance import (
    CLASSES,
    HIDDEN_CLASS,
    Balance,
    balance,
    fit_expected_police,
    most_out_of_balance,
    policy_classes,
    precision_recall,
)
from .change import CAVEATS, ProgramChange, coverage_by_area, group_trends, pretrend_check, program_change
from .measures import (
    POLICE_SOURCES,
    add_trauma_index,
    data_window,
    dose_counts,
    dose_rates,
    incident_areas,
    infer_program_start,
    police_source,
)
from .smoothing import EBRates, eb_rates
from .track import patrols_from_track

__all__ = [
    "CAVEATS",
    "CLASSES",
    "HIDDEN_CLASS",
    "POLICE_SOURCES",
    "Balance",
    "EBRates",
    "ProgramChange",
    "add_trauma_index",
    "balance",
    "coverage_by_area",
    "data_window",
    "dose_counts",
    "dose_rates",
    "eb_rates",
    "fit_expected_police",
    "group_trends",
    "incident_areas",
    "infer_program_start",
    "most_out_of_balance",
    "patrols_from_track",
    "police_source",
    "policy_classes",
    "precision_recall",
    "pretrend_check",
    "program_change",
]
