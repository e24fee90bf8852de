"""Fine-Gray subdistribution hazard regression for competing risks, on lifelines' weighted Cox.

lifelines has no Fine-Gray model; R's ``cmprsk::crr`` is the reference implementation. Here the
model is fitted as Geskus (2011) showed it can be: as a weighted Cox model on counting-process
data in which a subject who had a *competing* event stays in the risk set after it, with a
weight that decays like the censoring distribution,

.. math:: w_i(t) = \\hat G(t-) / \\hat G(T_i-), \\qquad t > T_i,

where :math:`\\hat G` is the Kaplan-Meier estimate of the censoring distribution (the weights of
``cmprsk::crr`` and ``survival::finegray``). The weight only matters at the event times of
interest, so each competing subject gets one row per run of event times over which
:math:`\\hat G` is constant. :class:`lifelines.CoxPHFitter` (late entry, case weights) maximizes
the weighted partial likelihood; the robust (sandwich) standard errors clustered on the subject
and the Breslow baseline cumulative subdistribution hazard -- which lifelines does not provide
for late-entry data -- are computed here, vectorized. The robust variance treats
:math:`\\hat G` as known (as ``coxph`` on ``finegray`` data does); ``crr`` adds a term for its
estimation, a small difference that the R comparison test measures. Tied event times: lifelines'
fit uses Efron's method, the residuals and the baseline use Breslow's (as ``crr`` does); the two
coincide without ties.

The subdistribution hazard ratio answers "how does this covariate change the *chance* that this
outcome happens by a given time, other outcomes being possible" -- the question the cumulative
incidence curves describe -- whereas the cause-specific hazard ratio
(:func:`~workbench.survival.cause_specific_cox`) answers "how fast does it happen among those
still in follow-up".

References
----------
Fine, J. P. and Gray, R. J. (1999). A proportional hazards model for the subdistribution of a
competing risk. JASA 94, 496-509.
Geskus, R. B. (2011). Cause-specific cumulative incidence estimation and the Fine and Gray model
under both left truncation and right censoring. Biometrics 67, 39-49.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from scipy.stats import norm

from workbench._warnings import StatisticalWarning

from .cox import DEFAULT_COVARIATES, CoxResult, cox_design, robust_fit
from .engagement import OUTCOMES

__all__ = ["MAX_ROWS", "TIME_STEPS_DAYS", "FineGrayFitter", "counting_process_size", "fine_gray", "simulate_fine_gray"]


class FineGrayFitter:
    """Fine-Gray proportional subdistribution hazards model (lifelines-style estimator).

    Parameters
    ----------
    alpha : float, default 0.05
        Intervals are ``1 - alpha``.
    penalizer : float, default 0
        Ridge penalty passed to :class:`lifelines.CoxPHFitter` (0: plain weighted partial
        likelihood).

    Attributes
    ----------
    params_ : Series
        Log subdistribution hazard ratios per covariate.
    standard_errors_ : Series
        Robust (sandwich, clustered on the subject) standard errors.
    variance_matrix_ : DataFrame
        Robust variance matrix of ``params_``.
    naive_variance_matrix_ : DataFrame
        Inverse information of the weighted partial likelihood (lifelines').
    confidence_intervals_ : DataFrame
        ``1 - alpha`` intervals of ``params_`` (robust), lifelines' column names.
    summary_ : DataFrame
        ``coef``, ``exp(coef)``, ``se(coef)``, interval bounds of both, ``z``, ``p``.
    baseline_cumulative_hazard_ : DataFrame
        Breslow cumulative subdistribution hazard at covariates 0, at each event time of
        interest (column ``baseline cumulative subdistribution hazard``).
    censoring_survival_ : DataFrame
        Kaplan-Meier estimate of the censoring distribution used for the weights.
    n_subjects_, n_events_, n_competing_, n_censored_, n_rows_ : int
        Subjects, events of interest, competing events, censored subjects, rows of the
        weighted counting-process data.
    penalizer_ : float
    model_ : lifelines.CoxPHFitter
        The weighted Cox fit.

    Examples
    --------
    >>> df = simulate_fine_gray(400, beta1=(0.5, -0.5), seed=1)
    >>> fg = FineGrayFitter().fit(df, "time", "status", event_of_interest=1)
    >>> fg.params_.round(1).tolist(), fg.n_events_
    ([0.5, -0.5], 87)
    >>> cif = fg.predict_cumulative_incidence(pd.DataFrame({"x1": [0.0], "x2": [0.0]}), times=[1.0, 5.0])
    >>> bool((cif.diff().dropna() >= 0).all().all())
    True
    """

    def __init__(self, alpha: float = 0.05, penalizer: float = 0.0) -> None:
        self.alpha = alpha
        self.penalizer = penalizer

    # ----------------------------------------------------------------------------------------
    def fit(
        self,
        df: pd.DataFrame,
        duration_col: str,
        event_col: str,
        event_of_interest,
        censored=0,
        covariates: list[str] | None = None,
    ) -> "FineGrayFitter":
        """Fit the model.

        Parameters
        ----------
        df : DataFrame
            One row per subject.
        duration_col : str
            Time of the first event or of censoring (non-negative; any unit).
        event_col : str
            Which event ended follow-up: ``event_of_interest``, ``censored``, or any other value
            (a competing event).
        event_of_interest
            Value of ``event_col`` for the event modelled.
        censored, default 0
            Value of ``event_col`` meaning censored.
        covariates : list of str, optional
            Numeric covariate columns; default every other column.

        Returns
        -------
        self
        """
        covariates = list(covariates if covariates is not None
                          else [c for c in df.columns if c not in (duration_col, event_col)])
        if not covariates:
            raise ValueError("FineGrayFitter needs at least one covariate")
        t = df[duration_col].to_numpy(float)
        if np.isnan(t).any() or (t < 0).any():
            raise ValueError(f"{duration_col}: durations must be non-negative and not missing")
        x = df[covariates].to_numpy(float)
        if not np.isfinite(x).all():
            raise ValueError(f"covariates {covariates}: missing or infinite values; drop or impute those rows first")
        ev = df[event_col].to_numpy()
        code = np.where(ev == event_of_interest, 1, np.where(ev == censored, 0, 2))
        if not (code == 1).any():
            raise ValueError(f"{event_col}: no event {event_of_interest!r} to model")
        self.covariates_ = covariates
        self.event_of_interest_ = event_of_interest

        # censoring distribution and the event times of interest
        self.censoring_survival_, g_before = _censoring_survival(t, code)
        tau = np.unique(t[code == 1])
        long = self._counting_process_rows(t, code, tau, g_before)
        data = pd.DataFrame(x[long["subject"]], columns=covariates)
        data["_start"], data["_stop"] = long["start"], long["stop"]
        data["_event"], data["_w"] = long["event"], long["weight"]

        cph = CoxPHFitter(alpha=self.alpha, penalizer=self.penalizer)
        with warnings.catch_warnings():
            # the weights are the censoring weights, not frequency weights: the robust variance
            # below is the one to use, as lifelines' advice says
            warnings.filterwarnings("ignore", message="It appears your weights are not integers")
            cph.fit(data, duration_col="_stop", event_col="_event", entry_col="_start", weights_col="_w")
        beta = cph.params_.to_numpy(float)
        naive = cph.variance_matrix_.to_numpy(float)

        score, d_lambda = self._score_residuals(data[covariates].to_numpy(float), long, tau, beta)
        u = np.zeros((len(t), len(beta)))
        np.add.at(u, long["subject"], score)
        robust = naive @ (u.T @ u) @ naive

        idx = pd.Index(covariates, name="covariate")
        self.model_ = cph
        self.params_ = pd.Series(beta, index=idx, name="coef")
        self.variance_matrix_ = pd.DataFrame(robust, index=idx, columns=idx)
        self.naive_variance_matrix_ = pd.DataFrame(naive, index=idx, columns=idx)
        self.standard_errors_ = pd.Series(np.sqrt(np.diag(robust)), index=idx, name="se")
        self.baseline_cumulative_hazard_ = pd.DataFrame(
            {"baseline cumulative subdistribution hazard": np.cumsum(d_lambda)}, index=pd.Index(tau, name="time"))
        self.n_subjects_, self.n_rows_ = len(t), len(data)
        self.n_events_ = int((code == 1).sum())
        self.n_competing_ = int((code == 2).sum())
        self.n_censored_ = int((code == 0).sum())
        self.penalizer_ = self.penalizer
        self.log_likelihood_ = float(cph.log_likelihood_)
        self._summarize()
        return self

    # ----------------------------------------------------------------------------------------
    @staticmethod
    def _counting_process_rows(t, code, tau, g_before) -> dict[str, np.ndarray]:
        """Weighted start-stop rows: one per subject up to its time, then the competing subjects'
        extension over runs of event times with constant censoring survival."""
        n = len(t)
        # everyone: (-1, T] with weight 1 (entry before 0 so that events at time 0 have everyone at risk)
        rows = {"subject": np.arange(n), "start": np.full(n, -1.0), "stop": t.astype(float),
                "event": (code == 1), "weight": np.ones(n)}
        ext = _extension(t, code, tau, g_before)
        if ext is not None:
            comp, b0, n_blocks, g_tau, starts, ends = ext
            k = n_blocks - b0  # rows per competing subject
            rep = np.repeat(np.arange(len(comp)), k)
            offset = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
            block = b0[rep] + offset
            first = offset == 0
            prev_end = np.where(block > 0, tau[ends[np.maximum(block - 1, 0)]], -1.0)
            start = np.where(first, t[comp][rep], prev_end)
            stop = tau[ends[block]]
            weight = g_tau[starts[block]] / g_before(t[comp])[rep]
            rows = {"subject": np.concatenate([rows["subject"], comp[rep]]),
                    "start": np.concatenate([rows["start"], start]),
                    "stop": np.concatenate([rows["stop"], stop]),
                    "event": np.concatenate([rows["event"], np.zeros(len(rep), bool)]),
                    "weight": np.concatenate([rows["weight"], weight])}
        return rows

    @staticmethod
    def _score_residuals(x, rows, tau, beta) -> tuple[np.ndarray, np.ndarray]:
        """Score residuals of every row (Breslow) and the Breslow hazard increments at ``tau``."""
        a, b, w, ev = rows["start"], rows["stop"], rows["weight"], rows["event"]
        v = w * np.exp(x @ beta)
        vx = v[:, None] * x

        def at_risk_sum(values: np.ndarray) -> np.ndarray:
            # sum over rows with a < tau_j <= b  =  sum(b >= tau_j) - sum(a >= tau_j)
            out = []
            for bound in (b, a):
                o = np.argsort(bound, kind="stable")
                suffix = np.concatenate([np.cumsum(values[o][::-1], axis=0)[::-1],
                                         np.zeros((1,) + values.shape[1:])])
                out.append(suffix[np.searchsorted(bound[o], tau, side="left")])
            return out[0] - out[1]

        s0 = at_risk_sum(v)
        s1 = at_risk_sum(vx)
        xbar = s1 / s0[:, None]
        d = np.bincount(np.searchsorted(tau, b[ev]), weights=w[ev], minlength=len(tau))
        d_lambda = d / s0
        c0 = np.concatenate([[0.0], np.cumsum(d_lambda)])
        c1 = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(xbar * d_lambda[:, None], axis=0)])
        lo = np.searchsorted(tau, a, side="right")
        hi = np.searchsorted(tau, b, side="right")
        comp = x * (c0[hi] - c0[lo])[:, None] - (c1[hi] - c1[lo])
        score = -v[:, None] * comp
        j = np.searchsorted(tau, b[ev])
        score[ev] += w[ev, None] * (x[ev] - xbar[j])
        return score, d_lambda

    def _summarize(self) -> None:
        z = norm.ppf(1 - self.alpha / 2)
        b, se = self.params_, self.standard_errors_
        pct = f"{100 * (1 - self.alpha):g}%"
        self.confidence_intervals_ = pd.DataFrame({f"{pct} lower-bound": b - z * se, f"{pct} upper-bound": b + z * se})
        with np.errstate(divide="ignore", invalid="ignore"):
            zz = b / se
        self.summary_ = pd.DataFrame({
            "coef": b, "exp(coef)": np.exp(b), "se(coef)": se,
            f"coef lower {pct}": b - z * se, f"coef upper {pct}": b + z * se,
            f"exp(coef) lower {pct}": np.exp(b - z * se), f"exp(coef) upper {pct}": np.exp(b + z * se),
            "z": zz, "p": 2 * norm.sf(np.abs(zz)),
        })

    # ----------------------------------------------------------------------------------------
    def predict_cumulative_incidence(self, X: pd.DataFrame, times=None) -> pd.DataFrame:
        """Cumulative incidence of the event of interest for covariate rows.

        :math:`F(t \\mid x) = 1 - \\exp(-e^{x\\beta} \\Lambda_0(t))` with the Breslow baseline.

        Parameters
        ----------
        X : DataFrame
            Covariate columns of the fit (one row per profile).
        times : array of float, optional
            Default: the event times of interest.

        Returns
        -------
        DataFrame
            Times (index) by profiles (columns, ``X``'s index).
        """
        base = self.baseline_cumulative_hazard_.iloc[:, 0]
        tt = base.index.to_numpy(float) if times is None else np.asarray(times, dtype=float)
        i = np.searchsorted(base.index.to_numpy(float), tt, side="right") - 1
        lam = np.where(i >= 0, base.to_numpy(float)[np.maximum(i, 0)], 0.0)
        eta = X[self.covariates_].to_numpy(float) @ self.params_.to_numpy(float)
        cif = 1.0 - np.exp(-np.outer(lam, np.exp(eta)))
        return pd.DataFrame(cif, index=pd.Index(tt, name="time"), columns=X.index)


#: Default bound on the Fine-Gray fit's weighted start-stop table (rows), see :func:`fine_gray`.
MAX_ROWS = 1_000_000

#: Time steps (days) :func:`fine_gray` tries, in order, to keep the weighted table under ``max_rows``.
TIME_STEPS_DAYS: tuple[float, ...] = (1.0, 2.0, 7.0, 14.0, 30.0, 91.0, 365.0)


def counting_process_size(t: np.ndarray, code: np.ndarray) -> int:
    """Rows of the weighted start-stop table :class:`FineGrayFitter` builds for times ``t`` and
    outcome codes ``code`` (1 the event of interest, 0 censored, 2 competing), without building it.

    Examples
    --------
    >>> import numpy as np
    >>> counting_process_size(np.array([1.0, 2, 3, 4]), np.array([1, 2, 0, 1]))
    5
    """
    t, code = np.asarray(t, float), np.asarray(code)
    ext = _extension(t, code, np.unique(t[code == 1]), _censoring_survival(t, code)[1])
    if ext is None:
        return len(t)
    _, b0, n_blocks, *_ = ext
    return int(len(t) + (n_blocks - b0).sum())


def _censoring_survival(t: np.ndarray, code: np.ndarray):
    """Kaplan-Meier estimate of the censoring distribution, and ``G(u-)`` as a vectorized function."""
    sf = KaplanMeierFitter().fit(t, code == 0, label="censoring survival").survival_function_
    g_time, g_val = sf.index.to_numpy(float), sf.iloc[:, 0].to_numpy(float)

    def g_before(u: np.ndarray) -> np.ndarray:
        i = np.searchsorted(g_time, u, side="left") - 1
        return np.where(i >= 0, g_val[np.maximum(i, 0)], 1.0)

    return sf, g_before


def _extension(t: np.ndarray, code: np.ndarray, tau: np.ndarray, g_before):
    """How the competing subjects stay at risk after their time: ``(comp, b0, n_blocks, g_tau,
    starts, ends)`` -- the subjects, the first block of event times each enters, the number of runs
    (blocks) of event times ``tau`` with constant censoring survival ``g_tau``, and each block's first
    and last event index; ``None`` when no competing subject or no event of interest."""
    comp = np.flatnonzero(code == 2)
    if not len(comp) or not len(tau):
        return None
    g_tau = g_before(tau)
    new_block = np.concatenate([[True], g_tau[1:] != g_tau[:-1]])
    block_of = np.cumsum(new_block) - 1  # block of each event time
    starts = np.flatnonzero(new_block)
    ends = np.concatenate([starts[1:], [len(tau)]]) - 1  # last event index of each block
    j0 = np.searchsorted(tau, t[comp], side="right")  # first event time after T_i
    has = j0 < len(tau)
    return comp[has], block_of[j0[has]], len(starts), g_tau, starts, ends


def fine_gray(
    table: pd.DataFrame,
    cause: str = "engaged",
    covariates: tuple[str, ...] | list[str] = DEFAULT_COVARIATES,
    reference: dict | None = None,
    duration: str = "outcome_days",
    event: str = "outcome",
    alpha: float = 0.05,
    penalizer: float = 0.0,
    min_events: int = 10,
    time_step_days: float | None = None,
    max_rows: int | None = MAX_ROWS,
) -> CoxResult:
    """Fine-Gray model of one outcome of the referral table, the others competing.

    The other causes of the table's censoring rule (``table.attrs["causes"]``; under the
    default rule decline, re-victimization and loss) compete; ``censored`` is censoring.

    Parameters
    ----------
    table : DataFrame
        From :func:`~workbench.survival.engagement_table`.
    cause : str, default "engaged"
    covariates, reference
        See :func:`~workbench.survival.cox_design`.
    alpha : float, default 0.05
    penalizer : float, default 0
        Ridge penalty; when the plain fit fails the model is refitted with
        :data:`~workbench.survival.cox.FALLBACK_PENALIZER` and says so.
    min_events : int, default 10
        Fewer events of ``cause``: no model, and the result says why.
    time_step_days : float, optional
        Round follow-up times up to this step (days) before fitting: ties instead of thousands of
        distinct times. lifelines' late-entry Cox, which the weighted fit runs on, loops over the
        distinct event times, so a city's 12,000 referrals in fractional days take minutes and in
        whole days seconds. Times of 0 stay 0. Default: exact times.
    max_rows : int or None, default :data:`MAX_ROWS`
        Largest weighted start-stop table the fit may build. Each subject with a competing
        outcome gets one row per later run of event times with constant censoring survival, so a
        city's 100,000 referrals followed for years make tens of millions of rows (gigabytes, and
        many minutes in lifelines). When the table would be larger, follow-up times are rounded
        up to the first of :data:`TIME_STEPS_DAYS` (after ``time_step_days``) that keeps it under
        ``max_rows``, and the result's ``note`` says which step was used. ``None``: no bound.

    Returns
    -------
    CoxResult
        ``summary`` as for a Cox model (``hazard_ratio`` is the *subdistribution* hazard ratio,
        with robust intervals); ``model`` is the :class:`FineGrayFitter`; ``concordance`` NaN
        and no proportional-hazards check. ``fitted``/``reason`` say when it could not be fitted.

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> from workbench.survival import engagement_table
    >>> res = fine_gray(engagement_table(generate_city("tiny", seed=3).dataset), covariates=["responder_type", "age"])
    >>> res.fitted, res.events > 10, "age_per_decade" in set(res.summary["column"])
    (True, True, True)
    """
    causes = tuple(table.attrs.get("causes", OUTCOMES))
    covariates = [c for c in covariates if c in table.columns]
    n_ev = int(table[event].eq(cause).sum())
    if n_ev < min_events:
        return CoxResult.unfitted(f"fewer {cause} outcomes than the {min_events} needed",
                                  len(table), n_ev)
    design, cols, refs, dropped = cox_design(table.assign(_ev=table[event].eq(cause)), covariates, reference,
                                             duration=duration, event="_ev")
    if not len(cols):
        return CoxResult.unfitted("no covariate varies", len(design), n_ev, dropped, refs)
    status = table.loc[design.index, event].map(
        lambda v: v if v in causes else "censored").to_numpy(object)
    d = design[[duration] + list(cols)].assign(_status=status)
    coarser = ""
    if max_rows is not None:
        code = np.where(status == cause, 1, np.where(status == "censored", 0, 2))
        raw = d[duration].to_numpy(float)
        steps = [time_step_days] + [s for s in TIME_STEPS_DAYS if s > (time_step_days or 0.0)]
        for step in steps:
            t = np.ceil(raw / step) * step if step else raw
            if counting_process_size(t, code) <= max_rows:
                break
        if step != time_step_days:
            coarser = (f"follow-up times rounded up to {step:g}-day steps, so that the model's weighted table "
                       f"stays under {max_rows:,} rows ({len(d):,} referrals followed for up to "
                       f"{np.nanmax(raw):,.0f} days)")
        time_step_days = step
    if time_step_days:
        d[duration] = np.ceil(d[duration].to_numpy(float) / time_step_days) * time_step_days
    n_ev = int((status == cause).sum())
    if n_ev == 0:
        return CoxResult.unfitted("no events among the rows with complete covariates",
                                  len(d), 0, dropped, refs)
    fg, pen, note, reason = robust_fit(
        lambda pen: FineGrayFitter(alpha=alpha, penalizer=pen),
        lambda m: m.fit(d, duration, "_status", event_of_interest=cause, censored="censored", covariates=list(cols)),
        penalizer, "Fine-Gray model")
    if fg is None:
        return CoxResult.unfitted(reason, len(d), n_ev, dropped, refs)
    s = fg.summary_
    lo, hi = (c for c in s.columns if c.startswith("exp(coef) lower") or c.startswith("exp(coef) upper"))
    summary = pd.DataFrame({
        "column": s.index.astype(str), "variable": [cols[c][0] for c in s.index],
        "level": [cols[c][1] for c in s.index], "coef": s["coef"].to_numpy(), "se": s["se(coef)"].to_numpy(),
        "hazard_ratio": s["exp(coef)"].to_numpy(), "hr_lower": s[lo].to_numpy(), "hr_upper": s[hi].to_numpy(),
        "p": s["p"].to_numpy()}).reset_index(drop=True)
    if not np.isfinite(summary["se"]).all():
        warnings.warn("Fine-Gray model: some robust standard errors are not finite", StatisticalWarning, stacklevel=2)
    return CoxResult(summary=summary, concordance=float("nan"), n=len(d), events=n_ev, dropped=dropped,
                     references=refs, ph_test=pd.DataFrame(columns=["column", "test_statistic", "p"]), advice="",
                     failing=[], model=fg, penalizer=pen, note="; ".join(filter(None, [note, coarser])))


def simulate_fine_gray(
    n: int,
    beta1: tuple[float, float] = (0.5, -0.5),
    beta2: tuple[float, float] = (-0.5, 0.5),
    p: float = 0.3,
    censor_max: float | None = 4.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Competing-risks data with known subdistribution hazard ratios (Fine and Gray 1999, sec. 5).

    Two standard normal covariates ``x1``, ``x2``. Cause 1 has the subdistribution
    :math:`F_1(t \\mid x) = 1 - [1 - p(1 - e^{-t})]^{\\exp(x'\\beta_1)}`, so its subdistribution
    hazard ratios are exactly ``exp(beta1)``; given no cause 1, cause 2 happens at an
    exponential time with rate :math:`\\exp(x'\\beta_2)`. Uniform(0, ``censor_max``) censoring.

    Returns
    -------
    DataFrame
        ``time``, ``status`` (0 censored, 1, 2), ``x1``, ``x2``.

    Examples
    --------
    >>> d = simulate_fine_gray(1000, seed=0)
    >>> sorted(d["status"].unique().tolist())
    [0, 1, 2]
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    eta1, eta2 = x @ np.asarray(beta1, float), x @ np.asarray(beta2, float)
    p1 = 1 - (1 - p) ** np.exp(eta1)  # P(cause 1 | x)
    cause1 = rng.random(n) < p1
    u = rng.random(n) * p1  # F1(T | x) for the cause-1 subjects
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = -np.log(1 - (1 - (1 - u) ** np.exp(-eta1)) / p)
    t2 = rng.exponential(1.0, n) / np.exp(eta2)
    t = np.where(cause1, t1, t2)
    status = np.where(cause1, 1, 2)
    if censor_max is not None:
        c = rng.uniform(0, censor_max, n)
        status = np.where(c < t, 0, status)
        t = np.minimum(t, c)
    return pd.DataFrame({"time": t, "status": status, "x1": x[:, 0], "x2": x[:, 1]})
