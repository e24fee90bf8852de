"""The survival computations of the response page (:mod:`workbench.sections.response`) on small and
sparse cities, across many seeds: nothing raises, and every estimate that could not be made is named
with its reason."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from workbench import StatisticalWarning
from workbench import survival as S
from workbench.response import infer_program_start
from workbench.sections import response as sr
from workbench.synth import generate_city

# (seed, expected victimizations): 21 seeds of the tiny city and of sparser ones, down to a handful
# of referrals
CITIES = [(s, (110.0, 40.0, 20.0)[s % 3]) for s in range(21)]


def engagement_page(ds, window_days=None, min_count=11) -> SimpleNamespace:
    """Every survival fit of the page, as notebook 03 runs them; results by name, and the notes."""
    eng = sr.engagement_section(sr.response_section(ds, min_count=min_count), window_days=window_days)
    for fit in (sr.km_items, sr.cox_items, sr.incidence_items, sr.competing_items):
        fit(eng)
    return SimpleNamespace(**{"km_all": None, **eng.results}, table=eng.table, xmax=eng.xmax, ticks=eng.ticks,
                           rules=eng.rules, notes=eng.notes)


def _check_model(res: S.CoxResult, notes: list[str], what: str) -> None:
    if res.fitted:
        assert np.isfinite(res.summary["coef"]).all() and len(res.summary), what
        if res.note:
            assert any(res.note in n for n in notes), what
    else:
        assert res.reason and res.summary.empty, what
        assert any(res.reason in n for n in notes), what


@pytest.mark.parametrize("min_count,window,cities", [(11, None, CITIES), (1, 7.0, CITIES[::3])])
def test_page_computations_on_small_cities(min_count, window, cities):
    n_fitted = {"cox": 0, "fine_gray": 0}
    for seed, vict in cities:
        ds = generate_city("tiny", seed=seed, target_victimizations=vict).dataset
        pg = engagement_page(ds, window_days=window, min_count=min_count)
        n = len(pg.table)
        assert pg.xmax >= 1 and pg.ticks[0] == 0
        assert (pg.km_all is not None) == (n > 0)
        assert pg.rules.startswith("Follow-up of a referral ends")
        _check_model(pg.cox, pg.notes, f"cox {seed} {vict}")
        _check_model(pg.fine_gray, pg.notes, f"fine-gray {seed} {vict}")
        assert set(pg.cause_specific) == set(S.OUTCOMES)
        for cause, r in pg.cause_specific.items():
            _check_model(r, pg.notes, f"{cause} {seed} {vict}")
        # outcome shares are either estimated or said to be past the follow-up
        missing = pg.at[pg.at["cif"].isna()]
        assert missing["beyond_followup"].all()
        if len(missing):
            assert any("not estimable" in s for s in pg.notes)
        assert (pg.at.groupby("time")["cif"].sum() <= 1 + 1e-9).all()
        n_fitted["cox"] += pg.cox.fitted
        n_fitted["fine_gray"] += pg.fine_gray.fitted
        # the re-victimization section of the page
        rv = S.revictimization_table(ds, landmark_days=90)
        S.incidence_at(S.revictimization_incidence(rv), [365.25, 8 * 365.25])
        for weighted in (False, True):
            S.compare_revictimization(rv, infer_program_start(ds), weighted=weighted)
    # the sparse cities exercise both branches: fitted models and reported failures
    assert 0 < n_fitted["cox"] < len(cities) and 0 < n_fitted["fine_gray"] < len(cities)


def test_final_outcomes_only_page_has_every_share(synthetic_tiny):
    ds = synthetic_tiny.dataset
    fu = ds["followups"].sort_values("attempted_at").groupby("referral_id").tail(1)
    pg = engagement_page(dataclasses.replace(ds, tables={**ds.tables, "followups": fu}))
    assert "only final outcomes" in pg.rules
    at = pg.at[pg.at["time"].isin([60.0, 120.0])]
    assert len(at) and at["cif"].notna().all()


def test_notes_name_no_small_count():
    ds = generate_city("tiny", seed=1, target_victimizations=20.0).dataset
    pg = engagement_page(ds, min_count=11)
    text = " ".join(pg.notes)
    # reasons say "fewer than the N needed", never the count itself
    for cause in S.OUTCOMES:
        k = int((pg.table["outcome"] == cause).sum())
        if 0 < k < 10:
            assert f" {k} {cause}" not in text
    assert isinstance(pd.DataFrame(pg.cif), pd.DataFrame)
    assert issubclass(S.cox.ConvergenceWarning, StatisticalWarning)
