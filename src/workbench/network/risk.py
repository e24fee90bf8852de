"""Forward evaluation of a person-level risk ranking (e.g. Hawkes intensity at a cutoff).

Accuracy of one ranking at one cutoff. Lists with their fairness audit attached are
:class:`~workbench.network.risklist.RiskList` (:func:`~workbench.network.risklist.risk_list`);
the rolling monthly comparison with baselines is
:func:`~workbench.network.rolling.rolling_evaluation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Graph
    from .hawkes import NetworkHawkes

__all__ = ["evaluate_ranking", "forward_evaluation", "victims_between"]


def victims_between(events: pd.DataFrame, start: object, end: object) -> np.ndarray:
    """Distinct ``person_id`` victimized in ``[start, end)`` (tz-aware ``occurred_at``)."""
    from ._checks import as_timestamp

    s = as_timestamp(start, events["occurred_at"], "start")
    e = as_timestamp(end, events["occurred_at"], "end")
    sel = events.loc[(events["occurred_at"] >= s) & (events["occurred_at"] < e), "person_id"]
    return pd.unique(sel.astype(str).to_numpy())


def evaluate_ranking(
    scores: pd.Series,
    victims: object,
    top_share: float = 0.01,
    k: int | None = None,
) -> pd.Series:
    """How well ``scores`` (higher = riskier) pick out the people victimized afterwards.

    Parameters
    ----------
    scores : Series
        Risk score indexed by ``person_id`` for the whole population ranked (e.g.
        :meth:`NetworkHawkes.intensity` at the cutoff).
    victims : array-like of str
        People victimized in the evaluation window (e.g. :func:`victims_between`). Victims not in
        ``scores`` count as missed (in the denominator of ``share_captured``).
    top_share : float
        Flag the top ``top_share`` of the population (0.01 = top 1 %) when ``k`` is not given.
    k : int, optional
        Number of people flagged.

    Returns
    -------
    Series
        ``n_people``, ``n_victims`` (distinct), ``n_victims_ranked`` (victims in ``scores``),
        ``k``, ``captured`` (victims among the top ``k``), ``share_captured`` (of all victims),
        ``precision_at_k``, ``base_rate`` (share of ranked people victimized), ``lift``
        (precision over base rate), ``auc`` (ROC AUC over ranked people; NaN if only one class).
        Ties at the ``k``-th score are broken by the order of ``scores``.
    """
    from sklearn.metrics import roc_auc_score

    v = pd.unique(np.asarray(victims, dtype=object).astype(str))
    s = scores.astype(float)
    y = s.index.astype(str).isin(v)
    n = len(s)
    k = int(np.ceil(top_share * n)) if k is None else int(k)
    top = np.argsort(-s.to_numpy(), kind="stable")[:k]
    captured = int(y[top].sum())
    base = y.mean() if n else np.nan
    auc = roc_auc_score(y, s.to_numpy()) if 0 < y.sum() < n else np.nan
    return pd.Series(
        {
            "n_people": n,
            "n_victims": len(v),
            "n_victims_ranked": int(y.sum()),
            "k": k,
            "captured": captured,
            "share_captured": captured / len(v) if len(v) else np.nan,
            "precision_at_k": captured / k if k else np.nan,
            "base_rate": base,
            "lift": (captured / k) / base if k and base > 0 else np.nan,
            "auc": auc,
        }
    )


def forward_evaluation(
    graph: "Graph",
    events: pd.DataFrame,
    cutoff: object,
    horizon_days: float = 365.0,
    model: "NetworkHawkes | None" = None,
    start: object = None,
    top_shares: tuple[float, ...] = (0.001, 0.01, 0.05),
) -> tuple["NetworkHawkes", pd.DataFrame]:
    """Fit on victimizations before ``cutoff``, rank by intensity at ``cutoff``, score the next window.

    Parameters
    ----------
    graph : Graph
        Network known at the cutoff (e.g. co-arrests as of ``cutoff``).
    events : DataFrame
        Victimizations with ``person_id`` and tz-aware ``occurred_at``.
    cutoff : str or Timestamp
        Training data end strictly before it; the ranking is made at it.
    horizon_days : float
        Length of the evaluation window ``[cutoff, cutoff + horizon_days)``, days.
    model : NetworkHawkes, optional
        Unfitted model with the wanted settings (default ``NetworkHawkes(n_boot=0)``).
    start : str or Timestamp, optional
        Start of the training window (default: the first event's day).
    top_shares : tuple of float
        Population shares flagged, one result row each.

    Returns
    -------
    model : NetworkHawkes
        The fitted model.
    results : DataFrame
        One row per ``top_share`` with the columns of :func:`evaluate_ranking`.
    """
    from ._checks import as_timestamp
    from .hawkes import NetworkHawkes

    cut = as_timestamp(cutoff, events["occurred_at"], "cutoff")
    train = events.loc[events["occurred_at"] < cut]
    model = NetworkHawkes(n_boot=0) if model is None else model
    model.fit(graph, train, start=start, end=cut)
    score = model.intensity(cut, events=train)
    victims = victims_between(events, cut, cut + pd.Timedelta(days=horizon_days))
    rows = [evaluate_ranking(score, victims, top_share=q).rename(q) for q in top_shares]
    out = pd.DataFrame(rows)
    out.index.name = "top_share"
    return model, out.reset_index()
