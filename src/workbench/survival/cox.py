"""Cox proportional-hazards models of the time to engagement, with the assumption check shown.

:func:`cox_design` turns the referral table into model columns (one-hot service, provider
and responder type with explicit reference levels; age per decade; time on scene in hours;
prior victimization), :func:`fit_cox` fits :class:`lifelines.CoxPHFitter` and runs the
proportional-hazards check, keeping lifelines' printed advice as text (``CoxResult.advice``)
and the test table as data; with ``stratify_on_failure`` the categorical variables that fail
the check become strata and the model is refitted.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test

__all__ = ["CATEGORICAL", "DEFAULT_COVARIATES", "CoxResult", "cox_design", "fit_cox"]

#: Categorical covariates (one-hot encoded against a reference level).
CATEGORICAL: tuple[str, ...] = ("service", "provider", "responder_type", "agency", "recipient")

#: Covariates of the engagement model.
DEFAULT_COVARIATES: tuple[str, ...] = ("service", "provider", "responder_type", "on_scene_min", "age",
                                       "prior_victimizations")

#: Numeric covariates are rescaled: name in the table -> (model column, divisor).
_NUMERIC = {"age": ("age_per_decade", 10.0), "on_scene_min": ("on_scene_hours", 60.0),
            "prior_victimizations": ("prior_victimization", None)}


@dataclass
class CoxResult:
    """A fitted Cox model as tables.

    Attributes
    ----------
    summary : DataFrame
        Per model column: ``variable``, ``level``, ``coef`` (log hazard ratio), ``se``,
        ``hazard_ratio``, ``hr_lower``, ``hr_upper`` (``1 - alpha``), ``p``.
    concordance : float
    n, events : int
        Rows used and events.
    dropped : int
        Rows left out for missing covariates.
    references : dict
        Reference level(s) of each categorical covariate.
    ph_test : DataFrame
        Proportional-hazards test per model column (``column``, ``test_statistic``, ``p``),
        rank-transformed time (Grambsch-Therneau, as in lifelines' check).
    advice : str
        What :meth:`lifelines.CoxPHFitter.check_assumptions` printed (its advice), verbatim.
    failing : list of str
        Covariates (table names) with a column failing the check at ``p_threshold``.
    strata : list of str
        Strata of this fit.
    model : CoxPHFitter
    """

    summary: pd.DataFrame
    concordance: float
    n: int
    events: int
    dropped: int
    references: dict
    ph_test: pd.DataFrame
    advice: str
    failing: list[str]
    strata: list[str] = field(default_factory=list)
    model: CoxPHFitter | None = None
    stratified: "CoxResult | None" = None


def _references(table: pd.DataFrame, var: str, given) -> list[str]:
    if given is not None:
        return [given] if isinstance(given, str) else list(given)
    if var == "provider" and "service" in table.columns:
        # providers are nested in services: the most frequent provider of each service
        counts = table.groupby(["service", "provider"]).size().reset_index(name="n")
        counts = counts.sort_values(["service", "n", "provider"], ascending=[True, False, True])
        return counts.drop_duplicates("service")["provider"].tolist()
    vc = table[var].value_counts()
    return [str(vc.sort_index().idxmax())] if len(vc) else []


def cox_design(
    table: pd.DataFrame,
    covariates: tuple[str, ...] | list[str] = DEFAULT_COVARIATES,
    reference: dict | None = None,
    strata: list[str] | None = None,
    duration: str = "days",
    event: str = "engaged",
) -> tuple[pd.DataFrame, dict, dict, int]:
    """Model columns for a Cox fit.

    Parameters
    ----------
    table : DataFrame
        From :func:`~workbench.survival.engagement_table`.
    covariates : sequence of str
        Table columns. Categorical ones (:data:`CATEGORICAL`) get one column per non-reference
        level, named ``"<variable>[<level>]"``; ``age`` becomes ``age_per_decade`` (years / 10),
        ``on_scene_min`` becomes ``on_scene_hours``, ``prior_victimizations`` becomes
        ``prior_victimization`` (0/1); other numeric columns enter as they are.
    reference : dict, optional
        Reference level (or list of levels) per categorical covariate. Default: the most
        frequent level; for ``provider`` the most frequent provider *of each service*
        (providers are nested in services, so one level per service is the reference).
    strata : list of str, optional
        Categorical columns to stratify on (kept as they are, not encoded).

    Returns
    -------
    design : DataFrame
        ``duration``, ``event`` and model columns (rows with missing values dropped).
    columns : dict
        Model column -> (variable, level).
    references : dict
        Reference levels used.
    dropped : int
        Rows dropped for missing values.
    """
    reference = dict(reference or {})
    strata = list(strata or [])
    cols = {}
    parts = [table[[duration]].astype(float), table[[event]].astype(bool)]
    refs = {}
    for var in covariates:
        if var in strata:
            continue
        if var in CATEGORICAL or table[var].dtype == object:
            refs[var] = _references(table, var, reference.get(var))
            levels = sorted(set(table[var].dropna().astype(str)) - set(refs[var]))
            block = pd.DataFrame({f"{var}[{lv}]": (table[var].astype(str) == lv).astype(float) for lv in levels},
                                 index=table.index)
            block[table[var].isna().to_numpy()] = np.nan
            for lv in levels:
                cols[f"{var}[{lv}]"] = (var, lv)
            parts.append(block)
        else:
            name, div = _NUMERIC.get(var, (var, 1.0))
            x = pd.to_numeric(table[var], errors="coerce").astype(float)
            x = (x > 0).astype(float).where(x.notna()) if div is None else x / div
            cols[name] = (var, None)
            parts.append(x.rename(name).to_frame())
    for s in strata:
        parts.append(table[[s]].astype(str))
    design = pd.concat(parts, axis=1)
    n0 = len(design)
    design = design.dropna()
    # drop columns without variation (a level absent after dropping rows)
    const = [c for c in cols if design[c].nunique() < 2]
    design = design.drop(columns=const)
    for c in const:
        cols.pop(c)
    return design, cols, refs, n0 - len(design)


def _ph_check(cph: CoxPHFitter, design: pd.DataFrame, p_threshold: float) -> tuple[pd.DataFrame, str]:
    res = proportional_hazard_test(cph, design, time_transform="rank")
    s = res.summary.reset_index()
    s = s.rename(columns={s.columns[0]: "column"})
    tab = pd.DataFrame({"column": s["column"].astype(str), "test_statistic": s["test_statistic"].to_numpy(),
                        "p": s["p"].to_numpy()})
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph.check_assumptions(design, p_value_threshold=p_threshold, show_plots=False)
    return tab, buf.getvalue().strip()


def fit_cox(
    table: pd.DataFrame,
    covariates: tuple[str, ...] | list[str] = DEFAULT_COVARIATES,
    reference: dict | None = None,
    strata: list[str] | None = None,
    duration: str = "days",
    event: str = "engaged",
    alpha: float = 0.05,
    penalizer: float = 0.0,
    check: bool = True,
    p_threshold: float = 0.01,
    stratify_on_failure: bool = True,
) -> CoxResult:
    """Fit a Cox proportional-hazards model and check its assumption.

    Parameters
    ----------
    table : DataFrame
        One row per subject (:func:`~workbench.survival.engagement_table`).
    covariates, reference, strata, duration, event
        See :func:`cox_design`.
    alpha : float, default 0.05
        Hazard-ratio intervals are ``1 - alpha``.
    penalizer : float, default 0
        Ridge penalty passed to lifelines (0: plain partial likelihood).
    check : bool, default True
        Run the proportional-hazards check (test table and lifelines' advice).
    p_threshold : float, default 0.01
        A model column fails the check when its test p-value is below this.
    stratify_on_failure : bool, default True
        Refit with the failing *categorical* covariates as strata; the refit is in
        ``result.stratified`` (numeric failures are only reported: the advice suggests
        binning or a time interaction).

    Returns
    -------
    CoxResult
    """
    design, cols, refs, dropped = cox_design(table, covariates, reference, strata, duration, event)
    if design[event].sum() == 0 or len(cols) == 0:
        raise ValueError("no events or no covariates with variation: a Cox model cannot be fitted")
    cph = CoxPHFitter(alpha=alpha, penalizer=penalizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph.fit(design, duration_col=duration, event_col=event, strata=list(strata or []) or None)
    s = cph.summary
    lo = [c for c in s.columns if c.startswith("exp(coef) lower")][0]
    hi = [c for c in s.columns if c.startswith("exp(coef) upper")][0]
    summary = pd.DataFrame({
        "column": s.index.astype(str),
        "variable": [cols[c][0] for c in s.index],
        "level": [cols[c][1] for c in s.index],
        "coef": s["coef"].to_numpy(), "se": s["se(coef)"].to_numpy(),
        "hazard_ratio": s["exp(coef)"].to_numpy(), "hr_lower": s[lo].to_numpy(), "hr_upper": s[hi].to_numpy(),
        "p": s["p"].to_numpy(),
    }).reset_index(drop=True)
    ph, advice, failing = pd.DataFrame(columns=["column", "test_statistic", "p"]), "", []
    if check:
        ph, advice = _ph_check(cph, design, p_threshold)
        bad_cols = ph.loc[ph["p"] < p_threshold, "column"]
        failing = sorted({cols[c][0] for c in bad_cols if c in cols})
        if not advice:
            advice = "Proportional hazard assumption looks okay."
    result = CoxResult(summary=summary, concordance=float(cph.concordance_index_), n=len(design),
                       events=int(design[event].sum()), dropped=dropped, references=refs, ph_test=ph,
                       advice=advice, failing=failing, strata=list(strata or []), model=cph)
    cat_fail = [v for v in failing if v in CATEGORICAL and v not in (strata or [])]
    if check and stratify_on_failure and cat_fail:
        result.stratified = fit_cox(table, covariates, reference, list(strata or []) + cat_fail, duration,
                                    event, alpha, penalizer, check=True, p_threshold=p_threshold,
                                    stratify_on_failure=False)
    return result
