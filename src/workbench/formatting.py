"""Display formatting of policy pages: human column labels, plain numbers, one table style.

One home for how a number or a column name reads on a policy page (issue 12 section 4):

- :data:`LABELS` -- column name -> human label for every column that reaches a policy page;
  :func:`human_label` falls back to ``snake_case`` -> ``"snake case"`` and
  ``service[housing]`` -> ``"service: housing"``;
- :func:`format_number` -- thousands separators, no scientific notation, NaN/inf as
  :data:`MISSING` ("–");
- :func:`format_p` -- ``"p < 0.001"`` style p-values;
- :func:`policy_table` -- a pandas ``Styler`` with human labels, formatted numbers and no index.

Nothing here computes a result: it only changes how a finished, privacy-applied table reads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "LABELS",
    "appendix_html",
    "notice_html",
    "MISSING",
    "P_COLUMNS",
    "format_number",
    "format_p",
    "format_share",
    "human_columns",
    "human_label",
    "human_value",
    "policy_table",
]

#: What a missing, infinite or not-estimable number shows as.
MISSING = "–"

#: Column name -> human label, for columns that reach a policy page (notebook tables and the
#: tables of :mod:`workbench.sections`, :mod:`workbench.response`, :mod:`workbench.outreach`,
#: :mod:`workbench.dosage`, :mod:`workbench.survival`, :mod:`workbench.sections.overview`).
LABELS: dict[str, str] = {
    # counts and groups
    "group": "group",
    "area_id": "area",
    "name": "area",
    "n": "number",
    "n_rows": "records",
    "events": "engaged",
    "shootings": "shootings",
    "covered": "with a non-police responder",
    "share_covered": "share with a non-police responder",
    "victims": "victims",
    "victims_unserved": "victims with no referral",
    "victim_referrals": "referrals of victims",
    "family_referrals": "referrals of family members",
    "people": "people",
    "referrals": "referrals",
    "attempted": "follow-up attempted",
    "engaged": "engaged",
    "declined": "declined",
    "engagement_rate": "share engaged",
    "attempt_rate": "share with a follow-up attempt",
    "decline_rate": "share declined",
    "responses": "responses",
    "excluded": "left out (implausible)",
    # time
    "arrival_median_min": "median minutes to arrival",
    "arrival_p90_min": "90th percentile minutes to arrival",
    "on_scene_median_min": "median minutes on scene",
    "on_scene_mean_min": "mean minutes on scene",
    "on_scene_p90_min": "90th percentile minutes on scene",
    "on_scene_min": "minutes on scene",
    "arrival_q1_min": "minutes to arrival, 1st quartile",
    "arrival_q3_min": "minutes to arrival, 3rd quartile",
    "median_min": "median minutes",
    "mean_min": "mean minutes",
    "q1_min": "minutes, 1st quartile",
    "q3_min": "minutes, 3rd quartile",
    "iqr_min": "minutes, interquartile range",
    "referrals_per_person": "referrals per person",
    "referrals_per_victim": "referrals per victim",
    "median": "median (days)",
    "median_lower": "median, lower 95% bound (days)",
    "median_upper": "median, upper 95% bound (days)",
    "days": "days",
    # past victims
    "past_victims": "past victims",
    "unserved": "never referred",
    "revictimized": "shot again",
    "shot_since_start": "shot again since the program start",
    "served": "referred",
    # models
    "column": "measure",
    "covariate": "measure",
    "hazard_ratio": "hazard ratio",
    "hr_lower": "hazard ratio, lower 95% bound",
    "hr_upper": "hazard ratio, upper 95% bound",
    "cause_specific_hazard_ratio": "cause-specific hazard ratio (how fast)",
    "fine_gray_hazard_ratio": "Fine-Gray hazard ratio (how likely)",
    "fine_gray_hr_lower": "Fine-Gray, lower 95% bound",
    "fine_gray_hr_upper": "Fine-Gray, upper 95% bound",
    "fine_gray_p": "Fine-Gray p-value",
    "p": "p-value",
    "p_value": "p-value",
    "test_statistic": "test statistic",
    "smd": "standardized mean difference",
    "unweighted_smd": "standardized mean difference, unweighted (near 0 = balanced)",
    "weighted_smd": "standardized mean difference, weighted (near 0 = balanced)",
    "smd_weighted": "standardized mean difference (weighted)",
    "smd_unweighted": "standardized mean difference (unweighted)",
    "auc": "AUC (0.5 = chance, 1 = perfect ranking)",
    "AUC": "AUC (0.5 = chance, 1 = perfect ranking)",
    # dosage
    "population": "residents",
    "need_rate": "shootings per 1,000 residents (smoothed)",
    "police_rate": "police per 1,000 residents",
    "police_expected": "expected police per 1,000 residents",
    "police_ratio": "police ratio",
    "police_ratio_lower": "police ratio, lower bound",
    "police_ratio_upper": "police ratio, upper bound",
    "p_police_high": "probability police is high",
    "support_ratio": "support ratio",
    "p_support_low": "probability support is low",
    "patrol_hours": "patrol hours",
    "stops": "stops",
    "police_arrests": "arrests on patrol",
    "police_responses": "police responses",
    "coresponder_visits": "co-responder visits",
    "exposed": "residents exposed",
    "before": "count before",
    "after": "count after",
    # overview / quality
    "table": "table",
    "check": "check",
    "handling": "handling",
    "rows": "records",
    "missing": "missing",
    "dtype": "type",
    "nulls": "missing values",
    "share_null": "share missing",
    "distinct": "distinct values",
    "min": "lowest",
    "max": "highest",
    "rate_before": "rate before",
    "rate_after": "rate after",
    "share_missing": "share missing",
    "month": "month",
    "total": "total",
    "value": "value",
    "incidents": "incidents",
    "rate": "rate",
}

#: Columns read as p-values (formatted with :func:`format_p`).
P_COLUMNS = frozenset({"p", "p_value", "fine_gray_p", "p-value", "Fine-Gray p-value", "logrank_p"})

_BRACKET = re.compile(r"^(?P<var>[^\[\]]+)\[(?:T\.)?(?P<level>[^\[\]]*)\]$")


def human_label(name: Any) -> str:
    """The human label of one column name.

    ``LABELS`` first; else ``service[T.housing]`` -> ``"service: housing"`` and
    ``snake_case`` -> ``"snake case"``; other text is kept as written.

    Examples
    --------
    >>> human_label("arrival_median_min")
    'median minutes to arrival'
    >>> human_label("service[T.housing]")
    'service: housing'
    """
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    m = _BRACKET.match(text)
    if m:
        return f"{human_label(m['var'])}: {m['level'].replace('_', ' ')}"
    if "_" in text and " " not in text:
        return text.replace("_", " ").strip()
    return text


def human_value(value: Any) -> Any:
    """A covariate name as a value (``"service[T.housing]"`` -> ``"service: housing"``); others as is."""
    if isinstance(value, str) and _BRACKET.match(value):
        return human_label(value)
    return value


def human_columns(df: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``df`` with human column labels (``labels`` first, then :data:`LABELS`), a copy.

    Labels that would collide keep the original name.
    """
    extra = dict(labels or {})
    new, seen = [], set()
    for c in df.columns:
        lab = extra.get(str(c)) or human_label(c)
        if lab in seen:
            lab = str(c)
        seen.add(lab)
        new.append(lab)
    out = df.copy()
    out.columns = new
    return out


def _finite(x: Any) -> float | None:
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def format_number(x: Any, digits: int = 2, missing: str = MISSING) -> str:
    """A number as a policy reader sees it.

    Integers (and whole floats when ``digits`` is 0) with thousands separators; other floats
    rounded to ``digits`` decimals, never in scientific notation (a non-zero value that rounds to
    0 shows as ``"< 0.01"``); NaN, None and infinities as ``missing``; text as is.

    Examples
    --------
    >>> format_number(1234567)
    '1,234,567'
    >>> format_number(2.34e-12)
    '< 0.01'
    >>> format_number(float("nan"))
    '–'
    """
    if isinstance(x, str):
        return x
    if isinstance(x, (pd.Timestamp, np.datetime64)) and not pd.isna(x):
        ts = pd.Timestamp(x)
        return f"{ts:%Y-%m-%d}" if ts == ts.normalize() else f"{ts:%Y-%m-%d %H:%M}"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    v = _finite(x)
    if v is None:
        return missing if _is_number_like(x) else str(x)
    if digits <= 0:
        return f"{v:,.0f}"
    text = f"{v:,.{digits}f}"
    if v != 0 and float(text.replace(",", "")) == 0:
        return f"< {10 ** -digits:.{digits}f}" if v > 0 else f"> -{10 ** -digits:.{digits}f}"
    return text


def _is_number_like(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True


def format_share(x: Any, digits: int = 1, missing: str = MISSING) -> str:
    """A share 0..1 as a percentage (``0.123`` -> ``"12.3%"``); NaN/inf as ``missing``."""
    v = _finite(x)
    return missing if v is None else f"{100 * v:.{digits}f}%"


def format_p(p: Any, missing: str = MISSING) -> str:
    """A p-value in words for print: ``"p < 0.001"``, ``"p = 0.012"``, ``"p = 0.34"``.

    Examples
    --------
    >>> format_p(2.34e-12)
    'p < 0.001'
    >>> format_p(0.0123)
    'p = 0.012'
    """
    v = _finite(p)
    if v is None:
        return missing
    if v < 0.001:
        return "p < 0.001"
    if v < 0.1:
        return f"p = {v:.3f}"
    return f"p = {v:.2f}"


def _column_formatter(name: str, digits: int, shares: Iterable[str]):
    if name in P_COLUMNS:
        return lambda v: format_p(v) if _finite(v) is not None or _is_number_like(v) else str(v)
    if name in set(shares):
        return lambda v: format_share(v) if _is_number_like(v) else str(v)
    return lambda v: format_number(v, digits)


def policy_table(
    df: pd.DataFrame,
    precision: int = 2,
    labels: Mapping[str, str] | None = None,
    shares: Iterable[str] = (),
    index: bool = False,
):
    """A finished table as a policy page shows it (pandas ``Styler``).

    Human column labels (:func:`human_columns`), covariate names in a ``column`` column made
    readable (:func:`human_value`), numbers through :func:`format_number` (``precision``
    decimals), p-value columns (:data:`P_COLUMNS`) through :func:`format_p`, ``shares`` columns
    as percentages, NaN/inf as :data:`MISSING`; the index is hidden unless ``index``.

    Parameters
    ----------
    df : DataFrame
        Display-ready, privacy-applied table (suppressed counts already marker strings).
    precision : int, default 2
        Decimals of non-integer numbers.
    labels : mapping, optional
        Extra column labels, taking precedence over :data:`LABELS`.
    shares : iterable of str
        Columns (original names) holding shares 0..1, shown as percentages.
    index : bool, default False
        Keep the index (e.g. a meaningful row label).

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    shares = [str(s) for s in shares]
    t = df.copy()
    if index:
        t = t.reset_index()
    t.columns = [str(c) for c in t.columns]
    for c in ("column", "covariate"):
        if c in t.columns:
            t[c] = t[c].map(human_value)
    for c in t.columns:  # category codes (``community_health_worker``) read as words
        if t[c].dtype == object and _is_code_column(t[c]):
            t[c] = t[c].map(lambda v: v.replace("_", " ") if isinstance(v, str) else v)
    fmt = {}
    for c in t.columns:
        f = _column_formatter(c, precision, shares)
        fmt[c] = f
    shown = t.copy()
    for c, f in fmt.items():
        shown[c] = t[c].astype(object).map(f)
    shown = human_columns(shown, labels)
    # text from data is escaped here already (the export sanitizes again)
    return shown.style.hide(axis="index").format(escape="html").format_index(escape="html", axis=1)


_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def _is_code_column(values: pd.Series) -> bool:
    """Every text value a lower-case ``snake_case`` code and at least one with an underscore."""
    text = [v for v in values.dropna() if isinstance(v, str)]
    return bool(text) and len(text) == values.notna().sum() and all(_CODE.match(v) for v in text) \
        and any("_" in v for v in text)


def appendix_html(title: str, *parts: Any) -> str:
    """A collapsed technical appendix: ``<details class="wb-appendix">`` with ``title`` as summary.

    ``parts`` are HTML strings or objects with ``to_html()`` (a ``Styler``); ``title`` is
    escaped. Display it with ``IPython.display.HTML``; the export keeps ``<details>`` closed.
    """
    import html as html_lib

    body = "".join(p.to_html() if hasattr(p, "to_html") else str(p) for p in parts)
    return (f'<details class="wb-appendix"><summary>{html_lib.escape(title)}</summary>'
            f"{body}</details>")


def notice_html(text: str) -> str:
    """One plain notice (escaped) standing for a whole section without data."""
    import html as html_lib

    return f'<div class="wb-notice" role="note"><p>{html_lib.escape(text)}</p></div>'
