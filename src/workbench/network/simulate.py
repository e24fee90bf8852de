"""Simulate a network Hawkes process by its branching (cluster) structure.

Background events of person ``i`` arrive as a Poisson process of rate ``mu_i * s(t)`` per day on
``[0, T)`` (``s`` = 1, or the annual cycle ``1 + a cos + b sin``, by thinning). Every event of
person ``j`` then triggers, at each network contact ``i``, a Poisson number of events with mean
``alpha * K_ji * (1 - exp(-beta * L))`` (and, with ``alpha2``, at each person at distance
exactly 2 a Poisson number with mean ``alpha2 * (1 - exp(-beta * L))``) whose delays are exponential with rate ``beta``
(truncated at ``L = max_lag_days``); with ``self_branching`` it also triggers, at its own
person, a Poisson number of repeat victimizations with mean
``self_branching * (1 - exp(-self_beta * L))`` (delays exponential with rate ``self_beta``,
default ``beta``). ``K`` is :meth:`Graph.trigger_matrix` -- the same model
:class:`~workbench.network.hawkes.NetworkHawkes` fits. Generations are drawn one at a time, each
vectorized over all of its events (the loop is over generations, not events).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .graph import Graph

__all__ = ["simulate_network_hawkes", "seasonal_factor"]

YEAR = 365.25


def seasonal_factor(t: np.ndarray, season: tuple[float, float], doy0: float = 0.0) -> np.ndarray:
    """Annual cycle ``1 + a cos(2 pi d / 365.25) + b sin(2 pi d / 365.25)``, ``d = doy0 + t``.

    Parameters
    ----------
    t : ndarray
        Days since the start.
    season : (float, float)
        ``(a, b)``; ``a**2 + b**2 < 1`` keeps the factor positive. Amplitude
        ``sqrt(a**2 + b**2)``, peak on day of year ``atan2(b, a) * 365.25 / (2 pi)``.
    doy0 : float
        Day of year of the start (0 = January 1, 00:00).
    """
    a, b = season
    ang = 2 * np.pi * (doy0 + np.asarray(t, dtype=float)) / YEAR
    return 1.0 + a * np.cos(ang) + b * np.sin(ang)


def _day_of_year(ts: pd.Timestamp) -> float:
    """Fractional day of year, 0 = January 1 00:00 local time."""
    return float(ts.dayofyear - 1 + (ts - ts.normalize()) / pd.Timedelta(days=1))


def _expand_neighbours(adj, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row, its neighbours: (index into ``rows``, neighbour row, weight)."""
    starts = adj.indptr[rows]
    counts = adj.indptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.repeat(starts, counts) + offset
    return owner, adj.indices[pos], adj.data[pos]


def simulate_network_hawkes(
    graph: Graph,
    mu: float | np.ndarray,
    alpha: float,
    beta: float,
    T: float,
    max_lag_days: float | None = None,
    weights: str = "binary",
    season: tuple[float, float] | None = None,
    doy0: float | None = None,
    start: pd.Timestamp | str | None = None,
    background: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int | np.random.Generator | None = None,
    max_events: int = 5_000_000,
    alpha2: float = 0.0,
    self_branching: float = 0.0,
    self_beta: float | None = None,
) -> pd.DataFrame:
    """Draw one realization of the network Hawkes process.

    Parameters
    ----------
    graph : Graph
        Who can trigger whom.
    mu : float or ndarray
        Background rate per person per day (scalar or one per graph row).
    alpha : float
        Expected number of events one event triggers at each contact, times ``K_ji`` (see
        ``weights``).
    beta : float
        Decay rate of the exponential kernel, per day (mean delay ``1/beta`` days).
    T : float
        Length of the observation window, days.
    max_lag_days : float, optional
        Kernel truncation ``L`` (``None``: no truncation).
    weights : {"binary", "count", "share"}
        How ties scale excitation (:meth:`Graph.trigger_matrix`).
    season : (float, float), optional
        Background seasonality ``(a, b)`` of :func:`seasonal_factor` (``None``: constant).
    doy0 : float, optional
        Day of year of the start for the seasonality (default: from ``start``, else 0).
    start : Timestamp or str, optional
        If given, an ``occurred_at`` column ``start + t`` days is added (``start`` must be
        tz-aware).
    background : (ndarray of int, ndarray of float), optional
        Graph rows and times (days) of given background events, used instead of drawing them
        from ``mu`` and ``season`` (the semiparametric bootstrap of
        :class:`~workbench.network.hawkes.NetworkHawkes`).
    seed : int or Generator, optional
        Random seed.
    max_events : int
        Safety stop for explosive (supercritical) parameters.
    alpha2 : float
        Expected number of events one event triggers at each person at distance exactly 2
        (:attr:`Graph.two_step`), same delay distribution; 0 (default) for contacts only.
    self_branching : float
        Expected number of repeat victimizations of the same person one event triggers
        (self-excitation, over an unlimited horizon; the ``max_lag_days`` truncation removes
        the share ``exp(-self_beta * L)``); 0 (default) for none.
    self_beta : float, optional
        Decay rate of the self-excitation kernel, per day (default: ``beta``).

    Returns
    -------
    DataFrame
        One row per event sorted by time: ``event_id`` (``"e0"``, ...), ``person_id``, ``t``
        (days since start), ``parent`` (row position of the triggering event, -1 for
        background; a repeat victimization's parent is its person's own earlier event),
        ``generation`` (0 for background); plus ``occurred_at`` with ``start``.

    Raises
    ------
    RuntimeError
        When more than ``max_events`` events are drawn (branching ratio too high).
    """
    rng = np.random.default_rng(seed)
    n = graph.n_people
    adj = graph.trigger_matrix(weights)
    mu = np.broadcast_to(np.asarray(mu, dtype=float), (n,))
    L = np.inf if max_lag_days is None else float(max_lag_days)
    mass = 1.0 - np.exp(-beta * L)
    beta_s = float(beta if self_beta is None else self_beta)
    mass_s = 1.0 - np.exp(-beta_s * L)

    if background is not None:
        person = np.asarray(background[0], dtype=np.int64)
        times = np.asarray(background[1], dtype=float)
    elif season is None:
        counts = rng.poisson(mu * T)
        person = np.repeat(np.arange(n), counts)
        times = rng.uniform(0.0, T, len(person))
    else:  # thinning against the seasonal maximum
        if doy0 is None:
            doy0 = 0.0 if start is None else _day_of_year(pd.Timestamp(start))
        top = 1.0 + float(np.hypot(*season))
        counts = rng.poisson(mu * T * top)
        person = np.repeat(np.arange(n), counts)
        times = rng.uniform(0.0, T, len(person))
        keep = rng.uniform(0.0, top, len(times)) < seasonal_factor(times, season, doy0)
        person, times = person[keep], times[keep]
    parent = np.full(len(person), -1, np.int64)
    gen = np.zeros(len(person), np.int64)
    all_p, all_t, all_par, all_gen = [person], [times], [parent], [gen]
    offset, total = 0, len(person)
    cur_p, cur_t = person, times
    g = 0
    while len(cur_p):
        g += 1
        owner, nbr, w = _expand_neighbours(adj, cur_p)
        w = alpha * w
        if alpha2 > 0:
            o2, n2, w2 = _expand_neighbours(graph.two_step, cur_p)
            owner, nbr = np.concatenate([owner, o2]), np.concatenate([nbr, n2])
            w = np.concatenate([w, alpha2 * w2])
        if self_branching > 0:  # repeats of the event's own person, own decay
            n_net, m = len(w), len(cur_p)
            owner, nbr = np.concatenate([owner, np.arange(m)]), np.concatenate([nbr, cur_p])
            w = np.concatenate([w, np.full(m, float(self_branching))])
            is_self = np.arange(len(w)) >= n_net
            k = rng.poisson(w * np.where(is_self, mass_s, mass))
            is_self = np.repeat(is_self, k)
            m_c, b_c = np.where(is_self, mass_s, mass), np.where(is_self, beta_s, beta)
        else:
            k = rng.poisson(w * mass)
            m_c, b_c = mass, beta
        child_owner = np.repeat(owner, k)
        child_p = np.repeat(nbr, k)
        u = rng.uniform(size=len(child_p))
        delay = -np.log1p(-u * m_c) / b_c
        child_t = cur_t[child_owner] + delay
        keep = child_t < T
        child_p, child_t, child_owner = child_p[keep], child_t[keep], child_owner[keep]
        all_p.append(child_p)
        all_t.append(child_t)
        all_par.append(offset + child_owner)
        all_gen.append(np.full(len(child_p), g, np.int64))
        offset += len(cur_p)
        total += len(child_p)
        if total > max_events:
            raise RuntimeError(
                f"more than {max_events} events simulated: alpha={alpha} is too high for this "
                "graph (the branching ratio alpha * spectral radius, plus self_branching, "
                "must be < 1)"
            )
        cur_p, cur_t = child_p, child_t
    p = np.concatenate(all_p)
    t = np.concatenate(all_t)
    par = np.concatenate(all_par)
    gen = np.concatenate(all_gen)
    order = np.argsort(t, kind="stable")
    new_pos = np.empty_like(order)
    new_pos[order] = np.arange(len(order))
    par = par[order]
    par = np.where(par >= 0, new_pos[np.maximum(par, 0)], -1)
    out = pd.DataFrame(
        {
            "event_id": np.char.add("e", np.arange(len(t)).astype(str)).astype(object),
            "person_id": graph.person_ids.to_numpy()[p[order]],
            "t": t[order],
            "parent": par,
            "generation": gen[order],
        }
    )
    if start is not None:
        out["occurred_at"] = pd.Timestamp(start) + pd.to_timedelta(out["t"], unit="D")
    return out
