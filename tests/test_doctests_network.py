"""numpydoc Examples of the contagion model, the fairness audit and the dosage balance run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["workbench.network.hawkes", "workbench.fairness", "workbench.dosage.balance"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)  # the module, not a function re-exported under its name
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
