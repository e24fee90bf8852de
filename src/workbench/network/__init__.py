"""People networks: co-arrest and co-victimization graphs, network exposure, contagion.

- :mod:`~workbench.network.graph` -- graphs as of a date (:class:`Graph`, :func:`coarrest_graph`,
  :func:`covictimization_graph`, :func:`graph_summary`);
- :mod:`~workbench.network.exposure` -- 1-step, 2-step and time-decayed exposure to victims
  (:func:`network_exposure`).
"""

from .exposure import network_exposure, steps_to_nearest
from .graph import (
    Graph,
    coarrest_graph,
    covictimization_graph,
    degree_distribution,
    graph_from_groups,
    graph_summary,
    victimization_events,
)

__all__ = [
    "Graph",
    "coarrest_graph",
    "covictimization_graph",
    "degree_distribution",
    "graph_from_groups",
    "graph_summary",
    "network_exposure",
    "steps_to_nearest",
    "victimization_events",
]
