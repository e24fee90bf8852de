"""Interactive explorers for JupyterLab (ipywidgets), for researchers.

Each explorer gathers widget values and calls the report page's own section functions
(:mod:`workbench.sections`), so an explorer and its page cannot disagree: same tables (counts
suppressed), same readings, same figure inputs. Nothing is computed here.

- :class:`PlacesExplorer` -- period, exposure-zone radius and days, map layers -> the map, the
  ranked areas and the readings (:mod:`workbench.sections.places`, :mod:`workbench.maps`);
- :class:`FollowupExplorer` -- service, provider, responder type -> Kaplan-Meier curves and the
  Cox model of the filtered referrals (:mod:`workbench.sections.response`);
- :class:`PeopleExplorer` -- cutoff date, window and list size -> network summary, exposure,
  contagion, forward evaluation and fairness audit as of the cutoff
  (:mod:`workbench.sections.people`).

Every explorer has ``.widget`` (controls above outputs), ``.controls`` (widgets by name),
``.result`` (the latest computed objects and tables), ``.update()`` and ``.set(**values)``;
displaying the explorer object shows its widget.

Impossible values (a negative radius, a list size outside (0, 100] %, an empty period, filters no
referral matches) are refused with a message in the widget's status line, not a traceback.

Researcher tool: the people explorer can show person-level rows, with pseudonymous ids only
(``researcher_mode=False`` keeps none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from ._base import Explorer, figure_png, readings_html, table_html
    from .followups import FollowupExplorer
    from .people import PeopleExplorer
    from .places import LAYERS, PlacesExplorer

__all__ = ["LAYERS", "Explorer", "FollowupExplorer", "PeopleExplorer", "PlacesExplorer", "figure_png", "readings_html",
           "table_html"]


__getattr__, __dir__ = lazy_exports(__name__)
