"""Police and co-responder responses, referrals and follow-up attempts.

Times are in days since the start of the period (floats); :mod:`workbench.synth.city` turns
them into tz-aware timestamps. Time to engagement follows a Weibull proportional-hazards model

``h(t | x) = (k / lambda) (t / lambda)^(k-1) exp(x' beta)``,

sampled by inversion ``T = lambda (E / exp(x' beta))^(1/k)``, ``E ~ Exp(1)``; a competing
``Exp(decline_rate_per_day)`` decline time and administrative censoring at
``min(followup_window_days, data end)`` complete the story.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import Params

COMINUTE = 1.0 / 1440.0
CORESPONDERS = ("social_worker", "nurse", "community_health_worker", "violence_interrupter",
                "victim_advocate")
RESPONDER_ORDER = ("police",) + CORESPONDERS


def _lognormal_minutes(spec: list, n: int, rng: np.random.Generator) -> np.ndarray:
    median, sd = spec
    return median * np.exp(rng.normal(0.0, sd, n))


def make_responses(inc_t: np.ndarray, has_victim: np.ndarray, program_t: float, params: Params,
                   rng: np.random.Generator) -> pd.DataFrame:
    """One police response per incident plus co-responders after the program start.

    Returns
    -------
    pandas.DataFrame
        ``incident`` (row), ``responder_type``, ``agency``, ``arrived`` and ``departed``
        (days), sorted by incident then responder type.
    """
    n = inc_t.size
    parts = []
    eligible = np.flatnonzero(has_victim & (inc_t >= program_t))
    for rtype in RESPONDER_ORDER:
        if rtype == "police":
            rows = np.arange(n)
        else:
            rows = eligible[rng.random(eligible.size) < params.coresponder_probs[rtype]]
        agencies = np.asarray(params.agencies[rtype], dtype=object)
        arrived = inc_t[rows] + _lognormal_minutes(params.arrival_delay_min[rtype], rows.size, rng) * COMINUTE
        departed = arrived + _lognormal_minutes(params.on_scene_min[rtype], rows.size, rng) * COMINUTE
        parts.append(pd.DataFrame({
            "incident": rows, "responder_type": rtype,
            "agency": agencies[rng.integers(0, agencies.size, rows.size)],
            "arrived": arrived, "departed": departed,
            "rank": RESPONDER_ORDER.index(rtype),
        }))
    out = pd.concat(parts, ignore_index=True).sort_values(["incident", "rank"], kind="stable")
    return out.drop(columns="rank").reset_index(drop=True)


def make_referrals(responses: pd.DataFrame, victims: pd.DataFrame, family: pd.DataFrame,
                   params: Params, rng: np.random.Generator) -> pd.DataFrame:
    """Referrals of surviving victims (and family members) by co-responders.

    Parameters
    ----------
    responses : pandas.DataFrame
        From :func:`make_responses`.
    victims : pandas.DataFrame
        ``incident``, ``person``, ``fatal`` (index form).
    family : pandas.DataFrame
        ``incident``, ``person`` of family members to refer (index form).

    Returns
    -------
    pandas.DataFrame
        ``response`` (row of ``responses``), ``person``, ``service``, ``provider``,
        ``referred`` (days), ``responder_type``.
    """
    co = responses[responses["responder_type"] != "police"].reset_index().rename(
        columns={"index": "response"})
    alive = victims.loc[~victims["fatal"], ["incident", "person"]]
    pairs = co.merge(alive, on="incident", how="inner")
    rate = pairs["responder_type"].map(params.referrals_per_victim).to_numpy()
    k = rng.poisson(rate)
    pairs = pairs.loc[pairs.index.repeat(k)].reset_index(drop=True)
    service = np.empty(len(pairs), dtype=object)
    for rtype, probs in params.service_probs.items():
        sel = np.flatnonzero(pairs["responder_type"].to_numpy() == rtype)
        names = np.asarray(list(probs), dtype=object)
        service[sel] = names[rng.choice(names.size, size=sel.size, p=list(probs.values()))]
    pairs["service"] = service

    # family members: one co-responder response of the incident refers them
    fam = family.merge(co.drop_duplicates("incident")[["incident", "response", "responder_type",
                                                        "arrived", "departed"]],
                       on="incident", how="inner")
    names = np.asarray(list(params.family_services), dtype=object)
    fam["service"] = names[rng.choice(names.size, size=len(fam), p=list(params.family_services.values()))]
    cols = ["response", "person", "service", "responder_type", "arrived", "departed"]
    out = pd.concat([pairs[cols], fam[cols]], ignore_index=True)
    out = out.drop_duplicates(["response", "person", "service"]).reset_index(drop=True)
    provider = np.empty(len(out), dtype=object)
    for svc, provs in params.providers.items():
        sel = np.flatnonzero(out["service"].to_numpy() == svc)
        provs = np.asarray(provs, dtype=object)
        provider[sel] = provs[rng.integers(0, provs.size, sel.size)]
    out["provider"] = provider
    out["referred"] = out["arrived"].to_numpy() + rng.exponential(params.referral_delay_hours, len(out)) / 24.0
    out = out.sort_values(["referred", "response", "person"], kind="stable").reset_index(drop=True)
    return out.drop(columns=["arrived", "departed"])


def log_hazard(referrals: pd.DataFrame, age: np.ndarray, params: Params) -> np.ndarray:
    """Linear predictor ``x' beta`` of the engagement model for each referral."""
    return (
        referrals["service"].map(params.beta_service).fillna(0.0).to_numpy()
        + referrals["provider"].map(params.beta_provider).fillna(0.0).to_numpy()
        + referrals["responder_type"].map(params.beta_responder).fillna(0.0).to_numpy()
        + params.beta_age_per_decade * (np.asarray(age, dtype=float) - 30.0) / 10.0
    )


def make_followups(referrals: pd.DataFrame, age: np.ndarray, data_end: float, params: Params,
                   rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Follow-up attempts per referral and the latent event times.

    Returns
    -------
    attempts : pandas.DataFrame
        ``referral`` (row), ``attempted`` (days), ``outcome``, sorted by referral and time.
    latent : pandas.DataFrame
        Per referral: ``log_hazard``, ``t_engage``, ``t_decline``, ``censor`` (days after
        the referral), ``outcome`` (engaged / declined / censored), ``duration``.
    """
    n = len(referrals)
    eta = log_hazard(referrals, age, params)
    k, lam = params.weibull_shape, params.weibull_scale_days
    t_eng = lam * (rng.exponential(1.0, n) / np.exp(eta)) ** (1.0 / k)
    t_dec = rng.exponential(1.0 / params.decline_rate_per_day, n)
    ref_t = referrals["referred"].to_numpy()
    censor = np.minimum(params.followup_window_days, data_end - ref_t)
    engaged = (t_eng <= t_dec) & (t_eng <= censor)
    declined = ~engaged & (t_dec <= censor)
    duration = np.where(engaged, t_eng, np.where(declined, t_dec, censor))
    final = np.where(engaged, "engaged", np.where(declined, "declined", "censored")).astype(object)

    # unsuccessful attempts before the end: Poisson with mean duration / gap (at most 10)
    m = np.minimum(rng.poisson(np.maximum(duration, 0.0) / params.attempt_gap_days), 10)
    rows = np.repeat(np.arange(n), m)
    prior_t = ref_t[rows] + rng.random(rows.size) * duration[rows]
    prior_o = np.where(rng.random(rows.size) < params.scheduled_share, "scheduled", "unreachable")
    term = np.flatnonzero(engaged | declined)
    attempts = pd.DataFrame({
        "referral": np.concatenate([rows, term]),
        "attempted": np.concatenate([prior_t, ref_t[term] + duration[term]]),
        "outcome": np.concatenate([prior_o.astype(object), final[term]]),
    })
    attempts = attempts[attempts["attempted"] < data_end]
    attempts = attempts.sort_values(["referral", "attempted"], kind="stable").reset_index(drop=True)
    latent = pd.DataFrame({"log_hazard": eta, "t_engage": t_eng, "t_decline": t_dec,
                           "censor": censor, "outcome": final, "duration": duration})
    return attempts, latent


def make_family(incident: np.ndarray, fatal_incident: np.ndarray, victim_area: np.ndarray,
                victim_race: np.ndarray, start_year: int, params: Params,
                rng: np.random.Generator) -> pd.DataFrame:
    """Family members (people with no arrests) of victims of incidents served by co-responders.

    A family member is referred with probability ``family_referral_prob`` (doubled, at most 0.9,
    when the incident was fatal); they live in the primary victim's area and share their
    race/ethnicity.

    Returns
    -------
    pandas.DataFrame
        ``incident``, ``area``, ``birth_year``, ``sex``, ``race`` (one row per family member).
    """
    p = np.where(fatal_incident, np.minimum(2 * params.family_referral_prob, 0.9),
                 params.family_referral_prob)
    sel = rng.random(incident.size) < p
    n = int(sel.sum())
    age = 30 + rng.gamma(3.0, 6.0, n)
    return pd.DataFrame({
        "incident": incident[sel],
        "area": victim_area[sel],
        "birth_year": (start_year - np.floor(age)).astype(np.int64),
        "sex": np.where(rng.random(n) < 0.7, "female", "male").astype(object),
        "race": victim_race[sel],
    })
