"""Typed warnings of the workbench (bottom floor: imported by every analysis, importing nothing).

Filter them by class, e.g. ``warnings.simplefilter("error", workbench.ConvergenceWarning)``.
"""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "StatisticalWarning"]


class StatisticalWarning(UserWarning):
    """An estimate was computed but needs care: few events, a fallback estimator, a value not estimable."""


class ConvergenceWarning(StatisticalWarning):
    """A model fit did not converge (or only converged with a penalty); its estimates are unreliable."""
