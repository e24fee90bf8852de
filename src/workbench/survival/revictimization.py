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

import numpy as np
import pandas as pd

from workbench.data.dataset import Dataset
from workbench.response.tables import data_end as _data_end
from workbench.response.tables import incident_areas

from .engagement import victimization_times

__all__ = ["LITERATURE", "PROPENSITY_COVARIATES", "propensity_weights", "revictimization_table"]

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

_DAY = 86400.0


def _days(a, b) -> np.ndarray:
    diff = pd.Series(a).reset_index(drop=True) - pd.Series(b).reset_index(drop=True)
    return diff.dt.total_seconds().to_numpy() / _DAY


def revictimization_table(
    dataset: Dataset,
    landmark_days: float = 90.0,
    deaths: pd.DataFrame | None = None,
    end: str | pd.Timestamp | None = None,
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
        End of observation; default :func:`workbench.response.data_end`.

    Returns
    -------
    DataFrame
        ``person_id``, ``incident_id``, ``occurred_at`` (the index victimization: the person's
        first; people whose first shooting killed them are not included), ``days`` (to the
        event or censoring), ``event`` (``revictimized``, ``died`` or ``censored``),
        ``next_fatal``, ``area_id``, ``age``, ``male``, ``arrests_before``,
        ``area_shootings_prior_year``, ``prior_victimizations`` (always 0 here, kept for the
        model), ``engaged_by_landmark`` (bool; False without follow-up data), ``referred``.
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
    idx = first[~first["fatal"].astype(bool)].copy()
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
    areas = pd.Series(incident_areas(dataset).to_numpy(), index=inc["incident_id"].to_numpy())
    out["area_id"] = out["incident_id"].map(areas).to_numpy()
    out["age"] = np.nan
    out["male"] = np.nan
    if dataset.has("people"):
        p = dataset["people"].set_index("person_id")
        if "birth_year" in p.columns:
            t0 = out["occurred_at"].dt.tz_convert(tz)
            out["age"] = (t0.dt.year + (t0.dt.dayofyear - 1) / 365.25
                          - pd.to_numeric(out["person_id"].map(p["birth_year"]), errors="coerce")).astype(float)
        if "sex" in p.columns:
            out["male"] = (out["person_id"].map(p["sex"]) == "male").astype(float)
    out["arrests_before"] = 0
    if dataset.has("arrests"):
        a = dataset["arrests"][["person_id", "arrested_at"]].merge(out[["person_id", "occurred_at"]], on="person_id")
        n_before = a[a["arrested_at"] < a["occurred_at"]].groupby("person_id").size()
        out["arrests_before"] = out["person_id"].map(n_before).fillna(0).astype(int).to_numpy()
    out["area_shootings_prior_year"] = _area_prior_counts(dataset, areas, out)
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


def _area_prior_counts(dataset: Dataset, areas: pd.Series, out: pd.DataFrame) -> np.ndarray:
    """Shootings in the victim's incident area in the 365 days before (vectorized searchsorted)."""
    if not dataset.has("victimizations"):
        return np.zeros(len(out), dtype=np.int64)
    inc = dataset["incidents"]
    shot = inc[inc["incident_id"].isin(dataset["victimizations"]["incident_id"])]
    a = shot["incident_id"].map(areas)
    ok = a.notna().to_numpy()
    codes, uniq = pd.factorize(pd.concat([a[ok], out["area_id"]]).astype(str))
    n_sh = int(ok.sum())
    t0 = inc["occurred_at"].min()
    td = _days(shot.loc[ok, "occurred_at"], pd.Series(t0, index=range(n_sh)))
    span = 1e6
    keys = np.sort(codes[:n_sh] * span + td)
    q_area = codes[n_sh:] * span
    tq = _days(out["occurred_at"], pd.Series(t0, index=range(len(out))))
    hi = np.searchsorted(keys, q_area + tq, side="left")
    lo = np.searchsorted(keys, q_area + tq - 365.0, side="left")
    res = (hi - lo).astype(np.int64)
    res[out["area_id"].isna().to_numpy()] = 0
    return res


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
