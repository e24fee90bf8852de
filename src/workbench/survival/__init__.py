"""Survival analysis of follow-ups and re-victimization (on lifelines).

- :mod:`~workbench.survival.engagement` -- referral-level table: time to engagement, competing
  outcomes (:func:`engagement_table`);
- :mod:`~workbench.survival.km` -- Kaplan-Meier curves, at-risk counts, medians, log-rank
  (:func:`kaplan_meier`);
- :mod:`~workbench.survival.cox` -- Cox models with the proportional-hazards check kept as data
  (:func:`fit_cox`, :func:`cox_design`);
- :mod:`~workbench.survival.competing` -- Aalen-Johansen cumulative incidence and cause-specific
  Cox models;
- :mod:`~workbench.survival.finegray` -- Fine-Gray subdistribution hazard regression on
  lifelines' weighted Cox (:class:`FineGrayFitter`, :func:`fine_gray`);
- :mod:`~workbench.survival.revictimization` / :mod:`~workbench.survival.compare` -- time to the
  next victimization, landmark comparison by engagement, inverse-probability weights.

The response page's survival results (robust to small data, each saying what it could not
estimate) are made in :mod:`workbench.sections.response`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .compare import (
        CONFOUNDING_WARNING,
        RevictimizationComparison,
        compare_revictimization,
        revictimization_incidence,
    )
    from .competing import aalen_johansen, cause_specific_cox, cumulative_incidence, incidence_at
    from .cox import CATEGORICAL, DEFAULT_COVARIATES, CoxResult, cox_design, fit_cox
    from .engagement import CENSORING_RULES, OUTCOMES, censoring_text, engagement_table, victimization_times
    from .finegray import FineGrayFitter, counting_process_size, fine_gray, simulate_fine_gray
    from .km import KMResult, kaplan_meier
    from .revictimization import (
        LITERATURE,
        PROPENSITY_COVARIATES,
        area_shootings_before,
        contacts_shot_before,
        contacts_shot_intervals,
        covariates_at,
        propensity_weights,
        revictimization_table,
    )

__all__ = [
    "CATEGORICAL",
    "CENSORING_RULES",
    "CONFOUNDING_WARNING",
    "DEFAULT_COVARIATES",
    "LITERATURE",
    "OUTCOMES",
    "PROPENSITY_COVARIATES",
    "CoxResult",
    "FineGrayFitter",
    "KMResult",
    "RevictimizationComparison",
    "aalen_johansen",
    "area_shootings_before",
    "cause_specific_cox",
    "censoring_text",
    "compare_revictimization",
    "contacts_shot_before",
    "contacts_shot_intervals",
    "covariates_at",
    "cox_design",
    "cumulative_incidence",
    "engagement_table",
    "counting_process_size",
    "fine_gray",
    "fit_cox",
    "incidence_at",
    "kaplan_meier",
    "propensity_weights",
    "revictimization_incidence",
    "revictimization_table",
    "simulate_fine_gray",
    "victimization_times",
]


__getattr__, __dir__ = lazy_exports(__name__)
