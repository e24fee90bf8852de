"""Report sections computed from a dataset: display-ready tables, plain readings, figure inputs.

Each section returns privacy-applied tables (counts suppressed through :mod:`workbench.privacy`),
sentences and the values a figure needs; rendering lives in :mod:`workbench.report`.

- :func:`now_block` -- the index's *Now* block (active near-repeat zones, emerging hot spots,
  co-response gaps, dose);
- :func:`brief` -- the co-responder brief for the shootings of a day or week;
- :func:`victims_section` -- who is shot: victims by age group, sex and race/ethnicity, rates per
  resident where the areas give residents by group;
- :func:`past_victims_section`, :func:`outreach_section` -- the past-victims page (notebook
  ``04_past_victims``): past victims never served by area and time, the unserved trend, the
  outreach ranking and its fairness audit;
- :mod:`workbench.sections.page` -- what a notebook uses to show a section (:func:`show`,
  :func:`say`, :func:`notice`, :func:`cautions`, :func:`data_end_notice`);
- :mod:`workbench.sections.format` -- how numbers and column names read on a policy page
  (:func:`policy_table`, :func:`format_number`, :func:`format_p`, :data:`LABELS`).
"""

from ._common import Item
from .brief import Brief, brief
from .now import NowBlock, now_block
from .page import cautions, data_end_notice, notice, say, show, show_item
from .past_victims import OutreachSection, PastVictimsSection, outreach_section, past_victims_section
from .people import PeopleSection, contagion_items, forward_items, people_section
from .places import PlacesSection, places_section
from .victims import VictimsSection, victims_section

__all__ = ["Brief", "Item", "NowBlock", "OutreachSection", "PastVictimsSection", "PeopleSection",
           "PlacesSection", "VictimsSection", "brief", "cautions", "contagion_items", "data_end_notice",
           "forward_items", "notice", "now_block", "outreach_section", "past_victims_section",
           "people_section", "places_section", "say", "show", "show_item", "victims_section"]
