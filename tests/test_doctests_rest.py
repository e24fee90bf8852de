"""The numpydoc examples of the spatial, outreach, response and dosage estimators run as doctests.

The tiny synthetic city is generated once and handed to every module as ``ds`` (its Dataset); the
examples also show the line that makes it, skipped here (only these modules: the global pytest
configuration is untouched)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "workbench.spatial.kde",
    "workbench.spatial.getis",
    "workbench.spatial.knox",
    "workbench.spatial.emerging",
    "workbench.spatial.exposure",
    "workbench.outreach.past",
    "workbench.outreach.risk",
    "workbench.outreach.audit",
    "workbench.response.measures",
    "workbench.dosage.measures",
    "workbench.dosage.change",
]


@pytest.fixture(scope="module")
def ds():
    from workbench.synth import generate_city

    return generate_city("tiny", seed=1).dataset


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name, ds):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, extraglobs={"ds": ds}, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0, res


def test_getis_ord_function_equals_estimator(ds):
    """``getis_ord`` is a thin function over :class:`GetisOrd`: the same numbers."""
    import numpy as np

    from workbench.spatial import GetisOrd, build_weights, getis_ord, grid_counts

    cells = grid_counts(ds.points("incidents"), cell_m=400.0)
    table = getis_ord(cells, "count", "knn", k=6, permutations=49, seed=3, id_column="cell_id")
    est = GetisOrd(permutations=49, seed=3).fit(cells["count"], build_weights(cells, "knn", k=6))
    assert est.fit(cells["count"], build_weights(cells, "knn", k=6)) is est
    for col, attr in [("gi", "gi_"), ("z", "z_"), ("p_value", "p_"), ("p_sim", "p_sim_"), ("p_fdr", "p_fdr_")]:
        np.testing.assert_array_equal(table[col].to_numpy(), getattr(est, attr))
    assert (table["cls"].to_numpy() == est.cls_).all()
    assert est.summary_.drop(columns="value").equals(table.drop(columns=["cell_id", "value"]))
    assert est.n_ == len(cells)
