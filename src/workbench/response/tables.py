"""Response, referral and follow-up records joined, checked and ready for analysis.

:func:`prepare_response_data` is the one entry point: it checks the three tables against each
other and against the incidents, raises :class:`~workbench.data.DataError` for structural
problems (a referral for an unknown response, a follow-up for an unknown referral, unknown
responder types, services or outcome codes) and *reports* implausible times (departure before
arrival, days on scene, follow-ups before their referral) as exclusion counts instead of
dropping them silently. The choices are documented in ``docs/response.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.data.timestamps import local_timestamp
from workbench.data.contract import CODES
from workbench.data.dataset import Dataset
from workbench.data.errors import MAX_IDS_SHOWN, DataError, Problem

__all__ = [
    "CORESPONDER_TYPES",
    "ResponseData",
    "data_end",
    "incident_areas",
    "infer_program_start",
    "prepare_response_data",
]

#: Responder types other than police (the co-responders).
CORESPONDER_TYPES: tuple[str, ...] = tuple(t for t in CODES["responder_type"] if t != "police")

_EXCLUSION_COLUMNS = ["table", "check", "n_rows", "first_ids", "handling"]


@dataclass
class ResponseData:
    """Checked response tables with derived columns (all times tz-aware, durations in minutes).

    Attributes
    ----------
    responses : DataFrame
        Contract columns plus ``occurred_at``, ``incident_kind``, ``area_id`` (of the incident;
        ``None`` without areas), ``arrival_min`` (shooting to arrival, minutes; NaN when
        implausible), ``on_scene_min`` (arrival to departure, minutes; NaN when implausible or
        missing), ``coresponder`` (bool).
    referrals : DataFrame
        Contract columns plus ``incident_id``, ``responder_type``, ``agency``, ``occurred_at``,
        ``area_id``, ``on_scene_min`` of the referring response and ``recipient``
        (``victim`` when the person was a victim of the incident, else ``family``).
    followups : DataFrame
        Follow-ups kept for analysis (those before their referral are excluded).
    exclusions : DataFrame
        ``table``, ``check``, ``n_rows``, ``first_ids``, ``handling``: every implausible record
        found and what was done with it (zero rows found are listed too, with ``n_rows`` 0).
    shootings : DataFrame
        Incidents with at least one victim, or of a shooting kind when there are no
        victimizations: ``incident_id``, ``occurred_at``, ``kind``, ``area_id``.
    data_end : Timestamp
        End of observation (censoring time of follow-ups).
    """

    responses: pd.DataFrame
    referrals: pd.DataFrame
    followups: pd.DataFrame
    exclusions: pd.DataFrame
    shootings: pd.DataFrame
    data_end: pd.Timestamp
    timezone: str = "UTC"


def data_end(dataset: Dataset) -> pd.Timestamp:
    """End of observation (the censoring time): the report's one data end.

    The exclusive end (local midnight after the last day covered) of
    :func:`workbench.data.data_end`: the end of the last complete month with incident data,
    stray records left aside, or ``data.data_end`` of the parameter file. Responses, referrals
    and follow-ups after it are left out by :func:`prepare_response_data`.

    Returns
    -------
    Timestamp
        Tz-aware, in the dataset's time zone.
    """
    from workbench.data.flags import data_end as _one_data_end

    de = _one_data_end(dataset) if dataset.has("incidents") else None
    if de is None:
        raise DataError.single("incidents", "occurred_at", "no timestamps: the data end is unknown")
    return de.end


def infer_program_start(dataset: Dataset) -> pd.Timestamp | None:
    """Local midnight of the day of the first co-responder arrival (``None`` without any).

    Use it only when the program start is not known; pass the real date when it is.
    """
    if not dataset.has("responses"):
        return None
    r = dataset["responses"]
    co = r.loc[r["responder_type"] != "police", "arrived_at"]
    if co.dropna().empty:
        return None
    return co.min().tz_convert(dataset.timezone).normalize()


def incident_areas(dataset: Dataset) -> pd.Series:
    """Area id of every incident (its own ``area_id`` when the source gives area codes, else the
    spatial join of lon/lat with ``areas``; ``None`` outside); see
    :func:`workbench.data.incident_area_ids`.

    Returns
    -------
    Series
        Indexed like ``dataset['incidents']``, dtype object.
    """
    from workbench.data.areas import incident_area_ids

    return incident_area_ids(dataset)


def _ids(df: pd.DataFrame, mask: np.ndarray, col: str) -> list[str]:
    return df.loc[mask, col].astype(str).head(MAX_IDS_SHOWN).tolist()


def _exclusion(df: pd.DataFrame, table: str, check: str, mask: np.ndarray, id_col: str,
               handling: str) -> dict:
    mask = np.asarray(mask, dtype=bool)
    return {"table": table, "check": check, "n_rows": int(mask.sum()),
            "first_ids": ", ".join(_ids(df, mask, id_col)), "handling": handling}


def _unknown_codes(df: pd.DataFrame, table: str, col: str, allowed: tuple[str, ...],
                   id_col: str) -> Problem | None:
    bad = ~df[col].isin(allowed).to_numpy() & df[col].notna().to_numpy()
    if not bad.any():
        return None
    codes = sorted(map(str, df.loc[bad, col].unique()))[:MAX_IDS_SHOWN]
    return Problem(table, col, f"unknown code(s) {', '.join(codes)} (allowed: {', '.join(allowed)})",
                   int(bad.sum()), tuple(_ids(df, bad, id_col)))


def _missing_refs(df: pd.DataFrame, table: str, col: str, known: pd.Series, other: str,
                  id_col: str) -> Problem | None:
    bad = ~df[col].isin(known).to_numpy()
    if not bad.any():
        return None
    return Problem(table, col, f"refers to unknown {other}", int(bad.sum()), tuple(_ids(df, bad, id_col)))


def prepare_response_data(
    dataset: Dataset,
    max_on_scene_hours: float = 24.0,
    max_arrival_hours: float = 24.0,
    end: str | pd.Timestamp | None = None,
) -> ResponseData:
    """Check and join responses, referrals and follow-ups.

    Parameters
    ----------
    dataset : Dataset
        Must have ``incidents`` and ``responses``; ``referrals`` and ``followups`` are optional.
    max_on_scene_hours : float, default 24
        Times on scene longer than this (hours) are implausible ("days on scene"): excluded
        from time-on-scene figures and counted in ``exclusions``.
    max_arrival_hours : float, default 24
        Arrivals more than this many hours after the shooting, or before it, are excluded from
        arrival-delay figures and counted.
    end : str or Timestamp, optional
        End of observation; default :func:`data_end` (the report's one data end). Responses to
        shootings at or after it, and referrals and follow-ups made at or after it, are left out
        (counted in ``exclusions`` as "after the data end").

    Returns
    -------
    ResponseData

    Raises
    ------
    DataError
        No responses table; a response for an unknown incident; a referral for an unknown
        response; a follow-up for an unknown referral; unknown responder types, services or
        outcome codes. All problems found are listed in one error.
    """
    if not dataset.has("responses"):
        raise DataError.single("responses", None, "no response records in this dataset")
    tz = dataset.timezone
    inc = dataset["incidents"]
    resp = dataset["responses"]  # not copied: every step below makes new frames (2 M responses)
    ref = dataset["referrals"].copy() if dataset.has("referrals") else _empty_referrals(tz)
    fu = dataset["followups"].copy() if dataset.has("followups") else _empty_followups(tz)

    problems = [p for p in (
        _missing_refs(resp, "responses", "incident_id", inc["incident_id"], "incident", "response_id"),
        _unknown_codes(resp, "responses", "responder_type", CODES["responder_type"], "response_id"),
        _missing_refs(ref, "referrals", "response_id", resp["response_id"], "response", "referral_id"),
        _unknown_codes(ref, "referrals", "service", CODES["service"], "referral_id"),
        _missing_refs(fu, "followups", "referral_id", ref["referral_id"], "referral", "followup_id"),
        _unknown_codes(fu, "followups", "outcome", CODES["outcome"], "followup_id"),
    ) if p is not None]
    if problems:
        raise DataError(problems)

    end_ts = data_end(dataset) if end is None else _as_ts(end, tz)
    late_inc = set(inc.loc[(inc["occurred_at"] >= end_ts).to_numpy(), "incident_id"])
    late = {"responses": resp["incident_id"].isin(late_inc).to_numpy(),
            "referrals": (ref["referred_at"] >= end_ts).to_numpy(),
            "followups": (fu["attempted_at"] >= end_ts).to_numpy()}
    late_rows = [_exclusion(df, t, "after the data end", late[t], key, "left out (after the data end)")
                 for df, t, key in ((resp, "responses", "response_id"), (ref, "referrals", "referral_id"),
                                    (fu, "followups", "followup_id"))]
    resp = resp.loc[~late["responses"]].reset_index(drop=True)
    ref = ref.loc[~late["referrals"] & ref["response_id"].isin(resp["response_id"]).to_numpy()].reset_index(drop=True)
    fu = fu.loc[~late["followups"] & fu["referral_id"].isin(ref["referral_id"]).to_numpy()].reset_index(drop=True)

    areas = incident_areas(dataset)
    # tz-aware times stay a datetime column (no object array of Timestamps: 2 M incidents)
    occurred_utc = pd.to_datetime(inc["occurred_at"], utc=True).dt.tz_localize(None).dt.as_unit("ns").to_numpy()
    inc_info = pd.DataFrame({"incident_id": inc["incident_id"].to_numpy(),
                             "occurred_at": occurred_utc,
                             "incident_kind": inc["kind"].to_numpy(), "area_id": areas.to_numpy()})
    inc_info["occurred_at"] = inc_info["occurred_at"].dt.tz_localize("UTC").dt.tz_convert(tz)
    resp = resp.merge(inc_info, on="incident_id", how="left")
    arrival = (resp["arrived_at"] - resp["occurred_at"]).dt.total_seconds().to_numpy() / 60.0
    scene = (resp["departed_at"] - resp["arrived_at"]).dt.total_seconds().to_numpy() / 60.0
    bad_arrival = (arrival < 0) | (arrival > max_arrival_hours * 60)
    missing_dep = np.isnan(scene)
    neg_scene = scene < 0
    long_scene = scene > max_on_scene_hours * 60
    resp["arrival_min"] = np.where(bad_arrival, np.nan, arrival)
    resp["on_scene_min"] = np.where(neg_scene | long_scene, np.nan, scene)
    resp["coresponder"] = resp["responder_type"].ne("police").to_numpy()

    on_scene = "kept for coverage; left out of time on scene"
    rows = [
        _exclusion(resp, "responses", "departure before arrival", neg_scene, "response_id", on_scene),
        _exclusion(resp, "responses", f"on scene longer than {max_on_scene_hours:g} hours", long_scene,
                   "response_id", on_scene),
        _exclusion(resp, "responses", "no departure time", missing_dep, "response_id", on_scene),
        _exclusion(resp, "responses", f"arrival before the shooting or more than {max_arrival_hours:g} hours after",
                   bad_arrival, "response_id", "kept for coverage; left out of arrival times"),
    ]

    ref = ref.merge(resp[["response_id", "incident_id", "responder_type", "agency", "occurred_at",
                          "area_id", "on_scene_min", "arrived_at"]], on="response_id", how="left")
    before_resp = (ref["referred_at"] < ref["occurred_at"]).to_numpy()
    rows.append(_exclusion(ref, "referrals", "referred before the shooting", before_resp, "referral_id",
                           "kept; reported only"))
    if dataset.has("victimizations"):
        vic = dataset["victimizations"][["incident_id", "person_id"]].drop_duplicates()
        vic = vic.assign(_victim=True)
        ref = ref.merge(vic, on=["incident_id", "person_id"], how="left")
        ref["recipient"] = np.where(ref["_victim"].eq(True), "victim", "family")
        ref = ref.drop(columns="_victim")
    else:
        ref["recipient"] = "unknown"
    ref = ref.drop(columns="arrived_at")

    fu = fu.merge(ref[["referral_id", "referred_at"]], on="referral_id", how="left")
    early = (fu["attempted_at"] < fu["referred_at"]).to_numpy()
    rows.append(_exclusion(fu, "followups", "attempted before its referral", early, "followup_id",
                           "excluded from follow-up and engagement figures"))
    fu = fu.loc[~early].drop(columns="referred_at").reset_index(drop=True)

    excl = pd.DataFrame(rows + late_rows, columns=_EXCLUSION_COLUMNS)

    if dataset.has("victimizations"):
        shot_ids = dataset["victimizations"]["incident_id"].unique()
        shootings = inc_info[inc_info["incident_id"].isin(shot_ids)]
    else:
        shootings = inc_info[inc_info["incident_kind"].isin(["fatal_shooting", "nonfatal_shooting"])]
    shootings = shootings[(shootings["occurred_at"] < end_ts).to_numpy()]
    return ResponseData(responses=resp, referrals=ref, followups=fu, exclusions=excl,
                        shootings=shootings.reset_index(drop=True).rename(columns={"incident_kind": "kind"}),
                        data_end=end_ts, timezone=tz)


def _as_ts(value: str | pd.Timestamp, tz: str) -> pd.Timestamp:
    return local_timestamp(value, tz)


def _empty_referrals(tz: str) -> pd.DataFrame:
    t = pd.Series([], dtype=f"datetime64[ns, {tz}]")
    return pd.DataFrame({"referral_id": pd.Series([], dtype=object), "response_id": pd.Series([], dtype=object),
                         "person_id": pd.Series([], dtype=object), "service": pd.Series([], dtype=object),
                         "provider": pd.Series([], dtype=object), "referred_at": t})


def _empty_followups(tz: str) -> pd.DataFrame:
    t = pd.Series([], dtype=f"datetime64[ns, {tz}]")
    return pd.DataFrame({"followup_id": pd.Series([], dtype=object), "referral_id": pd.Series([], dtype=object),
                         "attempted_at": t, "outcome": pd.Series([], dtype=object)})
