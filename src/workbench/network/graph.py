"""People graphs as of a date: co-arrest and co-victimization networks as sparse matrices.

Two people are tied when they share a group -- an ``arrest_id`` (co-arrest) or an ``incident_id``
(co-victimization) -- and the tie's weight is the number of groups they share. Only groups dated
*strictly before* the as-of date count, so a graph "as of 2020-01-01" never sees the future.

The graph is a symmetric :class:`scipy.sparse.csr_array` with a zero diagonal plus the mapping
between ``person_id`` strings and matrix rows (:class:`Graph`). Pairs are generated for all groups
at once with numpy (no loop per arrest), so a city's eight years of arrests build in about a
second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from ._checks import as_timestamp, require_columns, require_not_null, require_tz_aware

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = [
    "Graph",
    "coarrest_graph",
    "covictimization_graph",
    "graph_from_groups",
    "graph_summary",
    "degree_distribution",
]


@dataclass(frozen=True, eq=False)
class Graph:
    """An undirected weighted graph of people.

    Parameters
    ----------
    person_ids : pandas.Index
        Row ``i`` of the matrix is person ``person_ids[i]`` (unique strings, sorted).
    adjacency : scipy.sparse.csr_array
        Symmetric ``n x n`` matrix, zero diagonal; entry ``(i, j)`` is the tie weight (number of
        shared arrests or incidents), 0 when there is no tie.
    kind : str
        What the ties mean (``"coarrest"``, ``"covictimization"``, ``"union"``, ...).
    as_of : pandas.Timestamp or None
        Only groups strictly before this instant were used (``None``: all of them).

    Notes
    -----
    Derived matrices (binary adjacency, distance-2 neighbourhoods, components) are computed on
    first use and cached on the instance; the graph itself is immutable.
    """

    person_ids: pd.Index
    adjacency: sp.csr_array
    kind: str = "graph"
    as_of: pd.Timestamp | None = None

    # -- sizes and lookups -------------------------------------------------------------
    @property
    def n_people(self) -> int:
        """Number of people (rows), isolates included."""
        return len(self.person_ids)

    @property
    def n_ties(self) -> int:
        """Number of undirected ties (pairs with weight > 0)."""
        return int(self.adjacency.nnz // 2)

    def rows(self, person_ids: object) -> np.ndarray:
        """Matrix rows of ``person_ids`` (``-1`` for people not in the graph)."""
        return self.person_ids.get_indexer(pd.Index(np.asarray(person_ids, dtype=object)))

    @cached_property
    def binary(self) -> sp.csr_array:
        """0/1 adjacency (``float64``), the contact structure without weights."""
        a = self.adjacency.copy()
        a.data = np.ones_like(a.data, dtype=np.float64)
        return a

    @cached_property
    def degree(self) -> np.ndarray:
        """Number of distinct contacts of each person (``int64``, length ``n_people``)."""
        return np.diff(self.adjacency.indptr).astype(np.int64)

    @cached_property
    def two_step(self) -> sp.csr_array:
        """0/1 matrix of pairs at distance exactly 2.

        ``(A @ A) > 0`` minus the diagonal (oneself) minus ``A`` (1-step contacts). Its number of
        stored entries is what limits memory: it is about the sum over people of their degree
        squared.
        """
        b = self.binary
        a2 = sp.csr_array(b @ b)
        a2.data[:] = 1.0
        # 1-step contacts and oneself (on the diagonal iff connected) become 0 or -1
        own = sp.diags_array((self.degree > 0).astype(np.float64), format="csr")
        a2 = sp.csr_array(a2 - b - own)
        a2.data = (a2.data > 0).astype(np.float64)
        a2.eliminate_zeros()
        return a2

    def trigger_matrix(self, weights: str = "binary") -> sp.csr_array:
        """Matrix ``K`` with ``K[j, i]`` = how strongly an event of ``j`` excites ``i``.

        Parameters
        ----------
        weights : {"binary", "count", "share"}
            ``"binary"``: 1 per tie; ``"count"``: the tie weight (number of shared arrests);
            ``"share"``: the tie weight as a share of ``j``'s total tie weight (rows sum to 1
            for connected people), so that an event's total excitation does not grow with its
            person's number of contacts.
        """
        if weights == "binary":
            return self.binary
        if weights == "count":
            return self.adjacency
        if weights == "share":
            strength = np.asarray(self.adjacency.sum(axis=1)).ravel()
            inv = np.divide(1.0, strength, out=np.zeros_like(strength), where=strength > 0)
            return sp.csr_array(sp.diags_array(inv) @ self.adjacency)
        raise ValueError(f"weights must be 'binary', 'count' or 'share', not {weights!r}")

    @cached_property
    def components(self) -> np.ndarray:
        """Connected-component label of each person (isolates are their own components)."""
        _, labels = csgraph.connected_components(self.adjacency, directed=False)
        return labels

    # -- conversions ------------------------------------------------------------------
    def to_networkx(self) -> "nx.Graph":
        """The graph as a :class:`networkx.Graph` (nodes are person ids, edge attr ``weight``)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(self.person_ids)
        coo = sp.triu(self.adjacency, k=1).tocoo()
        ids = self.person_ids.to_numpy()
        g.add_weighted_edges_from(zip(ids[coo.row], ids[coo.col], coo.data.tolist()))
        return g

    def subgraph(self, person_ids: object) -> "Graph":
        """The graph induced by ``person_ids`` (people not in the graph are ignored)."""
        rows = self.rows(person_ids)
        rows = np.unique(rows[rows >= 0])
        adj = self.adjacency[rows][:, rows]
        return Graph(self.person_ids[rows], sp.csr_array(adj), self.kind, self.as_of)

    def union(self, other: "Graph", kind: str = "union") -> "Graph":
        """Sum of two graphs over the union of their people (weights add)."""
        ids = self.person_ids.union(other.person_ids)
        mats = []
        for g in (self, other):
            r = ids.get_indexer(g.person_ids)
            coo = g.adjacency.tocoo()
            mats.append(
                sp.coo_array((coo.data, (r[coo.row], r[coo.col])), shape=(len(ids), len(ids)))
            )
        adj = sp.csr_array(mats[0] + mats[1])
        as_of = self.as_of if self.as_of == other.as_of else None
        return Graph(ids, adj, kind, as_of)

    def __repr__(self) -> str:
        when = "" if self.as_of is None else f", as_of={self.as_of.isoformat()}"
        return f"Graph(kind={self.kind!r}, n_people={self.n_people}, n_ties={self.n_ties}{when})"


def _pairs_within_groups(group_codes: np.ndarray, member_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All unordered pairs of members sharing a group, vectorized over groups.

    Parameters
    ----------
    group_codes, member_rows : ndarray of int
        One entry per (group, member), duplicates already removed.

    Returns
    -------
    left, right : ndarray of int
        Member rows of each pair (one entry per pair per shared group).
    """
    order = np.argsort(group_codes, kind="stable")
    g = group_codes[order]
    m = member_rows[order]
    sizes = np.bincount(g)
    starts = np.cumsum(sizes) - sizes
    pos = np.arange(len(g)) - starts[g]  # position within the group
    n_after = sizes[g] - 1 - pos  # partners later in the same group
    total = int(n_after.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    first = np.repeat(np.arange(len(g)), n_after)
    block_start = np.repeat(np.cumsum(n_after) - n_after, n_after)
    second = first + (np.arange(total) - block_start) + 1
    return m[first], m[second]


def graph_from_groups(
    group_ids: object,
    person_ids: object,
    nodes: object = None,
    kind: str = "graph",
    as_of: pd.Timestamp | None = None,
    max_group_size: int | None = None,
) -> Graph:
    """Tie people who share a group; weight = number of shared groups.

    Parameters
    ----------
    group_ids, person_ids : array-like
        One entry per membership (``arrest_id``/``person_id`` rows). Repeated memberships count
        once.
    nodes : array-like of str, optional
        Extra people to include as rows even without ties (e.g. the whole ``people`` table).
    kind : str
        Label stored on the graph.
    as_of : Timestamp, optional
        Stored on the graph for the record (filtering is the caller's job).
    max_group_size : int, optional
        Groups with more members than this (mass arrests) add their members as nodes but no ties.

    Returns
    -------
    Graph
    """
    groups = np.asarray(group_ids, dtype=object)
    persons = pd.Series(np.asarray(person_ids, dtype=object)).astype(str).to_numpy(dtype=object)
    extra = pd.Series(np.asarray([] if nodes is None else nodes, dtype=object)).astype(str)
    # person ids -> sorted rows, by hashing (factorize) and sorting only the distinct ids
    codes, uniques = pd.factorize(np.concatenate([persons, extra.to_numpy(dtype=object)]))
    order = np.argsort(uniques.astype(str), kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    ids = pd.Index(uniques[order].astype(object))
    n = len(ids)
    rows = rank[codes[: len(persons)]]
    g_codes = pd.factorize(groups)[0].astype(np.int64)
    # repeated (group, person) memberships count once
    key = np.unique(g_codes * n + rows)
    g_codes, rows = key // n, key % n
    if max_group_size is not None:
        keep = np.bincount(g_codes)[g_codes] <= max_group_size
        g_codes, rows = pd.factorize(g_codes[keep])[0].astype(np.int64), rows[keep]
    left, right = _pairs_within_groups(g_codes, rows)
    r = np.concatenate([left, right])
    c = np.concatenate([right, left])
    adj = sp.coo_array((np.ones(len(r), np.float64), (r, c)), shape=(n, n)).tocsr()
    adj.sum_duplicates()
    adj.sort_indices()
    return Graph(ids, sp.csr_array(adj), kind, as_of)


def _people_ids(people: object) -> object:
    if people is None:
        return None
    if isinstance(people, pd.DataFrame):
        require_columns(people, "people", ["person_id"])
        return people["person_id"].to_numpy()
    return np.asarray(people, dtype=object)


def coarrest_graph(
    arrests: pd.DataFrame,
    as_of: object = None,
    people: object = None,
    max_group_size: int | None = None,
) -> Graph:
    """Co-arrest network: people arrested together before ``as_of``.

    Parameters
    ----------
    arrests : DataFrame
        Contract ``arrests`` table (``arrest_id``, ``person_id``, ``arrested_at``).
    as_of : str, datetime or Timestamp, optional
        Only arrests with ``arrested_at < as_of`` count (strictly before). A naive value is read
        in the time zone of ``arrested_at``. ``None`` uses every arrest.
    people : DataFrame or array-like of str, optional
        Everyone to keep as a row even without co-arrests (the ``people`` table or ids).
        Everyone arrested before ``as_of`` is always a row.
    max_group_size : int, optional
        Arrests with more people than this add no ties (see :func:`graph_from_groups`).

    Returns
    -------
    Graph
        ``kind="coarrest"``; weights are numbers of shared arrests.

    Raises
    ------
    DataError
        Missing columns, null ids or dates, naive timestamps.
    """
    require_columns(arrests, "arrests", ["arrest_id", "person_id", "arrested_at"])
    require_not_null(arrests, "arrests", ["arrest_id", "person_id", "arrested_at"], "arrest_id")
    require_tz_aware(arrests, "arrests", "arrested_at")
    if as_of is not None:
        as_of = as_timestamp(as_of, arrests["arrested_at"], "as_of")
        arrests = arrests.loc[arrests["arrested_at"] < as_of]
    return graph_from_groups(
        arrests["arrest_id"].to_numpy(),
        arrests["person_id"].to_numpy(),
        nodes=_people_ids(people),
        kind="coarrest",
        as_of=as_of,
        max_group_size=max_group_size,
    )


def covictimization_graph(
    victimizations: pd.DataFrame,
    incidents: pd.DataFrame,
    as_of: object = None,
    people: object = None,
) -> Graph:
    """Co-victimization network: people shot in the same incident before ``as_of``.

    Parameters
    ----------
    victimizations : DataFrame
        Contract ``victimizations`` table (``incident_id``, ``person_id``).
    incidents : DataFrame
        Contract ``incidents`` table (``incident_id``, ``occurred_at``).
    as_of : str, datetime or Timestamp, optional
        Only incidents with ``occurred_at < as_of`` count. ``None`` uses all.
    people : DataFrame or array-like of str, optional
        Everyone to keep as a row even without ties. Every victim before ``as_of`` is a row.

    Returns
    -------
    Graph
        ``kind="covictimization"``; weights are numbers of shared incidents.
    """
    events = victimization_events(victimizations, incidents)
    if as_of is not None:
        as_of = as_timestamp(as_of, events["occurred_at"], "as_of")
        events = events.loc[events["occurred_at"] < as_of]
    return graph_from_groups(
        events["incident_id"].to_numpy(),
        events["person_id"].to_numpy(),
        nodes=_people_ids(people),
        kind="covictimization",
        as_of=as_of,
    )


def victimization_events(victimizations: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """Victimizations with their incident time, sorted by time.

    Parameters
    ----------
    victimizations : DataFrame
        ``incident_id``, ``person_id`` (and optionally ``fatal``).
    incidents : DataFrame
        ``incident_id``, ``occurred_at`` (tz-aware).

    Returns
    -------
    DataFrame
        ``incident_id``, ``person_id``, ``occurred_at`` (+ ``fatal`` when present), one row per
        victimization, sorted by ``occurred_at`` then ``incident_id``; ``attrs["window"]`` is
        the data's window (midnight of the first incident's day, midnight after the last's).

    Raises
    ------
    DataError
        Missing columns, null values, naive timestamps, or victimizations whose incident is
        not in ``incidents``.
    """
    from workbench.data.errors import DataError

    require_columns(victimizations, "victimizations", ["incident_id", "person_id"])
    require_columns(incidents, "incidents", ["incident_id", "occurred_at"])
    require_not_null(victimizations, "victimizations", ["incident_id", "person_id"], "incident_id")
    require_not_null(incidents, "incidents", ["incident_id", "occurred_at"], "incident_id")
    require_tz_aware(incidents, "incidents", "occurred_at")
    cols = ["incident_id", "person_id"] + (["fatal"] if "fatal" in victimizations else [])
    times = incidents.drop_duplicates("incident_id").set_index("incident_id")["occurred_at"]
    out = victimizations[cols].copy()
    out["occurred_at"] = out["incident_id"].map(times)
    orphan = out["occurred_at"].isna().to_numpy()
    if orphan.any():
        raise DataError.single(
            "victimizations",
            "incident_id",
            "incident not found in incidents",
            ids=out.loc[orphan, "incident_id"].astype(str).tolist(),
        )
    out["person_id"] = out["person_id"].astype(str)
    out = out.sort_values(["occurred_at", "incident_id"], kind="stable").reset_index(drop=True)
    occ = incidents["occurred_at"]  # the data's window, the default of NetworkHawkes.fit
    out.attrs["window"] = (occ.min().normalize(), occ.max().normalize() + pd.Timedelta(days=1))
    return out


def degree_distribution(graph: Graph) -> pd.DataFrame:
    """Number and share of people by number of distinct contacts.

    Returns
    -------
    DataFrame
        ``degree``, ``n_people``, ``share`` (of all rows, isolates included), one row per
        observed degree, ascending.
    """
    counts = np.bincount(graph.degree)
    deg = np.flatnonzero(counts)
    n = counts[deg]
    return pd.DataFrame({"degree": deg, "n_people": n, "share": n / max(graph.n_people, 1)})


def graph_summary(graph: Graph, victims: object = None) -> pd.Series:
    """Size, connectivity and victim coverage of a graph.

    Parameters
    ----------
    graph : Graph
    victims : array-like of str, optional
        Person ids of victims (e.g. ``victimizations.person_id``); duplicates count once.

    Returns
    -------
    Series
        ``n_people`` (rows), ``n_connected`` (people with at least one tie), ``n_isolates``,
        ``n_ties``, ``mean_degree`` (over connected people), ``max_degree``, ``n_components``
        (components of 2+ people), ``largest_component_size``, ``largest_component_share`` (of
        connected people); with ``victims``: ``n_victims`` (distinct), ``share_victims_in_graph``
        (a row at all, e.g. ever arrested), ``share_victims_in_network`` (at least one tie),
        ``share_victims_in_largest_component``.
    """
    deg = graph.degree
    connected = deg > 0
    labels = graph.components
    sizes = np.bincount(labels) if len(labels) else np.zeros(0, np.int64)
    big = int(np.argmax(sizes)) if len(sizes) else -1
    n_conn = int(connected.sum())
    out = {
        "n_people": graph.n_people,
        "n_connected": n_conn,
        "n_isolates": int(graph.n_people - n_conn),
        "n_ties": graph.n_ties,
        "mean_degree": float(deg[connected].mean()) if n_conn else 0.0,
        "max_degree": int(deg.max()) if len(deg) else 0,
        "n_components": int((sizes >= 2).sum()),
        "largest_component_size": int(sizes[big]) if n_conn else 0,
        "largest_component_share": float(sizes[big] / n_conn) if n_conn else 0.0,
    }
    if victims is not None:
        v = pd.unique(np.asarray(victims, dtype=object).astype(str))
        rows = graph.rows(v)
        inside = rows >= 0
        r = rows[inside]
        n_v = len(v)
        out["n_victims"] = n_v
        out["share_victims_in_graph"] = float(inside.sum() / n_v) if n_v else np.nan
        out["share_victims_in_network"] = float(connected[r].sum() / n_v) if n_v else np.nan
        in_big = (labels[r] == big) & connected[r]
        out["share_victims_in_largest_component"] = float(in_big.sum() / n_v) if n_v else np.nan
    return pd.Series(out, name=graph.kind)
