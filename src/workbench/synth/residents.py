"""Residents by group (age band, sex, race/ethnicity) per area, and the victims-by-group truth.

The synthetic city's ``areas`` table carries, beside ``population``, one column per group:
``population_<sex>``, ``population_<race>`` and ``population_age_<band>`` (the convention of
:mod:`workbench.sections.victims`). They are drawn from their own random stream, so every other
table of a seed is unchanged:

- race/ethnicity: multinomial over the residents of an area with the probabilities of
  :func:`~workbench.synth.population.race_probs` at the area's disadvantage (the same model the
  people of the data are drawn from);
- sex: binomial, :data:`MALE_SHARE` male;
- age: ``children`` (already in the table) are the under-18 band; the adults are multinomial over
  the adult bands with :data:`ADULT_AGE_SHARES`.

The truth (``truth.json["victims"]``) is computed from the generator's own arrays (person index,
birth year, sex, race and incident time; no ids, no joins): victimizations by group, residents by
group, rates per 100,000 residents per year and rate ratios. There is no group parameter in the
generating story beyond who is in the network and the at-risk pool, so the realized figures are the
truth an estimate from the contract tables must reproduce.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import RACES, race_probs

__all__ = ["ADULT_AGE_SHARES", "AGE_BANDS", "MALE_SHARE", "age_band_codes", "residents_by_group",
           "victims_truth"]

#: Age bands ``(code, lowest age, highest age)``, ages in whole years at the victimization.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("under_18", 0, 17), ("18_24", 18, 24), ("25_34", 25, 34), ("35_44", 35, 44),
    ("45_64", 45, 64), ("65_plus", 65, 200),
)
#: Share of the adult residents in each adult band (18-24 ... 65+).
ADULT_AGE_SHARES: tuple[float, ...] = (0.12, 0.19, 0.17, 0.32, 0.20)
#: Share of residents who are male.
MALE_SHARE = 0.48


def age_band_codes(age: np.ndarray) -> np.ndarray:
    """Age band code per age in whole years (``"unknown"`` for missing or negative ages)."""
    a = np.asarray(age, dtype=float)
    out = np.full(a.shape, "unknown", dtype=object)
    for code, lo, hi in AGE_BANDS:
        out[(a >= lo) & (a <= hi)] = code
    return out


def residents_by_group(population: np.ndarray, children: np.ndarray, disadvantage: np.ndarray,
                       rng: np.random.Generator) -> pd.DataFrame:
    """Residents per area by sex, race/ethnicity and age band (one column per group).

    Parameters
    ----------
    population, children : ndarray of int
        Residents and residents under 18 per area.
    disadvantage : ndarray of float
        Latent disadvantage per area (SD units).
    rng : numpy.random.Generator
        A stream of its own (the other tables do not depend on it).

    Returns
    -------
    DataFrame
        ``population_male``, ``population_female``, ``population_<race>`` (every race code but
        ``unknown``), ``population_age_<band>``; each column sums over groups to ``population``.
    """
    pop = np.asarray(population, dtype=np.int64)
    kids = np.minimum(np.asarray(children, dtype=np.int64), pop)
    race = rng.multinomial(pop, race_probs(np.asarray(disadvantage, float)))
    male = rng.binomial(pop, MALE_SHARE)
    adult = rng.multinomial(pop - kids, np.asarray(ADULT_AGE_SHARES) / np.sum(ADULT_AGE_SHARES))
    cols: dict[str, np.ndarray] = {"population_male": male, "population_female": pop - male}
    cols.update({f"population_{r}": race[:, j] for j, r in enumerate(RACES)})
    cols["population_age_under_18"] = kids
    cols.update({f"population_age_{code}": adult[:, j] for j, (code, _, _) in enumerate(AGE_BANDS[1:])})
    return pd.DataFrame({k: v.astype(np.int64) for k, v in cols.items()})


def victims_truth(sex: np.ndarray, race: np.ndarray, birth_year: np.ndarray, when: pd.DatetimeIndex,
                  fatal: np.ndarray, residents: pd.DataFrame, years: float) -> dict:
    """Victimizations, residents, rates and rate ratios by group, from the generator's arrays.

    Parameters
    ----------
    sex, race, birth_year : ndarray
        Per victimization: the victim's codes and birth year.
    when : DatetimeIndex
        Per victimization: the incident's local time (age = its year minus the birth year).
    fatal : ndarray of bool
        Per victimization.
    residents : DataFrame
        :func:`residents_by_group` output.
    years : float
        Length of the period, years (rates are per year).

    Returns
    -------
    dict
        ``victimizations``/``residents``/``rate_per_100k_per_year``/``fatal`` keyed
        ``"sex:male"``, ``"race:black"``, ``"age:18_24"`` ..., plus ``rate_ratio`` of chosen
        pairs and ``period_years``.
    """
    age = np.asarray(when.year, dtype=float) - np.asarray(birth_year, dtype=float)
    groups = {"sex": np.asarray(sex, dtype=object), "race": np.asarray(race, dtype=object),
              "age": age_band_codes(age)}
    col = {"sex": "population_{}", "race": "population_{}", "age": "population_age_{}"}
    fatal = np.asarray(fatal, bool)
    vict: dict[str, int] = {}
    fat: dict[str, int] = {}
    res: dict[str, int] = {}
    rate: dict[str, float] = {}
    for dim, codes in groups.items():
        for g in sorted(set(codes)):
            key = f"{dim}:{g}"
            hit = codes == g
            vict[key] = int(hit.sum())
            fat[key] = int((hit & fatal).sum())
            name = col[dim].format(g)
            if name in residents:
                res[key] = int(residents[name].sum())
                rate[key] = 1e5 * vict[key] / res[key] / years if res[key] else float("nan")

    def ratio(a: str, b: str) -> float | None:
        return rate[a] / rate[b] if a in rate and b in rate and rate[b] > 0 else None

    return {
        "note": "victimizations (a person shot twice counts twice) by the victim's group, from the "
                "generator's arrays; residents by group are the areas' population_<group> columns; "
                "age = incident year - birth year; excludes planted victimizations",
        "period_years": years,
        "victimizations": vict,
        "fatal": fat,
        "residents": res,
        "rate_per_100k_per_year": rate,
        "rate_ratio": {
            "sex:male/sex:female": ratio("sex:male", "sex:female"),
            "race:black/race:white": ratio("race:black", "race:white"),
            "age:18_24/age:45_64": ratio("age:18_24", "age:45_64"),
        },
    }
