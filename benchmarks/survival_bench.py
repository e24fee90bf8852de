"""Timing of the survival analyses on a dataset (``survival_city`` in ``benchmarks/run.py``)."""

from __future__ import annotations

import time

from workbench.data.dataset import Dataset

__all__ = ["benchmark_fine_gray", "benchmark_survival"]


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


def benchmark_fine_gray(dataset: Dataset) -> dict[str, float]:
    """Wall-clock seconds of the Fine-Gray model of engagement on ``dataset`` (the page's model).

    Returns
    -------
    dict
        ``referrals``, ``events``, ``competing``, ``rows`` (weighted counting-process rows),
        ``columns`` (model columns), ``fine_gray_s`` (the fit, robust variance included),
        ``cause_specific_s`` (the engagement cause-specific Cox, for comparison).
    """
    from workbench.survival.competing import cause_specific_cox
    from workbench.survival.engagement import engagement_table
    from workbench.survival.finegray import fine_gray

    table = engagement_table(dataset)
    t = time.perf_counter()
    res = fine_gray(table, "engaged")
    out = {"referrals": float(len(table)), "fine_gray_s": time.perf_counter() - t}
    t = time.perf_counter()
    cause_specific_cox(table, causes=["engaged"])
    out["cause_specific_s"] = time.perf_counter() - t
    fg = res.model
    out.update(events=float(res.events), competing=float(fg.n_competing_) if fg is not None else 0.0,
               rows=float(fg.n_rows_) if fg is not None else 0.0, columns=float(len(res.summary)))
    return out
