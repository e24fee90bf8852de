"""Interactive explorers for JupyterLab (ipywidgets), for researchers.

Each explorer wraps one analysis package: it gathers widget values, calls that package's
public API and renders the result; nothing is computed here.

- :class:`PlacesExplorer` -- period, exposure-zone radius and days, map layers -> the map and
  the ranked areas (:mod:`workbench.sections.places`, :mod:`workbench.maps`);
- :class:`FollowupExplorer` -- service, provider, responder type -> Kaplan-Meier curves and the
  Cox table (:mod:`workbench.survival`);
- :class:`PeopleExplorer` -- cutoff date and list size -> forward evaluation and fairness audit
  (:mod:`workbench.network`).

Every explorer has ``.widget`` (controls above outputs), ``.controls`` (widgets by name),
``.result`` (the latest computed objects and tables), ``.update()`` and ``.set(**values)``;
displaying the explorer object shows its widget.

Researcher tool: the people explorer can show person-level rows, with pseudonymous ids only.
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
