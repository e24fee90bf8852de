"""Cox proportional-hazards models of the time to engagement, with the assumption check shown.

:func:`cox_design` turns the referral table into model columns (one-hot service, provider
and responder type with explicit reference levels; age per decade; time on scene in hours;
prior victimization), :func:`fit_cox` fits :class:`lifelines.CoxPHFitter` and runs the
proportional-hazards check, keeping lifelines' printed advice as text (``CoxResult.advice``)
and the test table as data; with ``stratify_on_failure`` the categorical variables that fail
the check become strata and the model is refitted.

Small or sparse data never crash a page: when the plain partial likelihood cannot be maximized
(too few events, a level where everyone or nobody engaged -- separation) the model is refitted
with a ridge penalty (:data:`FALLBACK_PENALIZER`, the standard remedy) and says so
(``CoxResult.penalizer``, ``CoxResult.note``, a :class:`~workbench.ConvergenceWarning`); when no
model can be fitted at all the result has ``fitted=False``, an empty summary and the reason.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning as LifelinesConvergenceWarning
from lifelines.statistics import proportional_hazard_test

from workbench._warnings import ConvergenceWarning, StatisticalWarning

__all__ = ["CATEGORICAL", "DEFAULT_COVARIATES", "FALLBACK_PENALIZER", "CoxResult", "cox_design", "fit_cox",
           "robust_fit"]

#: Ridge penalty of the refit when the plain partial likelihood cannot be maximized.
FALLBACK_PENALIZER = 0.1

#: Columns of ``CoxResult.summary``.
SUMMARY_COLUMNS = ["column", "variable", "level", "coef", "se", "hazard_ratio", "hr_lower", "hr_upper", "p"]

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
    stratified : CoxResult or None
        The refit with failing categorical covariates as strata.
    fitted : bool
        False when no model could be fitted (``summary`` is then empty; ``reason`` says why).
    reason : str
        Why the model was not fitted (empty when it was).
    penalizer : float
        Ridge penalty of the fit (``FALLBACK_PENALIZER`` when the plain fit failed).
    note : str
        What was done to get the fit (e.g. the penalized refit and why), empty when nothing.
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
    fitted: bool = True
    reason: str = ""
    penalizer: float = 0.0
    note: str = ""

    @property
    def summary_(self) -> pd.DataFrame:
        """``summary`` (lifelines' name for the estimates table)."""
        return self.summary

    @property
    def confidence_intervals_(self) -> pd.DataFrame:
        """Log hazard-ratio intervals per model column (``lower``, ``upper``)."""
        return pd.DataFrame({"lower": np.log(self.summary["hr_lower"].to_numpy(float)),
                             "upper": np.log(self.summary["hr_upper"].to_numpy(float))},
                            index=pd.Index(self.summary["column"], name="covariate"))

    @property
    def params_(self) -> pd.Series:
        """Log hazard ratios (``coef``) per model column, as lifelines' ``params_``."""
        return pd.Series(self.summary["coef"].to_numpy(float), index=pd.Index(self.summary["column"], name="covariate"),
                         name="coef")

    @classmethod
    def unfitted(cls, reason: str, n: int = 0, events: int = 0, dropped: int = 0,
                 references: dict | None = None, strata: list[str] | None = None) -> "CoxResult":
        """A result saying that no model could be fitted, and why."""
        return cls(summary=pd.DataFrame(columns=SUMMARY_COLUMNS), concordance=float("nan"), n=n, events=events,
                   dropped=dropped, references=dict(references or {}),
                   ph_test=pd.DataFrame(columns=["column", "test_statistic", "p"]), advice="", failing=[],
                   strata=list(strata or []), fitted=False, reason=reason)


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
    with contextlib.redirect_stdout(buf):
        cph.check_assumptions(design, p_value_threshold=p_threshold, show_plots=False)
    return tab, buf.getvalue().strip()


def _converged(caught: list[warnings.WarningMessage]) -> tuple[bool, str]:
    bad = [w for w in caught if issubclass(w.category, LifelinesConvergenceWarning)]
    return (not bad), (_first_sentence(str(bad[0].message)) if bad else "")


def _first_sentence(msg: str) -> str:
    msg = " ".join(msg.split())
    for stop in (" For example", " Try ", " See https", " Please see"):
        msg = msg.split(stop)[0]
    return msg.strip() or "no message"


def robust_fit(make, fit, penalizer: float = 0.0, what: str = "model") -> tuple[object | None, float, str, str]:
    """Fit a lifelines model; on a convergence failure refit with a ridge penalty, else give up.

    Parameters
    ----------
    make : callable
        ``make(penalizer)`` returns a fresh lifelines fitter.
    fit : callable
        ``fit(fitter)`` fits it (raising lifelines' ``ConvergenceError`` or warning with its
        ``ConvergenceWarning`` on failure).
    penalizer : float, default 0
        Penalty of the first attempt.
    what : str
        Name of the model in messages.

    Returns
    -------
    fitter or None, penalizer used, note (what was done), reason (why it failed; empty on success)
    """
    first_problem = ""
    for pen in dict.fromkeys([penalizer, max(penalizer, FALLBACK_PENALIZER)]):
        model = make(pen)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", LifelinesConvergenceWarning)
                fit(model)
        except (ConvergenceError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
            problem = _first_sentence(str(exc)) if str(exc).strip() else type(exc).__name__
        else:
            ok, problem = _converged(caught)
            params = getattr(model, "params_", None)
            if ok and params is not None and np.isfinite(np.asarray(params, float)).all():
                for w in caught:  # record=True caught every warning: pass the others on to the user
                    if not issubclass(w.category, LifelinesConvergenceWarning):
                        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                note = "" if pen == penalizer else (
                    f"The unpenalized {what} did not converge cleanly (lifelines: {first_problem}); it was "
                    f"refitted with a ridge penalty of {pen:g}, the standard remedy for few events or "
                    "separation, which shrinks the estimates towards no association.")
                if note:
                    warnings.warn(note, ConvergenceWarning, stacklevel=3)
                return model, pen, note, ""
            problem = problem or "non-finite estimates"
        first_problem = first_problem or problem
    reason = f"the {what} could not be fitted, even with a ridge penalty ({first_problem})"
    warnings.warn(reason, ConvergenceWarning, stacklevel=3)
    return None, penalizer, "", reason


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
        ``fitted`` False (empty summary, ``reason``) when no model can be fitted; ``penalizer``
        and ``note`` say when the ridge-penalized refit was needed.

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> from workbench.survival import engagement_table
    >>> res = fit_cox(engagement_table(generate_city("tiny", seed=3).dataset), covariates=["responder_type", "age"])
    >>> res.fitted, res.summary["column"].tolist()[-1], list(res.confidence_intervals_.columns)
    (True, 'age_per_decade', ['lower', 'upper'])
    """
    covariates = [c for c in covariates if c in table.columns]
    design, cols, refs, dropped = cox_design(table, covariates, reference, strata, duration, event)
    n_ev = int(design[event].sum())
    if n_ev == 0 or len(cols) == 0:
        reason = ("no events among the rows with complete covariates" if n_ev == 0 else
                  "no covariate varies among the rows with complete covariates")
        return CoxResult.unfitted(reason, len(design), n_ev, dropped, refs, strata)
    cph, pen, note, reason = robust_fit(
        lambda pen: CoxPHFitter(alpha=alpha, penalizer=pen),
        lambda m: m.fit(design, duration_col=duration, event_col=event, strata=list(strata or []) or None),
        penalizer, "Cox model")
    if cph is None:
        return CoxResult.unfitted(reason, len(design), n_ev, dropped, refs, strata)
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
        try:
            ph, advice = _ph_check(cph, design, p_threshold)
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, KeyError) as exc:
            advice = f"The proportional-hazards check could not be run on these data ({exc})."
            warnings.warn(advice, StatisticalWarning, stacklevel=2)
            check = False
    if check:
        bad_cols = ph.loc[ph["p"] < p_threshold, "column"]
        failing = sorted({cols[c][0] for c in bad_cols if c in cols})
        if not advice:
            advice = "Proportional hazard assumption looks okay."
    result = CoxResult(summary=summary, concordance=float(cph.concordance_index_), n=len(design),
                       events=int(design[event].sum()), dropped=dropped, references=refs, ph_test=ph,
                       advice=advice, failing=failing, strata=list(strata or []), model=cph, penalizer=pen, note=note)
    cat_fail = [v for v in failing if v in CATEGORICAL and v not in (strata or [])]
    if check and stratify_on_failure and cat_fail:
        result.stratified = fit_cox(table, covariates, reference, list(strata or []) + cat_fail, duration,
                                    event, alpha, penalizer, check=True, p_threshold=p_threshold,
                                    stratify_on_failure=False)
    return result
