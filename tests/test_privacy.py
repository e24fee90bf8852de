"""Small-count suppression and the identifier scan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data.dataset import Dataset
from workbench.privacy import (
    HIDDEN_TOTAL,
    PrivacyError,
    check_export,
    complementary_mask,
    forbidden_ids,
    scan_html,
    suppress_counts,
    suppressed_mask,
)


def test_suppress_counts_hides_one_to_ten_keeps_zero_and_large():
    df = pd.DataFrame({"area": ["a", "b", "c", "d", "e"], "n": [0, 1, 10, 11, 250]})
    table, note = suppress_counts(df, ["n"], min_count=11)
    assert table["n"].tolist() == [0, "<11", "<11", 11, 250]
    assert table["area"].tolist() == df["area"].tolist()
    assert df["n"].tolist() == [0, 1, 10, 11, 250]  # input untouched
    assert "<11" in note and "2 cells hidden" in note and "zero" in note


def test_suppress_counts_default_columns_and_missing_values():
    df = pd.DataFrame({"k": ["x", "y", "z"], "n": [5.0, np.nan, 30.0], "m": [3, 3, 3]})
    table, note = suppress_counts(df, min_count=6)
    assert table["n"].tolist() == ["<6", None, 30]
    assert table["m"].tolist() == ["<6"] * 3
    assert "4 cells hidden" in note


def test_suppress_counts_complementary_suppression_with_totals():
    df = pd.DataFrame({"a": [5, 20, 3, 2], "b": [30, 40, 4, 0], "c": [50, 0, 60, 0]})
    df["total"] = df.sum(axis=1)
    table, note = suppress_counts(df, ["a", "b", "c"], min_count=11, total="total")
    # one small cell -> the smallest other positive cell hidden too; total stays
    assert table.iloc[0].tolist() == ["<11", HIDDEN_TOTAL, 50, 85]
    assert table.iloc[1].tolist() == [20, 40, 0, 60]
    # two small cells already protect each other
    assert table.iloc[2].tolist() == ["<11", "<11", 60, 67]
    # a small total is suppressed like any count
    assert table.iloc[3].tolist() == ["<11", 0, 0, "<11"]
    assert HIDDEN_TOTAL in note and "6 cells hidden" in note
    cells, totals = complementary_mask(df[["a", "b", "c"]].to_numpy(), 11)
    assert cells.sum() == 5 and totals.tolist() == [False, False, False, True]


def test_suppress_counts_rejects_bad_threshold_and_columns():
    df = pd.DataFrame({"n": [1]})
    with pytest.raises(ValueError, match="min_count"):
        suppress_counts(df, ["n"], min_count=0)
    with pytest.raises(KeyError, match="nope"):
        suppress_counts(df, ["nope"], min_count=11)


def test_suppressed_mask_threshold_one_hides_nothing():
    v = np.array([0, 1, 2, 100])
    assert suppressed_mask(v, 1).tolist() == [False] * 4
    assert suppressed_mask(v, 3).tolist() == [False, True, True, False]


def test_scan_finds_ids_as_whole_tokens_only():
    html = (
        "<table><tr><td>P000123</td></tr></table><p title='id=P000777'>x</p>"
        "<img src='data:image/png;base64,AAAP000999BBB'>"
    )
    found = scan_html(html, ["P000123", "P000777", "P000999", "P000555"])
    assert [f.value for f in found] == ["P000123", "P000777"]
    assert all(f.kind == "person_id" for f in found)
    assert "P000123" in found[0].context


def test_scan_decodes_entities_and_finds_names_case_insensitively():
    html = "<p>Seen: &#80;000123 and JANE Doe.</p>"
    found = scan_html(html, ["P000123"], names=["Jane Doe", "John Roe"])
    assert {(f.kind, f.value) for f in found} == {("person_id", "P000123"), ("name", "JANE Doe")}


def test_scan_ignores_short_numeric_ids_but_finds_long_ones():
    html = "<td>12</td><td>1234567</td>"
    assert [f.value for f in scan_html(html, ["12", "1234567"])] == ["1234567"]


def _dataset() -> Dataset:
    people = pd.DataFrame({"person_id": ["P000001", "P000002"], "name": ["Ann Smith", None]})
    vict = pd.DataFrame({"incident_id": ["I1"], "person_id": ["P000003"], "fatal": [False]})
    inc = pd.DataFrame({"incident_id": ["I1"], "occurred_at": pd.to_datetime(["2024-01-01"]).tz_localize("UTC"),
                        "lon": [0.0], "lat": [0.0], "kind": ["shots_fired"]})
    return Dataset({"incidents": inc, "people": people, "victimizations": vict}, "UTC", "EPSG:32631")


def test_check_export_raises_on_ids_and_names_and_passes_clean_html():
    ds = _dataset()
    assert forbidden_ids(ds) == {"P000001", "P000002", "P000003"}
    check_export("<p>3 people, incident I1</p>", ds)  # incident ids are not person ids
    with pytest.raises(PrivacyError) as err:
        check_export("<td>P000003</td><td>ann smith</td>", ds, where="page.html")
    assert "page.html" in str(err.value)
    assert {f.kind for f in err.value.findings} == {"person_id", "name"}


def test_check_export_without_person_tables_finds_nothing():
    ds = _dataset()
    ds.tables = {"incidents": ds.tables["incidents"]}
    check_export("<td>P000003</td>", ds)
