"""Survival analysis of follow-ups and re-victimization (on lifelines).

- :mod:`~workbench.survival.engagement` -- referral-level table: time to engagement, competing
  outcomes (:func:`engagement_table`);
- :mod:`~workbench.survival.km` -- Kaplan-Meier curves, at-risk counts, medians, log-rank
  (:func:`kaplan_meier`);
- :mod:`~workbench.survival.cox` -- Cox models with the proportional-hazards check kept as data
  (:func:`fit_cox`, :func:`cox_design`);
- :mod:`~workbench.survival.competing` -- Aalen-Johansen cumulative incidence and cause-specific
  Cox models (lifelines has no Fine-Gray);
- :mod:`~workbench.survival.revictimization` / :mod:`~workbench.survival.compare` -- time to the
  next victimization, landmark comparison by engagement, inverse-probability weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .benchmark import benchmark_survival
    from .compare import (
        CONFOUNDING_WARNING,
        RevictimizationComparison,
        compare_revictimization,
        revictimization_incidence,
    )
    from .competing import cause_specific_cox, cumulative_incidence, incidence_at
    from .cox import CATEGORICAL, DEFAULT_COVARIATES, CoxResult, cox_design, fit_cox
    from .engagement import OUTCOMES, engagement_table, victimization_times
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
    "CONFOUNDING_WARNING",
    "DEFAULT_COVARIATES",
    "LITERATURE",
    "OUTCOMES",
    "PROPENSITY_COVARIATES",
    "CoxResult",
    "KMResult",
    "RevictimizationComparison",
    "area_shootings_before",
    "benchmark_survival",
    "cause_specific_cox",
    "compare_revictimization",
    "contacts_shot_before",
    "contacts_shot_intervals",
    "covariates_at",
    "cox_design",
    "cumulative_incidence",
    "engagement_table",
    "fit_cox",
    "incidence_at",
    "kaplan_meier",
    "propensity_weights",
    "revictimization_incidence",
    "revictimization_table",
    "victimization_times",
]

#: Public name -> submodule defining it; imported on first use.
_NAMES = {
    "benchmark_survival": "benchmark",
    "CONFOUNDING_WARNING": "compare",
    "RevictimizationComparison": "compare",
    "compare_revictimization": "compare",
    "revictimization_incidence": "compare",
    "cause_specific_cox": "competing",
    "cumulative_incidence": "competing",
    "incidence_at": "competing",
    "CATEGORICAL": "cox",
    "DEFAULT_COVARIATES": "cox",
    "CoxResult": "cox",
    "cox_design": "cox",
    "fit_cox": "cox",
    "OUTCOMES": "engagement",
    "engagement_table": "engagement",
    "victimization_times": "engagement",
    "KMResult": "km",
    "kaplan_meier": "km",
    "LITERATURE": "revictimization",
    "PROPENSITY_COVARIATES": "revictimization",
    "area_shootings_before": "revictimization",
    "contacts_shot_before": "revictimization",
    "contacts_shot_intervals": "revictimization",
    "covariates_at": "revictimization",
    "propensity_weights": "revictimization",
    "revictimization_table": "revictimization",
}

__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
