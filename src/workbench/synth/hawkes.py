"""Shootings: a multivariate Hawkes process simulated with its cluster representation.

Every incident is either *background* (an inhomogeneous Poisson process: seasonal sinusoid
times a night-heavy hour profile, victims drawn in proportion to their background weight), or
the offspring of an earlier event:

- *near-repeat*: each incident spawns ``Poisson(near_repeat_branching)`` incidents, delayed
  ``Exp(near_repeat_tau_days)`` and displaced ``N(0, near_repeat_sigma_m^2 I)`` meters;
- *contagion*: each victimization of a network member with co-arrestees spawns
  ``Poisson(contagion_branching)`` incidents, delayed ``Exp(contagion_tau_days)``, whose victim
  is a co-arrestee picked with probability proportional to the number of shared arrests.

Each incident has one primary victim plus ``Poisson(co_victim_mean)`` co-victims. The
simulation runs one generation at a time, vectorized over the generation (no loop over events
or people). :func:`expected_counts` integrates the first-moment equations of the same process
over the observation window (finite-window truth for tests) and :func:`stationary` gives the
branching ratio and the long-run shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.integrate import solve_ivp

from .geography import Geography, locate, sample_in_areas
from .params import Params
from .population import Population, hour_probs

ORIGINS = np.array(["background", "near_repeat", "contagion"], dtype=object)
BACKGROUND, NEAR_REPEAT, CONTAGION = 0, 1, 2
YEAR = 365.25


@dataclass
class Shootings:
    """Simulated incidents (with victims) and victimizations, in index form.

    Attributes
    ----------
    incidents : pandas.DataFrame
        ``t`` (days since start), ``x``, ``y`` (meters), ``area``, ``origin`` (0/1/2),
        ``parent`` (incident row or -1), ``generation``.
    victimizations : pandas.DataFrame
        ``incident`` (row), ``person`` (index), ``primary`` (bool), ``fatal`` (bool),
        ``parent_person`` (infector index for contagion incidents, else -1).
    """

    incidents: pd.DataFrame
    victimizations: pd.DataFrame


def season(t: np.ndarray, params: Params, doy0: float) -> np.ndarray:
    """Seasonal multiplier ``1 + A cos(2 pi (doy0 + t - peak) / 365.25)`` (mean 1 over a year)."""
    return 1.0 + params.season_amplitude * np.cos(2 * np.pi * (doy0 + t - params.season_peak_doy) / YEAR)


def _draw(cdf: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices drawn with probabilities given by the cumulative weights ``cdf``."""
    return np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), cdf.size - 1)


def p_transmitting(popn: Population) -> float:
    """Share of the victim-draw weight on network members with at least one co-arrestee."""
    deg = popn.degree
    return float(popn.weight[: popn.n_network][deg > 0].sum() / popn.weight.sum())


def simulate(geo: Geography, popn: Population, params: Params, mu0: float, horizon: float,
             doy0: float, rng: np.random.Generator) -> Shootings:
    """Simulate the process on ``[0, horizon)`` days.

    Parameters
    ----------
    geo, popn, params
        City, people and parameters.
    mu0 : float
        Background incident rate (incidents per day, before seasonality).
    horizon : float
        Incidents occur in ``[0, horizon)`` days since the start.
    doy0 : float
        Day of year of the start (0 = January 1).
    rng : numpy.random.Generator
    """
    cdf = np.cumsum(popn.weight)
    adj = popn.adjacency
    adj_cdf = np.cumsum(adj.data)
    deg = popn.degree
    a = params.season_amplitude

    # generation 0: thinning of a homogeneous process, then a night-heavy hour of the day
    n_cand = rng.poisson(mu0 * (1 + a) * horizon)
    t = rng.uniform(0, horizon, n_cand)
    t = np.sort(t[rng.random(n_cand) * (1 + a) < season(t, params, doy0)])
    hours = rng.choice(24, size=t.size, p=hour_probs(params))
    t = np.floor(t) + (hours + rng.random(t.size)) / 24.0
    t = t[t < horizon]
    person = _draw(cdf, t.size, rng)
    area = popn.area[person]
    x, y = sample_in_areas(geo, area, rng)
    inc = [pd.DataFrame({"t": t, "x": x, "y": y, "area": area, "origin": BACKGROUND,
                         "parent": -1, "generation": 0})]
    vic = [_with_co_victims(np.arange(t.size), person, np.full(t.size, -1), cdf, params, rng)]
    offset = t.size
    gen = 0
    while len(inc[-1]):
        gen += 1
        cur_i, cur_v = inc[-1], vic[-1]
        # contagion: every victimization of a network member with co-arrestees
        transmit = (cur_v["person"].to_numpy() < popn.n_network)
        transmit[transmit] &= deg[cur_v["person"].to_numpy()[transmit]] > 0
        src = cur_v[transmit]
        k = rng.poisson(params.contagion_branching, len(src))
        par_person = np.repeat(src["person"].to_numpy(), k)
        par_inc = np.repeat(src["incident"].to_numpy(), k)
        ct_t = cur_i["t"].to_numpy()[par_inc - (offset - len(cur_i))] + rng.exponential(
            params.contagion_tau_days, par_inc.size)
        keep = ct_t < horizon
        par_person, par_inc, ct_t = par_person[keep], par_inc[keep], ct_t[keep]
        lo = adj.indptr[par_person]
        start_w = np.where(lo > 0, adj_cdf[np.maximum(lo - 1, 0)], 0.0)
        row_w = adj_cdf[adj.indptr[par_person + 1] - 1] - start_w
        j = np.searchsorted(adj_cdf, start_w + rng.random(par_person.size) * row_w, side="right")
        ct_victim = adj.indices[np.minimum(j, adj.indptr[par_person + 1] - 1)]
        ct_area = popn.area[ct_victim]
        ct_x, ct_y = sample_in_areas(geo, ct_area, rng)

        # near-repeat: every incident
        k = rng.poisson(params.near_repeat_branching, len(cur_i))
        rows = np.repeat(np.arange(len(cur_i)), k)
        inc_t = cur_i["t"].to_numpy()[rows] + rng.exponential(params.near_repeat_tau_days, rows.size)
        keep = inc_t < horizon
        rows, inc_t = rows[keep], inc_t[keep]
        px, py = cur_i["x"].to_numpy()[rows], cur_i["y"].to_numpy()[rows]
        nr_x, nr_y = _displace(geo, px, py, params.near_repeat_sigma_m, rng)
        nr_area = locate(geo, nr_x, nr_y)
        nr_victim = _draw(cdf, rows.size, rng)

        new = pd.DataFrame({
            "t": np.concatenate([ct_t, inc_t]),
            "x": np.concatenate([ct_x, nr_x]),
            "y": np.concatenate([ct_y, nr_y]),
            "area": np.concatenate([ct_area, nr_area]),
            "origin": np.concatenate([np.full(ct_t.size, CONTAGION), np.full(inc_t.size, NEAR_REPEAT)]),
            "parent": np.concatenate([par_inc, rows + (offset - len(cur_i))]),
            "generation": gen,
        })
        primary = np.concatenate([ct_victim, nr_victim])
        infector = np.concatenate([par_person, np.full(inc_t.size, -1)])
        vic.append(_with_co_victims(np.arange(len(new)) + offset, primary, infector, cdf, params, rng))
        inc.append(new)
        offset += len(new)
    incidents = pd.concat(inc, ignore_index=True)
    victimizations = pd.concat(vic, ignore_index=True)
    return Shootings(incidents, victimizations)


def _with_co_victims(incident: np.ndarray, primary: np.ndarray, infector: np.ndarray,
                     cdf: np.ndarray, params: Params, rng: np.random.Generator) -> pd.DataFrame:
    """Victimization rows: the primary victim plus Poisson co-victims (duplicates dropped)."""
    c = rng.poisson(params.co_victim_mean, incident.size)
    co_inc = np.repeat(incident, c)
    df = pd.DataFrame({
        "incident": np.concatenate([incident, co_inc]),
        "person": np.concatenate([primary, _draw(cdf, co_inc.size, rng)]),
        "primary": np.concatenate([np.ones(incident.size, bool), np.zeros(co_inc.size, bool)]),
        "parent_person": np.concatenate([infector, np.repeat(infector, c)]),
    })
    df = df.drop_duplicates(["incident", "person"]).sort_values(["incident", "primary"], ascending=[True, False], kind="stable")
    df["fatal"] = rng.random(len(df)) < params.fatal_prob
    return df.reset_index(drop=True)


def _displace(geo: Geography, px: np.ndarray, py: np.ndarray, sigma: float,
              rng: np.random.Generator, max_rounds: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian displacement, redrawn until inside the city (else left at the parent point)."""
    x, y = px.copy(), py.copy()
    todo = np.arange(px.size)
    for _ in range(max_rounds):
        if todo.size == 0:
            break
        tx = px[todo] + rng.normal(0, sigma, todo.size)
        ty = py[todo] + rng.normal(0, sigma, todo.size)
        ok = shapely.contains_xy(geo.outline, tx, ty)
        x[todo[ok]], y[todo[ok]] = tx[ok], ty[ok]
        todo = todo[~ok]
    return x, y


def _first_moments(params: Params, mu0: float, horizon: float, doy0: float, p_plus: float):
    """Integrate the first-moment equations over ``[0, horizon)`` (see :func:`expected_counts`).

    Returns the final state: integrals of the background, near-repeat and contagion incident
    rates, then of ``B``, ``B cos`` and ``B sin`` of the annual angle, where ``B`` is the rate
    of victimizations that are *not* a contact's contagion: primary victims of background and
    near-repeat incidents plus the co-victims of every incident (co-victims are drawn from
    the whole population, not from the infector's contacts).
    """
    kn, kc = params.near_repeat_branching, params.contagion_branching
    tn, tc, mc = params.near_repeat_tau_days, params.contagion_tau_days, params.co_victim_mean

    def rhs(t, s):
        zn, zc = s[0], s[1]
        mu = mu0 * season(np.asarray(t), params, doy0)
        lam = mu + kn * zn + kc * zc
        n = p_plus * (mu + kn * zn) + kc * zc + mc * p_plus * lam
        b = mu + kn * zn + mc * lam
        ang = 2 * np.pi * (doy0 + t) / YEAR
        return [(lam - zn) / tn, (n - zc) / tc, mu, kn * zn, kc * zc,
                b, b * np.cos(ang), b * np.sin(ang)]

    sol = solve_ivp(rhs, (0.0, horizon), np.zeros(8), method="RK45", max_step=2.0,
                    rtol=1e-8, atol=1e-10)
    return sol.y[2:, -1]


def expected_counts(params: Params, mu0: float, horizon: float, doy0: float,
                    p_plus: float) -> dict[str, float]:
    """Expected incidents by origin over ``[0, horizon)`` (first-moment equations).

    With exponential kernels the mean intensities obey the linear ODE

    ``Lambda = mu(t) + k_nr z_nr + k_c z_c``,
    ``N = p+ (mu + k_nr z_nr) + k_c z_c + m_c p+ Lambda``,
    ``dz_nr/dt = (Lambda - z_nr) / tau_nr``, ``dz_c/dt = (N - z_c) / tau_c``,

    where ``Lambda`` is the incident rate, ``N`` the rate of victimizations of network members
    with co-arrestees and ``p+`` their share of the victim-draw weight. Integrated with
    :func:`scipy.integrate.solve_ivp`.

    Returns
    -------
    dict
        ``background``, ``near_repeat``, ``contagion`` (incidents), ``incidents`` and
        ``victimizations`` (incidents times ``1 + co_victim_mean``).
    """
    bg, nr, ct = (float(v) for v in _first_moments(params, mu0, horizon, doy0, p_plus)[:3])
    total = bg + nr + ct
    return {"background": bg, "near_repeat": nr, "contagion": ct, "incidents": total,
            "victimizations": total * (1 + params.co_victim_mean)}


def expected_model_view(params: Params, mu0: float, horizon: float, doy0: float,
                        p_plus: float) -> dict[str, float]:
    """What a person-level network contagion model should find in the window (expected values).

    A model such as :class:`workbench.network.NetworkHawkes` explains each victimization as
    either a contact's contagion or its person's background. In this city only the *primary*
    victim of a contagion incident is a contact of the infector; near-repeat victims and all
    co-victims are drawn from the whole population in proportion to their background weight, so
    for such a model they are background. Its background therefore mixes the seasonal
    background with near-repeat and co-victim shootings that follow earlier (contagion)
    shootings with a lag, which flattens and delays the annual cycle: its amplitude is below
    ``season_amplitude`` and its peak after ``season_peak_doy``.

    Returns
    -------
    dict
        ``contagion_share``: expected share of victimizations that are a contact's contagion;
        ``background_season_amplitude`` and ``background_season_peak_doy`` (day of year,
        0 = January 1): first annual harmonic of the non-contagion victimization rate over the
        window, ``2 |integral B e^{i angle}| / integral B`` (exact for a rate of the form
        ``1 + a cos + b sin`` over whole years).
    """
    _, _, ct, b, bc, bs = (float(v) for v in _first_moments(params, mu0, horizon, doy0, p_plus))
    z = complex(bc, bs) / b
    return {
        "contagion_share": ct / (ct + b),
        "background_season_amplitude": 2 * abs(z),
        "background_season_peak_doy": float(np.angle(z) * YEAR / (2 * np.pi) % YEAR),
    }


def stationary(params: Params, p_plus: float) -> dict[str, float]:
    """Branching ratio (spectral radius of the mean offspring matrix) and long-run shares.

    Types of incidents: primary victim transmits (network member with co-arrestees) or not.
    """
    kn, kc, mc = params.near_repeat_branching, params.contagion_branching, params.co_victim_mean
    m = np.array([
        [kc * (1 + mc * p_plus) + kn * p_plus, kn * (1 - p_plus)],
        [kc * mc * p_plus + kn * p_plus, kn * (1 - p_plus)],
    ])
    rho = float(np.max(np.abs(np.linalg.eigvals(m))))
    lam = np.linalg.solve(np.eye(2) - m.T, np.array([p_plus, 1 - p_plus]))
    ct = kc * ((1 + mc * p_plus) * lam[0] + mc * p_plus * lam[1])
    nr = kn * lam.sum()
    total = 1.0 + ct + nr
    return {"branching_ratio": rho, "share_background": 1.0 / total,
            "share_near_repeat": nr / total, "share_contagion": ct / total}
