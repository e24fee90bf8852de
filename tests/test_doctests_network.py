"""numpydoc Examples of the contagion model, the fairness audit and dosage run as doctests."""

from __future__ import annotations

import doctest

import pytest

import workbench.fairness
import workbench.network.hawkes


@pytest.mark.parametrize("module", [workbench.network.hawkes, workbench.fairness])
def test_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
