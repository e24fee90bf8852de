"""Forward check of the outreach ranking: rank past victims at a date, score who was shot after it.

Every model is fitted with data observed before the list date only (:func:`outreach_priority`
censors the re-victimization table at ``as_of``); the outcome is being shot (fatally or not) in
``(as_of, as_of + horizon_days]``, the outcome of the outreach audit
(:func:`workbench.outreach.outreach_audit_frame`). Scores come from
:func:`workbench.network.ranking_metrics`: share of those shot again who were on the list (the
top ``top_share`` of the ranking) and ROC AUC of the risk. Aggregate output only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.data.timestamps import local_timestamp
from workbench.data.dataset import Dataset
from workbench.response.tables import data_end as _data_end
from workbench.response.tables import incident_areas

from .audit import outreach_audit_frame
from .past import past_victims, priority_inputs, rank_by_risk
from .risk import BASE_COVARIATES, RISK_COVARIATES, fit_revictimization_risk

__all__ = ["evaluate_outreach"]


def _ts(value, tz: str) -> pd.Timestamp:
    return local_timestamp(value, tz)


def evaluate_outreach(
    dataset: Dataset,
    as_of: str | pd.Timestamp | Sequence[str | pd.Timestamp],
    horizon_days: float = 365.0,
    program_start: str | pd.Timestamp | None = None,
    models: Mapping[str, Sequence[str] | Mapping[str, object]] | None = None,
    top_share: float = 0.10,
    exposure: str = "index",
) -> pd.DataFrame:
    """Rank past victims at each ``as_of`` with each model; count who was shot again after.

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents`` and ``victimizations``; ``people``, ``arrests``, ``areas``,
        ``referrals`` when present.
    as_of : str or Timestamp, or a sequence of them
        List dates (naive dates are local). Each needs ``horizon_days`` of data after it.
    horizon_days : float, default 365
        Risk horizon and outcome window, days.
    program_start : str or Timestamp, optional
        As in :func:`past_victims`; default each ``as_of`` itself, so that everyone alive who
        was shot before the list date is ranked.
    models : mapping, optional
        Name -> covariates, or name -> ``{"covariates": ..., "exposure": ...}`` to set the
        exposure of one model; default ``{"with_network": RISK_COVARIATES, "without_network":
        BASE_COVARIATES}``.
    top_share : float, default 0.10
        Share of the ranked people on the list.
    exposure : {"index", "time_varying"}, default "index"
        How network exposure enters the fit of models that do not set their own
        (:func:`fit_revictimization_risk`).

    Returns
    -------
    DataFrame
        One row per (date, model): ``as_of``, ``model``, ``covariates`` (used, comma-separated),
        ``exposure``,
        ``n_people`` (ranked), ``n_outcome`` (of them shot in the window), ``k`` (list size),
        ``captured`` (shot again and on the list), ``share_captured``, ``lift``, ``auc``,
        ``brier``, ``expected`` (sum of predicted risks).

    Raises
    ------
    ValueError
        When a window ends after the data end (the outcome is not known yet).

    Examples
    --------
    >>> r = evaluate_outreach(ds, ["2022-07-01", "2023-01-01"])             # doctest: +SKIP
    >>> r.groupby("model")[["n_outcome", "captured"]].sum()                  # doctest: +SKIP
    >>> evaluate_outreach(ds, "2023-01-01", models={                         # doctest: +SKIP
    ...     "index": RISK_COVARIATES,
    ...     "time_varying": {"covariates": RISK_COVARIATES, "exposure": "time_varying"}})
    """
    from workbench.network.risklist import ranking_metrics

    tz = dataset.timezone
    dates = [as_of] if isinstance(as_of, (str, pd.Timestamp)) else list(as_of)
    dates = [_ts(d, tz) for d in dates]
    d_end = _data_end(dataset)
    late = [d for d in dates if d + pd.Timedelta(days=float(horizon_days)) > d_end]
    if late:
        raise ValueError(f"the outcome window after {late[0]:%Y-%m-%d} ends after the data end "
                         f"{d_end:%Y-%m-%d}: choose an earlier as_of or a shorter horizon")
    models = {"with_network": RISK_COVARIATES, "without_network": BASE_COVARIATES} if models is None else models
    specs = {name: (tuple(m["covariates"]), str(m.get("exposure", exposure))) if isinstance(m, Mapping)
             else (tuple(m), exposure) for name, m in models.items()}
    inc = dataset["incidents"]
    areas = pd.Series(incident_areas(dataset).to_numpy(), index=inc["incident_id"].to_numpy())
    history = None
    if dataset.has("arrests") and dataset.has("victimizations"):
        from workbench.network import PeopleHistory

        history = PeopleHistory.from_dataset(dataset)  # date-independent: built once
    rows = []
    for t in dates:  # a few list dates and models, not people
        past = past_victims(dataset, t if program_start is None else program_start, t)
        table, cur = priority_inputs(dataset, past, history=history, incident_area=areas)
        frame = outreach_audit_frame(dataset, past.assign(rank=0, risk=np.nan), 0, t, horizon_days)
        shot = pd.Series(frame["outcome"].to_numpy(bool), index=frame["person_id"].to_numpy())
        for name, (covs, expo) in specs.items():
            model = fit_revictimization_risk(dataset, t, covs, table=table, exposure=expo, history=history)
            pri = rank_by_risk(cur, model, horizon_days)
            y = pri["person_id"].map(shot).to_numpy(bool)
            r = pri["risk"].to_numpy(float)
            m = ranking_metrics(r, y, probability=r, top_share=top_share)
            rows.append({"as_of": t, "model": name, "covariates": ", ".join(model.covariates),
                         "exposure": model.exposure,
                         "n_people": m["n_people"], "n_outcome": m["n_victims"], "k": m["k"],
                         "captured": m["captured"], "share_captured": m["share_captured"], "lift": m["lift"],
                         "auc": m["auc"], "brier": m["brier"], "expected": m["expected"]})
    return pd.DataFrame(rows)
