"""The numpydoc examples of the survival estimators run as doctests (only these modules: the global
pytest configuration is untouched)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["workbench.survival.competing", "workbench.survival.cox", "workbench.survival.engagement", "workbench.survival.finegray",
           "workbench.sections.response"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0, res
