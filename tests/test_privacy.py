"""Small-count suppression and the identifier scan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data.dataset import Dataset
from workbench.privacy import (
    HIDDEN_TOTAL,
    NameIndex,
    PrivacyError,
    check_export,
    coarse_range,
    complementary_mask,
    count_text,
    enough,
    forbidden_ids,
    forbidden_names,
    is_suppressed,
    protect_quality,
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


# -- the name scan: false alarms and true alarms ------------------------------------------------
NAMES = ["John White", "Mary Black", "Rose Brown", "Kim Lee", "Jose Du Bois", "Washington, Ann", "Zed Smith"]


def _names(html: str, names=NAMES, ids=()) -> list[str]:
    return [f.value for f in scan_html(html, ids, names) if f.kind == "name"]


@pytest.mark.parametrize("html", [
    "<table><tr><th>race</th><th>victims</th></tr><tr><td>White</td><td>120</td></tr>"
    "<tr><td>Black</td><td>340</td></tr></table>",                      # race codes equal to surnames
    "<style>.a{color: white; background: black; border-color: brown}</style><p>Lee side</p>",  # CSS
    "<p>Shootings near Washington Park and the Du Bois Academy.</p>",   # place names
    "<p>a 24-year-old White man; Black residents aged 18-24: 35; White, aged 65 and over: 12</p>",
    "<p>Smith &amp; Wesson</p><p>Kim</p>",                              # one name word alone
    '<img src="data:image/png;base64,Sm9obiBXaGl0ZQJohnWhite+John/White=">',
])
def test_name_scan_has_no_false_alarms(html):
    assert _names(html) == []


@pytest.mark.parametrize("html, expected", [
    ("<p>Mary Black was shot</p>", "Mary Black"),
    ("<td>John</td><td>White</td>", "John"),                            # one row, two cells
    ("<p>WHITE, John</p>", "WHITE, John"),                             # Last, First
    ("<p>John Q. White</p>", "John Q. White"),                          # middle initial
    ("<p>Ann Washington</p>", "Ann Washington"),                        # stored as "Last, First"
    ("<p>Jose Du Bois</p>", "Jose Du"),                                 # two-word surname
    ('<div title="Rose Brown">x</div>', "Rose Brown"),                 # tooltip
    ('<script>{"hovertext": ["Kim Lee"]}</script>', "Kim Lee"),        # plot data
    ("<p>Smith, age 24, was shot</p>", "Smith [next to: age 24]"),     # surname next to an age
    ("<p>a 31-year-old Smith</p>", "Smith [next to: 31-year-old]"),
    ("<p>Smith (born 1990)</p>", "Smith [next to: born 1990]"),
])
def test_name_scan_finds_full_names_and_names_next_to_a_person_attribute(html, expected):
    found = _names(html)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_name_next_to_a_person_id_is_found_even_where_ids_are_allowed():
    found = scan_html("<tr><td>P000123</td><td>Smith</td></tr>", ["P000123"], NAMES, report_ids=False)
    assert [(f.kind, f.value) for f in found] == [("name", "Smith [next to: P000123]")]
    assert scan_html("<tr><td>P000123</td><td>White</td></tr>", ["P000123"], NAMES, report_ids=False) == []


def test_privacy_error_names_only_initials():
    with pytest.raises(PrivacyError) as err:
        check_export("<p>Ann Smith</p>", _dataset())
    assert "A. S." in str(err.value) and "Smith" not in str(err.value)


def test_name_index_reused_and_ordinary_words_from_the_data(tiny_dataset):
    from workbench.privacy import name_index

    people = tiny_dataset["people"].copy()
    people["full_name"] = np.array(["Ann Washington", "Bo Oak", "Cy White"])[np.arange(len(people)) % 3]
    named = Dataset(tables={**tiny_dataset.tables, "people": people}, timezone=tiny_dataset.timezone,
                    crs=tiny_dataset.crs)
    idx = name_index(named)
    assert name_index(named) is idx  # built once per dataset
    assert "white" in idx.ordinary and "cy" not in idx.ordinary  # a contract code is an ordinary word
    place_words = {w.lower() for n in tiny_dataset["places"]["name"].dropna() for w in str(n).split()}
    assert (idx.words & place_words) <= idx.ordinary  # so are the words of the data's place names
    check_export("<p>White, aged 30: 12 victims</p>", named)
    for page in ("<p>Cy White</p>", "<p>Bo Oak</p>", "<p>Cy, age 30</p>"):
        with pytest.raises(PrivacyError):
            check_export(page, named)


def test_forbidden_names_joins_first_and_last_and_reads_identifiers():
    people = pd.DataFrame({"person_id": ["P1", "P2"], "first_name": ["Ann", "Bo"], "last_name": ["Smith", None]})
    ds = Dataset({"people": people}, "UTC", "EPSG:32631")
    assert forbidden_names(ds) == {"Ann Smith", "Bo"}
    ds2 = Dataset({"people": people[["person_id"]]}, "UTC", "EPSG:32631", identifiers=people)
    assert forbidden_names(ds2) == {"Ann Smith", "Bo"}
    assert NameIndex.from_names(["Ann Smith"]).pairs == {("ann", "smith")}


def test_scan_cost_does_not_grow_with_the_number_of_names():
    # 20,000 names: the scan is a set lookup per word of the page, not a pattern per name
    rng = np.random.default_rng(1)
    first = np.array(["Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"])
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    names = [f"{first[i % 8]} Q" + "".join(letters[[n // 676 % 26, n // 26 % 26, n % 26]])
             for i, n in enumerate(rng.permutation(20_000))]
    page = "<p>" + " ".join(["White", "Black", "count", "Ann"] * 5_000) + "</p>"
    assert _names(page, names) == []
    assert _names(page + f"<p>{names[17]}</p>", names) == [names[17]]


# -- the display helpers every module calls ------------------------------------------------------
def test_is_suppressed_enough_and_count_text():
    assert [is_suppressed(v, 11) for v in (0, 1, 10, 11, None, np.nan)] == [False, True, True, False, False, False]
    assert enough(11, 11) and not enough(10, 11) and not enough(0, 11) and not enough(np.nan, 11)
    s = pd.Series([0, 5, 11, None], index=list("abcd"))
    assert enough(s, 11).tolist() == [False, False, True, False] and list(enough(s, 11).index) == list("abcd")
    assert enough(np.array([[12, 3]]), 11).tolist() == [[True, False]]
    assert [count_text(v, 11) for v in (0, 3, 1234)] == ["0", "<11", "1,234"]
    assert count_text(3, 11, words=True) == "fewer than 11"
    with pytest.raises(ValueError):
        enough(5, 0)


def test_coarse_range_month_decade_or_nothing():
    t = pd.Series(pd.to_datetime(["2024-01-03 01:02", "2024-06-30 23:59"]).tz_localize("America/Chicago"))
    assert coarse_range(t, "occurred_at") == ("2024-01", "2024-06")
    assert coarse_range(pd.Series([1949, 1987, 2006]), "birth_year") == ("1940s", "2000s")
    assert coarse_range(pd.Series([41.88, 41.9]), "lat") == (None, None)
    assert coarse_range(pd.Series([], dtype=float), "birth_year") == (None, None)


def test_protect_quality_suppresses_counts_shares_and_coarsens_ranges():
    q = pd.DataFrame({
        "table": ["people", "people", "areas", "incidents"],
        "column": ["(table)", "birth_year", "population", "occurred_at"],
        "rows": [500, 500, 16, 3], "nulls": [None, 4, 0, 0], "share_null": [None, 0.008, 0.0, 0.0],
        "distinct": [None, 60, 16, 3], "min": [None, 1949, 120, "2024-01-03 01:02:00-06:00"],
        "max": [None, 2006, 9000, "2024-06-30 23:59:00-05:00"]})
    values = {("people", "birth_year"): pd.Series([1949, 2006]),
              ("incidents", "occurred_at"): pd.Series(pd.to_datetime(["2024-01-03", "2024-06-30"]))}
    out = protect_quality(q, values, 11)
    assert out["rows"].tolist() == [500, 500, 16, "<11"]
    assert out["nulls"].tolist()[1:] == ["<11", 0, 0]
    assert out["share_null"].tolist()[1] == HIDDEN_TOTAL  # 0.8% of 500 would give the 4 back
    assert out["distinct"].tolist()[1:] == [60, 16, "<11"]
    assert out["min"].tolist()[1:] == ["1940s", 120, "2024-01"]  # areas are aggregates: exact
    assert out["max"].tolist()[1:] == ["2000s", 9000, "2024-06"]


def test_quality_table_on_a_policy_page_goes_through_privacy(tiny_dataset):
    from workbench.sections.overview import quality_table

    exact = quality_table(tiny_dataset)
    safe = quality_table(tiny_dataset, 11)
    row = lambda q, t, c: q[(q["table"] == t) & (q["column"] == c)].iloc[0]  # noqa: E731
    assert row(safe, "people", "birth_year")["min"].endswith("0s")
    assert int(row(safe, "people", "birth_year")["min"][:4]) == int(row(exact, "people", "birth_year")["min"]) // 10 * 10
    first = pd.Timestamp(row(exact, "incidents", "occurred_at")["min"])
    assert row(safe, "incidents", "occurred_at")["min"] == f"{first:%Y-%m}"
    assert row(safe, "incidents", "lon")["min"] == ""  # one incident's exact place: not shown
    small = [v for v in safe[["rows", "nulls", "distinct"]].to_numpy().ravel() if isinstance(v, int)]
    assert not any(0 < v < 11 for v in small)


# -- names stay out of the analysis tables ------------------------------------------------------
def test_loader_keeps_names_out_of_the_tables(tiny_dataset, tmp_path):
    from workbench.data import load_dataset

    people = tiny_dataset["people"].copy()
    people["first_name"], people["last_name"] = "Zebediah", "Quarrington"
    folder = Dataset({**tiny_dataset.tables, "people": people}, tiny_dataset.timezone, tiny_dataset.crs,
                     name="named").to_folder(tmp_path / "named")
    ds = load_dataset(folder)
    assert not {"first_name", "last_name"} & set(ds["people"].columns)
    assert list(ds.identifiers.columns) == ["person_id", "first_name", "last_name"]
    snapshot = ds.to_folder(tmp_path / "snapshot")  # what a notebook kernel reads
    assert "Quarrington" not in pd.read_parquet(snapshot / "people.parquet").to_string()
    with pytest.raises(PrivacyError):  # ... and the scan still knows them
        check_export("<p>Zebediah Quarrington</p>", ds)
    kept = load_dataset(folder, keep_names=True)
    assert {"first_name", "last_name"} <= set(kept["people"].columns)


# -- the rule lives here only -------------------------------------------------------------------
def _code_lines(path) -> list[tuple[int, str]]:
    """(line, code) of a module or notebook with strings and comments blanked out."""
    import io
    import json
    import tokenize

    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    else:
        sources = [path.read_text()]
    out = []
    for src in sources:
        lines = src.splitlines()
        try:
            toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
        except (tokenize.TokenError, IndentationError, SyntaxError):  # e.g. a cell magic: read it as is
            toks = []
        for t in toks:
            if t.type in (tokenize.STRING, tokenize.COMMENT) or getattr(tokenize, "FSTRING_MIDDLE", -1) == t.type:
                (r0, c0), (r1, c1) = t.start, t.end
                for r in range(r0, r1 + 1):
                    a = c0 if r == r0 else 0
                    b = c1 if r == r1 else len(lines[r - 1])
                    lines[r - 1] = lines[r - 1][:a] + " " * (b - a) + lines[r - 1][b:]
        out += list(enumerate(lines, 1))
    return out


def test_no_module_outside_privacy_implements_suppression():
    import re
    from pathlib import Path

    import workbench

    root = Path(workbench.__file__).resolve().parents[2]
    rule = re.compile(r"(?:<|<=|>|>=)\s*(?:self\.)?min_count\b|\bmin_count\s*(?:<|<=|>|>=)(?!=)"
                      r"|\b0\s*<\s*\w+\s*<\s*\w*min_count")
    files = [p for p in (root / "src" / "workbench").rglob("*.py") if p.name != "privacy.py"]
    files += sorted((root / "notebooks").glob("*.ipynb"))
    assert len(files) > 50
    offenders = [f"{p.relative_to(root)}:{n}: {line.strip()}" for p in files for n, line in _code_lines(p)
                 if rule.search(line)]
    assert offenders == [], "\n".join(offenders)
