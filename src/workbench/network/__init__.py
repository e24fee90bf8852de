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
  :func:`forward_evaluation`);
- :mod:`~workbench.network.history` -- what was known at a cutoff: population, graph, features
  (:class:`PeopleHistory`);
- :mod:`~workbench.network.risklist` -- a ranked list with its evaluation and fairness audit
  (:class:`RiskList`, :func:`risk_list`, :func:`ranking_metrics`, :func:`calibration_table`);
- :mod:`~workbench.network.rolling` -- rolling monthly evaluation against baselines
  (:func:`rolling_evaluation`, :class:`RollingEvaluation`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .cascades import attribute_sources
    from .exposure import exposure_arrays, network_exposure, steps_to_nearest
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
    from .history import PeopleHistory
    from .risk import evaluate_ranking, forward_evaluation, victims_between
    from .risklist import RiskList, calibration_table, ranking_metrics, risk_list
    from .rolling import MODEL_LABELS, MODELS, RollingEvaluation, default_cutoffs, rolling_evaluation
    from .simulate import simulate_network_hawkes

__all__ = [
    "Graph",
    "MODELS",
    "MODEL_LABELS",
    "NetworkHawkes",
    "PeopleHistory",
    "RiskList",
    "RollingEvaluation",
    "attribute_sources",
    "calibration_table",
    "coarrest_graph",
    "covictimization_graph",
    "default_cutoffs",
    "degree_distribution",
    "evaluate_ranking",
    "exposure_arrays",
    "forward_evaluation",
    "graph_from_groups",
    "graph_summary",
    "network_exposure",
    "ranking_metrics",
    "risk_list",
    "rolling_evaluation",
    "simulate_network_hawkes",
    "steps_to_nearest",
    "victimization_events",
    "victims_between",
]


__getattr__, __dir__ = lazy_exports(__name__)
