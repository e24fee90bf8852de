"""What was known about people at a cutoff: population, co-arrest graph and features, without leakage.

A :class:`PeopleHistory` indexes the ``people``, ``arrests`` and ``victimizations`` tables once
(person ids -> integer codes, timestamps -> int64 nanoseconds, every co-arrest pair with the
time of the arrest that created it) so that the state *as of* any cutoff is a few ``searchsorted``
and ``bincount`` calls:

- :meth:`PeopleHistory.population` -- people with an arrest or a victimization strictly before
  the cutoff (the people table also lists people who first appear later: ranking them would leak
  the future into the denominator);
- :meth:`PeopleHistory.graph` -- the co-arrest :class:`~workbench.network.graph.Graph` of that
  population from arrests strictly before the cutoff (identical to
  ``coarrest_graph(arrests, cutoff, people=population)``);
- :meth:`PeopleHistory.features` -- demographics, prior arrests, prior victimizations and network
  exposure at the cutoff, all from data strictly before it;
- :meth:`PeopleHistory.attributes` -- race/ethnicity, sex and age group for the fairness audit;
- :meth:`PeopleHistory.victimized` -- who was victimized in a window (the outcome).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from workbench.fairness import age_group

from ._checks import as_timestamp, require_columns, require_not_null, require_tz_aware
from .exposure import exposure_arrays
from .graph import Graph, _pairs_within_groups, victimization_events

if TYPE_CHECKING:  # pragma: no cover
    from workbench.data.dataset import Dataset

__all__ = ["DEMOGRAPHIC_FEATURES", "EXPOSURE_FEATURES", "PeopleHistory", "VICTIMIZATION_FEATURES"]

DAY_NS = 86_400 * 10**9

#: Feature groups of :meth:`PeopleHistory.features` (columns).
DEMOGRAPHIC_FEATURES: tuple[str, ...] = (
    "age", "age_missing", "male", "n_arrests", "n_arrests_violent", "arrested_last_year",
)
VICTIMIZATION_FEATURES: tuple[str, ...] = ("n_victimizations", "victimized_last_year")
EXPOSURE_FEATURES: tuple[str, ...] = (
    "n_contacts_1", "n_victims_1", "n_victims_2", "decay_exposure",
)

VIOLENT = ("violent", "weapons")


def _ns_array(when: pd.Series) -> np.ndarray:
    """Tz-aware timestamps -> int64 nanoseconds since the epoch (UTC)."""
    return pd.DatetimeIndex(when).as_unit("ns").asi8.copy()


class PeopleHistory:
    """Arrests and victimizations indexed for fast as-of queries.

    Parameters
    ----------
    events : DataFrame
        Victimizations with ``person_id`` and tz-aware ``occurred_at``
        (:func:`~workbench.network.graph.victimization_events`).
    arrests : DataFrame, optional
        Contract ``arrests`` (``arrest_id``, ``person_id``, ``arrested_at``; ``offense_category``
        optional). ``None``: nobody is tied and prior arrests are 0.
    people : DataFrame, optional
        Contract ``people`` (``birth_year``, ``sex``, ``race_ethnicity`` used when present).
    max_group_size : int, optional
        Arrests with more people add no ties (mass arrests; see
        :func:`~workbench.network.graph.graph_from_groups`).

    Attributes
    ----------
    ids : pandas.Index
        Sorted person ids of everyone in any table (the universe; codes index it).
    tz : tzinfo
        Time zone of the timestamps.
    start, end : Timestamp
        First and last recorded event (victimization or arrest).
    """

    def __init__(
        self,
        events: pd.DataFrame,
        arrests: pd.DataFrame | None = None,
        people: pd.DataFrame | None = None,
        max_group_size: int | None = None,
    ):
        require_columns(events, "victimizations", ["person_id", "occurred_at"])
        require_not_null(events, "victimizations", ["person_id", "occurred_at"], "person_id")
        require_tz_aware(events, "victimizations", "occurred_at")
        if arrests is not None:
            require_columns(arrests, "arrests", ["arrest_id", "person_id", "arrested_at"])
            require_not_null(arrests, "arrests", ["arrest_id", "person_id", "arrested_at"], "arrest_id")
            require_tz_aware(arrests, "arrests", "arrested_at")
        self.events = events.sort_values("occurred_at", kind="stable").reset_index(drop=True)
        self.tz = self.events["occurred_at"].dt.tz
        parts = [self.events["person_id"].astype(str).to_numpy(dtype=object)]
        if arrests is not None:
            parts.append(arrests["person_id"].astype(str).to_numpy(dtype=object))
        if people is not None:
            require_columns(people, "people", ["person_id"])
            parts.append(people["person_id"].astype(str).to_numpy(dtype=object))
        self.ids = pd.Index(np.sort(pd.unique(np.concatenate(parts)).astype(str)).astype(object))
        n = len(self.ids)
        # victimizations
        self.ev_code = self.ids.get_indexer(parts[0]).astype(np.int64)
        self.ev_t = _ns_array(self.events["occurred_at"])
        # arrests: one row per (arrest, person), sorted by time
        if arrests is not None and len(arrests):
            a = arrests.assign(_code=self.ids.get_indexer(parts[1]))
            a = a.drop_duplicates(["arrest_id", "_code"]).sort_values("arrested_at", kind="stable")
            self.ar_code = a["_code"].to_numpy(np.int64)
            self.ar_t = _ns_array(a["arrested_at"])
            cat = a["offense_category"] if "offense_category" in a else pd.Series("", index=a.index)
            self.ar_violent = cat.isin(VIOLENT).to_numpy()
            group = pd.factorize(a["arrest_id"])[0].astype(np.int64)
            if max_group_size is not None:
                big = np.bincount(group)[group] > max_group_size
            else:
                big = np.zeros(len(group), bool)
            keep = np.flatnonzero(~big)
            left, right = _pairs_within_groups(group[keep], keep)
            order = np.argsort(self.ar_t[left], kind="stable")
            self.pair_t = self.ar_t[left][order]
            self.pair_i = self.ar_code[left][order]
            self.pair_j = self.ar_code[right][order]
        else:
            self.ar_code = np.empty(0, np.int64)
            self.ar_t = np.empty(0, np.int64)
            self.ar_violent = np.empty(0, bool)
            self.pair_t = self.pair_i = self.pair_j = np.empty(0, np.int64)
        self.has_arrests = len(self.ar_code) > 0
        # people attributes per code
        attrs = pd.DataFrame(index=self.ids)
        if people is not None:
            p = (people.assign(person_id=people["person_id"].astype(str))
                 .drop_duplicates("person_id").set_index("person_id"))
            for c in ("birth_year", "sex", "race_ethnicity"):
                if c in p:
                    attrs[c] = p[c].reindex(self.ids).to_numpy()
        self.birth_year = pd.to_numeric(attrs.get("birth_year", pd.Series(np.nan, index=self.ids)),
                                        errors="coerce").to_numpy(dtype=float)
        self.sex = attrs.get("sex", pd.Series("unknown", index=self.ids)).fillna("unknown").astype(str).to_numpy()
        self.race = (attrs.get("race_ethnicity", pd.Series("unknown", index=self.ids))
                     .fillna("unknown").astype(str).to_numpy())
        times = [self.ev_t.min() if len(self.ev_t) else None, self.ar_t.min() if len(self.ar_t) else None]
        times = [x for x in times if x is not None]
        ends = [x for x in (self.ev_t.max() if len(self.ev_t) else None,
                            self.ar_t.max() if len(self.ar_t) else None) if x is not None]
        self.start = pd.Timestamp(min(times), tz="UTC").tz_convert(self.tz) if times else None
        self.end = pd.Timestamp(max(ends), tz="UTC").tz_convert(self.tz) if ends else None
        self._n = n

    @classmethod
    def from_dataset(cls, ds: "Dataset", max_group_size: int | None = None) -> "PeopleHistory":
        """Build from a :class:`~workbench.data.dataset.Dataset` (needs ``victimizations``;
        ``arrests`` and ``people`` are used when present)."""
        events = victimization_events(ds["victimizations"], ds["incidents"])
        arrests = ds["arrests"] if ds.has("arrests") else None
        people = ds["people"] if ds.has("people") else None
        return cls(events, arrests, people, max_group_size)

    # -- time ----------------------------------------------------------------------------
    def timestamp(self, value: object) -> pd.Timestamp:
        """``value`` as a Timestamp in the data's zone (naive values are read in it)."""
        return as_timestamp(value, self.events["occurred_at"], "cutoff")

    @staticmethod
    def _ns(ts: pd.Timestamp) -> int:
        return int(ts.value)

    # -- as-of state ---------------------------------------------------------------------
    def population(self, cutoff: object) -> np.ndarray:
        """Sorted codes of people with an arrest or a victimization strictly before ``cutoff``."""
        c = self._ns(self.timestamp(cutoff))
        known = np.zeros(self._n, bool)
        known[self.ev_code[self.ev_t < c]] = True
        known[self.ar_code[self.ar_t < c]] = True
        return np.flatnonzero(known)

    def graph(self, cutoff: object, population: np.ndarray | None = None) -> Graph:
        """Co-arrest graph of the population from arrests strictly before ``cutoff``.

        Weights are numbers of shared arrests; rows are ``population`` (default
        :meth:`population`), sorted by person id.
        """
        ts = self.timestamp(cutoff)
        pop = self.population(ts) if population is None else np.asarray(population, np.int64)
        k = np.searchsorted(self.pair_t, self._ns(ts), side="left")
        remap = np.full(self._n, -1, np.int64)
        remap[pop] = np.arange(len(pop))
        i, j = remap[self.pair_i[:k]], remap[self.pair_j[:k]]
        if (i < 0).any() or (j < 0).any():
            raise ValueError("population must include everyone arrested before the cutoff")
        n = len(pop)
        r, c = np.concatenate([i, j]), np.concatenate([j, i])
        adj = sp.coo_array((np.ones(len(r)), (r, c)), shape=(n, n)).tocsr()
        adj.sum_duplicates()
        adj.sort_indices()
        return Graph(self.ids[pop], sp.csr_array(adj), "coarrest", ts)

    def victimized(self, start: object, end: object, population: np.ndarray | None = None) -> np.ndarray:
        """Boolean per code (or per ``population`` entry): victimized in ``[start, end)``."""
        s, e = self._ns(self.timestamp(start)), self._ns(self.timestamp(end))
        hit = np.zeros(self._n, bool)
        hit[self.ev_code[(self.ev_t >= s) & (self.ev_t < e)]] = True
        return hit if population is None else hit[population]

    def n_victims(self, start: object, end: object) -> int:
        """Distinct people victimized in ``[start, end)`` (ranked or not)."""
        return int(self.victimized(start, end).sum())

    def features(
        self,
        cutoff: object,
        population: np.ndarray | None = None,
        graph: Graph | None = None,
        window_days: float = 365.0,
        half_life_days: float = 90.0,
    ) -> pd.DataFrame:
        """Person features at ``cutoff`` from data strictly before it.

        Parameters
        ----------
        cutoff : str or Timestamp
        population : ndarray of int, optional
            Codes to describe (default :meth:`population`).
        graph : Graph, optional
            Co-arrest graph of the population at the cutoff (default :meth:`graph`).
        window_days : float
            Look-back for "last year" flags and network exposure, days.
        half_life_days : float
            Half-life of ``decay_exposure``, days.

        Returns
        -------
        DataFrame
            Indexed by ``person_id``: ``age`` (years at the cutoff; missing filled with the
            population median), ``age_missing``, ``male``, ``n_arrests``, ``n_arrests_violent``
            (violent or weapons offenses), ``arrested_last_year``, ``n_victimizations``,
            ``victimized_last_year``, ``n_contacts_1``, ``n_victims_1``, ``n_victims_2``
            (distinct victims at distance 2), ``decay_exposure`` (exposure in
            ``window_days``; see :func:`~workbench.network.exposure.network_exposure`).
        """
        ts = self.timestamp(cutoff)
        c = self._ns(ts)
        pop = self.population(ts) if population is None else np.asarray(population, np.int64)
        g = self.graph(ts, pop) if graph is None else graph
        w = int(window_days * DAY_NS)
        n = self._n
        ar = self.ar_t < c
        recent_ar = ar & (self.ar_t >= c - w)
        ev = self.ev_t < c
        recent_ev = ev & (self.ev_t >= c - w)
        age = ts.year - self.birth_year[pop]
        missing = np.isnan(age)
        fill = np.nanmedian(age) if (~missing).any() else 0.0
        out = pd.DataFrame(
            {
                "age": np.where(missing, fill, age),
                "age_missing": missing.astype(float),
                "male": (self.sex[pop] == "male").astype(float),
                "n_arrests": np.bincount(self.ar_code[ar], minlength=n)[pop].astype(float),
                "n_arrests_violent": np.bincount(self.ar_code[ar & self.ar_violent], minlength=n)[pop]
                .astype(float),
                "arrested_last_year": (np.bincount(self.ar_code[recent_ar], minlength=n)[pop] > 0)
                .astype(float),
                "n_victimizations": np.bincount(self.ev_code[ev], minlength=n)[pop].astype(float),
                "victimized_last_year": (np.bincount(self.ev_code[recent_ev], minlength=n)[pop] > 0)
                .astype(float),
            },
            index=pd.Index(self.ids[pop], name="person_id"),
        )
        # exposure: the population's graph rows are the population order
        remap = np.full(n, -1, np.int64)
        remap[pop] = np.arange(len(pop))
        rows = remap[self.ev_code[recent_ev]]
        age_days = (c - self.ev_t[recent_ev]) / DAY_NS
        inside = rows >= 0
        ex = exposure_arrays(g, rows[inside], age_days[inside], half_life_days, contacts_2=False,
                             max_steps=1)
        for col in EXPOSURE_FEATURES:
            out[col] = np.asarray(ex[col], dtype=float)
        return out

    def event_rows(self, cutoff: object, population: np.ndarray, origin: object) -> tuple[np.ndarray, np.ndarray]:
        """Victimizations strictly before ``cutoff`` of the population: (row in ``population``,
        days since ``origin``); people outside the population are left out."""
        c = self._ns(self.timestamp(cutoff))
        o = self._ns(self.timestamp(origin))
        remap = np.full(self._n, -1, np.int64)
        remap[population] = np.arange(len(population))
        before = self.ev_t < c
        rows = remap[self.ev_code[before]]
        inside = rows >= 0
        return rows[inside], (self.ev_t[before][inside] - o) / DAY_NS

    def attributes(self, cutoff: object, population: np.ndarray | None = None) -> pd.DataFrame:
        """``race_ethnicity``, ``sex`` and ``age_group`` (age at the cutoff) of the population."""
        ts = self.timestamp(cutoff)
        pop = self.population(ts) if population is None else np.asarray(population, np.int64)
        return pd.DataFrame(
            {
                "race_ethnicity": self.race[pop],
                "sex": self.sex[pop],
                "age_group": age_group(ts.year - self.birth_year[pop]).to_numpy(),
            },
            index=pd.Index(self.ids[pop], name="person_id"),
        )

    def events_before(self, cutoff: object, start: object = None) -> pd.DataFrame:
        """Victimization events in ``[start, cutoff)`` (``start`` None: from the first record).

        The window ``(start or midnight of the first record, cutoff)`` goes with them in
        ``attrs["window"]``: :meth:`NetworkHawkes.fit <workbench.network.NetworkHawkes.fit>`
        uses it as the default study window (the data's window, not the first and last
        victimization).
        """
        ts = self.timestamp(cutoff)
        m = self.events["occurred_at"] < ts
        if start is not None:
            m &= self.events["occurred_at"] >= self.timestamp(start)
        out = self.events.loc[m].copy()
        first = self.timestamp(start) if start is not None else self.start.normalize()
        out.attrs["window"] = (first, ts)
        return out

    def ids_of(self, codes: Sequence[int] | np.ndarray) -> pd.Index:
        """Person ids of codes."""
        return self.ids[np.asarray(codes, np.int64)]
