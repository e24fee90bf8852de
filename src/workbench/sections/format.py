"""How numbers and column names read on a policy page: re-exported from :mod:`workbench.formatting`.

The rules live on the ground floor (:mod:`workbench.formatting`, beside :mod:`workbench.privacy`)
so that analyses may format a p-value without importing the sections layer; pages and notebooks
import them from here or from there alike.
"""

from workbench.formatting import *  # noqa: F401,F403
from workbench.formatting import __all__  # noqa: F401
