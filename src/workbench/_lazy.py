"""Lazy re-exports for the subpackages' ``__init__`` modules (PEP 562 module ``__getattr__``).

A subpackage lists its public names and the submodule defining each; a name's submodule (and
whatever heavy library it needs: lifelines, esda, pandera, ...) is imported on first use of the
name, not when the package is imported. A notebook that needs one function of a package no
longer pays for every library the package's other modules use. Type checkers and IDEs read the
same names from the ``if TYPE_CHECKING:`` imports each ``__init__`` keeps.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` re-exporting ``names`` lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of str to str
        Public name -> submodule (relative to ``package``) that defines it.

    Returns
    -------
    tuple of callables
        Assign them to the package's module-level ``__getattr__`` and ``__dir__``.
    """

    def __getattr__(name: str) -> Any:
        sub = names.get(name)
        if sub is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{sub}"), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
