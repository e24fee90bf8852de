"""Typed warnings of the workbench (bottom floor: imports nothing from the package)."""


class StatisticalWarning(UserWarning):
    """An estimate rests on weak data, a dropped record or a setting that may bias it."""


class ConvergenceWarning(StatisticalWarning):
    """An iterative fit stopped before it converged."""
