"""Fairness audit of a ranked list of people: who is flagged, who is missed, by group.

A risk list flags the top of a ranking. For every group of a protected attribute
(race/ethnicity, sex, age group) the audit counts

- ``n`` people ranked, ``n_selected`` flagged, ``n_outcome`` victimized in the evaluation window,
  ``tp`` (flagged and victimized), ``fp`` (flagged, not victimized), ``sum_predicted`` (sum of
  predicted probabilities, when the list has them);

and derives the

- **selection rate** ``n_selected / n`` (demographic parity),
- **capture rate** (true positive rate, recall) ``tp / n_outcome`` (equal opportunity),
- **false positive rate** ``fp / (n - n_outcome)`` (with the capture rate: equalized odds),
- **calibration**: observed rate ``n_outcome / n`` against mean predicted probability
  ``sum_predicted / n`` (ratio ``observed / predicted``; 1 = well calibrated in the group).

Each rate is divided by the same rate of a reference (the overall population by default, or a
named reference group per attribute) to give a **disparity ratio**; a ratio outside
``bound`` (default the four-fifths rule, ``[0.8, 1.25]``) is flagged. Groups with fewer than
``min_n`` people, or rates whose denominator is below ``min_events`` (e.g. fewer than 10 victims
for the capture rate), are marked unreliable: their ratios are left missing and never flagged,
because a rate from a handful of people says nothing about the list.

Counts add across evaluation cutoffs: :func:`group_counts` per cutoff, summed, then
:func:`audit_table` on the sum gives a pooled audit (what :func:`workbench.network.rolling_evaluation`
does).

References: Barocas, Hardt & Narayanan, *Fairness and Machine Learning* (2023), ch. 3;
29 CFR 1607.4(D) (the four-fifths rule); Chouldechova (2017) on calibration vs error-rate balance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "AGE_BINS",
    "AGE_LABELS",
    "COUNT_COLUMNS",
    "METRICS",
    "age_group",
    "audit_table",
    "disparity_flags",
    "fairness_audit",
    "group_counts",
]

#: Age-group edges (years, left-closed) and labels used by :func:`age_group`.
AGE_BINS: tuple[float, ...] = (-np.inf, 18, 25, 35, np.inf)
AGE_LABELS: tuple[str, ...] = ("under 18", "18-24", "25-34", "35 and over")

#: Count columns of :func:`group_counts` (they add across cutoffs).
COUNT_COLUMNS: tuple[str, ...] = ("n", "n_selected", "n_outcome", "tp", "fp", "sum_predicted")

#: Rates audited: name -> (numerator, denominator) in terms of the count columns.
METRICS: dict[str, tuple[str, str]] = {
    "selection_rate": ("n_selected", "n"),
    "capture_rate": ("tp", "n_outcome"),
    "false_positive_rate": ("fp", "n_negative"),
    "observed_rate": ("n_outcome", "n"),
    "mean_predicted": ("sum_predicted", "n"),
}

#: Rates whose disparity ratios are flagged (calibration is reported as observed / predicted).
AUDITED: tuple[str, ...] = ("selection_rate", "capture_rate", "false_positive_rate", "calibration")


def age_group(age: pd.Series | np.ndarray) -> pd.Series:
    """Age in years -> ``AGE_LABELS`` (missing age -> ``"unknown"``)."""
    a = pd.Series(np.asarray(age, dtype=float))
    out = pd.cut(a, AGE_BINS, right=False, labels=list(AGE_LABELS)).astype(object)
    return out.where(a.notna(), "unknown")


def group_counts(
    frame: pd.DataFrame,
    attributes: Sequence[str] = ("race_ethnicity", "sex", "age_group"),
    selected: str = "selected",
    outcome: str = "outcome",
    predicted: str | None = "probability",
) -> pd.DataFrame:
    """Counts per group of each attribute, plus an ``"all"`` row per attribute.

    Parameters
    ----------
    frame : DataFrame
        One row per ranked person: the attribute columns, boolean ``selected`` (flagged by the
        list) and ``outcome`` (victimized in the window), optionally ``predicted`` probabilities.
    attributes : sequence of str
        Columns to group by (missing values become ``"unknown"``).
    selected, outcome : str
        Boolean columns.
    predicted : str or None
        Column of predicted probabilities (``None`` or absent: ``sum_predicted`` is NaN).

    Returns
    -------
    DataFrame
        ``attribute``, ``group`` and the :data:`COUNT_COLUMNS`; groups sorted by name, the
        ``"all"`` row (whole population) last within each attribute.
    """
    sel = frame[selected].to_numpy(dtype=bool)
    out_ = frame[outcome].to_numpy(dtype=bool)
    has_p = predicted is not None and predicted in frame
    p = frame[predicted].to_numpy(dtype=float) if has_p else np.full(len(frame), np.nan)
    base = pd.DataFrame(
        {"n": 1, "n_selected": sel, "n_outcome": out_, "tp": sel & out_, "fp": sel & ~out_,
         "sum_predicted": p}
    )
    for c in ("n_selected", "n_outcome", "tp", "fp"):
        base[c] = base[c].astype(np.int64)
    parts = []
    for attr in attributes:
        g = frame[attr].astype(object).where(frame[attr].notna(), "unknown").astype(str)
        c = base.groupby(g.to_numpy(), sort=True).sum(min_count=1)
        total = base.sum(min_count=1).to_frame("all").T
        c = pd.concat([c, total])
        c.index.name = "group"
        c = c.reset_index()
        c.insert(0, "attribute", attr)
        parts.append(c)
    res = pd.concat(parts, ignore_index=True)
    for col in ("n", "n_selected", "n_outcome", "tp", "fp"):
        res[col] = res[col].astype(np.int64)
    return res[["attribute", "group", *COUNT_COLUMNS]]


def audit_table(
    counts: pd.DataFrame,
    reference: str | Mapping[str, str] = "overall",
    bound: tuple[float, float] = (0.8, 1.25),
    min_n: int = 30,
    min_events: int = 10,
) -> pd.DataFrame:
    """Rates, disparity ratios and flags from :func:`group_counts` (possibly summed over cutoffs).

    Parameters
    ----------
    counts : DataFrame
        Output of :func:`group_counts`, or the sum of several over ``attribute``/``group``.
    reference : "overall" or mapping
        ``"overall"``: ratios against the whole ranked population (the ``"all"`` row);
        ``{attribute: group}``: against that group (attributes not named use the overall rate).
    bound : (float, float)
        Ratios outside ``[low, high]`` are flagged (default: the four-fifths rule).
    min_n : int
        Groups with fewer people are ``reliable=False``: ratios missing, never flagged.
    min_events : int
        A rate whose denominator (victims for the capture rate, non-victims for the false
        positive rate, selected people... ) is below this is left missing for the ratio.

    Returns
    -------
    DataFrame
        One row per (attribute, group): the counts, ``n_negative``, the rates
        ``selection_rate``, ``capture_rate``, ``false_positive_rate``, ``observed_rate``,
        ``mean_predicted``, ``calibration`` (observed / predicted), a ``<rate>_ratio`` per
        audited rate, ``reliable``, ``flagged`` (any ratio outside ``bound``) and ``flags``
        (comma-separated names of the flagged rates, ``""`` when none).
    """
    low, high = bound
    if not 0 <= low <= 1 <= high:
        raise ValueError(f"bound must satisfy 0 <= low <= 1 <= high, got {bound!r}")
    t = counts.groupby(["attribute", "group"], sort=False)[list(COUNT_COLUMNS)].sum(min_count=1)
    t = t.reset_index()
    t["n_negative"] = t["n"] - t["n_outcome"]
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, (num, den) in METRICS.items():
            d = t[den].astype(float)
            t[name] = np.where(d > 0, t[num] / d, np.nan)
        t["calibration"] = np.where(
            t["mean_predicted"] > 0, t["observed_rate"] / t["mean_predicted"], np.nan
        )
    t["reliable"] = (t["n"] >= min_n) | (t["group"] == "all")
    # reference rates per attribute
    if not isinstance(reference, Mapping) and reference != "overall":
        raise ValueError(f"reference must be 'overall' or a mapping, not {reference!r}")
    ref_rows = []
    for attr, sub in t.groupby("attribute", sort=False):
        ref_group = reference.get(attr, "all") if isinstance(reference, Mapping) else "all"
        r = sub.loc[sub["group"] == ref_group]
        if r.empty:
            raise ValueError(f"reference group {ref_group!r} not found for {attr!r}")
        ref_rows.append(r.iloc[0][list(AUDITED)].rename(attr))
    ref = pd.DataFrame(ref_rows)
    denominators = {"selection_rate": "n", "capture_rate": "n_outcome",
                    "false_positive_rate": "n_negative", "calibration": "n_outcome"}
    flags = []
    for name in AUDITED:
        r = t["attribute"].map(ref[name]).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(r > 0, t[name] / r, np.nan)
        enough = t["reliable"] & (t[denominators[name]] >= min_events)
        ratio = np.where(enough, ratio, np.nan)
        t[f"{name}_ratio"] = ratio
        flags.append(pd.Series(np.where((ratio < low) | (ratio > high), name, ""), index=t.index))
    t["flags"] = pd.concat(flags, axis=1).apply(lambda r: ",".join(x for x in r if x), axis=1)
    t["flagged"] = t["flags"] != ""
    return t


def disparity_flags(audit: pd.DataFrame) -> pd.DataFrame:
    """The flagged rows of an :func:`audit_table` in long form.

    Returns
    -------
    DataFrame
        ``attribute``, ``group``, ``metric``, ``rate``, ``ratio``, ``n`` -- one row per flagged
        rate (empty when nothing is flagged).
    """
    rows = []
    for name in AUDITED:
        col = f"{name}_ratio"
        sub = audit.loc[audit["flags"].str.contains(name, regex=False)]
        for _, r in sub.iterrows():  # flagged rows only: a handful
            rows.append({"attribute": r["attribute"], "group": r["group"], "metric": name,
                         "rate": r[name], "ratio": r[col], "n": int(r["n"])})
    return pd.DataFrame(rows, columns=["attribute", "group", "metric", "rate", "ratio", "n"])


def fairness_audit(
    frame: pd.DataFrame,
    attributes: Sequence[str] = ("race_ethnicity", "sex", "age_group"),
    selected: str = "selected",
    outcome: str = "outcome",
    predicted: str | None = "probability",
    reference: str | Mapping[str, str] = "overall",
    bound: tuple[float, float] = (0.8, 1.25),
    min_n: int = 30,
    min_events: int = 10,
) -> pd.DataFrame:
    """Audit one ranked list: :func:`group_counts` then :func:`audit_table`.

    Parameters
    ----------
    frame : DataFrame
        One row per ranked person with the attributes, ``selected``, ``outcome`` and
        (optionally) ``predicted`` columns.
    attributes, selected, outcome, predicted
        See :func:`group_counts`.
    reference, bound, min_n, min_events
        See :func:`audit_table`.

    Returns
    -------
    DataFrame
        See :func:`audit_table`.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["male"] * 40 + ["female"] * 40,
    ...                    "selected": [True] * 20 + [False] * 60,
    ...                    "outcome": [True] * 10 + [False] * 70})
    >>> a = fairness_audit(df, ["sex"], predicted=None, min_events=1)
    >>> a.set_index("group").loc["female", "selection_rate"]
    0.0
    """
    counts = group_counts(frame, attributes, selected, outcome, predicted)
    return audit_table(counts, reference, bound, min_n, min_events)
