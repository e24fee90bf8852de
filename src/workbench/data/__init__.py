"""The data contract, loaders, column mapping and validation.

Public API
----------
- :class:`Dataset`, :data:`TABLES` -- the in-memory (and contract-folder) form of a city's data;
- :data:`SCHEMAS` (pandera), :data:`REFERENCES`, :data:`KEYS`, :data:`CODES` -- the contract;
- :class:`DataSpec`, :class:`TableMapping` -- the ``data:`` section of a parameter file;
- :func:`load_dataset` -- read + map + validate; :func:`validate` -- check a Dataset;
- :func:`data_quality_summary` -- per-column quality table;
- :class:`DataError`, :class:`Problem` -- the one error for bad input;
- :func:`quality_flags`, :func:`data_end` -- real-data flags and the report's one data end;
- :func:`incident_area_ids`, :func:`has_area_shapes` -- areas with or without boundaries;
- :func:`local_timestamp`, :func:`incidents_in_period` -- a date parameter in the data's zone and
  the incidents of a period;
- :func:`find_philadelphia` -- the real Philadelphia folder beside the repository, if present.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .areas import area_codes_only, has_area_shapes, incident_area_ids, no_shapes_note
    from .checks import validate
    from .contract import CODES, COLUMNS, KEYS, REFERENCES, SCHEMAS, ColumnSpec, Reference
    from .dataset import GEO_TABLES, TABLES, Dataset
    from .errors import DataError, Problem
    from .flags import DataEnd, data_end, data_end_note, quality_flags
    from .loader import find_philadelphia, load_dataset
    from .mapping import DataSpec, TableMapping, read_params_data
    from .names import area_names
    from .period import incidents_in_period
    from .quality import data_quality_summary
    from .timestamps import local_timestamp

__all__ = [
    "area_codes_only",
    "area_names",
    "CODES",
    "COLUMNS",
    "GEO_TABLES",
    "KEYS",
    "REFERENCES",
    "SCHEMAS",
    "TABLES",
    "ColumnSpec",
    "DataEnd",
    "DataError",
    "DataSpec",
    "Dataset",
    "Problem",
    "Reference",
    "TableMapping",
    "data_end",
    "data_end_note",
    "data_quality_summary",
    "find_philadelphia",
    "has_area_shapes",
    "incident_area_ids",
    "incidents_in_period",
    "load_dataset",
    "local_timestamp",
    "no_shapes_note",
    "quality_flags",
    "read_params_data",
    "validate",
]


__getattr__, __dir__ = lazy_exports(__name__)
