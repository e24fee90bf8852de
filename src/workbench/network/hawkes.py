"""Network contagion of gun violence: a multivariate Hawkes process on a people graph.

Green, Horel & Papachristos (2017), *Modeling contagion through social networks to explain and
predict gunshot violence in Chicago, 2006 to 2014*, JAMA Internal Medicine 177(3):326-333.

Person ``i``'s victimization rate at time ``t`` (days) is

.. math::

    \\lambda_i(t) = \\mu_i s(t) + \\sum_{j \\sim i} \\sum_{t_{jk} < t,\\ t - t_{jk} \\le L}
        \\alpha\\, K_{ji}\\, \\beta e^{-\\beta (t - t_{jk})},
    \\qquad \\mu_i = \\mu_0 \\exp(x_i^\\top \\gamma),

where ``j ~ i`` are network contacts, ``K_ji`` how strongly ``j`` excites ``i`` (1 per tie by
default; see :meth:`Graph.trigger_matrix`), ``alpha`` the expected number of victimizations one
victimization triggers at each contact (per unit of ``K``), ``1/beta`` the mean delay in days,
``L`` the kernel truncation (``max_lag_days``) and ``s(t)`` either 1 or the annual cycle
``1 + a cos(2 pi d / 365.25) + b sin(2 pi d / 365.25)`` (``d`` the day of year).

With ``second_step=True`` the victimizations of people at distance exactly 2 (contacts of
contacts who are not contacts, :attr:`Graph.two_step`) excite too, with their own branching
weight ``alpha2`` (1 per distance-2 pair, whatever ``weights``) and the same decay ``beta``:
``+ sum_{j at distance 2} sum_k alpha2 beta exp(-beta (t - t_jk))``.

With ``self_excitation=True`` a person's own earlier victimizations excite them too (repeat
victimization: retaliation, or risk that differs between people), so that repeats are not
mistaken for contagion between contacts: ``+ sum_{t_ik < t} alpha_self beta_s exp(-beta_s
(t - t_ik))``, ``alpha_self`` the expected number of re-victimizations of the same person one
victimization triggers. ``beta_s`` is ``beta`` (``self_decay="shared"``, default) or its own
``beta_self`` (``self_decay="own"``). Each kind of excitation (contacts, distance 2, self) is a
block of candidate pairs with its own branching weight; the E-step, the closed-form M-step of
each weight and the profile step of each decay run over all blocks at once.

It is fitted by expectation-maximization over the branching structure: the E-step gives each
victimization the probability ``p_e0`` of being background and ``p_ek`` of being triggered by
each earlier victimization ``k`` of a contact within ``L`` days; the M-step updates ``mu0``
(closed form, or ``gamma`` by Poisson regression of expected background counts on the
covariates), the seasonal ``(a, b)`` (2-D maximization of the profiled background term, ``|a|, |b| <= 0.7``),
``alpha`` (closed form given ``beta``) and ``beta`` (one-dimensional maximization
of the profile expected log-likelihood, exact with edge effects; equal to the classical closed
form ``sum p / sum p * delay`` when no kernel is cut off by the end of the window). Candidate
parent pairs come from one sparse product ``P W P^T`` of the event-person incidence ``P`` and
the trigger matrix ``K``; every step is vectorized over pairs.

Confidence intervals come from a seeded bootstrap: simulate from the fitted model on the same
graph and window (:func:`simulate_network_hawkes`), refit; by default each interval is normal on
the log scale with the replicates' standard deviation, except the decay ``beta`` and the mean
delay ``1 / beta``, whose interval is the profile-likelihood (likelihood-ratio) interval
(``ci_method``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from threadpoolctl import threadpool_limits

from workbench._warnings import ConvergenceWarning, StatisticalWarning
from workbench.data.errors import DataError

from ._checks import as_timestamp, require_columns, require_not_null, require_tz_aware
from .cascades import attribute_sources
from .graph import Graph
from .simulate import YEAR, _day_of_year, seasonal_factor, simulate_network_hawkes

__all__ = ["NetworkHawkes"]

DAY = pd.Timedelta(days=1)


@dataclass
class _Problem:
    """Everything the EM needs, as arrays (events sorted by time)."""

    person: np.ndarray  # graph row of each event
    t: np.ndarray  # days since start
    T: float  # window length, days
    n_people: int
    child: np.ndarray  # candidate pairs: child event index
    parent: np.ndarray  # candidate pairs: parent event index
    w: np.ndarray  # tie weight of the pair
    lag: np.ndarray  # t[child] - t[parent] > 0
    out_w: np.ndarray  # per event: total tie weight of its person (what it can trigger)
    tau: np.ndarray  # per event: min(T - t, L), the kernel span inside the window
    X: np.ndarray | None  # covariates per person (n_people x p) or None
    doy0: float  # day of year of t = 0
    L: float = np.inf  # kernel truncation, days
    kind: np.ndarray | None = None  # per pair: index into `alphas`; None = all contacts
    alphas: tuple[str, ...] = ("alpha",)  # branching weight (parameter name) of each kind
    decays: tuple[str, ...] = ("beta",)  # decay rate (parameter name) of each kind
    out_ws: tuple[np.ndarray, ...] = ()  # per kind, per event: what the event can trigger

    @property
    def steps(self) -> np.ndarray | None:
        """Per pair: ``source_steps`` code of its kind (1, 2 or -1 for self); None = all 1."""
        if self.kind is None:
            return None
        return np.array([_STEPS[a] for a in self.alphas], np.int8)[self.kind]


#: Figures that can be negative (normal bootstrap interval, not on the log scale).
_SIGNED = ("season_cos", "season_sin", "peak_doy")

#: ``source_steps`` code of the pairs each branching weight belongs to (0 is background).
_STEPS = {"alpha": 1, "alpha2": 2, "alpha_self": -1}


def _season_integral(a: float, b: float, T: float, doy0: float) -> float:
    """``integral_0^T s(t) dt`` for ``s = 1 + a cos + b sin`` of the annual cycle."""
    th0 = 2 * np.pi * doy0 / YEAR
    th1 = 2 * np.pi * (doy0 + T) / YEAR
    k = YEAR / (2 * np.pi)
    return T + k * (a * (np.sin(th1) - np.sin(th0)) - b * (np.cos(th1) - np.cos(th0)))


def _candidate_pairs(K: sp.csr_array, person: np.ndarray, t: np.ndarray, L: float):
    """(child, parent, K[parent person, child person], lag) for event pairs with 0 < lag <= L."""
    E, n = len(person), K.shape[0]
    P = sp.csr_array((np.ones(E), (np.arange(E), person)), shape=(E, n))
    C = (P @ K.T @ P.T).tocoo()
    child, parent, w = C.row.astype(np.int64), C.col.astype(np.int64), C.data
    lag = t[child] - t[parent]
    keep = (lag > 0) & (lag <= L)
    return child[keep], parent[keep], w[keep], lag[keep]


class NetworkHawkes:
    """Multivariate Hawkes (contagion) model of victimizations on a network, fitted by EM.

    Parameters
    ----------
    max_lag_days : "auto", float or None
        Kernel truncation ``L``: events more than this many days apart cannot trigger each other
        (``None``: no limit). ``"auto"`` (default) chooses it from the data so that the kernel
        mass beyond it is negligible: fit with ``L = 365`` (or the window length if shorter),
        then, while ``exp(-beta L) > kernel_tail``, refit with ``L = log(1 / kernel_tail) /
        beta`` (capped at the window length); the chosen value is :attr:`max_lag_`. A fixed
        ``L`` shorter than a few mean delays biases the fit when the true kernel is not
        truncated: victimizations triggered more than ``L`` days later pass for background (on
        simulated data with a mean delay of 300 days and ``L = 365`` the background rate,
        ``alpha`` and the mean delay came out 12-15 % high; with ``"auto"`` within 3 %).
    weights : {"binary", "count", "share"}
        How ties scale excitation (:meth:`Graph.trigger_matrix`): 1 per tie (Green et al.),
        the number of shared arrests, or that number as a share of the source person's ties
        (then ``alpha`` is the expected number of victimizations one victimization triggers
        in the whole network, its branching ratio).
    seasonality : bool
        Multiply the background by the annual cycle ``1 + a cos + b sin`` (parameters
        ``season_cos``, ``season_sin``; amplitude and peak day in :attr:`season_`).
    n_boot : int
        Bootstrap replicates for :attr:`confidence_intervals_` (0: none).
    bootstrap : {"semiparametric", "parametric"}
        ``"semiparametric"`` (default): each replicate resamples its background events from
        the observed victimizations (a Poisson number with mean ``sum p_background``, drawn
        with replacement with probabilities ``p_background``: same people, same times) and
        simulates the cascades they trigger from the fitted kernel, so a misspecified
        background (risk differing between people) does not distort the intervals. (Drawing
        fresh times for the resampled people was tried and covered worse: 0.60-0.90 with
        percentile intervals, 0.75-1.00 with log-normal ones, against 0.80-1.00 here.)
        ``"parametric"``: background events are drawn from the fitted
        ``mu_i s(t)`` too.
    ci_level : float
        Coverage of the intervals.
    ci_method : {"profile", "lognormal", "percentile"}
        How intervals are made. ``"profile"`` (default): the decay ``beta`` and the mean delay
        ``1 / beta`` get the profile-likelihood interval ``{beta: 2 (loglik_ - l_p(beta)) <=
        chi2_1(ci_level)}``, ``l_p(beta)`` the log-likelihood maximized over every other
        parameter by EM with ``beta`` held fixed (likelihood-ratio test inversion; Venzon &
        Moolgavkar 1988, *Applied Statistics* 37:87-94; Pawitan 2001, *In All Likelihood*,
        section 3.4); every other figure gets the log-normal bootstrap interval. It is computed
        only when ``n_boot > 0`` (about ten EM runs warm-started at the estimate: 0.2 s on the
        demo city). ``"lognormal"``: ``estimate x exp(+- z sd)`` with ``sd`` the standard
        deviation of the log replicates for positive figures (rates, branching weights, delays,
        shares, amplitude), ``estimate +- z sd`` for signed ones (seasonal coefficients, peak
        day, covariate effects), percentiles where replicates reach 0. ``"percentile"``: the
        replicates' quantiles, which with a few dozen replicates rest on the two or three most
        extreme of them and inherit any shift of the replicates away from the estimate.
        Why the delay is profiled (``benchmarks/hawkes_coverage.md``, ``docs/network.md``): the
        log-normal bootstrap interval of the delay is centred and about the right width (at a
        300-day mean delay in a ten-year window: mean replicate standard deviation 0.074 on
        the log scale against 0.080 across 400 seeds), but its width rests on a standard
        deviation from a few dozen replicates (about 16 % Monte Carlo noise with 20, which
        alone costs about 1.5 points of coverage); the likelihood interval has no such noise,
        follows the likelihood's asymmetry and does not depend on ``n_boot``. Over 400 seeds
        it covered 0.9375 at a 30-day and 0.925 at a 300-day delay, like the Wald interval:
        the likelihood is a little narrow for the delay, which no first-order interval repairs
        (``benchmarks/hawkes_delay_diagnosis.md``).
    seed : int
        Seed of the bootstrap.
    second_step : bool
        Add excitation from victimizations of people at distance exactly 2 (:attr:`Graph.two_step`),
        branching weight ``alpha2`` per distance-2 pair, same decay ``beta`` as the contacts.
    self_excitation : bool
        Add excitation from the person's own earlier victimizations (within ``max_lag_days``),
        branching weight ``alpha_self`` (expected re-victimizations of the same person per
        victimization); :attr:`contagion_share_` then excludes these repeats
        (:attr:`self_excitation_share_`).
    self_decay : {"shared", "own"}
        Decay of the self-excitation kernel. ``"shared"`` (default): the contacts' ``beta``;
        ``"own"``: a separate ``beta_self`` (another one-dimensional profile step, about as
        fast). ``"own"`` is better when repeats follow a different clock than contagion (on
        simulated data with repeat delays of 100 days against 20 for contagion, the shared
        decay biased ``alpha`` by +12 % and the contagion delay by +90 %; the own decay
        recovered both), but it is weakly identified when the self part is small or flat in
        the lag, as repeats from risk that differs between people are: on the synthetic city
        (no self-excitation) it drove ``beta_self`` to 1.5e-5 per day and ``alpha_self`` to
        0.41, of which 1.4 % falls inside the 1000-day truncation, where the shared decay
        gives ``alpha_self`` 0.001. Hence the shared default.
    kernel_tail : float
        With ``max_lag_days="auto"``: the largest kernel mass allowed beyond ``L`` (default
        0.001, ``L`` about 6.9 mean delays).
    tol : float
        EM stops when the log-likelihood improves by less than ``tol * |loglik|``.
    max_iter : int
        EM iteration cap.

    Attributes
    ----------
    params_ : Series
        ``mu0`` (background rate per person per day at ``x = 0``, yearly average), ``alpha``,
        ``beta`` (per day), ``gamma_<covariate>`` for each covariate, ``season_cos`` and
        ``season_sin`` with ``seasonality``, ``alpha2`` (distance-2 branching weight) with
        ``second_step``, ``alpha_self`` (expected re-victimizations of the same person per
        victimization) with ``self_excitation``, and ``beta_self`` (per day) with
        ``self_decay="own"``.
    season_ : Series
        ``amplitude`` and ``peak_doy`` (day of year, 0 = January 1) of the background cycle
        (amplitude 0 without ``seasonality``).
    confidence_intervals_ : DataFrame
        ``lower``/``upper`` per parameter, for the derived figures ``mean_delay_days``
        (``1 / beta``), ``amplitude`` and ``peak_doy`` (with ``seasonality``; the peak day's
        interval is taken on the circle around the estimate and reported modulo 365.25, so
        ``lower > upper`` means it spans January 1) and for ``contagion_share`` (and
        ``self_excitation_share``) (empty without bootstrap).
    summary_ : DataFrame
        One row per reported figure (the parameters, ``mean_delay_days``, ``amplitude``,
        ``peak_doy``, ``contagion_share``, ``self_excitation_share``): ``estimate``,
        ``lower``, ``upper`` (NaN without bootstrap).
    bootstrap_ : DataFrame
        One row per bootstrap replicate (estimates).
    profile_interval_ : Series
        With ``ci_method="profile"`` and ``n_boot > 0``: ``beta_lower``, ``beta_upper`` (the
        profile-likelihood interval of ``beta``, per day) and ``chi2_crit``.
    max_lag_ : float
        The kernel truncation used, days (``inf`` for none); see ``max_lag_days``.
    kernel_mass_beyond_ : float
        ``exp(-beta * max_lag_)``: the share of the fitted kernel cut off by the truncation.
    n_isolates_added_ : int
        People with a victimization who were not rows of the graph and were added as isolated
        rows (``isolates=True`` in :meth:`fit`).
    contagion_share_ : float
        Expected share of victimizations triggered by a contact's (or, with ``second_step``, a
        distance-2 person's) earlier victimization: ``sum(p_contagion) / n_events``. Never
        counts self-excitation.
    self_excitation_share_ : float
        Expected share of victimizations triggered by the same person's earlier victimization
        (0 without ``self_excitation``).
    events_ : DataFrame
        One row per victimization: ``event_id``, ``person_id``, ``t`` (days since ``start_``),
        ``p_background``, ``p_contagion``, ``source_event``/``source_person`` (most likely
        parent event, ``None`` when background is the most likely source), ``source_prob``,
        ``delay_days`` (from that source), ``cascade_id``, ``generation``; with
        ``second_step`` or ``self_excitation`` also ``source_steps`` (1 contact, 2 distance-2
        person, -1 the person's own earlier victimization, 0 background); with
        ``self_excitation`` also ``p_self`` (``p_background + p_contagion + p_self = 1``).
        A self source continues its cascade (a repeat is one more generation of it).
    cascades_ : DataFrame
        Trees of most likely parents: ``cascade_id``, ``size``, ``root_event``, ``root_person``,
        ``first_t``, ``last_t``, ``duration_days``, ``depth``; sorted by size descending.
    delays_ : Series
        Infector-to-infectee delay, days: ``mean_expected`` (weighted by ``p``),
        ``mean_most_likely``, ``median_most_likely``, ``n_most_likely``; network sources
        only (not self-excitation).
    loglik_ : float
        Log-likelihood at the estimate.
    n_iter_ : int
    converged_ : bool
    n_events_ : int
        Victimizations used (people in the graph, inside the window).
    n_events_dropped_ : int
        Victimizations of people outside the graph (only with ``isolates=False``) or outside
        the window; a :class:`~workbench._warnings.StatisticalWarning` gives the count.
    start_, end_ : Timestamp or None
        The observation window (``None`` when events came as plain day numbers).
    window_source_ : str
        Where the window came from: ``"given"`` (``start``/``end``), ``"data"`` (the data's
        window recorded in ``events.attrs["window"]`` by
        :func:`~workbench.network.graph.victimization_events` or
        :meth:`PeopleHistory.events_before`) or ``"events"`` (first and last event's day).

    Examples
    --------
    A tiny synthetic city: 400 people, 600 random ties, contagion with a 60-day mean delay.

    >>> import numpy as np
    >>> from workbench.network import graph_from_groups, simulate_network_hawkes
    >>> rng = np.random.default_rng(0)
    >>> pairs = np.char.add("p", rng.integers(0, 400, 1200).astype(str))
    >>> g = graph_from_groups(np.repeat(np.arange(600), 2), pairs,
    ...                       nodes=np.char.add("p", np.arange(400).astype(str)))
    >>> sim = simulate_network_hawkes(g, mu=5e-4, alpha=0.2, beta=1 / 60, T=3000.0, seed=1)
    >>> m = NetworkHawkes(n_boot=10, seed=0)
    >>> m.fit(g, sim[["person_id", "t"]], start=0.0, end=3000.0) is m  # fit returns self
    True
    >>> list(m.summary_.columns)
    ['estimate', 'lower', 'upper']
    >>> bool(m.summary_.loc["alpha", "lower"] < 0.2 < m.summary_.loc["alpha", "upper"])
    True
    >>> bool(m.max_lag_ >= np.log(1000) * m.summary_.loc["mean_delay_days", "estimate"])
    True
    """

    def __init__(
        self,
        max_lag_days: float | str | None = "auto",
        weights: str = "binary",
        seasonality: bool = False,
        n_boot: int = 30,
        bootstrap: str = "semiparametric",
        ci_level: float = 0.95,
        seed: int = 0,
        tol: float = 1e-8,
        max_iter: int = 1000,
        second_step: bool = False,
        self_excitation: bool = False,
        self_decay: str = "shared",
        kernel_tail: float = 1e-3,
        ci_method: str = "profile",
    ):
        if isinstance(max_lag_days, str) and max_lag_days != "auto":
            raise ValueError(f"max_lag_days must be 'auto', a number of days or None, not {max_lag_days!r}")
        if not 0 < kernel_tail < 1:
            raise ValueError(f"kernel_tail must be in (0, 1), not {kernel_tail!r}")
        if ci_method not in ("profile", "lognormal", "percentile"):
            raise ValueError(
                f"ci_method must be 'profile', 'lognormal' or 'percentile', not {ci_method!r}")
        self.max_lag_days = max_lag_days
        self.kernel_tail = float(kernel_tail)
        self.ci_method = ci_method
        self.weights = weights
        self.seasonality = seasonality
        self.n_boot = n_boot
        if bootstrap not in ("semiparametric", "parametric"):
            raise ValueError(f"bootstrap must be 'semiparametric' or 'parametric', not {bootstrap!r}")
        self.bootstrap = bootstrap
        self.ci_level = ci_level
        self.seed = seed
        self.tol = tol
        self.max_iter = max_iter
        self.second_step = bool(second_step)
        self.self_excitation = bool(self_excitation)
        if self_decay not in ("shared", "own"):
            raise ValueError(f"self_decay must be 'shared' or 'own', not {self_decay!r}")
        self.self_decay = self_decay

    @property
    def _self_decay_name(self) -> str:
        return "beta_self" if self.self_decay == "own" else "beta"

    # -- public ---------------------------------------------------------------------------
    # BLAS on one thread: the EM's products are vectors of a few thousand events, for which
    # OpenBLAS's threads cost far more than they save (on 2 shared cores a seasonal step's
    # three products took 4 ms of CPU with 2 threads against 0.06 ms with one), and the
    # report runs notebooks side by side on the same cores.
    @threadpool_limits.wrap(limits=1, user_api="blas")
    def fit(
        self,
        graph: Graph,
        events: pd.DataFrame,
        start: object = None,
        end: object = None,
        covariates: pd.DataFrame | None = None,
        *,
        doy0: float | None = None,
        isolates: bool = True,
    ) -> "NetworkHawkes":
        """Fit the model to the victimizations of the people in ``graph``.

        Parameters
        ----------
        graph : Graph
            The network (usually co-arrests as of ``start``). Its rows are the population at
            risk: ``mu0`` is a rate per row.
        events : DataFrame
            One row per victimization with ``person_id`` and either tz-aware ``occurred_at``
            or ``t`` (days since ``start``); ``event_id`` or ``incident_id`` label rows when
            present.
        start, end : str or Timestamp, optional
            Observation window. Default: the data's window when ``events`` carries one in
            ``events.attrs["window"]`` (set by
            :func:`~workbench.network.graph.victimization_events`: first and last day of the
            incidents; and by :meth:`PeopleHistory.events_before`: first record to the
            cutoff), else midnight of the first event's day to midnight after the last
            event's day (with ``t``: 0 and ``ceil(max t)``). Events outside are dropped.
            A window cut to the first and last event understates the exposure time (the
            quiet stretches at both ends are left out) and so overstates the background rate.
            pandas keeps ``attrs`` through row filters: give ``start``/``end`` when the
            events were cut to a shorter period than the data's.
        covariates : DataFrame, optional
            Numeric columns indexed by ``person_id`` covering every graph row (e.g. age,
            sex dummies); enter the background rate as ``exp(x'gamma)``. Center them so that
            ``mu0`` stays interpretable.
        doy0 : float, optional
            Day of year of ``start`` (0 = January 1) for the seasonality when events come as
            day numbers ``t`` (default 0); taken from ``start`` otherwise.
        isolates : bool
            People with a victimization who are not rows of ``graph`` (never arrested with
            anyone, or a graph built without ``people=``) are added as isolated rows (default):
            their victimizations count as background and they join the population at risk.
            With ``False`` their victimizations are dropped, which overstates the contagion
            share. Either way a :class:`~workbench._warnings.StatisticalWarning` gives the
            number of dropped victimizations (outside the graph or the window).

        Returns
        -------
        self
        """
        self.n_isolates_added_ = 0
        if isolates:
            graph, self.n_isolates_added_ = self._with_isolates(graph, events)
        fixed = self.max_lag_days != "auto"
        L = np.inf if self.max_lag_days is None else (365.0 if not fixed else float(self.max_lag_days))
        prob, meta = self._prepare(graph, events, start, end, covariates, doy0, L)
        if not fixed:  # widen the window until the kernel mass beyond it is negligible
            for _ in range(6):
                est, p_bg, p_pair, ll, n_iter, conv = self._em(prob)
                need = np.log(1.0 / self.kernel_tail) / est["beta"]
                if need <= prob.L or prob.L >= prob.T:
                    break
                prob, meta = self._prepare(graph, events, start, end, covariates, doy0,
                                           min(need * 1.05, prob.T))
            else:
                est, p_bg, p_pair, ll, n_iter, conv = self._em(prob)
        else:
            est, p_bg, p_pair, ll, n_iter, conv = self._em(prob)
        self.max_lag_ = float(prob.L)
        self.kernel_mass_beyond_ = float(np.exp(-est["beta"] * prob.L))
        if not getattr(self, "_replicate", False):
            if self.n_events_dropped_:
                warnings.warn(StatisticalWarning(
                    f"{self.n_events_dropped_} of {self.n_events_ + self.n_events_dropped_} "
                    f"victimizations dropped ({self._dropped_outside_graph} of people not in the "
                    f"graph, {self.n_events_dropped_ - self._dropped_outside_graph} outside the "
                    "window [start, end))"), stacklevel=2)
            if not conv:
                warnings.warn(ConvergenceWarning(
                    f"EM stopped after max_iter={self.max_iter} iterations before the "
                    f"log-likelihood settled (tol={self.tol:g})"), stacklevel=2)
            if fixed and self.kernel_mass_beyond_ > 0.01:
                warnings.warn(StatisticalWarning(
                    f"max_lag_days={self.max_lag_days:g} cuts off {100 * self.kernel_mass_beyond_:.1f}% "
                    f"of the fitted kernel (mean delay {1 / est['beta']:.0f} days): victimizations "
                    "triggered later pass for background and bias the fit; use max_lag_days='auto'"),
                    stacklevel=2)
        self._graph = graph
        self.params_ = pd.Series(est, name="estimate")
        self.loglik_ = ll
        self.n_iter_ = n_iter
        self.converged_ = conv
        self._prob = prob
        self._mu = self._background(prob, est)
        a, b = est.get("season_cos", 0.0), est.get("season_sin", 0.0)
        self.season_ = pd.Series(
            {
                "amplitude": float(np.hypot(a, b)),
                "peak_doy": float(np.arctan2(b, a) * YEAR / (2 * np.pi) % YEAR),
            }
        )
        n = max(len(prob.t), 1)
        if self.self_excitation:
            own = prob.kind == prob.alphas.index("alpha_self")
            self.contagion_share_ = float(p_pair[~own].sum() / n)
            self.self_excitation_share_ = float(p_pair[own].sum() / n)
        else:
            self.contagion_share_ = float(p_pair.sum() / n)
            self.self_excitation_share_ = 0.0
        if not getattr(self, "_replicate", False):  # bootstrap replicates need estimates only
            self.profile_interval_ = pd.Series(dtype=float)
            self._attribute(prob, meta, p_bg, p_pair)
            self._bootstrap(graph, prob, p_bg)
            if self.ci_method == "profile" and self.n_boot > 0:
                self._profile_delay(prob, est, ll)
            self._summarize()
        return self

    def _derived(self) -> dict:
        """Figures derived from the parameters: mean delay, seasonal amplitude and peak day."""
        out = {"mean_delay_days": 1.0 / self.params_["beta"] if self.params_["beta"] > 0 else np.inf}
        if self.seasonality:
            out.update(self.season_.to_dict())
        return out

    def _summarize(self) -> None:
        """``summary_``: estimate and interval of every reported figure."""
        est = {**self.params_.to_dict(), **self._derived(),
               "contagion_share": self.contagion_share_}
        if self.self_excitation:
            est["self_excitation_share"] = self.self_excitation_share_
        ci = self.confidence_intervals_.reindex(list(est))
        self.summary_ = pd.DataFrame(
            {"estimate": pd.Series(est, dtype=float), "lower": ci["lower"], "upper": ci["upper"]}
        )
        self.summary_.index.name = "parameter"

    @staticmethod
    def _with_isolates(graph: Graph, events: pd.DataFrame) -> tuple[Graph, int]:
        """``graph`` plus an isolated row for every person in ``events`` not in it (rows stay
        sorted by person id), and the number of rows added."""
        require_columns(events, "victimizations", ["person_id"])
        ids = pd.Index(pd.unique(events["person_id"].dropna().astype(str).to_numpy()))
        new = ids[graph.rows(ids.to_numpy()) < 0]
        if not len(new):
            return graph, 0
        all_ids = graph.person_ids.append(new).sort_values()
        r = all_ids.get_indexer(graph.person_ids)
        coo = graph.adjacency.tocoo()
        adj = sp.csr_array(
            sp.coo_array((coo.data, (r[coo.row], r[coo.col])), shape=(len(all_ids),) * 2)
        )
        adj.sort_indices()
        return Graph(all_ids, adj, graph.kind, graph.as_of), len(new)

    def intensity(self, at: object, events: pd.DataFrame | None = None) -> pd.Series:
        """Conditional intensity of every person at instant ``at`` (victimizations per day).

        ``mu_i s(at) + sum over contacts' earlier events of alpha K beta exp(-beta lag)``, the risk
        score of Green et al. (plus the distance-2 and self terms when fitted). Only events
        strictly before ``at`` (and within ``max_lag_days``) count.

        Parameters
        ----------
        at : str, Timestamp or float
            The cutoff (a float is days since ``start_``).
        events : DataFrame, optional
            Victimizations to use (default: those the model was fitted on); same columns as in
            :meth:`fit`.

        Returns
        -------
        Series
            Indexed by ``person_id`` (graph rows), named ``intensity``.
        """
        return self.expected_victimizations(at, 0.0, events=events)["intensity"]

    def expected_victimizations(
        self,
        at: object,
        horizon_days: float,
        graph: Graph | None = None,
        events: pd.DataFrame | None = None,
        covariates: pd.DataFrame | None = None,
        *,
        event_rows: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> pd.DataFrame:
        """Expected victimizations and their probability in ``[at, at + horizon_days)``.

        ``E_i = mu_i integral s + alpha sum_j K_ji sum_k (exp(-beta lag_k) - exp(-beta min(lag_k + h, L)))``
        over the contacts' victimizations ``k`` strictly before ``at`` (``lag_k = at - t_k``),
        plus the same terms for distance-2 people (``alpha2``) and for the person's own
        victimizations (``alpha_self``, decay ``beta_self`` if fitted) when the model has them;
        ``P_i = 1 - exp(-E_i)`` is the probability of at least one victimization in the window
        under the model with no further events (victimizations inside the window would add
        excitation, so ``P`` is a lower bound of the model's full forecast).

        Parameters
        ----------
        at : str, Timestamp or float
            Start of the window (a float is days since ``start_``).
        horizon_days : float
            Window length ``h``, days.
        graph : Graph, optional
            The network to score (default: the fitted one), e.g. the graph known at ``at``
            when the model was fitted earlier. Its rows are the people scored.
        events : DataFrame, optional
            Victimizations before ``at`` (default: those fitted on); later ones are ignored.
        covariates : DataFrame, optional
            Background covariates of ``graph``'s people as of ``at`` (required when the model
            has covariates and ``graph`` is not the fitted one).
        event_rows : (ndarray of int, ndarray of float), optional
            Instead of ``events``: graph row and time (days since ``start_``) of each
            victimization, for callers that already hold them (no id lookup).

        Returns
        -------
        DataFrame
            Indexed by ``person_id``: ``intensity`` (per day, at ``at``), ``expected`` and
            ``probability``.
        """
        self._check_fitted()
        g = self._graph if graph is None else graph
        if event_rows is not None:
            person, t = (np.asarray(a) for a in event_rows)
        elif events is None:
            if graph is not None:
                raise ValueError("give the events when scoring another graph")
            person, t = self._prob.person, self._prob.t
        else:
            person, t = self._event_arrays(g, events)
        at_days = self._days_since_start(at)
        h = float(horizon_days)
        L = self.max_lag_
        lag = at_days - t
        ok = (lag > 0) & (lag <= L)
        a, b = self.params_["alpha"], self.params_["beta"]
        person, lag = person[ok], lag[ok]

        def kernel_sums(b: float) -> tuple[np.ndarray, np.ndarray]:
            """Per person: kernel of its own events at ``at``, and its mass in the window."""
            now = np.bincount(person, weights=b * np.exp(-b * lag), minlength=g.n_people)
            span = np.exp(-b * lag) - np.exp(-b * np.minimum(lag + h, L))
            return now, np.bincount(person, weights=span, minlength=g.n_people)

        now, H = kernel_sums(b)
        K = g.trigger_matrix(self.weights)
        if graph is None:
            mu = self._mu
        elif self.covariate_names_:
            if covariates is None:
                raise ValueError("the model has covariates: give them for the scored graph")
            cov = covariates.reindex(g.person_ids)[self.covariate_names_]
            if cov.isna().any(axis=None):
                raise DataError.single("covariates", None, "missing covariate values for graph people",
                                       ids=list(g.person_ids[cov.isna().any(axis=1).to_numpy()]))
            gamma = np.array([self.params_[f"gamma_{c}"] for c in self.covariate_names_])
            mu = self.params_["mu0"] * np.exp(cov.to_numpy(dtype=float) @ gamma)
        else:
            mu = np.full(g.n_people, self.params_["mu0"])
        doy0 = self._prob.doy0
        if self.seasonality:
            p = self.params_
            s_int = _season_integral(p["season_cos"], p["season_sin"], h, doy0 + at_days)
        else:
            s_int = h
        s_now = self._season(np.array([at_days]), doy0)[0]
        excite_now, excite = a * (K.T @ now), a * (K.T @ H)
        if self.second_step:
            a2 = self.params_["alpha2"]
            excite_now = excite_now + a2 * (g.two_step.T @ now)
            excite = excite + a2 * (g.two_step.T @ H)
        if self.self_excitation:  # the person's own earlier victimizations
            a_s, b_s = self.params_["alpha_self"], self.params_[self._self_decay_name]
            now_s, H_s = (now, H) if b_s == b else kernel_sums(b_s)
            excite_now = excite_now + a_s * now_s
            excite = excite + a_s * H_s
        expected = mu * s_int + excite
        return pd.DataFrame(
            {"intensity": mu * s_now + excite_now, "expected": expected,
             "probability": -np.expm1(-expected)},
            index=pd.Index(g.person_ids, name="person_id"),
        )

    # -- preparation ----------------------------------------------------------------------
    def _event_arrays(self, graph: Graph, events: pd.DataFrame):
        require_columns(events, "victimizations", ["person_id"])
        rows = graph.rows(events["person_id"].astype(str).to_numpy())
        if "occurred_at" in events:
            t = ((events["occurred_at"] - self.start_) / DAY).to_numpy(dtype=float)
        else:
            t = events["t"].to_numpy(dtype=float)
        keep = rows >= 0
        return rows[keep], t[keep]

    def _prepare(self, graph, events, start, end, covariates, doy0, L: float = np.inf):
        require_columns(events, "victimizations", ["person_id"])
        if "occurred_at" not in events and "t" not in events:
            raise DataError.single("victimizations", "occurred_at", "required column is missing")
        label = next((c for c in ("event_id", "incident_id") if c in events), None)
        self.window_source_ = "given" if start is not None and end is not None else "events"
        if "occurred_at" in events:
            require_not_null(events, "victimizations", ["person_id", "occurred_at"], "person_id")
            require_tz_aware(events, "victimizations", "occurred_at")
            when = events["occurred_at"]
            window = events.attrs.get("window")
            if window is not None and (start is None or end is None):
                start = window[0] if start is None else start
                end = window[1] if end is None else end
                self.window_source_ = "data"
            s = (
                as_timestamp(start, when, "start")
                if start is not None
                else when.min().normalize()
            )
            e = as_timestamp(end, when, "end") if end is not None else when.max().normalize() + DAY
            t = ((when - s) / DAY).to_numpy(dtype=float)
            T = (e - s) / DAY
            self.start_, self.end_ = s, e
            doy0 = _day_of_year(s)
        else:
            t = events["t"].to_numpy(dtype=float)
            s0 = 0.0 if start is None else float(start)
            T = (float(np.ceil(t.max())) if end is None else float(end)) - s0
            t = t - s0
            self.start_ = self.end_ = None
            doy0 = 0.0 if doy0 is None else float(doy0)
        rows = graph.rows(events["person_id"].astype(str).to_numpy())
        keep = (rows >= 0) & (t >= 0) & (t < T)
        self.n_events_dropped_ = int((~keep).sum())
        self._dropped_outside_graph = int((rows < 0).sum())
        order = np.argsort(t[keep], kind="stable")
        idx = np.flatnonzero(keep)[order]
        person, t = rows[idx], t[idx]
        labels = (
            events[label].astype(str).to_numpy()[idx]
            if label
            else np.char.add("e", idx.astype(str)).astype(object)
        )
        self.n_events_ = len(t)
        if len(t) < 2:
            raise DataError.single(
                "victimizations", None, "fewer than 2 victimizations in the graph and window"
            )
        K = graph.trigger_matrix(self.weights)
        L = float(L)
        strength = np.asarray(K.sum(axis=1)).ravel()
        # one block of candidate pairs per kind of excitation: (trigger matrix, what each
        # event can trigger, branching weight, decay)
        kinds = [(K, strength[person], "alpha", "beta")]
        if self.second_step:
            K2 = graph.two_step
            kinds.append((K2, np.diff(K2.indptr).astype(np.float64)[person], "alpha2", "beta"))
        if self.self_excitation:
            own = sp.identity(graph.n_people, format="csr")
            kinds.append((own, np.ones(len(person)), "alpha_self", self._self_decay_name))
        blocks = [_candidate_pairs(Kk, person, t, L) for Kk, *_ in kinds]
        if len(kinds) == 1:
            (child, parent, w, lag), kind = blocks[0], None
        else:
            child, parent, w, lag = (np.concatenate(col) for col in zip(*blocks))
            kind = np.repeat(np.arange(len(kinds), dtype=np.int8), [len(b[0]) for b in blocks])
        X = None
        self.covariate_names_ = []
        if covariates is not None:
            cov = covariates.reindex(graph.person_ids)
            bad = cov.isna().any(axis=1).to_numpy()
            if bad.any():
                raise DataError.single(
                    "covariates", None, "missing covariate values for graph people",
                    ids=list(graph.person_ids[bad]),
                )
            X = cov.to_numpy(dtype=float)
            self.covariate_names_ = [str(c) for c in cov.columns]
        prob = _Problem(
            person=person, t=t, T=float(T), n_people=graph.n_people, child=child, parent=parent,
            w=w, lag=lag, out_w=strength[person], tau=np.minimum(T - t, L), X=X, doy0=doy0,
            kind=kind, alphas=tuple(k[2] for k in kinds), decays=tuple(k[3] for k in kinds),
            out_ws=tuple(k[1] for k in kinds), L=L,
        )
        return prob, {"labels": labels, "person_ids": graph.person_ids.to_numpy()[person]}

    # -- EM -------------------------------------------------------------------------------
    def _background(self, prob: _Problem, est: dict | pd.Series) -> np.ndarray:
        """Background rate per graph row, per day."""
        if prob.X is None:
            return np.full(prob.n_people, est["mu0"])
        gamma = np.array([est[f"gamma_{c}"] for c in self.covariate_names_])
        return est["mu0"] * np.exp(prob.X @ gamma)

    def _season(self, t: np.ndarray, doy0: float, est: dict | pd.Series | None = None) -> np.ndarray:
        """Seasonal factor at day numbers ``t`` (ones without ``seasonality``)."""
        est = self.params_ if est is None else est
        if not self.seasonality:
            return np.ones(len(t))
        return seasonal_factor(t, (est["season_cos"], est["season_sin"]), doy0)

    def _loglik(self, prob: _Problem, est: dict):
        """(log-likelihood, background rate per event, trigger rate per pair, total rate)."""
        E = len(prob.t)
        mu = self._background(prob, est)
        s_e = self._season(prob.t, prob.doy0, est)
        mu_e = mu[prob.person] * s_e
        a_k = np.array([est[name] for name in prob.alphas])
        b_k = np.array([est[name] for name in prob.decays])
        a_pair = a_k[0] if prob.kind is None else a_k[prob.kind]
        b = b_k[0] if len(set(prob.decays)) == 1 else b_k[prob.kind]
        trig = a_pair * prob.w * b * np.exp(-b * prob.lag)
        lam = mu_e + np.bincount(prob.child, weights=trig, minlength=E)
        season_int = (
            _season_integral(est["season_cos"], est["season_sin"], prob.T, prob.doy0)
            if self.seasonality
            else prob.T
        )
        kept = {name: -np.expm1(-est[name] * prob.tau) for name in dict.fromkeys(prob.decays)}
        comp = mu.sum() * season_int
        for a_name, b_name, out_w in zip(prob.alphas, prob.decays, prob.out_ws):
            comp += est[a_name] * np.sum(out_w * kept[b_name])
        return float(np.log(lam).sum() - comp), mu_e, trig, lam

    def _season_step(self, prob: _Problem, p_bg: np.ndarray, est: dict) -> None:
        """Maximize ``sum p_e0 log s(t_e) - S0 log integral s`` over the seasonal (a, b).

        L-BFGS-B with the analytic gradient; ``|a|, |b| <= 0.7`` keeps ``s > 0``.
        """
        from scipy.optimize import minimize

        S0 = p_bg.sum()
        ang = 2 * np.pi * (prob.doy0 + prob.t) / YEAR
        cs = np.column_stack([np.cos(ang), np.sin(ang)])
        base = _season_integral(0.0, 0.0, prob.T, prob.doy0)
        ic = _season_integral(1.0, 0.0, prob.T, prob.doy0) - base
        is_ = _season_integral(0.0, 1.0, prob.T, prob.doy0) - base
        lin = np.array([ic, is_])

        def neg(ab: np.ndarray) -> tuple[float, np.ndarray]:
            se = 1.0 + cs @ ab
            integral = base + lin @ ab
            f = p_bg @ np.log(se) - S0 * np.log(integral)
            g = (p_bg / se) @ cs - S0 * lin / integral
            return -f, -g

        x0 = np.array([est["season_cos"], est["season_sin"]])
        res = minimize(neg, x0, jac=True, method="L-BFGS-B", bounds=[(-0.7, 0.7)] * 2)
        est["season_cos"], est["season_sin"] = float(res.x[0]), float(res.x[1])

    def _em(self, prob: _Problem, start: dict | None = None, fixed: dict | None = None):
        """EM from the default start (or from ``start``, a full parameter dict); decays named in
        ``fixed`` are held at the given values (profile likelihood), everything else is fitted."""
        E = len(prob.t)
        n = prob.n_people
        T = prob.T
        fixed = fixed or {}
        if start is not None:
            return self._em_loop(prob, {**start, **fixed}, fixed)
        est = {"mu0": 0.5 * E / (n * T), "alpha": 0.0, "beta": 0.0}
        total_w = prob.out_w.sum()
        est["alpha"] = 0.5 * E / max(total_w, 1e-12)
        est["beta"] = 1.0 / (min(prob.L, T) / 10.0)
        # start the other branching weights inside (EM cannot leave 0), their decays at beta
        for a_name, out_w in zip(prob.alphas[1:], prob.out_ws[1:]):
            total_k = out_w.sum()
            est[a_name] = 0.1 * E / total_k if total_k > 0 else 0.0
        for b_name in dict.fromkeys(prob.decays[1:]):
            est.setdefault(b_name, est["beta"])
        for c in self.covariate_names_:
            est[f"gamma_{c}"] = 0.0
        if self.seasonality:
            est["season_cos"] = est["season_sin"] = 0.0
        return self._em_loop(prob, {**est, **fixed}, fixed)

    def _em_loop(self, prob: _Problem, est: dict, fixed: dict):
        """EM iterations from ``est`` until the relative log-likelihood gain is below ``tol``."""
        n = prob.n_people
        T = prob.T
        est = dict(est)
        glm = None
        if prob.X is not None:
            from sklearn.linear_model import PoissonRegressor

            glm = PoissonRegressor(
                alpha=0.0, fit_intercept=True, solver="newton-cholesky", max_iter=100, tol=1e-10
            )
        ll_old = -np.inf
        conv = False
        it = 0
        for it in range(1, self.max_iter + 1):
            ll, mu_e, trig, lam = self._loglik(prob, est)
            if ll - ll_old < self.tol * abs(ll):
                conv = True
                break
            ll_old = ll
            p_bg = mu_e / lam
            p_pair = trig / lam[prob.child]
            # M-step: seasonality (separates from mu0 and gamma), then the background level
            if self.seasonality:
                self._season_step(prob, p_bg, est)
                exposure = _season_integral(est["season_cos"], est["season_sin"], T, prob.doy0)
            else:
                exposure = T
            if glm is None:
                est["mu0"] = p_bg.sum() / (n * exposure)
            else:
                counts = np.bincount(prob.person, weights=p_bg, minlength=n)
                glm.fit(prob.X, counts / exposure)
                est["mu0"] = float(np.exp(glm.intercept_))
                for c, g in zip(self.covariate_names_, glm.coef_):
                    est[f"gamma_{c}"] = float(g)
            # M-step per decay: beta (profile), then the alphas sharing it in closed form
            for b_name in dict.fromkeys(prob.decays):
                ks = [k for k, d in enumerate(prob.decays) if d == b_name]
                if len(ks) == len(prob.decays):
                    pp, lag = p_pair, prob.lag
                else:
                    sel = np.isin(prob.kind, ks)
                    pp, lag = p_pair[sel], prob.lag[sel]
                if prob.kind is None:
                    parts = [(pp.sum(), prob.out_ws[0], prob.alphas[0])]
                else:
                    parts = [(p_pair[prob.kind == k].sum(), prob.out_ws[k], prob.alphas[k])
                             for k in ks]
                S = pp.sum()
                if S <= 0:
                    for _, _, name in parts:
                        est[name] = 0.0
                    continue
                D = float(pp @ lag)
                if b_name not in fixed:
                    est[b_name] = self._beta_step(S, D, prob.out_w, prob.tau, est[b_name],
                                                  [(Sk, wk) for Sk, wk, _ in parts])
                kept = -np.expm1(-est[b_name] * prob.tau)
                for Sk, wk, name in parts:  # closed form given beta, edge-corrected
                    est[name] = Sk / max(float(np.sum(wk * kept)), 1e-300)
        ll, mu_e, trig, lam = self._loglik(prob, est)
        return est, mu_e / lam, trig / lam[prob.child], ll, it, conv

    @staticmethod
    def _beta_step(S: float, D: float, out_w: np.ndarray, tau: np.ndarray, b_old: float,
                   parts: list[tuple[float, np.ndarray]] | None = None) -> float:
        """Maximize ``S log b - b D - sum_k S_k log G_k(b)``, ``G_k(b) = sum w_k (1 - exp(-b tau))``.

        ``parts`` lists ``(S_k, w_k)`` per branching weight sharing ``beta`` (default: the one
        ``(S, out_w)``); each ``alpha_k = S_k / G_k`` is profiled out.
        """
        parts = [(S, out_w)] if parts is None else [(Sk, wk) for Sk, wk in parts if Sk > 0]
        closed = S / D
        if np.all(np.isinf(tau)) or np.min(closed * tau) > 40:
            return closed  # no kernel cut off by the window end: classical closed form

        def neg(logb: float) -> float:
            b = np.exp(logb)
            kept = -np.expm1(-b * tau)
            f = S * logb - b * D
            for Sk, wk in parts:
                f -= Sk * np.log(np.sum(wk * kept))
            return -f

        lo, hi = np.log(closed) - 5, np.log(closed) + 5
        res = minimize_scalar(neg, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
        return float(np.exp(res.x))

    def _profile_loglik(self, prob: _Problem, est: dict, beta: float) -> tuple[float, dict]:
        """Profile log-likelihood at decay ``beta``: EM over every other parameter from ``est``."""
        e, *_, ll, _, _ = self._em(prob, start=est, fixed={"beta": float(beta)})
        return ll, e

    def _profile_interval(self, prob: _Problem, est: dict, ll: float, crit: float,
                          step: float = 0.1) -> tuple[float, float]:
        """``(beta_lo, beta_hi)`` where the profile log-likelihood falls ``crit / 2`` below ``ll``.

        The likelihood-ratio interval ``{beta: 2 (ll - l_p(beta)) <= crit}``: bracketed by steps of
        ``step`` (doubling) on the log scale from the estimate, then Brent's method
        (:func:`scipy.optimize.brentq`, to 0.05 % of ``beta``); each evaluation is an EM run with
        ``beta`` held fixed, warm-started from the estimate.
        """
        from scipy.optimize import brentq

        b0 = float(est["beta"])
        if not (b0 > 0 and np.isfinite(ll)):
            return np.nan, np.nan
        target = ll - crit / 2.0

        def gap(logb: float) -> float:
            return self._profile_loglik(prob, est, np.exp(logb))[0] - target

        ends = []
        for sign in (-1.0, 1.0):
            d, inner = step, 0.0
            for _ in range(8):
                if gap(np.log(b0) + sign * d) < 0:
                    break
                inner, d = d, 2 * d
            else:
                ends.append(np.nan)  # the likelihood stays flat: no finite end on this side
                continue
            lo, hi = sorted((np.log(b0) + sign * inner, np.log(b0) + sign * d))
            try:
                ends.append(float(np.exp(brentq(gap, lo, hi, xtol=5e-4))))
            except (ValueError, RuntimeError):  # no sign change (a non-finite EM run): no end
                ends.append(np.nan)
        return ends[0], ends[1]

    # -- reporting ------------------------------------------------------------------------
    def _attribute(self, prob: _Problem, meta: dict, p_bg: np.ndarray, p_pair: np.ndarray) -> None:
        self.events_, self.cascades_, self.delays_ = attribute_sources(
            prob.t, prob.child, prob.parent, p_bg, p_pair, meta["labels"], meta["person_ids"],
            self.start_, step=prob.steps, self_source=self.self_excitation,
        )

    def _bootstrap(self, graph: Graph, prob: _Problem, p_bg: np.ndarray) -> None:
        names = list(self.params_.index) + list(self._derived()) + ["contagion_share"]
        if self.self_excitation:
            names.append("self_excitation_share")
        self.bootstrap_ = pd.DataFrame(columns=names, dtype=float)
        self.confidence_intervals_ = pd.DataFrame(columns=["lower", "upper"], dtype=float)
        if self.n_boot <= 0:
            return
        rng = np.random.default_rng(self.seed)
        child = NetworkHawkes(
            self.max_lag_, self.weights, self.seasonality, 0, self.bootstrap, self.ci_level, 0,
            self.tol, self.max_iter, second_step=self.second_step,
            self_excitation=self.self_excitation, self_decay=self.self_decay,
            kernel_tail=self.kernel_tail, ci_method=self.ci_method,
        )
        child._replicate = True
        season = (
            (self.params_["season_cos"], self.params_["season_sin"]) if self.seasonality else None
        )
        cov = None
        if prob.X is not None:
            cov = pd.DataFrame(prob.X, index=graph.person_ids, columns=self.covariate_names_)
        rows = []
        for _ in range(self.n_boot):
            background = None
            if self.bootstrap == "semiparametric":
                pick = rng.choice(len(p_bg), rng.poisson(p_bg.sum()), p=p_bg / p_bg.sum())
                background = (prob.person[pick], prob.t[pick])
            sim = simulate_network_hawkes(
                graph, self._mu, self.params_["alpha"], self.params_["beta"], prob.T,
                max_lag_days=self.max_lag_, weights=self.weights, season=season,
                doy0=prob.doy0, background=background, seed=rng,
                alpha2=self.params_["alpha2"] if self.second_step else 0.0,
                self_branching=self.params_["alpha_self"] if self.self_excitation else 0.0,
                self_beta=self.params_.get("beta_self"),
            )
            if len(sim) < 2:
                continue
            child.fit(
                graph, sim[["event_id", "person_id", "t"]], start=0.0, end=prob.T,
                covariates=cov, doy0=prob.doy0,
            )
            rows.append({**child.params_.to_dict(), **child._derived(),
                         "contagion_share": child.contagion_share_,
                         "self_excitation_share": child.self_excitation_share_})
        self.bootstrap_ = pd.DataFrame(rows, columns=names)
        self.confidence_intervals_ = self._intervals(self.bootstrap_)

    def _profile_delay(self, prob: _Problem, est: dict, ll: float) -> None:
        """Replace the bootstrap intervals of ``beta`` and ``mean_delay_days`` by the
        profile-likelihood (likelihood-ratio) interval at ``ci_level`` (``ci_method="profile"``).

        A side where the profile likelihood stays within ``chi2_1(ci_level) / 2`` of its maximum
        (no contagion to time) keeps the bootstrap end.
        """
        from scipy.stats import chi2

        crit = float(chi2.ppf(self.ci_level, 1))
        boot = self.bootstrap_["beta"].to_numpy(float) if len(self.bootstrap_) else np.array([])
        boot = boot[np.isfinite(boot) & (boot > 0)]
        # first bracket about 2 bootstrap standard deviations out (most profiles cross inside it)
        step = 2.0 * float(np.std(np.log(boot), ddof=1)) if len(boot) >= 2 else 0.1
        step = float(np.clip(step, 0.02, 1.0)) if np.isfinite(step) else 0.1
        lo, hi = self._profile_interval(prob, est, ll, crit, step=step)
        ci = self.confidence_intervals_
        if "beta" not in ci.index:
            ci.loc["beta"] = [np.nan, np.nan]
        lo = lo if np.isfinite(lo) else ci.loc["beta", "lower"]
        hi = hi if np.isfinite(hi) else ci.loc["beta", "upper"]
        ci.loc["beta"] = [lo, hi]
        ci.loc["mean_delay_days"] = [1.0 / hi if hi > 0 else np.nan, 1.0 / lo if lo > 0 else np.inf]
        self.profile_interval_ = pd.Series({"beta_lower": lo, "beta_upper": hi, "chi2_crit": crit})

    def _intervals(self, boot: pd.DataFrame) -> pd.DataFrame:
        """``lower``/``upper`` per column of the bootstrap replicates (see ``ci_method``)."""
        from scipy.stats import norm

        q = (1 - self.ci_level) / 2
        z = float(norm.ppf(1 - q))
        boot = boot.copy()
        est = {**self.params_.to_dict(), **self._derived(), "contagion_share": self.contagion_share_,
               "self_excitation_share": self.self_excitation_share_}
        if self.seasonality:  # the peak day lives on a circle: unwrap around the estimate
            c = self.season_["peak_doy"]
            boot["peak_doy"] = c + (boot["peak_doy"] - c + YEAR / 2) % YEAR - YEAR / 2
        ci = pd.DataFrame({"lower": boot.quantile(q), "upper": boot.quantile(1 - q)})
        if self.ci_method in ("lognormal", "profile") and len(boot) >= 2:
            for name in boot.columns:
                b, e = boot[name].to_numpy(float), float(est.get(name, np.nan))
                b = b[np.isfinite(b)]
                if len(b) < 2 or not np.isfinite(e):
                    continue
                if name in _SIGNED or name.startswith("gamma_"):  # may be negative: normal interval around the estimate
                    sd = float(np.std(b, ddof=1))
                    ci.loc[name] = [e - z * sd, e + z * sd]
                elif e > 0 and np.all(b > 0):  # positive: normal on the log scale
                    sd = float(np.std(np.log(b), ddof=1))
                    ci.loc[name] = [e * np.exp(-z * sd), e * np.exp(z * sd)]
                # else (replicates at 0, e.g. alpha2 without 2-step contagion): percentiles
        if self.seasonality:
            ci.loc["peak_doy"] = ci.loc["peak_doy"] % YEAR
        return ci

    def _days_since_start(self, at) -> float:
        """``at`` (a day number, or a date when the model was fitted on dates) in days since ``start_``."""
        if isinstance(at, (int, float, np.floating)):
            return float(at)
        if self.start_ is None:
            raise ValueError("the model was fitted on day numbers: give `at` in days")
        reference = None if self.start_.tzinfo is None else pd.Series([self.start_])
        return (as_timestamp(at, reference, "at") - self.start_) / DAY

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise RuntimeError("call fit() first")

    def __repr__(self) -> str:
        return (
            f"NetworkHawkes(max_lag_days={self.max_lag_days!r}, weights={self.weights!r}, "
            f"seasonality={self.seasonality}, n_boot={self.n_boot}, bootstrap={self.bootstrap!r}, "
            f"second_step={self.second_step}, self_excitation={self.self_excitation}, "
            f"self_decay={self.self_decay!r})"
        )
