"""Response measures: co-response coverage, arrival and on-scene times, referrals, follow-ups.

Every function takes a :class:`~workbench.response.tables.ResponseData`, an optional window
(``start`` inclusive, ``end`` exclusive, in the dataset's time zone, applied to the time of the
shooting) and a grouping ``by`` (``None`` for one overall row, or one of :data:`GROUPINGS`
that applies to the measure). Results are plain DataFrames of counts, shares and minutes;
privacy (suppression of small counts) is left to the caller.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.data.timestamps import local_timestamp
from .tables import ResponseData

__all__ = [
    "GROUPINGS",
    "coresponse_coverage",
    "followup_rates",
    "monthly_trends",
    "referral_counts",
    "time_on_scene",
]

#: Groupings a measure can be broken down by.
GROUPINGS: tuple[str, ...] = ("month", "year", "area", "agency", "responder_type", "service", "provider")


def _window(df: pd.DataFrame, col: str, start, end, tz: str) -> pd.DataFrame:
    keep = np.ones(len(df), dtype=bool)
    for bound, op in ((start, np.greater_equal), (end, np.less)):
        if bound is None or (isinstance(bound, str) and not bound.strip()):
            continue
        ts = local_timestamp(bound, tz)
        keep &= op(df[col], ts).to_numpy()
    return df.loc[keep]


def _with_group_columns(df: pd.DataFrame, by, time_col: str, tz: str) -> tuple[pd.DataFrame, list[str]]:
    """``df`` with one column per grouping key in ``by`` (a name, a list of names or None) and their names."""
    keys = [by] if isinstance(by, str) or by is None else list(by)
    names = ["group" if k is None else k for k in keys]
    df = df.assign(**{n: _key(df, k, time_col, tz).to_numpy() for n, k in zip(names, keys)})
    return df, names


def _key(df: pd.DataFrame, by: str | None, time_col: str, tz: str) -> pd.Series:
    if by is None:
        return pd.Series("all", index=df.index)
    if by in ("month", "year"):
        t = df[time_col].dt.tz_convert(tz).dt.tz_localize(None)
        return t.dt.to_period("M" if by == "month" else "Y").astype(str)
    col = {"area": "area_id"}.get(by, by)
    if col not in df.columns:
        raise ValueError(f"this measure cannot be grouped by {by!r}")
    return df[col].fillna("unknown").astype(str)


def _q(x: pd.Series, q: float) -> float:
    return float(np.nanquantile(x, q)) if x.notna().any() else np.nan


def coresponse_coverage(data: ResponseData, by: str | None = None, start=None, end=None) -> pd.DataFrame:
    """Share of shootings with a non-police responder, and the time to their arrival.

    Parameters
    ----------
    data : ResponseData
    by : {None, "month", "year", "area", "responder_type", "agency"}
        ``responder_type``/``agency``: coverage by each co-responder type or agency (a shooting
        counts for every type that attended).
    start, end : str or Timestamp, optional
        Window on the time of the shooting.

    Returns
    -------
    DataFrame
        ``group``, ``shootings``, ``covered`` (with a co-responder), ``share_covered``,
        ``arrival_median_min``, ``arrival_q1_min``, ``arrival_q3_min`` (minutes from the
        shooting to the first co-responder's arrival; per type when grouped by type).

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> from workbench.response import coresponse_coverage, prepare_response_data
    >>> cov = coresponse_coverage(prepare_response_data(ds), by="year")
    >>> bool((cov["covered"] <= cov["shootings"]).all()), bool(cov["share_covered"].between(0, 1).all())
    (True, True)
    """
    tz = data.timezone
    shootings = _window(data.shootings, "occurred_at", start, end, tz)
    co = data.responses[data.responses["coresponder"]]
    co = co[co["incident_id"].isin(shootings["incident_id"])]
    if by in ("responder_type", "agency"):
        first = co.sort_values("arrived_at").drop_duplicates(["incident_id", by])
        g = first.groupby(by)
        out = pd.DataFrame({
            "covered": g["incident_id"].nunique(),
            "arrival_median_min": g["arrival_min"].median(),
            "arrival_q1_min": g["arrival_min"].quantile(0.25),
            "arrival_q3_min": g["arrival_min"].quantile(0.75),
        })
        out.insert(0, "shootings", len(shootings))
        out = out.reset_index().rename(columns={by: "group"})
    else:
        first = co.sort_values("arrived_at").drop_duplicates("incident_id")
        s = shootings.assign(group=_key(shootings, by, "occurred_at", tz).to_numpy())
        s = s.merge(first[["incident_id", "arrival_min"]], on="incident_id", how="left")
        s["covered"] = s["incident_id"].isin(first["incident_id"])
        g = s.groupby("group")
        out = pd.DataFrame({
            "shootings": g.size(),
            "covered": g["covered"].sum().astype(int),
            "arrival_median_min": g["arrival_min"].median(),
            "arrival_q1_min": g["arrival_min"].quantile(0.25),
            "arrival_q3_min": g["arrival_min"].quantile(0.75),
        }).reset_index()
    out["covered"] = out["covered"].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        out.insert(3, "share_covered", out["covered"] / out["shootings"].replace(0, np.nan))
    return out


def time_on_scene(data: ResponseData, by: str | None = "responder_type", start=None, end=None) -> pd.DataFrame:
    """Time on scene (arrival to departure, minutes) with the records left out counted.

    Parameters
    ----------
    data : ResponseData
    by : {"responder_type", "agency", "month", "year", "area", None}

    Returns
    -------
    DataFrame
        ``group``, ``responses``, ``n`` (with a plausible time), ``excluded`` (departure before
        arrival, days on scene or no departure: see ``data.exclusions``), ``median_min``,
        ``q1_min``, ``q3_min``, ``iqr_min``, ``mean_min``.
    """
    tz = data.timezone
    r = _window(data.responses, "occurred_at", start, end, tz)
    r = r.assign(group=_key(r, by, "occurred_at", tz).to_numpy())
    g = r.groupby("group")["on_scene_min"]
    out = pd.DataFrame({
        "responses": g.size(),
        "n": g.count(),
        "median_min": g.median(),
        "q1_min": g.quantile(0.25),
        "q3_min": g.quantile(0.75),
        "mean_min": g.mean(),
    }).reset_index()
    out.insert(3, "excluded", out["responses"] - out["n"])
    out.insert(7, "iqr_min", out["q3_min"] - out["q1_min"])
    return out


def referral_counts(data: ResponseData, by: str | list[str] | None = "service", start=None,
                    end=None) -> pd.DataFrame:
    """Referrals by recipient (victims and family members) and grouping.

    Parameters
    ----------
    data : ResponseData
    by : str or list of str
        Any of ``service``, ``provider``, ``responder_type``, ``agency``, ``area``, ``month``,
        ``year`` (a list groups by several).

    Returns
    -------
    DataFrame
        Group columns, ``referrals``, ``victim_referrals``, ``family_referrals``,
        ``people`` (distinct people referred), ``referrals_per_person``, and
        ``referrals_per_victim``: victim referrals per surviving victim of the covered shootings
        in the window (overall figure; grouped rows divide by the same victim count).
    """
    tz = data.timezone
    r = _window(data.referrals, "occurred_at", start, end, tz)
    r, names = _with_group_columns(r, by, "occurred_at", tz)
    g = r.groupby(names)
    out = pd.DataFrame({
        "referrals": g.size(),
        "victim_referrals": g["recipient"].apply(lambda s: int((s == "victim").sum())),
        "family_referrals": g["recipient"].apply(lambda s: int((s == "family").sum())),
        "people": g["person_id"].nunique(),
    }).reset_index()
    out["referrals_per_person"] = out["referrals"] / out["people"].replace(0, np.nan)
    victims = r.loc[r["recipient"] == "victim", "person_id"].nunique()
    out["referrals_per_victim"] = out["victim_referrals"] / victims if victims else np.nan
    return out


def followup_rates(data: ResponseData, by: str | list[str] | None = "service", start=None,
                   end=None) -> pd.DataFrame:
    """Follow-up attempt rate and engagement rate of referrals.

    Returns
    -------
    DataFrame
        Group columns, ``referrals``, ``attempted`` (at least one follow-up attempt),
        ``attempt_rate``, ``engaged`` (a follow-up with outcome ``engaged``),
        ``engagement_rate`` (of all referrals), ``declined``, ``decline_rate``.
    """
    tz = data.timezone
    r = _window(data.referrals, "occurred_at", start, end, tz)
    fu = data.followups
    attempted = fu["referral_id"].unique()
    engaged = fu.loc[fu["outcome"] == "engaged", "referral_id"].unique()
    declined = fu.loc[fu["outcome"] == "declined", "referral_id"].unique()
    r = r.assign(_att=r["referral_id"].isin(attempted), _eng=r["referral_id"].isin(engaged),
                 _dec=r["referral_id"].isin(declined) & ~r["referral_id"].isin(engaged))
    r, names = _with_group_columns(r, by, "occurred_at", tz)
    g = r.groupby(names)
    out = pd.DataFrame({"referrals": g.size(), "attempted": g["_att"].sum(), "engaged": g["_eng"].sum(),
                        "declined": g["_dec"].sum()}).reset_index()
    for c in ("attempted", "engaged", "declined"):
        out[c] = out[c].astype(int)
    n = out["referrals"].replace(0, np.nan)
    out.insert(len(names) + 2, "attempt_rate", out["attempted"] / n)
    out.insert(len(names) + 4, "engagement_rate", out["engaged"] / n)
    out["decline_rate"] = out["declined"] / n
    return out


def monthly_trends(data: ResponseData, program_start: str | pd.Timestamp | None = None,
                   start=None, end=None) -> pd.DataFrame:
    """Month-by-month shootings, co-response coverage, referrals and engagement.

    Parameters
    ----------
    program_start : str or Timestamp, optional
        Stored in ``attrs['program_start']`` (tz-aware) for charts to mark.

    Returns
    -------
    DataFrame
        ``month`` (``YYYY-MM``, every month of the window), ``shootings``, ``covered``,
        ``share_covered``, ``referrals``, ``engaged``, ``engagement_rate``,
        ``arrival_median_min``; ``attrs['program_start']``.
    """
    cov = coresponse_coverage(data, "month", start, end).set_index("group")
    fr = followup_rates(data, "month", start, end).set_index("month")
    if len(cov):
        months = pd.period_range(min(cov.index), max(cov.index), freq="M").astype(str)
    else:
        months = pd.Index([], dtype=object)
    out = pd.DataFrame(index=pd.Index(months, name="month"))
    out["shootings"] = cov["shootings"].reindex(months).fillna(0).astype(int).to_numpy()
    out["covered"] = cov["covered"].reindex(months).fillna(0).astype(int).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_covered"] = out["covered"] / out["shootings"].replace(0, np.nan)
    out["referrals"] = fr["referrals"].reindex(months).fillna(0).astype(int).to_numpy()
    out["engaged"] = fr["engaged"].reindex(months).fillna(0).astype(int).to_numpy()
    out["engagement_rate"] = out["engaged"] / out["referrals"].replace(0, np.nan)
    out["arrival_median_min"] = cov["arrival_median_min"].reindex(months).to_numpy()
    out = out.reset_index()
    if program_start is not None:
        ts = pd.Timestamp(program_start)
        out.attrs["program_start"] = ts.tz_localize(data.timezone) if ts.tzinfo is None else ts
    else:
        out.attrs["program_start"] = None
    return out
