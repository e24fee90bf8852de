"""People networks: co-arrest and co-victimization graphs, network exposure, contagion.

- :mod:`~workbench.network.graph` -- graphs as of a date (:class:`Graph`, :func:`coarrest_graph`,
  :func:`covictimization_graph`, :func:`graph_summary`);
- :mod:`~workbench.network.exposure` -- 1-step, 2-step and time-decayed exposure to victims
  (:func:`network_exposure`);
- :mod:`~workbench.network.hawkes` -- the contagion model of Green, Horel & Papachristos (2017)
  (:class:`NetworkHawkes`), with its simulator :func:`simulate_network_hawkes`;
- :mod:`~workbench.network.cascades` -- most likely sources, cascades and delays
  (:func:`attribute_sources`);
- :mod:`~workbench.network.risk` -- forward evaluation of a risk ranking (:func:`evaluate_ranking`,
  :func:`forward_evaluation`).
"""

from .cascades import attribute_sources
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
from .hawkes import NetworkHawkes
from .risk import evaluate_ranking, forward_evaluation, victims_between
from .simulate import simulate_network_hawkes

__all__ = [
    "Graph",
    "NetworkHawkes",
    "attribute_sources",
    "coarrest_graph",
    "covictimization_graph",
    "degree_distribution",
    "evaluate_ranking",
    "forward_evaluation",
    "graph_from_groups",
    "graph_summary",
    "network_exposure",
    "simulate_network_hawkes",
    "steps_to_nearest",
    "victimization_events",
    "victims_between",
]
