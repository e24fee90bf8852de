"""Report sections computed from a dataset: display-ready tables, plain readings, figure inputs.

Each section returns privacy-applied tables (counts suppressed through :mod:`workbench.privacy`),
sentences and the values a figure needs; rendering lives in :mod:`workbench.report`.

- :func:`now_block` -- the index's *Now* block (active near-repeat zones, emerging hot spots,
  co-response gaps, dose);
- :func:`brief` -- the co-responder brief for the shootings of a day or week;
- :func:`overview_section` -- the data overview page: monthly counts, data quality, area rates
  and density, readings (:mod:`workbench.sections.overview`);
- :func:`summarize` -- the index's executive summary: key numbers, top areas, changes since the
  last run (:mod:`workbench.sections.summary`);
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
from .dosage import DosageSection, dosage_section
from .now import NowBlock, now_block
from .overview import OverviewSection, overview_section
from .page import cautions, data_end_notice, notice, say, show, show_item
from .past_victims import OutreachSection, PastVictimsSection, outreach_section, past_victims_section
from .people import PeopleSection, contagion_items, forward_items, people_section
from .places import PlacesSection, places_section
from .response import ResponseSection, response_section
from .summary import Summary, summarize
from .victims import VictimsSection, victims_section

__all__ = ["Brief", "DosageSection", "Item", "NowBlock", "OutreachSection", "OverviewSection",
           "PastVictimsSection", "PeopleSection", "PlacesSection", "ResponseSection", "Summary",
           "VictimsSection", "brief", "cautions", "contagion_items", "data_end_notice", "dosage_section",
           "forward_items", "notice", "now_block", "outreach_section", "overview_section",
           "past_victims_section", "people_section", "places_section", "response_section", "say", "show",
           "show_item", "summarize", "victims_section"]
