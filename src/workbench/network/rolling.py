"""Rolling forward evaluation of person-level risk models against baselines, with fairness audit.

At each cutoff ``c`` (monthly by default) the population is everyone with an arrest or a
victimization strictly before ``c`` (:meth:`PeopleHistory.population`); every model predicts the
probability that each of them is victimized in ``[c, c + h)``; the top ``top_share`` are
flagged; the window's victims score the list. Models (same cutoffs, same population):

``demographics``
    scikit-learn ``LogisticRegression`` on age, sex and prior arrests (all, violent/weapons,
    in the past year), fitted on the previous window: features at ``c - h``, outcome
    victimized in ``[c - h, c)``; applied to the features at ``c``.
``prior_victimization``
    The same on prior victimizations (count, in the past year).
``exposure``
    The same on network exposure only (contacts, victims among contacts at distance 1 and 2,
    time-decayed exposure; :func:`~workbench.network.exposure.network_exposure`).
``contagion``
    :class:`~workbench.network.hawkes.NetworkHawkes` (constant background),
    ``P = 1 - exp(-integral of lambda over the window)``
    (:meth:`NetworkHawkes.expected_victimizations`).
``contagion_demographics``
    Logistic regression on the demographic features plus the log of the contagion model's
    expected count, fitted on the previous window like the other baselines (the contagion
    feature at ``c - h`` comes from the Hawkes model in use at ``c``, fitted on data before
    its refit date, which is at or before ``c``).

The Hawkes model is refitted every ``refit_months`` cutoffs (at the first cutoff and then
every ``refit_months`` months with monthly cutoffs) on all victimizations before the refit
date, on the co-arrest graph and population known then; between refits the fitted parameters
score the graph and events known at each cutoff, which is cheap. The logistic baselines are
refitted at every cutoff; their negatives are subsampled (20 per victim, inverse-rate
weights, seeded) to keep a city-scale run within two minutes.
No feature, graph, label or fit ever uses data at or after the cutoff it scores.

Background covariates inside the Hawkes model (``NetworkHawkes.fit(covariates=...)``) were
tried for the combined model and rejected: the population at a refit date contains people who
are in it only *because* they were victimized in the fitting window (no arrest), so in-sample
background regressions learn "no arrests = high risk", a selection artefact that made the
combined list worse than contagion alone on the synthetic city.

Green, Horel & Papachristos (2017): in Chicago the top 1 % captured 6.5 % of the next
victims with contagion plus demographics, 5.3 % with contagion alone and 4.3 % with
demographics alone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from workbench.fairness import COUNT_COLUMNS, PEOPLE_COLUMNS, age_group, audit_table, disparity_flags

from .history import DEMOGRAPHIC_FEATURES, EXPOSURE_FEATURES, VICTIMIZATION_FEATURES, PeopleHistory
from .risklist import RiskList, _calibration_rates, calibration_table, ranking_metrics, risk_list

__all__ = ["MODELS", "RollingEvaluation", "default_cutoffs", "rolling_evaluation"]

#: Models scored by :func:`rolling_evaluation`, in display order.
MODELS: tuple[str, ...] = (
    "demographics", "prior_victimization", "exposure", "contagion", "contagion_demographics",
)

#: Logistic-regression baselines: model -> feature columns of :meth:`PeopleHistory.features`.
LOGISTIC_FEATURES: dict[str, tuple[str, ...]] = {
    "demographics": DEMOGRAPHIC_FEATURES,
    "prior_victimization": VICTIMIZATION_FEATURES,
    "exposure": EXPOSURE_FEATURES,
}

#: Plain-language names for charts and tables.
MODEL_LABELS: dict[str, str] = {
    "demographics": "Demographics and prior arrests",
    "prior_victimization": "Prior victimization",
    "exposure": "Network exposure",
    "contagion": "Contagion (network Hawkes)",
    "contagion_demographics": "Contagion plus demographics",
}


def default_cutoffs(
    history: PeopleHistory,
    horizon_days: float = 365.0,
    freq: str = "MS",
    n_cutoffs: int = 36,
    min_history_days: float = 365.0,
    end: pd.Timestamp | None = None,
) -> pd.DatetimeIndex:
    """Month starts (``freq``) whose window ends by the data end, the last ``n_cutoffs``.

    The first allowed cutoff leaves ``horizon_days`` (for the baselines' training window)
    plus ``min_history_days`` of data before it; with too little data the history
    requirement shrinks to half a horizon, then to none. ``end`` is the data end (default
    ``history.end``, the last event; a report passes its one data end,
    :func:`workbench.data.data_end`).
    """
    end = history.end if end is None else pd.Timestamp(end)
    h = pd.Timedelta(days=horizon_days)
    last = end - h
    for hist in (min_history_days, horizon_days / 2, 0.0):
        first = history.start + h + pd.Timedelta(days=hist)
        cuts = pd.date_range(first.normalize(), last, freq=freq, tz=history.tz)
        cuts = cuts[(cuts > first) & (cuts <= last)] if len(cuts) else cuts
        if len(cuts):
            return cuts[-n_cutoffs:]
    return pd.DatetimeIndex([], tz=history.tz)


@dataclass
class RollingEvaluation:
    """Result of :func:`rolling_evaluation` (aggregates, plus researcher-only lists).

    Attributes
    ----------
    evaluation_ : DataFrame
        One row per (cutoff, model): :func:`~workbench.network.risklist.ranking_metrics`.
    summary_ : DataFrame
        One row per model: pooled over cutoffs (``captured``, ``n_victims`` summed;
        ``share_captured`` = their ratio) and means of ``precision_at_k``, ``auc``, ``brier``
        and the ``top_k`` columns.
    calibration_ : DataFrame
        Per model and decile of predicted probability (deciles within each cutoff, pooled):
        ``n``, ``sum_predicted``, ``n_outcome``, ``mean_predicted``, ``observed_rate``.
    audit_ : DataFrame
        Fairness audit per model (``model`` column + :func:`workbench.fairness.audit_table`),
        counts pooled over cutoffs, reliability judged on distinct people (``n_people``,
        ``n_selected_people``, ``n_outcome_people``); the ``"all"`` rows add
        ``n_victims_unranked`` (victims outside the ranked population, summed over windows)
        and ``capture_rate_all_victims``.
    flags_ : DataFrame
        The flagged disparities (``model`` + :func:`workbench.fairness.disparity_flags`).
    fits_ : DataFrame
        Hawkes parameters, contagion share, events and population per refit date.
    lists_ : dict of str to RiskList
        **Researchers only.** The lists at the last cutoff (``keep_lists=True``).
    cutoffs : DatetimeIndex
        Setting: the refit dates (also in ``settings``).
    horizon_days, top_share : float
        Settings (also in ``settings``).
    seconds_ : dict
        Wall time per stage.
    """

    evaluation_: pd.DataFrame
    summary_: pd.DataFrame
    calibration_: pd.DataFrame
    audit_: pd.DataFrame
    flags_: pd.DataFrame
    fits_: pd.DataFrame
    cutoffs: pd.DatetimeIndex
    horizon_days: float
    top_share: float
    lists_: dict[str, RiskList] = field(default_factory=dict, repr=False)
    seconds_: dict[str, float] = field(default_factory=dict)

    @property
    def settings(self) -> dict:
        """The settings of the evaluation, apart from its results (the ``_`` attributes):
        ``cutoffs``, ``horizon_days``, ``top_share``."""
        return {"cutoffs": self.cutoffs, "horizon_days": self.horizon_days, "top_share": self.top_share}


def _logistic(
    train_x: np.ndarray,
    train_y: np.ndarray,
    x: np.ndarray,
    negatives_per_case: int | None = 20,
    seed: int = 0,
) -> np.ndarray:
    """Probability from a standardized logistic regression (constant base rate if one class).

    With ``negatives_per_case``, all positives and a seeded random sample of that many
    negatives per positive are fitted, the negatives weighted by the inverse of their sampling
    rate (case-control sampling with weights: the same estimating equations in expectation,
    so the probabilities stay calibrated), which makes the fit several times cheaper when
    victims are about 1 % of the population.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_y = np.asarray(train_y, bool)
    if len(train_y) == 0 or train_y.min() == train_y.max():
        return np.full(len(x), float(train_y.mean()) if len(train_y) else 0.0)
    w = np.ones(len(train_y))
    pos, neg = np.flatnonzero(train_y), np.flatnonzero(~train_y)
    if negatives_per_case and len(neg) > negatives_per_case * len(pos):
        rng = np.random.default_rng(seed)
        keep_neg = rng.choice(neg, negatives_per_case * len(pos), replace=False)
        idx = np.concatenate([pos, keep_neg])
        w = np.r_[np.ones(len(pos)), np.full(len(keep_neg), len(neg) / len(keep_neg))]
        train_x, train_y = train_x[idx], train_y[idx]
    m = make_pipeline(StandardScaler(),
                      LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=100))
    m.fit(train_x, train_y, logisticregression__sample_weight=w)
    return m.predict_proba(x)[:, 1]


@threadpool_limits.wrap(limits=1, user_api="blas")  # small products: threads cost more than they save
def rolling_evaluation(
    history: PeopleHistory,
    cutoffs: Sequence[object] | None = None,
    horizon_days: float = 365.0,
    top_share: float = 0.01,
    top_k: Sequence[int] = (100,),
    models: Sequence[str] = MODELS,
    refit_months: int = 12,
    hawkes: Mapping[str, object] | None = None,
    bound: tuple[float, float] = (0.8, 1.25),
    reference: str | Mapping[str, str] = "overall",
    min_n: int = 30,
    min_events: int = 10,
    n_cutoffs: int = 36,
    min_selected: int | None = None,
    keep_lists: bool = False,
) -> RollingEvaluation:
    """Rank the population at each cutoff with every model, score the next window, audit.

    Parameters
    ----------
    history : PeopleHistory
        Arrests, victimizations and people (``PeopleHistory.from_dataset(ds)``).
    cutoffs : sequence of dates, optional
        Default :func:`default_cutoffs` (month starts, the last ``n_cutoffs`` whose window
        ends by the data end).
    horizon_days : float
        Prediction window, days.
    top_share : float
        Share of the population flagged (0.01 = top 1 %).
    top_k : sequence of int
        Further fixed list sizes scored.
    models : sequence of str
        Subset of :data:`MODELS`.
    refit_months : int
        Refit the Hawkes models every this many cutoffs (months with monthly cutoffs).
    hawkes : mapping, optional
        Keyword arguments of :class:`~workbench.network.hawkes.NetworkHawkes` (default
        ``weights="share", seasonality=True, max_lag_days="auto", n_boot=0``).
    bound, reference, min_n, min_events, min_selected
        Fairness audit settings (:func:`workbench.fairness.audit_table`); ``min_n`` and
        ``min_selected`` count distinct people over all cutoffs, not person-cutoffs.
    n_cutoffs : int
        Number of default cutoffs.
    keep_lists : bool
        Keep the person-level :class:`RiskList` of each model at the last cutoff.

    Returns
    -------
    RollingEvaluation
    """
    from .hawkes import NetworkHawkes

    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        raise ValueError(f"unknown models {unknown}; choose from {list(MODELS)}")
    h = float(horizon_days)
    H = pd.Timedelta(days=h)
    if cutoffs is None:
        cuts = default_cutoffs(history, h, n_cutoffs=n_cutoffs)
    else:
        cuts = pd.DatetimeIndex([history.timestamp(c) for c in cutoffs]).sort_values().unique()
    if len(cuts) == 0:
        raise ValueError("no cutoff leaves a complete prediction window inside the data")
    hk = {"weights": "share", "seasonality": True, "max_lag_days": "auto", "n_boot": 0}
    hk.update(hawkes or {})
    secs = {"features": 0.0, "logistic": 0.0, "hawkes_fit": 0.0, "hawkes_score": 0.0,
            "evaluate": 0.0}
    cache: dict[pd.Timestamp, tuple] = {}

    def state(c: pd.Timestamp):
        if c not in cache:
            t0 = time.perf_counter()
            pop = history.population(c)
            g = history.graph(c, pop)
            f = history.features(c, pop, g)
            cache[c] = (pop, g, f)
            secs["features"] += time.perf_counter() - t0
        return cache[c]

    rows, cal_parts, count_parts, fit_rows = [], [], [], []
    distinct = _DistinctPeople(len(history.ids))
    audit_groups = _AuditGroups(history)
    lists: dict[str, RiskList] = {}
    hawkes_models = [m for m in models if m.startswith("contagion")]
    for i, c in enumerate(cuts):
        pop, g, f = state(c)
        y = history.victimized(c, c + H, pop)
        n_vict = history.n_victims(c, c + H)
        probs: dict[str, np.ndarray] = {}
        # logistic baselines on the previous window
        lr_models = [m for m in models if m in LOGISTIC_FEATURES]
        if lr_models:
            prev = c - H
            ppop, _, pf = state(prev)
            t0 = time.perf_counter()
            py = history.victimized(prev, c, ppop)
            for m in lr_models:
                cols = list(LOGISTIC_FEATURES[m])
                probs[m] = _logistic(pf[cols].to_numpy(), py, f[cols].to_numpy())
            secs["logistic"] += time.perf_counter() - t0
        # Hawkes model: refit on schedule, score every cutoff (and the previous window's
        # start, the training features of the stacked contagion + demographics model)
        if hawkes_models:
            if i % max(int(refit_months), 1) == 0:
                t0 = time.perf_counter()
                hawkes_model = NetworkHawkes(**hk).fit(
                    g, history.events_before(c), start=history.start.normalize(), end=c
                )
                fit_rows.append({"refit": c, **hawkes_model.params_.to_dict(),
                                 "contagion_share": hawkes_model.contagion_share_,
                                 "n_events": hawkes_model.n_events_,
                                 "n_people": g.n_people})
                secs["hawkes_fit"] += time.perf_counter() - t0
            t0 = time.perf_counter()

            def contagion(d: pd.Timestamp) -> np.ndarray:
                dpop, dg, _ = state(d)
                rows_t = history.event_rows(d, dpop, hawkes_model.start_)
                r = hawkes_model.expected_victimizations(d, h, graph=dg, event_rows=rows_t)
                return r["expected"].to_numpy()

            expected = contagion(c)
            if "contagion" in models:
                probs["contagion"] = -np.expm1(-expected)
            if "contagion_demographics" in models:
                prev = c - H
                ppop, _, pf = state(prev)
                py = history.victimized(prev, c, ppop)
                cols = list(DEMOGRAPHIC_FEATURES)
                tx = np.column_stack([pf[cols].to_numpy(), np.log(contagion(prev))])
                x = np.column_stack([f[cols].to_numpy(), np.log(expected)])
                probs["contagion_demographics"] = _logistic(tx, py, x)
            secs["hawkes_score"] += time.perf_counter() - t0
        # evaluate and audit
        t0 = time.perf_counter()
        groups = audit_groups(c, pop)
        gids = distinct.add_population(groups, pop, y)
        for m in models:
            p = probs[m]
            order = np.argsort(-p, kind="stable")  # the list and the metrics share one sort
            met = ranking_metrics(p, y, n_vict, p, top_share, top_k, order=order)
            rows.append({"cutoff": c, "model": m, **met})
            cal = calibration_table(p, y, order=order)
            cal.insert(0, "model", m)
            cal_parts.append(cal)
            k = int(np.ceil(top_share * len(p)))
            sel = np.zeros(len(p), bool)
            sel[order[:k]] = True
            gc = _counts(groups, sel, y, p)
            distinct.add_selected(m, groups, pop, sel, gids)
            gc.insert(0, "model", m)
            count_parts.append(gc)
            if keep_lists and i == len(cuts) - 1:
                attrs = history.attributes(c, pop)
                lists[m] = risk_list(pd.Series(p, index=f.index), attrs, c, h, m,
                                     pd.Series(y, index=f.index), n_vict, top_share, top_k,
                                     bound=bound, reference=reference, min_n=min_n,
                                     min_events=min_events)
        secs["evaluate"] += time.perf_counter() - t0
        # drop cached states no later cutoff needs (keep those a future c - H will ask for)
        for old in [d for d in cache if d < c - H - pd.Timedelta(days=40)]:
            del cache[old]

    ev_df = pd.DataFrame(rows)
    summary = _summarize(ev_df, top_k)
    cal = pd.concat(cal_parts).groupby(["model", "bin"], sort=False)[
        ["n", "sum_predicted", "n_outcome"]].sum().reset_index()
    cal = _calibration_rates(cal)
    counts = pd.concat(count_parts)
    audits, flags = [], []
    n_victims_all = int(ev_df.loc[ev_df["model"] == models[0], "n_victims"].sum()) if len(ev_df) else 0
    for m in models:
        a = audit_table(counts.loc[counts["model"] == m, ["attribute", "group", *COUNT_COLUMNS]],
                        reference, bound, min_n, min_events, people=distinct.table(m),
                        min_selected=min_selected, n_victims=n_victims_all)
        a.insert(0, "model", m)
        audits.append(a)
        fl = disparity_flags(a)
        fl.insert(0, "model", m)
        flags.append(fl)
    return RollingEvaluation(
        evaluation_=ev_df, summary_=summary, calibration_=cal,
        audit_=pd.concat(audits, ignore_index=True),
        flags_=pd.concat([f for f in flags if len(f)] or flags[:1], ignore_index=True),  # empty frames: no dtype
        fits_=pd.DataFrame(fit_rows), cutoffs=cuts, horizon_days=h, top_share=top_share,
        lists_=lists, seconds_=secs,
    )


class _DistinctPeople:
    """Distinct people per (attribute, group) over cutoffs: ranked, victimized, ranked while
    not victimized, and flagged per model.

    One boolean mark matrix (person code x group of the attribute) per count, set in place at
    each cutoff (a person whose group changes, e.g. by age, counts in each group). Setting
    marks is linear in the population; the former sorted-key unions (``np.union1d`` of
    ``code * 2**16 + group`` keys) re-sorted every person known so far at every cutoff.
    """

    def __init__(self, n_universe: int) -> None:
        self.n = int(n_universe)
        self.names: dict[str, dict[str, int]] = {}
        self.marks: dict[tuple, np.ndarray] = {}

    def _gid(self, attr: str, names: np.ndarray, code: np.ndarray) -> np.ndarray:
        idx = self.names.setdefault(attr, {})
        gid = np.array([idx.setdefault(str(x), len(idx)) for x in names], np.int64)
        return gid[code]

    def _mark(self, key: tuple, attr: str, people: np.ndarray, gid: np.ndarray) -> None:
        n_groups = len(self.names[attr])
        m = self.marks.get(key)
        if m is None:
            m = np.zeros((self.n, n_groups), bool)
        elif m.shape[1] < n_groups:
            m = np.pad(m, ((0, 0), (0, n_groups - m.shape[1])))
        m[people, gid] = True
        self.marks[key] = m

    def add_population(self, groups, pop: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """Mark the ranked population; returns the group ids per attribute (for
        :meth:`add_selected`)."""
        gids = []
        for attr, names, code in groups:
            gid = self._gid(attr, names, code)
            gids.append(gid)
            self._mark(("n_people", attr), attr, pop, gid)
            self._mark(("n_outcome_people", attr), attr, pop[y], gid[y])
            self._mark(("n_negative_people", attr), attr, pop[~y], gid[~y])
        return gids

    def add_selected(self, model: str, groups, pop: np.ndarray, sel: np.ndarray,
                     gids: list[np.ndarray]) -> None:
        for (attr, _, _), gid in zip(groups, gids):
            self._mark(("n_selected_people", attr, model), attr, pop[sel], gid[sel])

    def table(self, model: str) -> pd.DataFrame:
        """``attribute``, ``group``, the distinct-people columns (``"all"`` rows included)."""
        parts = []
        for attr, idx in self.names.items():
            names = list(idx)
            row = {"attribute": attr, "group": names + ["all"]}
            for col in (*PEOPLE_COLUMNS, "n_negative_people"):
                key = (col, attr, model) if col == "n_selected_people" else (col, attr)
                m = self.marks.get(key)
                if m is None:
                    row[col] = np.zeros(len(names) + 1, np.int64)
                    continue
                per = np.zeros(len(names), np.int64)
                per[: m.shape[1]] = m.sum(axis=0)
                row[col] = np.append(per, int(m.any(axis=1).sum()))
            parts.append(pd.DataFrame(row))
        return pd.concat(parts, ignore_index=True)


class _AuditGroups:
    """The audit attributes of a population as (attribute, sorted group names, code per
    person), equal to :func:`_factorize` of :meth:`PeopleHistory.attributes` columns, from
    factorizations of the whole universe of people made once (race/ethnicity and sex) or once
    per calendar year (age group), instead of hashing every person's strings at every cutoff."""

    def __init__(self, history: PeopleHistory) -> None:
        self.history = history
        self.fixed = {
            "race_ethnicity": pd.factorize(pd.Series(history.race).astype(str), sort=True),
            "sex": pd.factorize(pd.Series(history.sex).astype(str), sort=True),
        }
        self.by_year: dict[int, tuple] = {}

    def __call__(self, cutoff: pd.Timestamp, pop: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray]]:
        year = int(cutoff.year)
        if year not in self.by_year:
            ages = age_group(year - self.history.birth_year)
            self.by_year[year] = pd.factorize(ages.astype(str), sort=True)
        out = []
        for attr, (codes, names) in (*self.fixed.items(), ("age_group", self.by_year[year])):
            cu = codes[pop]
            present = np.bincount(cu, minlength=len(names)) > 0
            remap = np.cumsum(present) - 1
            out.append((attr, np.asarray(names[present], dtype=object), remap[cu]))
        return out


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(sorted names, code per row) by hashing (no sort of the rows)."""
    codes, names = pd.factorize(values.astype(str), sort=True)
    return np.asarray(names, dtype=object), codes


def _counts(groups, sel: np.ndarray, y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """:func:`workbench.fairness.group_counts` from pre-factorized attributes: one integer
    ``bincount`` of (group, selected, outcome) cells gives ``n``, ``n_selected``,
    ``n_outcome``, ``tp`` and ``fp``; one weighted ``bincount`` the predicted sums."""
    parts = []
    cell = sel.astype(np.int64) * 2 + y.astype(np.int64)  # 0 neither, 1 y, 2 sel, 3 both
    for attr, names, code in groups:
        m = len(names)
        c4 = np.bincount(code * 4 + cell, minlength=4 * m).reshape(m, 4)
        c4 = np.vstack([c4, c4.sum(axis=0)])  # the "all" row
        c = pd.DataFrame({
            "attribute": attr,
            "group": list(names) + ["all"],
            "n": c4.sum(axis=1),
            "n_selected": c4[:, 2] + c4[:, 3],
            "n_outcome": c4[:, 1] + c4[:, 3],
            "tp": c4[:, 3],
            "fp": c4[:, 2],
            "sum_predicted": np.append(np.bincount(code, weights=p, minlength=m), p.sum()),
        })
        parts.append(c)
    return pd.concat(parts, ignore_index=True)


def _summarize(ev: pd.DataFrame, top_k: Sequence[int]) -> pd.DataFrame:
    g = ev.groupby("model", sort=False)
    s = g[["n_victims", "captured", "k", "n_victims_ranked"]].sum()
    s["share_captured"] = s["captured"] / s["n_victims"]
    s["precision_at_k"] = s["captured"] / s["k"]
    means = [c for c in ("auc", "brier") if c in ev]
    for c in means:
        s[c] = g[c].mean()
    for kk in top_k:
        cols = [c for c in ev.columns if c.startswith("captured_k")]
        for c in cols:
            s[c] = g[c].sum()
            s["share_" + c] = s[c] / s["n_victims"]
    s["n_cutoffs"] = g.size()
    s.insert(0, "label", [MODEL_LABELS.get(m, m) for m in s.index])
    return s.reset_index()
