"""Lazy re-exports for the subpackages' ``__init__`` modules (PEP 562 module ``__getattr__``).

A subpackage writes its re-exports once, as ordinary relative imports inside an
``if TYPE_CHECKING:`` block (which type checkers and IDEs read), and ends with
``__getattr__, __dir__ = lazy_exports(__name__)``. The name -> submodule map is read from that
block, so there is no second list to keep in step. A name's submodule (and whatever heavy library
it needs: lifelines, esda, pandera, ...) is imported on first use of the name, not when the
package is imported: a notebook that needs one function of a package no longer pays for every
library the package's other modules use.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports", "type_checking_imports"]


def type_checking_imports(package: str) -> dict[str, str]:
    """Public name -> submodule, from the relative imports in ``package``'s ``if TYPE_CHECKING:`` block."""
    source = Path(sys.modules[package].__file__).read_text(encoding="utf-8")
    names: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.level == 1 and stmt.module:
                    names.update({a.asname or a.name: stmt.module for a in stmt.names})
    return names


def lazy_exports(package: str, names: Mapping[str, str] | None = None
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` re-exporting ``names`` lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of str to str, optional
        Public name -> submodule (relative to ``package``) that defines it. Default: read from
        the package's ``if TYPE_CHECKING:`` imports (:func:`type_checking_imports`).

    Returns
    -------
    tuple of callables
        Assign them to the package's module-level ``__getattr__`` and ``__dir__``.
    """

    if names is None:
        names = type_checking_imports(package)

    def __getattr__(name: str) -> Any:
        sub = names.get(name)
        if sub is None:
            # a submodule (``workbench.spatial.exposure``) is an attribute once imported: import it
            if not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}") is not None:
                return importlib.import_module(f"{package}.{name}")
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{sub}"), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
