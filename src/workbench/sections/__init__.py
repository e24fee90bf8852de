"""Report sections computed from a dataset: display-ready tables, plain readings, figure inputs.

Each section returns privacy-applied tables (counts suppressed through :mod:`workbench.privacy`),
sentences and the values a figure needs; rendering lives in :mod:`workbench.report`.

- :func:`now_block` -- the index's *Now* block (active near-repeat zones, emerging hot spots,
  co-response gaps, dose);
- :func:`brief` -- the co-responder brief for the shootings of a day or week;
- :mod:`workbench.sections.format` -- how numbers and column names read on a policy page
  (:func:`policy_table`, :func:`format_number`, :func:`format_p`, :data:`LABELS`).

Names are imported on first use (:mod:`workbench._lazy`): ``workbench.sections.format`` does
not pull in the spatial stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from ._common import Item
    from .brief import Brief, brief
    from .format import LABELS, format_number, format_p, human_columns, policy_table
    from .now import NowBlock, now_block

__all__ = ["LABELS", "Brief", "Item", "NowBlock", "brief", "format_number", "format_p", "human_columns",
           "now_block", "policy_table"]

__getattr__, __dir__ = lazy_exports(__name__)
