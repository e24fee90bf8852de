"""Person-level risk lists with their evaluation and fairness audit attached.

A :class:`RiskList` is the ranking of a population at a cutoff by predicted probability of
victimization in the following window, the people flagged (top ``top_share``), its forward
evaluation when the window's outcomes are known (:func:`ranking_metrics`) and its fairness
audit (:func:`workbench.fairness.fairness_audit`). ``ranking`` holds person ids: it is for
researchers only and must never reach a policy report; ``evaluation_``, ``calibration_`` and
``audit_`` are aggregates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.fairness import fairness_audit

__all__ = ["RiskList", "calibration_table", "ranking_metrics", "risk_list"]


def _auc_sorted(score_desc: np.ndarray, y_desc: np.ndarray) -> float:
    """ROC AUC (ties count 1/2) from scores sorted descending: the Mann-Whitney statistic.

    Equal to :func:`sklearn.metrics.roc_auc_score` (checked in the tests), without a second
    sort of the scores.
    """
    new = np.flatnonzero(np.r_[True, score_desc[1:] != score_desc[:-1]])
    pos = np.add.reduceat(y_desc.astype(np.int64), new)
    size = np.diff(np.r_[new, len(y_desc)])
    neg = size - pos
    neg_below = neg.sum() - np.cumsum(neg)  # negatives with a strictly lower score
    n1, n0 = pos.sum(), neg.sum()
    return float((pos @ neg_below + 0.5 * pos @ neg) / (n1 * n0))


def ranking_metrics(
    score: np.ndarray,
    outcome: np.ndarray,
    n_victims: int | None = None,
    probability: np.ndarray | None = None,
    top_share: float = 0.01,
    top_k: Sequence[int] = (),
    order: np.ndarray | None = None,
) -> dict[str, float]:
    """Accuracy of a ranking against the window's outcomes (numpy, no ids).

    Parameters
    ----------
    score : ndarray
        Risk score per ranked person (higher = riskier).
    outcome : ndarray of bool
        Victimized in the window, per ranked person.
    n_victims : int, optional
        All distinct victims in the window, ranked or not (default: the ranked ones). Victims
        outside the ranked population count as missed.
    probability : ndarray, optional
        Predicted probability of victimization in the window (for the Brier score and the
        expected count).
    top_share : float
        Share of the population flagged.
    top_k : sequence of int
        Further list sizes scored (``captured_k<k>``, ``share_captured_k<k>``,
        ``precision_k<k>``).
    order : ndarray of int, optional
        ``np.argsort(-score, kind="stable")`` when the caller already has it (one sort
        serves the metrics and the caller's list).

    Returns
    -------
    dict
        ``n_people``, ``n_victims``, ``n_victims_ranked``, ``k``, ``captured``,
        ``share_captured`` (of all victims), ``precision_at_k``, ``base_rate``, ``lift``,
        ``auc`` (ROC AUC over the ranked, NaN with one class), ``brier``, ``expected``
        (sum of probabilities), per ``k`` in ``top_k`` the three ``*_k<k>`` columns.
    """
    score = np.asarray(score, float)
    y = np.asarray(outcome, bool)
    n = len(score)
    nv_ranked = int(y.sum())
    nv = nv_ranked if n_victims is None else int(n_victims)
    k = int(np.ceil(top_share * n))
    if order is None:  # one sort serves top-k, top_k and the AUC
        order = np.argsort(-score, kind="stable")
    csum = np.concatenate([[0], np.cumsum(y[order])])
    cap = int(csum[min(k, n)])
    base = nv_ranked / n if n else np.nan
    out = {
        "n_people": n, "n_victims": nv, "n_victims_ranked": nv_ranked, "k": k, "captured": cap,
        "share_captured": cap / nv if nv else np.nan,
        "precision_at_k": cap / k if k else np.nan,
        "base_rate": base,
        "lift": (cap / k) / base if k and base > 0 else np.nan,
        "auc": _auc_sorted(score[order], y[order]) if 0 < nv_ranked < n else np.nan,
    }
    if probability is not None:
        p = np.asarray(probability, float)
        out["brier"] = float(np.mean((p - y) ** 2)) if n else np.nan
        out["expected"] = float(p.sum())
    for kk in top_k:
        kk = int(min(kk, n))
        c = int(csum[kk])
        out[f"captured_k{kk}"] = c
        out[f"share_captured_k{kk}"] = c / nv if nv else np.nan
        out[f"precision_k{kk}"] = c / kk if kk else np.nan
    return out


def calibration_table(probability: np.ndarray, outcome: np.ndarray, n_bins: int = 10,
                      order: np.ndarray | None = None) -> pd.DataFrame:
    """Predicted vs observed by decile (``n_bins`` quantile bins of the predicted probability).

    Bins are by rank (ties split by position) so that every bin has ``n / n_bins`` people even
    when many share the same prediction.

    ``order`` (optional) is ``np.argsort(-probability, kind="stable")`` when the caller already
    has it: the ascending stable ranks are then read off it without a second sort (a run of
    ties at descending positions ``s .. s + m - 1`` takes the ascending ranks
    ``n - s - m .. n - s - 1`` in the same index order).

    Returns
    -------
    DataFrame
        ``bin`` (1 = lowest predictions), ``n``, ``sum_predicted``, ``n_outcome``,
        ``mean_predicted``, ``observed_rate``.
    """
    p = np.asarray(probability, float)
    y = np.asarray(outcome, float)
    n = len(p)
    rank = np.empty(n, np.int64)
    if order is None or n == 0:
        rank[np.argsort(p, kind="stable")] = np.arange(n)
    else:
        desc = p[order]
        pos = np.arange(n)
        new_run = np.r_[True, desc[1:] != desc[:-1]]
        starts = np.flatnonzero(new_run)
        run = np.cumsum(new_run) - 1
        length = np.diff(np.r_[starts, n])
        s0 = starts[run]
        rank[order] = n - s0 - length[run] + (pos - s0)
    b = (rank * n_bins) // max(n, 1)
    t = pd.DataFrame({
        "bin": np.arange(1, n_bins + 1),
        "n": np.bincount(b, minlength=n_bins),
        "sum_predicted": np.bincount(b, weights=p, minlength=n_bins),
        "n_outcome": np.bincount(b, weights=y, minlength=n_bins).astype(np.int64),
    })
    return _calibration_rates(t)


def _calibration_rates(t: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        t["mean_predicted"] = t["sum_predicted"] / t["n"]
        t["observed_rate"] = t["n_outcome"] / t["n"]
    return t


@dataclass
class RiskList:
    """A ranked list of people at a cutoff, with its evaluation and fairness audit.

    Attributes
    ----------
    model : str
        Which score ranked the list (``"contagion"``, ``"demographics"``...).
    cutoff : Timestamp
        The ranking uses data strictly before it.
    horizon_days : float
        Length of the prediction window ``[cutoff, cutoff + horizon_days)``.
    top_share : float
        Share of the population flagged.
    ranking : DataFrame
        **Researchers only (person ids).** Indexed by ``person_id``, sorted by ``rank``:
        ``score``, ``probability``, ``rank`` (1 = highest risk), ``selected``, the audit
        attributes and ``outcome`` (when known).
    evaluation_ : Series or None
        :func:`ranking_metrics` (None when the window's outcomes are not known yet).
    calibration_ : DataFrame or None
        :func:`calibration_table` (None without outcomes).
    audit_ : DataFrame
        :func:`workbench.fairness.fairness_audit` of the flagged people (without outcomes only
        the selection rates are meaningful).
    """

    model: str
    cutoff: pd.Timestamp
    horizon_days: float
    top_share: float
    ranking: pd.DataFrame = field(repr=False)
    evaluation_: pd.Series | None = field(default=None, repr=False)
    calibration_: pd.DataFrame | None = field(default=None, repr=False)
    audit_: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def flagged(self) -> pd.DataFrame:
        """**Researchers only.** The flagged rows of :attr:`ranking`."""
        return self.ranking.loc[self.ranking["selected"]]

    def __repr__(self) -> str:  # no ids
        return (f"RiskList(model={self.model!r}, cutoff={self.cutoff:%Y-%m-%d}, "
                f"horizon_days={self.horizon_days:g}, n_people={len(self.ranking)}, "
                f"k={int(self.ranking['selected'].sum())})")


def risk_list(
    probability: pd.Series,
    attributes: pd.DataFrame,
    cutoff: pd.Timestamp,
    horizon_days: float,
    model: str = "model",
    outcome: pd.Series | None = None,
    n_victims: int | None = None,
    top_share: float = 0.01,
    top_k: Sequence[int] = (),
    score: pd.Series | None = None,
    bound: tuple[float, float] = (0.8, 1.25),
    reference: str | Mapping[str, str] = "overall",
    min_n: int = 30,
    min_events: int = 10,
) -> RiskList:
    """Rank people by ``score`` (default ``probability``), flag the top, evaluate and audit.

    Parameters
    ----------
    probability : Series
        Predicted probability of victimization in the window, indexed by ``person_id`` (the
        whole population ranked).
    attributes : DataFrame
        ``race_ethnicity``, ``sex``, ``age_group`` (any columns: each is audited), same index.
    cutoff, horizon_days, model
        Recorded on the list.
    outcome : Series of bool, optional
        Victimized in the window, same index (None: not known yet; no evaluation).
    n_victims : int, optional
        All victims in the window, ranked or not (see :func:`ranking_metrics`).
    top_share, top_k
        List size and further sizes scored.
    score : Series, optional
        Ranking score when it is not the probability (same index).
    bound, reference, min_n, min_events
        See :func:`workbench.fairness.audit_table`.

    Returns
    -------
    RiskList
    """
    s = (probability if score is None else score.reindex(probability.index)).to_numpy(float)
    p = probability.to_numpy(float)
    n = len(p)
    k = int(np.ceil(top_share * n))
    order = np.argsort(-s, kind="stable")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(1, n + 1)
    frame = attributes.reindex(probability.index).copy()
    frame.insert(0, "score", s)
    frame.insert(1, "probability", p)
    frame.insert(2, "rank", rank)
    frame.insert(3, "selected", rank <= k)
    ev = cal = None
    if outcome is not None:
        y = outcome.reindex(probability.index).fillna(False).to_numpy(bool)
        frame["outcome"] = y
        ev = pd.Series(ranking_metrics(s, y, n_victims, p, top_share, top_k), name=model)
        cal = calibration_table(p, y)
    else:
        frame["outcome"] = False
    attrs = [c for c in attributes.columns]
    audit = fairness_audit(frame, attrs, "selected", "outcome", "probability", reference, bound,
                           min_n, min_events,
                           n_victims=n_victims if outcome is not None and n_victims is not None else None)
    if outcome is None:
        frame = frame.drop(columns="outcome")
    return RiskList(model, cutoff, horizon_days, top_share, frame.sort_values("rank"), ev, cal, audit)
