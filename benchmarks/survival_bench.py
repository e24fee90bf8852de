"""Timing of the survival analyses on a dataset (``survival_city`` in ``benchmarks/run.py``)."""

from __future__ import annotations

import time

from workbench.data.dataset import Dataset

__all__ = ["benchmark_survival"]


def benchmark_survival(dataset: Dataset) -> dict[str, float]:
    """Wall-clock seconds of each step of the survival analyses on ``dataset``.

    Returns
    -------
    dict
        ``referrals``, ``table_s`` (engagement table), ``km_s`` (Kaplan-Meier by responder
        type with log-rank), ``cox_s`` (Cox fit with the proportional-hazards check),
        ``aalen_johansen_s`` (four competing causes), ``revictimization_s`` (table and
        landmark comparison with IPW).
    """
    from workbench.response import prepare_response_data

    from workbench.survival import (
        compare_revictimization,
        cumulative_incidence,
        engagement_table,
        fit_cox,
        kaplan_meier,
        revictimization_table,
    )

    out: dict[str, float] = {}
    t = time.perf_counter()
    table = engagement_table(dataset, prepare_response_data(dataset))
    out["referrals"] = float(len(table))
    out["table_s"] = time.perf_counter() - t
    t = time.perf_counter()
    kaplan_meier(table, by="responder_type")
    out["km_s"] = time.perf_counter() - t
    t = time.perf_counter()
    fit_cox(table)
    out["cox_s"] = time.perf_counter() - t
    t = time.perf_counter()
    cumulative_incidence(table)
    out["aalen_johansen_s"] = time.perf_counter() - t
    t = time.perf_counter()
    rv = revictimization_table(dataset)
    compare_revictimization(rv, weighted=True)
    out["revictimization_s"] = time.perf_counter() - t
    return out
