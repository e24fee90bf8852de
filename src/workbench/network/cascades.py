"""Who triggered whom: most likely sources, cascade trees and delays from EM probabilities.

Given, for every victimization, the probability ``p_background`` that it was background and,
for every candidate (child, parent) pair, the probability that the parent triggered it (the
E-step of :class:`~workbench.network.hawkes.NetworkHawkes`), each victimization's most likely
source is the parent with the largest probability when that beats background. Following most
likely sources gives a forest: its trees are the cascades. With self-excitation a source may be
the victim's own earlier victimization (``source_steps`` -1); it continues the cascade like any
other source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

__all__ = ["attribute_sources"]


def attribute_sources(
    t: np.ndarray,
    child: np.ndarray,
    parent: np.ndarray,
    p_background: np.ndarray,
    p_pair: np.ndarray,
    labels: np.ndarray,
    person_ids: np.ndarray,
    start: pd.Timestamp | None = None,
    step: np.ndarray | None = None,
    self_source: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Most likely source of every event, the cascades they form, and the delays.

    Parameters
    ----------
    t : ndarray of float
        Event times, days since ``start`` (length ``E``).
    child, parent : ndarray of int
        Candidate pairs (event indices, ``t[parent] < t[child]``).
    p_background : ndarray of float
        Probability that each event is background (length ``E``).
    p_pair : ndarray of float
        Probability that ``parent`` triggered ``child``, per pair.
    labels, person_ids : ndarray of str
        Event ids and person ids (length ``E``).
    start : Timestamp, optional
        Adds an ``occurred_at`` column when given.
    step : ndarray of int, optional
        Network distance (1 or 2) of each pair's parent, or -1 when the parent is the child's
        own person (self-excitation); adds a ``source_steps`` column (0 when background is
        most likely) when given.
    self_source : bool
        The pairs include self-excitation (``step == -1``): adds ``p_self`` (probability that
        the event repeats its person's own earlier victimization), ``p_contagion`` becomes
        ``1 - p_background - p_self``, and ``delays`` count network pairs only.

    Returns
    -------
    events : DataFrame
        ``event_id``, ``person_id``, ``t``, (``occurred_at``), ``p_background``,
        ``p_contagion``, (``p_self`` with ``self_source``), ``source_event``, ``source_person``
        (``None`` when background is most likely), ``source_prob``, ``delay_days`` (from the
        most likely source, whatever its kind), ``cascade_id``, ``generation``,
        (``source_steps`` with ``step``).
    cascades : DataFrame
        ``cascade_id``, ``size``, ``first_t``, ``last_t``, ``depth``, ``duration_days``,
        ``root_event``, ``root_person``; largest first.
    delays : Series
        ``mean_expected`` (every pair's lag weighted by ``p_pair``), ``mean_most_likely``,
        ``median_most_likely``, ``n_most_likely`` (days; pairs of most likely sources).
        With ``self_source`` only network pairs count (infector to infectee), not repeats.
    """
    E = len(t)
    # most likely parent per child: sort pairs by (child, -p) and take the first of each child
    order = np.lexsort((-p_pair, child))
    c_sorted = child[order]
    first = np.ones(len(order), bool)
    first[1:] = c_sorted[1:] != c_sorted[:-1]
    best = order[first]
    best_p = np.zeros(E)
    best_parent = np.full(E, -1, np.int64)
    best_p[child[best]] = p_pair[best]
    best_parent[child[best]] = parent[best]
    src = np.where(best_p > p_background, best_parent, -1)
    has = src >= 0
    src0 = np.maximum(src, 0)
    delay = np.where(has, t - t[src0], np.nan)

    # cascades = components of the forest; generation = BFS depth from a virtual root above
    # every background event (node E)
    kids = np.flatnonzero(has)
    roots = np.flatnonzero(~has)
    rows = np.concatenate([src[kids], np.full(len(roots), E)])
    cols = np.concatenate([kids, roots])
    forest = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(E + 1, E + 1))
    _, cascade = csgraph.connected_components(forest[:E, :E], directed=False)
    depth = csgraph.shortest_path(forest, directed=True, unweighted=True, indices=E)
    generation = (depth[:E] - 1).astype(np.int64)

    events = pd.DataFrame(
        {
            "event_id": labels,
            "person_id": person_ids,
            "t": t,
            "p_background": p_background,
            "p_contagion": 1.0 - p_background,
            "source_event": np.where(has, labels[src0], None),
            "source_person": np.where(has, person_ids[src0], None),
            "source_prob": np.where(has, best_p, p_background),
            "delay_days": delay,
            "cascade_id": cascade,
            "generation": generation,
        }
    )
    if step is not None:
        best_step = np.zeros(E, np.int8)
        best_step[child[best]] = step[best]
        events["source_steps"] = np.where(has, best_step, 0).astype(np.int8)
    network = np.ones(len(child), bool)  # pairs whose lags are infector-to-infectee delays
    if self_source:
        own = step < 0
        network = ~own
        p_self = np.bincount(child[own], weights=p_pair[own], minlength=E)
        events["p_contagion"] = 1.0 - p_background - p_self
        events.insert(events.columns.get_loc("p_contagion") + 1, "p_self", p_self)
        delay = np.where(events["source_steps"].to_numpy() > 0, delay, np.nan)
    if start is not None:
        events.insert(3, "occurred_at", start + pd.to_timedelta(t, unit="D"))

    root_rows = events.loc[~has, ["cascade_id", "event_id", "person_id"]].set_index("cascade_id")
    grp = events.groupby("cascade_id")
    cas = pd.DataFrame(
        {
            "size": grp.size(),
            "first_t": grp["t"].min(),
            "last_t": grp["t"].max(),
            "depth": grp["generation"].max(),
        }
    )
    cas["duration_days"] = cas["last_t"] - cas["first_t"]
    cas["root_event"] = root_rows["event_id"]
    cas["root_person"] = root_rows["person_id"]
    cascades = (
        cas.reset_index()
        .sort_values(["size", "first_t"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    has_delay = ~np.isnan(delay)  # most likely sources that are network contacts
    pn = p_pair[network] if self_source else p_pair
    S = pn.sum()
    lag = t[child[network]] - t[parent[network]] if self_source else t[child] - t[parent]
    delays = pd.Series(
        {
            "mean_expected": float(pn @ lag / S) if S > 0 else np.nan,
            "mean_most_likely": float(np.nanmean(delay)) if has_delay.any() else np.nan,
            "median_most_likely": float(np.nanmedian(delay)) if has_delay.any() else np.nan,
            "n_most_likely": int(has_delay.sum()),
        },
        name="delay_days",
    )
    return events, cascades, delays
