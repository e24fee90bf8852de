"""The data contract, loaders, column mapping and validation.

Public API
----------
- :class:`Dataset`, :data:`TABLES` -- the in-memory (and contract-folder) form of a city's data;
- :data:`SCHEMAS` (pandera), :data:`REFERENCES`, :data:`KEYS`, :data:`CODES` -- the contract;
- :class:`DataSpec`, :class:`TableMapping` -- the ``data:`` section of a parameter file;
- :func:`load_dataset` -- read + map + validate; :func:`validate` -- check a Dataset;
- :func:`data_quality_summary` -- per-column quality table;
- :class:`DataError`, :class:`Problem` -- the one error for bad input;
- :func:`find_philadelphia` -- the real Philadelphia folder beside the repository, if present.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .checks import validate
    from .contract import CODES, COLUMNS, KEYS, REFERENCES, SCHEMAS, ColumnSpec, Reference
    from .dataset import GEO_TABLES, TABLES, Dataset
    from .errors import DataError, Problem
    from .loader import find_philadelphia, load_dataset
    from .mapping import DataSpec, TableMapping, read_params_data
    from .quality import data_quality_summary

__all__ = [
    "CODES",
    "COLUMNS",
    "GEO_TABLES",
    "KEYS",
    "REFERENCES",
    "SCHEMAS",
    "TABLES",
    "ColumnSpec",
    "DataError",
    "DataSpec",
    "Dataset",
    "Problem",
    "Reference",
    "TableMapping",
    "data_quality_summary",
    "find_philadelphia",
    "load_dataset",
    "read_params_data",
    "validate",
]

#: Public name -> submodule defining it; imported on first use.
_NAMES = {
    "validate": "checks",
    "CODES": "contract",
    "COLUMNS": "contract",
    "KEYS": "contract",
    "REFERENCES": "contract",
    "SCHEMAS": "contract",
    "ColumnSpec": "contract",
    "Reference": "contract",
    "GEO_TABLES": "dataset",
    "TABLES": "dataset",
    "Dataset": "dataset",
    "DataError": "errors",
    "Problem": "errors",
    "find_philadelphia": "loader",
    "load_dataset": "loader",
    "DataSpec": "mapping",
    "TableMapping": "mapping",
    "read_params_data": "mapping",
    "data_quality_summary": "quality",
}

__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
