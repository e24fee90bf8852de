"""The balance view: police dose against need and support dose, with uncertainty.

For each area ``i`` (one row of :func:`~workbench.dosage.dose_counts` for a window):

1. **Need** ``lambda_i``: shootings per resident-year, empirical-Bayes smoothed
   (:func:`~workbench.dosage.eb_rates`, Poisson-gamma posterior).
2. **Police dose** ``p_i``: patrol hours (or police contacts) per resident-year, as measured.
3. **Expected police dose given need** ``f(lambda) = a + b lambda``: a baseline per resident
   plus hours proportional to violence, fitted across areas by robust non-linear least squares
   on the log scale (``scipy.optimize.least_squares``, soft-L1 loss, so that a minority of
   out-of-line areas does not bend the line) with ``a, b >= 0``.
4. **Police ratio** ``R_i``: observed police dose over the expected ``f(lambda_i) x
   resident-years``, itself empirical-Bayes smoothed as an observed/expected ratio (like a
   standardized mortality ratio), with the police dose counted in units of one patrol row
   (its median length) so that an area expected to get a handful of shifts is not ranked on
   one of them. 1 = as much police as need predicts, 2 = twice.
5. **Support** ``theta_i``: co-responder visits (or referrals, engaged follow-ups) per victim,
   empirical-Bayes smoothed; **support ratio** ``S_i = theta_i / m`` (``m`` the citywide rate).

Uncertainty comes from the gamma posteriors: ``n_draws`` draws of ``lambda`` (which moves the
expected police dose), of the police ratio given it, and of ``theta`` give the probability that ``R_i >= police_high`` (``p_police_high``), that
``R_i <= 1 / police_high`` (``p_police_low``), that ``S_i <= support_low`` and that
``S_i >= 1 / support_low``. An area is put in a class only when that probability is at least
``min_probability``:

================================ ==========================================================
class                            rule
================================ ==========================================================
over-policed and underserved     police high and support low
more police than need            police high (support not low)
underserved                      support low (police not high)
support-led                      police low and support high (the reverse)
less police than need            police low (support not high)
in balance                       none of the above
================================ ==========================================================

``imbalance = log R - log S`` (posterior medians) orders the areas: large = much police and
little support for the need. It is built from smoothed rates only, never from raw rates of
small counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from workbench.privacy import enough

from .smoothing import EBRates, eb_rates

CLASSES = ("over-policed and underserved", "more police than need", "underserved",
           "support-led", "less police than need", "in balance")
#: Support measures: column of the dose table.
SUPPORT_MEASURES = {"visits": "coresponder_visits", "referrals": "referrals", "engaged": "engaged"}
#: Police measures: column of the dose table.
POLICE_MEASURES = {"patrol_hours": "patrol_hours", "contacts": "police_contacts",
                   "stops": "stops", "arrests": "police_arrests"}


@dataclass
class Balance:
    """Result of :func:`balance`.

    Attributes
    ----------
    table : DataFrame
        One row per area: counts, ``need_rate`` (smoothed shootings per 1,000 residents per
        year, with ``need_lower``/``need_upper``), ``police_rate`` (per 1,000 residents per
        year), ``police_expected``, ``police_ratio`` (with ``police_ratio_lower``/``upper``),
        ``support_rate`` (smoothed per victim of ``support_victims``, the victims of the
        program period by default, with bounds), ``support_ratio``,
        ``p_police_high``, ``p_police_low``, ``p_support_low``, ``p_support_high``, ``class``,
        ``imbalance``.
    need, support : EBRates
        The smoothing fits.
    coef : tuple of float
        ``(a, b)`` of the expected police dose ``a + b lambda`` (per resident-year, lambda per
        resident-year).
    params : dict
        Thresholds and measures used (the settings).
    notes : list of str

    The results are also read under the workbench's estimator names: ``summary_`` and ``table_``
    (``table``), ``need_``, ``support_``, ``coef_``, ``confidence_intervals_`` (the need and
    police-ratio bounds per area); ``params`` holds the settings.
    """

    table: pd.DataFrame
    need: EBRates
    support: EBRates | None
    coef: tuple[float, float]
    params: dict
    notes: list[str] = field(default_factory=list)

    @property
    def table_(self) -> pd.DataFrame:
        """``table`` (one row per area)."""
        return self.table

    @property
    def summary_(self) -> pd.DataFrame:
        """``table``: estimates, bounds and class per area."""
        return self.table

    @property
    def need_(self) -> EBRates:
        """``need``: the smoothing fit of shootings per resident."""
        return self.need

    @property
    def support_(self) -> EBRates | None:
        """``support``: the smoothing fit of support per victim (None without support data)."""
        return self.support

    @property
    def coef_(self) -> tuple[float, float]:
        """``coef``: ``(a, b)`` of the expected police dose ``a + b lambda``."""
        return self.coef

    @property
    def confidence_intervals_(self) -> pd.DataFrame:
        """Bounds per area (index ``area_id``): ``need_lower``/``need_upper`` and
        ``police_ratio_lower``/``police_ratio_upper`` (those present in ``table``)."""
        cols = [c for c in ("need_lower", "need_upper", "police_ratio_lower", "police_ratio_upper",
                            "support_lower", "support_upper") if c in self.table.columns]
        return self.table.set_index("area_id")[cols]

    def flagged(self, classes=("over-policed and underserved", "more police than need")) -> list[str]:
        """Area ids in the given classes (default: police high relative to need)."""
        return self.table.loc[self.table["class"].isin(classes), "area_id"].tolist()


def fit_expected_police(need: np.ndarray, police: np.ndarray, f_scale: float = 0.3) -> tuple[float, float]:
    """Robust fit of ``police = a + b need`` on the log scale (``a, b >= 0``).

    Parameters
    ----------
    need, police : ndarray
        Smoothed need rate and police dose per resident-year, one value per area (areas with a
        zero or missing police dose are left out).
    f_scale : float, default 0.3
        Soft-L1 scale on the log scale (residuals beyond ~30% count less than quadratically).

    Returns
    -------
    (a, b) : tuple of float
    """
    ok = np.isfinite(need) & np.isfinite(police) & (police > 0) & (need >= 0)
    x, y = need[ok], police[ok]
    if ok.sum() < 2:
        return float(np.nanmean(police)) if ok.any() else np.nan, 0.0
    b0 = max(np.cov(x, y)[0, 1] / max(np.var(x), 1e-300), 0.0)
    a0 = max(np.median(y - b0 * x), 0.05 * np.median(y))
    scale = np.array([np.median(y), np.median(y) / max(np.median(x[x > 0]) if (x > 0).any() else 1, 1e-300)])

    def resid(theta):
        a, b = theta * scale
        return np.log(y) - np.log(np.maximum(a + b * x, 1e-300))

    fit = least_squares(resid, np.array([a0, b0]) / scale, bounds=([1e-9, 0.0], [np.inf, np.inf]),
                        loss="soft_l1", f_scale=f_scale)
    a, b = fit.x * scale
    return float(a), float(b)


def balance(counts: pd.DataFrame, *, police_measure: str = "patrol_hours", support_measure: str = "visits",
            police_high: float = 1.5, support_low: float = 0.67, min_probability: float = 0.8,
            n_draws: int = 2000, seed: int = 0, level: float = 0.9,
            police_unit: float | None = None, support_period: str = "program") -> Balance:
    """Classify areas by police dose relative to need and by support dose.

    Parameters
    ----------
    counts : DataFrame
        Whole-window dose table from :func:`~workbench.dosage.dose_counts` (``freq=None``).
    police_measure : {"patrol_hours", "contacts", "stops", "arrests"}
        Police dose (``contacts`` = stops + arrests from patrols, or police responses plus
        resident arrests without patrol records).
    support_measure : {"visits", "referrals", "engaged"}
        Support dose per victim.
    police_high : float, default 1.5
        Police ratio at or above which the police dose is *high* for the need (``1 /
        police_high`` or below: *low*).
    support_low : float, default 0.67
        Support ratio (area rate / citywide rate) at or below which support is *low*
        (``1 / support_low`` or above: *high*).
    min_probability : float, default 0.8
        Posterior probability needed to put an area in a class.
    n_draws : int, default 2000
        Posterior draws for the probabilities and intervals.
    seed : int, default 0
        Seed of the draws.
    level : float, default 0.9
        Level of the intervals.
    police_unit : float, optional
        Size of one police "event" for the Poisson-gamma smoothing of the police ratio: hours
        per patrol row for patrol hours (default ``counts.attrs['police_units']``, the median
        patrol row length), 1 for counts.
    support_period : {"program", "window"}, default "program"
        Victims behind support per victim: those shot on or after the program start
        (``victims_program`` of :func:`~workbench.dosage.dose_counts`; the whole window when
        the table has no program start), or every victim of the window (``"window"``, the
        old rule, which mixes the years before the program, when no co-responder existed,
        with the years after). The support classes rest on the program period; need and
        police dose stay on the whole window.

    Returns
    -------
    Balance

    Examples
    --------
    Thirty areas of 5,000 residents over six years; A0 gets three times the patrol hours its
    shootings predict, A1-A3 a fifth of the citywide visits per victim of the program period.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> shoot = rng.integers(40, 80, 30).astype(float)
    >>> hours = (0.1 + 40 * shoot / 5000) * 5000 * rng.uniform(0.9, 1.1, 30)
    >>> hours[0] *= 3
    >>> after = shoot.copy()
    >>> visits = after * rng.uniform(0.9, 1.1, 30)
    >>> visits[1:4] *= 0.2
    >>> counts = pd.DataFrame({"area_id": [f"A{i}" for i in range(30)], "population": 5000.0,
    ...                        "resident_years": 30000.0, "shootings": shoot, "patrol_hours": hours,
    ...                        "victims": 2 * after, "victims_program": after,
    ...                        "coresponder_visits": visits, "police_contacts": np.nan})
    >>> cls = balance(counts).table.set_index("area_id")["class"]
    >>> cls["A0"], cls["A1"], cls["A5"]
    ('more police than need', 'underserved', 'in balance')
    """
    if police_measure not in POLICE_MEASURES:
        raise ValueError(f"police_measure must be one of {sorted(POLICE_MEASURES)}")
    if support_measure not in SUPPORT_MEASURES:
        raise ValueError(f"support_measure must be one of {sorted(SUPPORT_MEASURES)}")
    if not (police_high > 1 and 0 < support_low < 1 and 0.5 <= min_probability < 1):
        raise ValueError("need police_high > 1, 0 < support_low < 1 and 0.5 <= min_probability < 1")
    notes: list[str] = []
    t = counts.reset_index(drop=True).copy()
    ry = t["resident_years"].to_numpy(float)
    pcol = POLICE_MEASURES[police_measure]
    police = t[pcol].to_numpy(float)
    if np.isnan(police).all():
        raise ValueError(f"no police measure '{police_measure}' in these data")
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2

    need = eb_rates(t["shootings"].to_numpy(float), ry, index=t["area_id"], level=level)
    lam = need.table["smoothed"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        prate = np.where(ry > 0, police / np.where(ry > 0, ry, 1), np.nan)
    a, b = fit_expected_police(lam, prate)
    # police ratio = observed / expected police units, itself EB-smoothed (an O/E ratio, as a
    # standardized mortality ratio): an area whose expected dose is a handful of units is pulled
    # toward the citywide ratio instead of being ranked on one shift.
    if police_unit is None:
        police_unit = counts.attrs.get("police_units", {}).get(pcol, 1.0)
    expected = (a + b * lam) * ry
    obs_u, exp_u = np.nan_to_num(police) / police_unit, expected / police_unit
    pol = eb_rates(obs_u, np.where(np.isfinite(exp_u), exp_u, 0.0), index=t["area_id"], level=level)
    ratio = pol.table["smoothed"].to_numpy()
    lam_d = need.draws(n_draws, rng)
    exp_d = (a + b * lam_d) * ry[None, :] / police_unit  # need uncertainty moves the expectation
    with np.errstate(divide="ignore", invalid="ignore"):
        if np.isfinite(pol.alpha):
            ratio_d = rng.gamma(pol.alpha + obs_u[None, :], 1.0, size=exp_d.shape) / (pol.beta + exp_d)
        else:
            ratio_d = np.broadcast_to(ratio, (n_draws, ratio.size)).copy()
    t["need_rate"] = 1000 * lam
    t["need_lower"] = 1000 * need.table["lower"].to_numpy()
    t["need_upper"] = 1000 * need.table["upper"].to_numpy()
    t["police_rate"] = 1000 * prate
    t["police_expected"] = 1000 * (a + b * lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["police_ratio_raw"] = np.where(expected > 0, np.nan_to_num(police) / np.where(expected > 0, expected, 1), np.nan)
    t["police_ratio"] = ratio
    t["police_ratio_lower"] = np.nanquantile(ratio_d, tail, axis=0) if n_draws else np.nan
    t["police_ratio_upper"] = np.nanquantile(ratio_d, 1 - tail, axis=0) if n_draws else np.nan
    t["p_police_high"] = np.mean(ratio_d >= police_high, axis=0)
    t["p_police_low"] = np.mean(ratio_d <= 1 / police_high, axis=0)
    no_pop = ry <= 0
    t.loc[no_pop, ["p_police_high", "p_police_low"]] = 0.0

    scol = SUPPORT_MEASURES[support_measure]
    support = None
    # support per victim on the program period: victims shot before the program started could
    # not be served by it, so counting them would class an area shot mostly before the start
    # as underserved
    vcol = "victims"
    if support_period == "program" and "victims_program" in t and t["victims_program"].notna().any():
        vcol = "victims_program"
        ps = counts.attrs.get("program_start")
        notes.append("support per victim counts the victims of the program period"
                     + (f" (shot on or after {ps:%Y-%m-%d})" if ps is not None else ""))
    elif support_period not in ("program", "window"):
        raise ValueError(f"support_period must be 'program' or 'window', not {support_period!r}")
    t["support_victims"] = t[vcol]
    if scol in t and t[scol].notna().any() and t[vcol].notna().any() and t[vcol].sum() > 0:
        vic = t[vcol].fillna(0).to_numpy(float)
        support = eb_rates(t[scol].fillna(0).to_numpy(float), vic, index=t["area_id"], level=level)
        th = support.table["smoothed"].to_numpy()
        m = support.m
        t["support_rate"] = th
        t["support_lower"] = support.table["lower"].to_numpy()
        t["support_upper"] = support.table["upper"].to_numpy()
        t["support_ratio"] = th / m if m > 0 else np.nan
        if m > 0:
            t["p_support_low"] = support.prob_below(support_low * m)
            t["p_support_high"] = 1 - support.prob_below(m / support_low)
        else:
            t["p_support_low"] = t["p_support_high"] = 0.0
        none = vic <= 0  # no victims: support per victim is unknown, never classed on it
        t.loc[none, ["p_support_low", "p_support_high"]] = 0.0
        t.loc[none, ["support_rate", "support_lower", "support_upper", "support_ratio"]] = np.nan
    else:
        notes.append("no co-responder records: support dose not measured, areas classed on police and need only")
        for c in ("support_rate", "support_lower", "support_upper", "support_ratio"):
            t[c] = np.nan
        t["p_support_low"] = t["p_support_high"] = 0.0
    ph = t["p_police_high"].to_numpy() >= min_probability
    pl = t["p_police_low"].to_numpy() >= min_probability
    sl = t["p_support_low"].to_numpy() >= min_probability
    sh = t["p_support_high"].to_numpy() >= min_probability
    t["class"] = np.select([ph & sl, ph, sl, pl & sh, pl],
                           ["over-policed and underserved", "more police than need", "underserved",
                            "support-led", "less police than need"], default="in balance")
    with np.errstate(divide="ignore", invalid="ignore"):
        t["imbalance"] = np.log(ratio) - np.log(t["support_ratio"].fillna(1.0).to_numpy())
    if need.pooled:
        notes.append("shooting rates vary no more than chance would make them: every area gets the citywide rate")
    params = dict(police_measure=police_measure, support_measure=support_measure, police_high=police_high,
                  support_low=support_low, min_probability=min_probability, n_draws=n_draws, seed=seed,
                  level=level, police_source=counts.attrs.get("police_source"),
                  support_period=support_period, support_victims=vcol)
    return Balance(table=t, need=need, support=support, coef=(a, b), params=params, notes=notes)


#: Classes that rest on the support per victim (hidden for areas with few victims).
SUPPORT_CLASSES = ("over-policed and underserved", "underserved", "support-led")
HIDDEN_CLASS = "too few victims to show"


def policy_classes(bal: Balance, min_count: int) -> pd.Series:
    """Classes for policy output: a class that rests on support per victim is replaced by
    :data:`HIDDEN_CLASS` when the area had fewer than ``min_count`` victims behind its support
    rate (``support_victims``; it would say how a handful of identifiable victims were served)."""
    t = bal.table
    few = ~enough(t.get("support_victims", t["victims"]).fillna(0).to_numpy(), min_count)
    hide = few & t["class"].isin(SUPPORT_CLASSES).to_numpy()
    return pd.Series(np.where(hide, HIDDEN_CLASS, t["class"].to_numpy()), index=t.index, name="class")


def precision_recall(flagged, truth) -> dict:
    """Precision and recall of ``flagged`` area ids against the ``truth`` ids.

    Returns
    -------
    dict
        ``flagged``, ``true``, ``hits``, ``precision`` (NaN when nothing is flagged),
        ``recall``, ``f1``.
    """
    f, tr = set(map(str, flagged)), set(map(str, truth))
    hits = len(f & tr)
    p = hits / len(f) if f else float("nan")
    r = hits / len(tr) if tr else float("nan")
    f1 = 2 * p * r / (p + r) if f and tr and (p + r) > 0 else float("nan")
    return {"flagged": len(f), "true": len(tr), "hits": hits, "precision": p, "recall": r, "f1": f1}


def most_out_of_balance(bal: Balance, n: int = 10, min_count: int | None = None) -> pd.DataFrame:
    """The ``n`` areas with the largest ``imbalance`` among those classed as out of balance.

    Aggregates only (counts, smoothed rates, ratios, probabilities, class); suppress the counts
    with :func:`workbench.privacy.suppress_counts` before showing them. With ``min_count`` the
    classes are :func:`policy_classes` and the support columns of areas with fewer victims are
    blanked.
    """
    t = bal.table.copy()
    if min_count is not None:
        t["class"] = policy_classes(bal, min_count)
        few = ~enough(t.get("support_victims", t["victims"]).fillna(0), min_count)
        t.loc[few, ["support_ratio", "p_support_low"]] = np.nan
    out = t[t["class"] != "in balance"].sort_values("imbalance", ascending=False).head(n)
    cols = ["area_id", "class", "population", "shootings", "victims", "need_rate", "police_rate",
            "police_expected", "police_ratio", "police_ratio_lower", "police_ratio_upper", "p_police_high",
            "support_ratio", "p_support_low", "imbalance"]
    return out[[c for c in cols if c in out]].reset_index(drop=True)
