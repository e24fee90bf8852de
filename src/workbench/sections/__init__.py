"""Report sections computed from a dataset: display-ready tables, plain readings, figure inputs.

Each section returns privacy-applied tables (counts suppressed through :mod:`workbench.privacy`),
sentences and the values a figure needs; rendering lives in :mod:`workbench.report`.

- :func:`now_block` -- the index's *Now* block (active near-repeat zones, emerging hot spots,
  co-response gaps, dose);
- :func:`brief` -- the co-responder brief for the shootings of a day or week.
"""

from ._common import Item
from .brief import Brief, brief
from .now import NowBlock, now_block

__all__ = ["Brief", "Item", "NowBlock", "brief", "now_block"]
