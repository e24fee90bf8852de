"""Report sections computed from a dataset: display-ready tables, plain readings, figure inputs.

Each section returns privacy-applied tables (counts suppressed through :mod:`workbench.privacy`),
sentences and the values a figure needs; rendering lives in :mod:`workbench.report`.

- :func:`now_block` -- the index's *Now* block (active near-repeat zones, emerging hot spots,
  co-response gaps, dose);
- :func:`brief` -- the co-responder brief for the shootings of a day or week;
- :func:`victims_section` -- who is shot: victims by age group, sex and race/ethnicity, rates per
  resident where the areas give residents by group;
- :mod:`workbench.sections.page` -- what a notebook uses to show a section (:func:`show`,
  :func:`say`, :func:`notice`, :func:`cautions`, :func:`data_end_notice`);
- :mod:`workbench.sections.format` -- how numbers and column names read on a policy page
  (:func:`policy_table`, :func:`format_number`, :func:`format_p`, :data:`LABELS`).
"""

from ._common import Item
from .brief import Brief, brief
from .now import NowBlock, now_block
from .page import cautions, data_end_notice, notice, say, show
from .response import ResponseSection, response_section
from .victims import VictimsSection, victims_section

__all__ = ["Brief", "Item", "NowBlock", "ResponseSection", "VictimsSection", "brief", "cautions", "data_end_notice", "notice", "now_block",
           "response_section", "say", "show", "victims_section"]
