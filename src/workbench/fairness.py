"""Fairness audit of a ranked list of people: who is flagged, who is missed, by group.

A risk list flags the top of a ranking. For every group of a protected attribute
(race/ethnicity, sex, age group) the audit counts

- ``n`` people ranked, ``n_selected`` flagged, ``n_outcome`` victimized in the evaluation window,
  ``tp`` (flagged and victimized), ``fp`` (flagged, not victimized), ``sum_predicted`` (sum of
  predicted probabilities, when the list has them) -- these add across evaluation cutoffs
  (person-cutoffs);
- ``n_people``, ``n_selected_people``, ``n_outcome_people``: *distinct* people ranked, flagged
  and victimized (a person ranked at 36 cutoffs is one person, not 36);

and derives the

- **selection rate** ``n_selected / n`` (demographic parity),
- **capture rate** (true positive rate, recall) ``tp / n_outcome`` (equal opportunity),
- **precision** (positive predictive value) ``tp / n_selected``: of the people flagged, the
  share later victimized (predictive parity),
- **false positive rate** ``fp / (n - n_outcome)`` (with the capture rate: equalized odds),
- **calibration**: observed rate ``n_outcome / n`` against mean predicted probability
  ``sum_predicted / n`` (ratio ``observed / predicted``; 1 = well calibrated in the group).

Each rate is divided by the same rate of a reference (the overall population by default, or a
named reference group per attribute) to give a **disparity ratio**; a ratio outside
``bound`` (default the four-fifths rule, ``[0.8, 1.25]``) is flagged.

**Reliability.** A ratio is computed, and can be flagged, only when

1. the group has at least ``min_n`` *distinct people* (pooling person-cutoffs would let a group
   of two people ranked at 36 cutoffs pass a ``min_n`` of 30);
2. the rate's denominator, in distinct people, reaches its minimum: ``min_events`` victims for
   the capture rate and calibration, ``min_selected`` flagged people for precision,
   ``min_events`` non-victims for the false positive rate (the group size for selection);
   ``min_selected`` defaults to ``min_events``;
3. the rate's numerator -- flagged people for selection, flagged victims for capture and
   precision, flagged non-victims for the false positive rate, victims for calibration -- is
   at least ``min_selected`` (selections) or ``min_events`` (events), *observed or expected
   under the reference rate*: a large group that is never flagged although 50 flags were
   expected is flagged, a group of 40 with one flag is not judged.

Rows that fail are ``reliable=False`` (rule 1) or have a missing ratio (rules 2-3); either is
never flagged, because a rate from a handful of people says nothing about the list.

Counts add across evaluation cutoffs: :func:`group_counts` per cutoff, summed, then
:func:`audit_table` on the sum with the distinct-people counts of the pooled lists
(``people=``) gives a pooled audit (what :func:`workbench.network.rolling_evaluation` does).

Capture is of the victims *inside the ranked population*. Victims outside every list (people
not in the population at the cutoff, e.g. never arrested or shot before) are missing from
every group; give their total as ``n_victims`` and the ``"all"`` rows add
``n_victims_unranked`` and ``capture_rate_all_victims`` (flagged victims over all victims).

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
    "PEOPLE_COLUMNS",
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

#: Distinct-people columns of :func:`group_counts` (they do not add across cutoffs).
PEOPLE_COLUMNS: tuple[str, ...] = ("n_people", "n_selected_people", "n_outcome_people")

#: Rates audited: name -> (numerator, denominator) in terms of the count columns.
METRICS: dict[str, tuple[str, str]] = {
    "selection_rate": ("n_selected", "n"),
    "capture_rate": ("tp", "n_outcome"),
    "precision": ("tp", "n_selected"),
    "false_positive_rate": ("fp", "n_negative"),
    "observed_rate": ("n_outcome", "n"),
    "mean_predicted": ("sum_predicted", "n"),
}

#: Rates whose disparity ratios are flagged (calibration is reported as observed / predicted).
AUDITED: tuple[str, ...] = ("selection_rate", "capture_rate", "precision", "false_positive_rate",
                            "calibration")

#: Per audited rate: (numerator count, its minimum setting, denominator in distinct people, its
#: minimum setting) -- the reliability rules 2 and 3 of the module docstring.
_SUPPORT: dict[str, tuple[str, str, str, str]] = {
    "selection_rate": ("n_selected", "min_selected", "n_people", "min_n"),
    "capture_rate": ("tp", "min_events", "n_outcome_people", "min_events"),
    "precision": ("tp", "min_events", "n_selected_people", "min_selected"),
    "false_positive_rate": ("fp", "min_selected", "n_negative_people", "min_events"),
    "calibration": ("n_outcome", "min_events", "n_outcome_people", "min_events"),
}


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
    person: str | None = None,
) -> pd.DataFrame:
    """Counts per group of each attribute, plus an ``"all"`` row per attribute.

    Parameters
    ----------
    frame : DataFrame
        One row per ranked person (or person-cutoff, with ``person``): the attribute columns,
        boolean ``selected`` (flagged by the list) and ``outcome`` (victimized in the window),
        optionally ``predicted`` probabilities.
    attributes : sequence of str
        Columns to group by (missing values become ``"unknown"``).
    selected, outcome : str
        Boolean columns.
    predicted : str or None
        Column of predicted probabilities (``None`` or absent: ``sum_predicted`` is NaN).
    person : str or None
        Column of person ids when a person may appear in several rows (lists pooled over
        cutoffs): the distinct-people columns count each person once per group. ``None``:
        one row per person.

    Returns
    -------
    DataFrame
        ``attribute``, ``group``, the :data:`COUNT_COLUMNS` and the :data:`PEOPLE_COLUMNS`
        (plus ``n_negative_people``); groups sorted by name, the ``"all"`` row (whole
        population) last within each attribute.
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
    who = (frame[person].astype(str).to_numpy() if person is not None
           else np.arange(len(frame)).astype(str))
    parts = []
    for attr in attributes:
        g = frame[attr].astype(object).where(frame[attr].notna(), "unknown").astype(str)
        c = base.groupby(g.to_numpy(), sort=True).sum(min_count=1)
        total = base.sum(min_count=1).to_frame("all").T
        c = pd.concat([c, total])
        keys = pd.DataFrame({"group": g.to_numpy(), "person": who, "sel": sel, "out": out_})
        keys = pd.concat([keys, keys.assign(group="all")], ignore_index=True)
        c = c.join(_distinct_people(keys))
        c.index.name = "group"
        c = c.reset_index()
        c.insert(0, "attribute", attr)
        parts.append(c)
    res = pd.concat(parts, ignore_index=True)
    for col in ("n", "n_selected", "n_outcome", "tp", "fp", *PEOPLE_COLUMNS, "n_negative_people"):
        res[col] = res[col].fillna(0).astype(np.int64)
    return res[["attribute", "group", *COUNT_COLUMNS, *PEOPLE_COLUMNS, "n_negative_people"]]


def _distinct_people(keys: pd.DataFrame) -> pd.DataFrame:
    """Distinct people per ``group`` of ``keys`` (``group``, ``person``, ``sel``, ``out``):
    ranked, ever flagged, ever victimized, ever flagged without being victimized that time."""
    g = keys.groupby("group", sort=False)
    return pd.DataFrame({
        "n_people": g["person"].nunique(),
        "n_selected_people": keys[keys["sel"]].groupby("group")["person"].nunique(),
        "n_outcome_people": keys[keys["out"]].groupby("group")["person"].nunique(),
        "n_negative_people": keys[~keys["out"]].groupby("group")["person"].nunique(),
    }).fillna(0)


def audit_table(
    counts: pd.DataFrame,
    reference: str | Mapping[str, str] = "overall",
    bound: tuple[float, float] = (0.8, 1.25),
    min_n: int = 30,
    min_events: int = 10,
    *,
    people: pd.DataFrame | None = None,
    min_selected: int | None = None,
    n_victims: int | None = None,
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
        Groups with fewer *distinct* people are ``reliable=False``: ratios missing, never
        flagged.
    min_events : int
        Fewest victims (distinct people) behind the capture rate and calibration, non-victims
        behind the false positive rate, and fewest events (observed or expected) in the
        numerator of the capture rate, precision and calibration.
    people : DataFrame, optional
        Distinct-people counts (``attribute``, ``group`` and the :data:`PEOPLE_COLUMNS`, plus
        ``n_negative_people``) of pooled lists. Default: the columns of ``counts`` when each
        (attribute, group) appears once; for counts summed over cutoffs without them the
        person-cutoffs stand in and a :class:`~workbench._warnings.StatisticalWarning` says so.
    min_selected : int, optional
        Fewest flagged people behind precision, and fewest flags (observed or expected under
        the reference rate) behind the selection and false positive rates (default:
        ``min_events``).
    n_victims : int, optional
        All victims of the evaluation windows (person-cutoffs), ranked or not: the ``"all"``
        rows then give ``n_victims_unranked`` (victims outside every list) and
        ``capture_rate_all_victims`` (flagged victims over all victims).

    Returns
    -------
    DataFrame
        One row per (attribute, group): the counts, the distinct-people counts,
        ``n_negative``, the rates ``selection_rate``, ``capture_rate``, ``precision``,
        ``false_positive_rate``, ``observed_rate``, ``mean_predicted``, ``calibration``
        (observed / predicted), a ``<rate>_ratio`` per audited rate, ``reliable``,
        ``flagged`` (any ratio outside ``bound``), ``flags`` (comma-separated names of the
        flagged rates, ``""`` when none) and, with ``n_victims``, ``n_victims_unranked`` and
        ``capture_rate_all_victims`` (NaN on group rows).
    """
    low, high = bound
    if not 0 <= low <= 1 <= high:
        raise ValueError(f"bound must satisfy 0 <= low <= 1 <= high, got {bound!r}")
    grouped = counts.groupby(["attribute", "group"], sort=False)
    t = grouped[list(COUNT_COLUMNS)].sum(min_count=1).reset_index()
    people_cols = [*PEOPLE_COLUMNS, "n_negative_people"]
    if people is not None:
        pp = people.set_index(["attribute", "group"])[people_cols]
        t = t.join(pp, on=["attribute", "group"])
    elif set(people_cols) <= set(counts.columns) and not counts.duplicated(["attribute", "group"]).any():
        t = t.join(counts.set_index(["attribute", "group"])[people_cols], on=["attribute", "group"])
    else:
        import warnings

        from workbench._warnings import StatisticalWarning

        if counts.duplicated(["attribute", "group"]).any():
            warnings.warn(StatisticalWarning(
                "counts pooled over cutoffs without distinct-people counts (people=): group sizes "
                "are person-cutoffs, so small groups may pass min_n"), stacklevel=2)
        for col, src in zip(people_cols, ("n", "n_selected", "n_outcome", None)):
            t[col] = t[src] if src else t["n"] - t["n_outcome"]
    t[people_cols] = t[people_cols].fillna(0)
    t["n_negative"] = t["n"] - t["n_outcome"]
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, (num, den) in METRICS.items():
            d = t[den].astype(float)
            t[name] = np.where(d > 0, t[num] / d, np.nan)
        t["calibration"] = np.where(
            t["mean_predicted"] > 0, t["observed_rate"] / t["mean_predicted"], np.nan
        )
    t["reliable"] = (t["n_people"] >= min_n) | (t["group"] == "all")
    # reference rates per attribute
    if not isinstance(reference, Mapping) and reference != "overall":
        raise ValueError(f"reference must be 'overall' or a mapping, not {reference!r}")
    ref_rows = []
    for attr, sub in t.groupby("attribute", sort=False):
        ref_group = reference.get(attr, "all") if isinstance(reference, Mapping) else "all"
        r = sub.loc[sub["group"] == ref_group]
        if r.empty:
            raise ValueError(f"reference group {ref_group!r} not found for {attr!r}")
        ref_rows.append(r.iloc[0][[*AUDITED, "observed_rate"]].rename(attr))
    ref = pd.DataFrame(ref_rows)
    min_selected = min_events if min_selected is None else min_selected
    minimum = {"min_n": min_n, "min_events": min_events, "min_selected": min_selected}
    flags = []
    for name in AUDITED:
        r = t["attribute"].map(ref[name]).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(r > 0, t[name] / r, np.nan)
        num, num_min, den, den_min = _SUPPORT[name]
        # the numerator expected if the group had the reference rate
        rate, base = ("observed_rate", "n") if name == "calibration" else (name, METRICS[name][1])
        expected = t["attribute"].map(ref[rate]).astype(float) * t[base]
        enough = (t["reliable"] & (t[den] >= minimum[den_min])
                  & (np.fmax(t[num], expected.fillna(0)) >= minimum[num_min]))
        ratio = np.where(enough, ratio, np.nan)
        t[f"{name}_ratio"] = ratio
        flags.append(pd.Series(np.where((ratio < low) | (ratio > high), name, ""), index=t.index))
    t["flags"] = pd.concat(flags, axis=1).apply(lambda r: ",".join(x for x in r if x), axis=1)
    t["flagged"] = t["flags"] != ""
    for col in ("n", "n_selected", "n_outcome", "tp", "fp", *people_cols):
        t[col] = t[col].astype(np.int64)
    if n_victims is not None:
        is_all = t["group"] == "all"
        t["n_victims_unranked"] = np.where(is_all, int(n_victims) - t["n_outcome"], np.nan)
        t["capture_rate_all_victims"] = np.where(is_all & (n_victims > 0),
                                                 t["tp"] / max(int(n_victims), 1), np.nan)
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
    *,
    min_selected: int | None = None,
    n_victims: int | None = None,
) -> pd.DataFrame:
    """Audit one ranked list: :func:`group_counts` then :func:`audit_table`.

    Parameters
    ----------
    frame : DataFrame
        One row per ranked person with the attributes, ``selected``, ``outcome`` and
        (optionally) ``predicted`` columns.
    attributes, selected, outcome, predicted
        See :func:`group_counts`.
    reference, bound, min_n, min_events, min_selected, n_victims
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
    >>> a = fairness_audit(df, ["sex"], predicted=None, min_events=1, n_victims=15)
    >>> float(a.set_index("group").loc["female", "selection_rate"])
    0.0
    >>> [float(x) for x in a.set_index("group").loc["male", ["precision", "selection_rate_ratio"]]]
    [0.5, 2.0]
    >>> [round(float(x), 3) for x in a.set_index("group").loc["all", ["n_victims_unranked",
    ...                                                                "capture_rate_all_victims"]]]
    [5.0, 0.667]
    """
    counts = group_counts(frame, attributes, selected, outcome, predicted)
    return audit_table(counts, reference, bound, min_n, min_events, min_selected=min_selected,
                       n_victims=n_victims)
