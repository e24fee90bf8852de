"""Lazy re-exports (workbench._lazy): every public name resolves, submodules stay reachable as attributes."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from workbench._lazy import type_checking_imports

PACKAGES = ["data", "survival", "response", "network", "spatial", "outreach", "explore", "maps", "synth"]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_resolves_from_the_one_import_list(name):
    pkg = importlib.import_module(f"workbench.{name}")
    listed = type_checking_imports(pkg.__name__)
    assert set(pkg.__all__) <= set(listed) | set(vars(pkg)), sorted(set(pkg.__all__) - set(listed))
    for public in pkg.__all__:
        getattr(pkg, public)


def test_submodules_are_attributes_and_unknown_names_fail():
    code = ("import workbench.spatial as sp; assert sp.exposure.__name__ == 'workbench.spatial.exposure'\n"
            "try:\n    sp.no_such_thing\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit(1)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_a_package_does_not_import_its_heavy_libraries():
    code = "import sys, workbench.survival, workbench.spatial; print('lifelines' in sys.modules, 'esda' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert out == ["False", "False"]
