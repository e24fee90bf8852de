"""Re-victimization: time from a person's first (non-fatal) victimization to the next one.

Death from another cause is the competing event when a ``deaths`` table is given (the data
contract has none; a fatal *shooting* is itself a re-victimization and is counted as one, with
``next_fatal`` saying whether it killed). Comparing people who engaged with services with
those who did not uses a **landmark**: only people still alive, not shot again and followed
at ``landmark_days`` after their victimization are compared, grouped by whether they had
engaged by then (this avoids the immortal-time bias of grouping by something that happens
later). The comparison is confounded (people who engage differ from those who do not);
:func:`propensity_weights` gives inverse-probability weights from a scikit-learn logistic
model of engagement on measured covariates, which removes only *measured* confounding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.data.dataset import Dataset
from workbench.response.tables import data_end as _data_end
from workbench.response.tables import incident_areas

from .engagement import victimization_times

if TYPE_CHECKING:  # pragma: no cover
    from workbench.network import PeopleHistory

__all__ = [
    "AT_DATE_COVARIATES",
    "LITERATURE",
    "PRIOR_WINDOW_DAYS",
    "PROPENSITY_COVARIATES",
    "area_shootings_before",
    "contacts_shot_before",
    "contacts_shot_intervals",
    "covariates_at",
    "propensity_weights",
    "revictimization_table",
]

#: Published benchmark shown beside the estimates.
LITERATURE: dict = {
    "source": "St. Louis firearm injury cohort, Annals of Internal Medicine (2023)",
    "outcome": "firearm re-injury",
    "cumulative_incidence": {365.25: 0.07, 8 * 365.25: 0.17},
    "text": "about 7% re-injured within 1 year and 17% within 8 years",
}

#: Covariates of the propensity model.
PROPENSITY_COVARIATES: tuple[str, ...] = ("age", "male", "arrests_before", "area_shootings_prior_year",
                                          "prior_victimizations")

#: Window of the "prior year" covariates, days.
PRIOR_WINDOW_DAYS: float = 365.0

#: Covariates measured at a date by :func:`covariates_at` (columns of :func:`revictimization_table`).
AT_DATE_COVARIATES: tuple[str, ...] = ("age", "male", "arrests_before", "area_shootings_prior_year",
                                       "contacts_shot_prior_year")

_DAY = 86400.0


def _days(a, b) -> np.ndarray:
    diff = pd.Series(a).reset_index(drop=True) - pd.Series(b).reset_index(drop=True)
    return diff.dt.total_seconds().to_numpy() / _DAY


def revictimization_table(
    dataset: Dataset,
    landmark_days: float = 90.0,
    deaths: pd.DataFrame | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    history: PeopleHistory | None = None,
    incident_area: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per person shot and survived: time to their next victimization.

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents`` and ``victimizations``; uses ``people``, ``arrests``, ``areas``,
        ``referrals`` and ``followups`` when present.
    landmark_days : float, default 90
        Engagement is counted from the victimization up to this many days after it.
    deaths : DataFrame, optional
        ``person_id``, ``died_at`` (tz-aware): deaths from other causes (competing event).
    end : str or Timestamp, optional
        End of observation; default :func:`workbench.response.data_end`. People first shot
        after it are left out; later shootings are censored at it.
    history : PeopleHistory, optional
        :class:`workbench.network.PeopleHistory` of ``dataset`` when already built (speed only).
    incident_area : Series, optional
        Area id by ``incident_id`` (:func:`workbench.response.tables.incident_areas`) when
        already computed (speed only).

    Returns
    -------
    DataFrame
        ``person_id``, ``incident_id``, ``occurred_at`` (the index victimization: the person's
        first; people whose first shooting killed them are not included), ``days`` (to the
        event or censoring), ``event`` (``revictimized``, ``died`` or ``censored``),
        ``next_fatal``, ``area_id`` (of the index shooting), the covariates at the index
        shooting from data strictly before it (:func:`covariates_at`, 365-day windows):
        ``age`` (years), ``male``, ``arrests_before``, ``area_shootings_prior_year``
        (shootings in ``area_id``), ``contacts_shot_prior_year`` (co-arrestees, tied before,
        victimized in the prior year; NaN without an ``arrests`` table); then
        ``prior_victimizations`` (always 0 here, kept for the model),
        ``engaged_by_landmark`` (bool; False without follow-up data), ``referred``.
    """
    tz = dataset.timezone
    end_ts = _data_end(dataset) if end is None else pd.Timestamp(end)
    if end_ts.tzinfo is None:
        end_ts = end_ts.tz_localize(tz)
    v = victimization_times(dataset)
    if not len(v):
        return pd.DataFrame(columns=["person_id", "incident_id", "occurred_at", "days", "event", "next_fatal",
                                     "engaged_by_landmark"])
    v["rank"] = v.groupby("person_id").cumcount()
    first = v[v["rank"] == 0].set_index("person_id")
    second = v[v["rank"] == 1].set_index("person_id")
    idx = first[~first["fatal"].astype(bool) & (first["occurred_at"] <= end_ts)].copy()
    idx["next_at"] = second["occurred_at"].reindex(idx.index)
    idx["next_fatal"] = second["fatal"].reindex(idx.index).astype("boolean").fillna(False).astype(bool)
    t_next = np.where(idx["next_at"].notna(), _days(idx["next_at"], idx["occurred_at"]), np.inf)
    t_end = _days(pd.Series(end_ts, index=idx.index), idx["occurred_at"])
    t_death = np.full(len(idx), np.inf)
    if deaths is not None and len(deaths):
        d = deaths.groupby("person_id")["died_at"].min().reindex(idx.index)
        t_death = np.where(d.notna(), _days(d, idx["occurred_at"]), np.inf)
    t = np.minimum(np.minimum(t_next, t_death), t_end)
    event = np.where(t_next <= np.minimum(t_death, t_end), "revictimized",
                     np.where(t_death <= t_end, "died", "censored"))
    out = idx.reset_index()[["person_id", "incident_id", "occurred_at"]]
    out["days"] = np.maximum(t, 0.0)
    out["event"] = event
    out["next_fatal"] = idx["next_fatal"].to_numpy() & (event == "revictimized")

    inc = dataset["incidents"]
    areas = incident_area
    if areas is None:
        areas = pd.Series(incident_areas(dataset).to_numpy(), index=inc["incident_id"].to_numpy())
    out["area_id"] = out["incident_id"].map(areas).to_numpy()
    cov = covariates_at(dataset, out["person_id"], out["occurred_at"], out["area_id"], incident_area=areas,
                        history=history)
    for c in AT_DATE_COVARIATES:
        out[c] = cov[c].to_numpy()
    out["prior_victimizations"] = 0
    out["engaged_by_landmark"] = False
    out["referred"] = False
    if dataset.has("referrals"):
        ref = dataset["referrals"][["referral_id", "person_id", "referred_at"]].merge(
            out[["person_id", "occurred_at"]], on="person_id")
        ref = ref[ref["referred_at"] >= ref["occurred_at"]]
        out["referred"] = out["person_id"].isin(ref["person_id"]).to_numpy()
        if dataset.has("followups"):
            fu = dataset["followups"]
            eng = fu[fu["outcome"] == "engaged"].merge(ref, on="referral_id")
            lag = _days(eng["attempted_at"], eng["occurred_at"])
            ok = eng.loc[(lag >= 0) & (lag <= landmark_days), "person_id"].unique()
            out["engaged_by_landmark"] = out["person_id"].isin(ok).to_numpy()
    out.attrs["landmark_days"] = float(landmark_days)
    return out


def _instants_ns(at: object, n: int, tz: str) -> np.ndarray:
    """One instant or ``n`` instants (naive values read in ``tz``) -> int64 ns since the epoch (UTC)."""
    if isinstance(at, (str, pd.Timestamp)) or np.ndim(at) == 0:
        ts = pd.Timestamp(at)
        ts = ts.tz_localize(tz) if ts.tzinfo is None else ts
        return np.full(n, ts.as_unit("ns").value, dtype=np.int64)
    idx = pd.DatetimeIndex(at)
    idx = idx.tz_localize(tz) if idx.tz is None else idx
    if len(idx) != n:
        raise ValueError(f"at has {len(idx)} dates for {n} people")
    return idx.as_unit("ns").asi8.copy()


def _count_in_windows(ev_code: np.ndarray, ev_t: np.ndarray, q_code: np.ndarray, q_lo: np.ndarray,
                      q_hi: np.ndarray) -> np.ndarray:
    """Per query ``k``: events of code ``q_code[k]`` with ``q_lo[k] <= t < q_hi[k]`` (int64 ns).

    Exact and loop-free: times are replaced by their ranks among all event and query times, so
    ``(code, rank)`` packs into one sorted int64 key and each count is two ``searchsorted``.
    Queries with code ``-1`` (nobody) count 0.
    """
    q_code = np.asarray(q_code, np.int64)
    if not len(q_code) or not len(ev_code):
        return np.zeros(len(q_code), np.int64)
    _, rank = np.unique(np.concatenate([ev_t, q_lo, q_hi]), return_inverse=True)
    n_ranks = int(rank.max()) + 1
    r_ev, r_lo, r_hi = np.split(rank.astype(np.int64), [len(ev_t), len(ev_t) + len(q_lo)])
    key = np.sort(np.asarray(ev_code, np.int64) * n_ranks + r_ev)
    hi = np.searchsorted(key, q_code * n_ranks + r_hi, side="left")
    lo = np.searchsorted(key, q_code * n_ranks + r_lo, side="left")
    return np.where(q_code >= 0, hi - lo, 0).astype(np.int64)


def _coarrest_ties(h: PeopleHistory, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every co-arrest pair of the queried people, one entry per shared arrest.

    Parameters
    ----------
    h : PeopleHistory
    q : ndarray of int
        Person codes in ``h.ids`` per query (-1: in no table).

    Returns
    -------
    row, contact, formed : ndarray of int64
        Query position, the co-arrestee's code and the time of the arrest that tied them
        (ns since the epoch).
    """
    src = np.concatenate([h.pair_i, h.pair_j])
    order = np.argsort(src, kind="stable")
    src = src[order]
    dst = np.concatenate([h.pair_j, h.pair_i])[order]
    formed = np.concatenate([h.pair_t, h.pair_t])[order]
    lo = np.searchsorted(src, q, side="left")
    cnt = np.where(q >= 0, np.searchsorted(src, q, side="right") - lo, 0)
    row = np.repeat(np.arange(len(q)), cnt)
    pos = np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))
    return row, dst[pos], formed[pos]


def contacts_shot_before(
    dataset: Dataset,
    person_ids: object,
    at: object,
    window_days: float = PRIOR_WINDOW_DAYS,
    history: PeopleHistory | None = None,
) -> np.ndarray:
    """Co-arrestees of each person victimized in the ``window_days`` before a date.

    For person ``k`` at instant ``at[k]``: the number of distinct people who share an arrest
    with ``k`` dated strictly before ``at[k]`` (the tie existed then) and were victimized
    (fatally or not) in ``[at[k] - window_days, at[k])``. This is ``n_victims_1`` of
    :func:`workbench.network.network_exposure` on ``coarrest_graph(arrests, as_of=at[k])``,
    computed for every (person, date) at once instead of one graph per date.

    Parameters
    ----------
    dataset : Dataset
        ``arrests`` and ``victimizations`` (with ``incidents``).
    person_ids : array-like of str
        People to describe (repeats allowed).
    at : Timestamp or array-like of Timestamp
        One instant for everyone, or one per person (naive values are local time).
    window_days : float, default 365
        Look-back window, days.
    history : PeopleHistory, optional
        :class:`workbench.network.PeopleHistory` of ``dataset`` when already built.

    Returns
    -------
    ndarray of float
        Counts (people, >= 0); all NaN when the dataset has no ``arrests`` table (the network
        is unknown, which is not the same as having no co-arrestees). People never arrested
        before ``at`` have 0.

    Notes
    -----
    Each co-arrest pair is stored once per shared arrest with the arrest's time
    (:class:`~workbench.network.PeopleHistory`). The pairs of the queried people are expanded
    with ``searchsorted``/``repeat``, kept when formed before the query date, made distinct, and
    each contact's victimizations in the window are counted with one sorted-key
    ``searchsorted``: the cost grows with the queried people's co-arrest pairs, not with the
    number of distinct dates. A graph built as of the data end would be cheaper but would use
    ties formed after the date (arrests that had not happened yet).
    """
    ids = pd.Series(np.asarray(person_ids, dtype=object)).astype(str).to_numpy()
    n = len(ids)
    if not dataset.has("arrests"):
        return np.full(n, np.nan)
    if n == 0 or not dataset.has("victimizations"):
        return np.zeros(n)
    if history is None:
        from workbench.network import PeopleHistory

        history = PeopleHistory.from_dataset(dataset)
    h = history
    t = _instants_ns(at, n, dataset.timezone)
    row, dst, formed = _coarrest_ties(h, h.ids.get_indexer(ids))  # one entry per shared arrest
    before = formed < t[row]
    n_ids = len(h.ids)
    key = np.unique(row[before] * n_ids + dst[before])  # distinct (query, contact) tied before
    row, contact = key // n_ids, key % n_ids
    w = round(window_days * _DAY * 1e9)
    shot = _count_in_windows(h.ev_code, h.ev_t, contact, t[row] - w, t[row]) > 0
    return np.bincount(row[shot], minlength=n).astype(float)


def contacts_shot_intervals(
    dataset: Dataset,
    table: pd.DataFrame,
    window_days: float = PRIOR_WINDOW_DAYS,
    history: PeopleHistory | None = None,
) -> pd.DataFrame:
    """Network exposure updated during follow-up: a counting-process ``(start, stop]`` table.

    For each row of ``table`` (index shooting at ``occurred_at``, followed ``days``), the
    exposure at an instant ``u`` after the index shooting is :func:`contacts_shot_before` at
    ``occurred_at + u``: the distinct co-arrestees tied by an arrest before ``u`` and
    victimized in ``[u - window_days, u)``. It is piecewise constant: a contact shot at ``v``
    and tied at ``a`` counts on ``(max(a, v), v + window_days]``, so the count steps up (+1)
    when a tied contact is shot (or, for a tie formed during follow-up, at the arrest that
    forms it) and down (-1) ``window_days`` later; the windows of a contact shot twice are
    merged (counted once). A contact shot in the index incident itself counts from just after
    it; one shot in the incident that ends the follow-up does not count for it.

    Parameters
    ----------
    dataset : Dataset
        ``arrests`` and ``victimizations`` (with ``incidents``).
    table : DataFrame
        ``person_id``, ``occurred_at`` (tz-aware), ``days`` (follow-up, days) and ``event``
        (``revictimized`` ends the follow-up with an event): rows of
        :func:`revictimization_table`.
    window_days : float, default 365
        Look-back window, days.
    history : PeopleHistory, optional
        :class:`workbench.network.PeopleHistory` of ``dataset`` when already built.

    Returns
    -------
    DataFrame
        One row per interval, sorted by ``row`` then ``start``: ``row`` (position in
        ``table``), ``person_id``, ``start``, ``stop`` (days since the index shooting; each
        person's intervals tile ``(0, days]``, a new one only where the count changes),
        ``contacts_shot_prior_year`` (the exposure on the interval, contacts; all NaN without
        an ``arrests`` table: one interval per person) and ``event`` (bool: the last interval
        of a re-victimized person). Rows with ``days <= 0`` have no interval.

    Notes
    -----
    Loop-free: the queried people's co-arrest ties (earliest arrest per pair) are expanded
    against their contacts' victimizations with ``searchsorted``/``repeat``, each pair's
    windows are merged with a cumulative sum, the +1/-1 steps inside ``(0, days)`` are summed
    per (person, time) with ``reduceat`` and the intervals are cut between consecutive
    steps. Cost grows with the ties times the contacts' victimizations.
    """
    n = len(table)
    ids = table["person_id"].astype(str).to_numpy(dtype=object)
    t0 = _instants_ns(table["occurred_at"], n, dataset.timezone)
    dur = table["days"].to_numpy(float)
    revict = table["event"].eq("revictimized").to_numpy(bool)
    keep = dur > 0
    cols = ["row", "person_id", "start", "stop", "contacts_shot_prior_year", "event"]
    init = np.zeros(n)
    ch_row = np.empty(0, np.int64)
    ch_t = np.empty(0, float)
    ch_d = np.empty(0, np.int64)
    if not dataset.has("arrests"):
        init[:] = np.nan
    elif n and dataset.has("victimizations"):
        if history is None:
            from workbench.network import PeopleHistory

            history = PeopleHistory.from_dataset(dataset)
        h = history
        row, contact, formed = _coarrest_ties(h, h.ids.get_indexer(ids))
        # earliest tie per (query, contact)
        n_ids = len(h.ids)
        key = row * n_ids + contact
        o = np.lexsort((formed, key))
        first = np.r_[True, key[o][1:] != key[o][:-1]] if len(o) else np.empty(0, bool)
        sel = o[first]
        row, contact, tied = row[sel], contact[sel], formed[sel]
        # each contact's victimizations (grouped by contact, in time order)
        vo = np.lexsort((h.ev_t, h.ev_code))
        v_code, v_t = h.ev_code[vo], h.ev_t[vo]
        lo = np.searchsorted(v_code, contact, side="left")
        cnt = np.searchsorted(v_code, contact, side="right") - lo
        pair = np.repeat(np.arange(len(row)), cnt)
        v = v_t[np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))]
        w = round(window_days * _DAY * 1e9)
        s_abs = np.maximum(tied[pair], v)  # counted on (s, e]
        e_abs = v + w
        # merge a pair's overlapping windows (starts and ends both increase within a pair)
        new = np.ones(len(pair), bool)
        new[1:] = (pair[1:] != pair[:-1]) | (s_abs[1:] > e_abs[:-1])
        last = np.r_[new[1:], True]
        b_pair, b_s, b_e = pair[new], s_abs[new], e_abs[last]
        b_row = row[b_pair]
        ok = b_s < b_e  # a tie formed after the window closed adds nothing
        b_row, b_s, b_e = b_row[ok], b_s[ok], b_e[ok]
        # days since the index shooting, computed as revictimization_table computes `days`
        s_rel = (b_s - t0[b_row]) / 1e9 / _DAY
        e_rel = (b_e - t0[b_row]) / 1e9 / _DAY
        d = dur[b_row]
        init = np.bincount(b_row[(s_rel <= 0) & (e_rel > 0)], minlength=n).astype(float)
        up = (s_rel > 0) & (s_rel < d)
        down = (e_rel > 0) & (e_rel < d)
        ch_row = np.concatenate([b_row[up], b_row[down]])
        ch_t = np.concatenate([s_rel[up], e_rel[down]])
        ch_d = np.concatenate([np.ones(int(up.sum()), np.int64), -np.ones(int(down.sum()), np.int64)])
        if len(ch_row):  # net step per (person, time); steps that cancel out cut nothing
            o = np.lexsort((ch_t, ch_row))
            ch_row, ch_t, ch_d = ch_row[o], ch_t[o], ch_d[o]
            start = np.flatnonzero(np.r_[True, (ch_row[1:] != ch_row[:-1]) | (ch_t[1:] != ch_t[:-1])])
            ch_row, ch_t, ch_d = ch_row[start], ch_t[start], np.add.reduceat(ch_d, start)
            nz = ch_d != 0
            ch_row, ch_t, ch_d = ch_row[nz], ch_t[nz], ch_d[nz]
    base = np.flatnonzero(keep)
    ch = keep[ch_row]
    r = np.concatenate([base, ch_row[ch]])
    t = np.concatenate([np.zeros(len(base)), ch_t[ch]])
    dlt = np.concatenate([np.zeros(len(base), np.int64), ch_d[ch]])
    o = np.lexsort((t, r))
    r, t, dlt = r[o], t[o], dlt[o]
    last = np.r_[r[1:] != r[:-1], True] if len(r) else np.empty(0, bool)
    stop = np.where(last, dur[r], np.r_[t[1:], 0.0][: len(r)])
    c = np.cumsum(dlt)
    first_pos = np.flatnonzero(np.r_[True, r[1:] != r[:-1]]) if len(r) else np.empty(0, np.int64)
    offset = np.repeat(c[first_pos], np.diff(np.r_[first_pos, len(r)]))
    value = init[r] + (c - offset)
    out = pd.DataFrame({"row": r, "person_id": ids[r], "start": t, "stop": stop,
                        "contacts_shot_prior_year": value, "event": revict[r] & last})
    return out[cols].reset_index(drop=True)


def area_shootings_before(
    dataset: Dataset,
    area_ids: object,
    at: object,
    window_days: float = PRIOR_WINDOW_DAYS,
    incident_area: pd.Series | None = None,
) -> np.ndarray:
    """Shootings (incidents with a victim) in each area in the ``window_days`` before a date.

    Parameters
    ----------
    dataset : Dataset
        ``incidents``, ``victimizations`` and ``areas`` (incident areas by spatial join).
    area_ids : array-like of str
        Area per query (missing: 0).
    at : Timestamp or array-like of Timestamp
        One instant for all, or one per query (naive values are local time).
    window_days : float, default 365
        Look-back window, days: shootings in ``[at - window_days, at)``.
    incident_area : Series, optional
        Area id by ``incident_id`` when already computed.

    Returns
    -------
    ndarray of int64
        Counts (incidents).
    """
    a = pd.Series(np.asarray(area_ids, dtype=object), dtype=object)
    n = len(a)
    if n == 0 or not dataset.has("victimizations"):
        return np.zeros(n, dtype=np.int64)
    inc = dataset["incidents"]
    if incident_area is None:
        incident_area = pd.Series(incident_areas(dataset).to_numpy(), index=inc["incident_id"].to_numpy())
    shot = inc[inc["incident_id"].isin(dataset["victimizations"]["incident_id"])]
    sa = shot["incident_id"].map(incident_area)
    ok = sa.notna().to_numpy()
    names = pd.Index(pd.unique(sa[ok].astype(str)))
    ev_code = names.get_indexer(sa[ok].astype(str))
    q_code = np.where(a.notna().to_numpy(), names.get_indexer(a.astype(str)), -1)
    ev_t = pd.DatetimeIndex(shot.loc[ok, "occurred_at"]).as_unit("ns").asi8
    t = _instants_ns(at, n, dataset.timezone)
    w = round(window_days * _DAY * 1e9)
    return _count_in_windows(ev_code, ev_t, q_code, t - w, t)


def covariates_at(
    dataset: Dataset,
    person_ids: object,
    at: object,
    area_ids: object,
    window_days: float = PRIOR_WINDOW_DAYS,
    incident_area: pd.Series | None = None,
    history: PeopleHistory | None = None,
) -> pd.DataFrame:
    """The re-victimization model's covariates of people at a date, from data before it.

    One definition serves both uses: :func:`revictimization_table` measures them at each
    person's index shooting (model fitting), :func:`workbench.outreach.outreach_priority` at
    the list date (prediction).

    Parameters
    ----------
    dataset : Dataset
        ``people`` (birth year, sex), ``arrests``, ``victimizations``, ``incidents``, ``areas``
        when present.
    person_ids : array-like of str
    at : Timestamp or array-like of Timestamp
        One instant for everyone, or one per person (naive values are local time).
    area_ids : array-like of str
        The area whose shootings are counted, per person (missing: 0).
    window_days : float, default 365
        Window of the two "prior year" columns, days.
    incident_area, history
        Area by ``incident_id`` and :class:`workbench.network.PeopleHistory`, when already built.

    Returns
    -------
    DataFrame
        One row per person (positional index), columns :data:`AT_DATE_COVARIATES`:
        ``age`` (years at ``at``, float; NaN without a birth year or ``people``), ``male``
        (0/1 float; NaN without ``people``), ``arrests_before`` (arrests strictly before
        ``at``; 0 without ``arrests``), ``area_shootings_prior_year`` (shootings in the area in
        ``[at - window_days, at)``), ``contacts_shot_prior_year`` (co-arrestees, tied before
        ``at``, victimized in ``[at - window_days, at)``; NaN without ``arrests``: see
        :func:`contacts_shot_before`).
    """
    ids = pd.Series(np.asarray(person_ids, dtype=object), dtype=object)
    n = len(ids)
    tz = dataset.timezone
    t = _instants_ns(at, n, tz)
    when = pd.to_datetime(t, unit="ns", utc=True)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["age"] = np.nan
    out["male"] = np.nan
    if dataset.has("people"):
        p = dataset["people"].drop_duplicates("person_id").set_index("person_id")
        if "birth_year" in p.columns:
            local = when.tz_convert(tz)
            birth = pd.to_numeric(ids.map(p["birth_year"]), errors="coerce").to_numpy(float)
            out["age"] = np.asarray(local.year + (local.dayofyear - 1) / 365.25, float) - birth
        if "sex" in p.columns:
            out["male"] = (ids.map(p["sex"]) == "male").to_numpy(float)
    out["arrests_before"] = np.zeros(n, dtype=np.int64)
    if dataset.has("arrests") and n:
        ar = dataset["arrests"]
        names = pd.Index(pd.unique(ar["person_id"].astype(str)))
        ar_t = pd.DatetimeIndex(ar["arrested_at"]).as_unit("ns").asi8
        out["arrests_before"] = _count_in_windows(
            names.get_indexer(ar["person_id"].astype(str)), ar_t, names.get_indexer(ids.astype(str)),
            np.full(n, np.iinfo(np.int64).min), t)
    out["area_shootings_prior_year"] = area_shootings_before(dataset, area_ids, when, window_days,
                                                             incident_area)
    out["contacts_shot_prior_year"] = contacts_shot_before(dataset, ids, when, window_days, history)
    return out

def propensity_weights(
    table: pd.DataFrame,
    treatment: str = "engaged_by_landmark",
    covariates: tuple[str, ...] | list[str] = PROPENSITY_COVARIATES,
    clip: float = 0.01,
) -> pd.Series:
    """Stabilized inverse-probability-of-engagement weights from a logistic propensity model.

    Parameters
    ----------
    table : DataFrame
        Landmark population (:func:`revictimization_table` rows still at risk at the landmark).
    treatment : str
        Boolean column (engaged or not).
    covariates : sequence of str
        Numeric covariates; missing values are imputed with the median.
    clip : float, default 0.01
        Propensities are clipped to ``[clip, 1 - clip]`` to limit extreme weights.

    Returns
    -------
    Series
        Weights ``P(T) / e(x)`` for the engaged and ``(1 - P(T)) / (1 - e(x))`` for the others,
        indexed like ``table``; ``attrs['propensity']`` holds the fitted propensities.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = table[treatment].astype(bool).to_numpy()
    cols = [c for c in covariates if c in table.columns]
    x = table[cols].astype(float).to_numpy()
    if y.all() or not y.any():
        w = pd.Series(1.0, index=table.index)
        w.attrs["propensity"] = np.full(len(table), float(y.mean()) if len(y) else np.nan)
        return w
    model = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(x, y)
    e = np.clip(model.predict_proba(x)[:, 1], clip, 1 - clip)
    p = y.mean()
    w = pd.Series(np.where(y, p / e, (1 - p) / (1 - e)), index=table.index)
    w.attrs["propensity"] = e
    return w
