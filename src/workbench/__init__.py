"""Violence Response Workbench.

Subpackages, floor by floor (data flows one way, upward):

- :mod:`workbench.data` -- the data contract, loaders and column mapping;
- :mod:`workbench.synth` -- the synthetic city with known truth;
- :mod:`workbench.report` -- parameters, the papermill runner and HTML export;
- :mod:`workbench.privacy` -- small-count suppression and the id scan every export goes through.
"""

from ._warnings import ConvergenceWarning, StatisticalWarning

__version__ = "0.1.0"

__all__ = ["ConvergenceWarning", "StatisticalWarning", "__version__"]
