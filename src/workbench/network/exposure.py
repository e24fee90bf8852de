"""Network exposure: how close each person is to recent victims of violence.

For every person in a :class:`~workbench.network.graph.Graph` at an as-of instant ``t``, with the
victimizations in the window ``[t - window_days, t)``:

- 1-step: number and share of direct contacts victimized in the window;
- 2-step: number and share of people at distance *exactly* 2 (contacts of contacts that are not
  oneself and not a direct contact) victimized in the window;
- time-decayed exposure: sum over victimizations of direct contacts in the window of
  ``0.5 ** (age_days / half_life_days)``;
- steps to the nearest victim: length of the shortest path to anyone victimized in the window
  (0 for a victim, ``inf`` when unreachable), by one multi-source breadth-first search.

Everything is a sparse matrix-vector product on the binary adjacency ``B`` (``B @ v``) and the
distance-2 matrix ``(B @ B > 0) - I - B`` (cached on the graph), so exposure for a whole city at
one date takes well under a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from ._checks import as_timestamp, require_columns, require_not_null, require_tz_aware
from .graph import Graph

__all__ = ["exposure_arrays", "network_exposure", "steps_to_nearest"]

DAY = pd.Timedelta(days=1)


def _window_events(events: pd.DataFrame, as_of: object, window_days: float | None):
    require_columns(events, "victimizations", ["person_id", "occurred_at"])
    require_not_null(events, "victimizations", ["person_id", "occurred_at"], "person_id")
    require_tz_aware(events, "victimizations", "occurred_at")
    t = as_timestamp(as_of, events["occurred_at"], "as_of")
    when = events["occurred_at"]
    keep = when < t
    if window_days is not None:
        keep &= when >= t - window_days * DAY
    sel = events.loc[keep]
    age_days = ((t - sel["occurred_at"]) / DAY).to_numpy(dtype=float)
    return t, sel["person_id"].astype(str).to_numpy(), age_days


def steps_to_nearest(graph: Graph, sources: np.ndarray, max_steps: int | None = None) -> np.ndarray:
    """Fewest ties from every person to any of ``sources`` (multi-source BFS).

    Parameters
    ----------
    graph : Graph
    sources : ndarray of int
        Rows of the source people (e.g. recent victims).
    max_steps : int, optional
        Stop searching beyond this many steps (farther people get ``inf``).

    Returns
    -------
    ndarray of float
        0 for sources, ``inf`` when no source is reachable (within ``max_steps``).
    """
    sources = np.unique(np.asarray(sources, dtype=np.int64))
    if len(sources) == 0:
        return np.full(graph.n_people, np.inf)
    limit = np.inf if max_steps is None else float(max_steps)
    # the adjacency is symmetric: directed=True gives the same distances without the transpose
    return csgraph.dijkstra(
        graph.binary, directed=True, indices=sources, unweighted=True, min_only=True, limit=limit
    )


def _victims_at_distance_2(b, degree: np.ndarray, victims: np.ndarray) -> np.ndarray:
    """Distinct victims at distance exactly 2 of every row, from ``B @ B[:, victims]`` only.

    ``M = B @ B[:, victims]`` (n x n_victims) is nonzero where a row reaches a victim in two
    steps; from its row counts subtract the victims that are also direct contacts (nonzeros of
    ``M * B[:, victims]``) and oneself (a connected victim reaches itself in two steps). ``B``
    being symmetric, ``M`` is built transposed from row slices.
    """
    n = b.shape[0]
    if len(victims) == 0:
        return np.zeros(n)
    # B is symmetric, so M^T = B[victims, :] @ B: row slices only (no column slicing or CSC)
    bv = sp.csr_array(b[victims])
    mt = sp.csr_array(bv @ b)
    reach = np.bincount(mt.indices, minlength=n).astype(float)
    both = sp.csr_array(mt.multiply(bv))
    both.eliminate_zeros()
    direct = np.bincount(both.indices, minlength=n).astype(float)
    own = np.bincount(victims[degree[victims] > 0], minlength=n).astype(float)
    return reach - direct - own


def exposure_arrays(
    graph: Graph,
    rows: np.ndarray,
    age_days: np.ndarray,
    half_life_days: float = 90.0,
    max_steps: int | None = None,
    contacts_2: bool = True,
) -> dict[str, np.ndarray]:
    """The columns of :func:`network_exposure` from victimizations given as graph rows.

    Parameters
    ----------
    graph : Graph
    rows : ndarray of int
        Graph row of each victimization in the window (people outside the graph removed).
    age_days : ndarray of float
        Days between each victimization and the as-of instant (> 0).
    half_life_days, max_steps, contacts_2
        See :func:`network_exposure`.

    Returns
    -------
    dict of str to ndarray
        One array per column of :func:`network_exposure`, in graph row order.
    """
    rows = np.asarray(rows, dtype=np.int64)
    n = graph.n_people
    v = np.zeros(n)
    v[rows] = 1.0
    decay = np.bincount(rows, weights=0.5 ** (np.asarray(age_days, float) / half_life_days), minlength=n)
    b = graph.binary
    deg1 = graph.degree
    n1 = b @ v
    victims = np.flatnonzero(v)
    if contacts_2:
        a2 = graph.two_step
        deg2 = np.diff(a2.indptr).astype(float)
        n2 = a2 @ v
    else:
        deg2 = np.full(n, np.nan)
        n2 = _victims_at_distance_2(b, deg1, victims)
    with np.errstate(invalid="ignore", divide="ignore"):
        share1 = np.where(deg1 > 0, n1 / deg1, np.nan)
        share2 = np.where(deg2 > 0, n2 / deg2, np.nan)
    return {
        "victimized": v > 0,
        "n_contacts_1": deg1,
        "n_victims_1": n1.astype(np.int64),
        "share_victims_1": share1,
        "n_contacts_2": deg2.astype(np.int64) if contacts_2 else deg2,
        "n_victims_2": n2.astype(np.int64),
        "share_victims_2": share2,
        "decay_exposure": b @ decay,
        "steps_to_victim": steps_to_nearest(graph, victims, max_steps),
    }


def network_exposure(
    graph: Graph,
    events: pd.DataFrame,
    as_of: object,
    window_days: float | None = 365.0,
    half_life_days: float = 90.0,
    max_steps: int | None = None,
    contacts_2: bool = True,
) -> pd.DataFrame:
    """Exposure of every person in ``graph`` to victimizations in the window before ``as_of``.

    Parameters
    ----------
    graph : Graph
        Usually built as of the same date (ties strictly before ``as_of``).
    events : DataFrame
        One row per victimization with ``person_id`` and tz-aware ``occurred_at`` (see
        :func:`~workbench.network.graph.victimization_events`). People not in the graph are
        nobody's contact and are ignored.
    as_of : str, datetime or Timestamp
        The instant exposure is measured at; only victimizations strictly before it count.
    window_days : float or None
        Length of the look-back window in days (``None``: all earlier victimizations).
    half_life_days : float
        Half-life of the time-decayed exposure, days.
    max_steps : int, optional
        Cap on the breadth-first search for ``steps_to_victim``.
    contacts_2 : bool
        Count everyone at distance 2 (``n_contacts_2``, ``share_victims_2``), which needs the
        graph's cached distance-2 matrix (built once per graph, about ``sum(degree**2)``
        entries). ``False``: those two columns are NaN and ``n_victims_2`` comes from the
        victim columns of ``B @ B`` only (``B @ B[:, victims]``), several times cheaper on a
        graph's first date (what a rolling evaluation with a new graph per cutoff needs).

    Returns
    -------
    DataFrame
        Indexed by ``person_id`` (graph row order), columns:

        ``victimized`` (bool, victimized in the window), ``n_contacts_1`` (distinct direct
        contacts), ``n_victims_1`` (of whom victimized), ``share_victims_1`` (NaN with no
        contacts), ``n_contacts_2`` (people at distance exactly 2), ``n_victims_2``,
        ``share_victims_2``, ``decay_exposure`` (sum over direct contacts' victimizations of
        ``0.5 ** (age_days / half_life_days)``), ``steps_to_victim`` (float; 0 for a victim,
        ``inf`` if unreachable).

    Notes
    -----
    "Distance exactly 2" excludes the person and their direct contacts, so ``n_victims_1`` and
    ``n_victims_2`` never count the same victim. Counts are of distinct people, not paths.
    """
    t, pid, age = _window_events(events, as_of, window_days)
    rows = graph.rows(pid)
    inside = rows >= 0
    cols = exposure_arrays(graph, rows[inside], age[inside], half_life_days, max_steps, contacts_2)
    out = pd.DataFrame(cols, index=pd.Index(graph.person_ids, name="person_id"))
    out.attrs["as_of"] = t
    out.attrs["window_days"] = window_days
    return out
