"""Display formatting of policy pages (workbench.formatting, re-exported by workbench.sections.format) and the export's safety nets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.report.export import REPORT_CSS, tidy_table_cells
from workbench.sections.format import (LABELS, MISSING, appendix_html, format_number, format_p, format_share,
                                       human_columns, human_label, notice_html, policy_table)


@pytest.mark.parametrize("x, want", [
    (1234567, "1,234,567"), (np.int64(12), "12"), (3.14159, "3.14"), (2.34e-12, "< 0.01"),
    (-2.34e-12, "> -0.01"), (float("nan"), MISSING), (float("inf"), MISSING), (-np.inf, MISSING),
    (None, MISSING), (pd.NA, MISSING), ("<11", "<11"), (1e12, "1,000,000,000,000.00"),
    (True, "yes"), (pd.Timestamp("2024-03-01", tz="UTC"), "2024-03-01"),
])
def test_format_number(x, want):
    assert format_number(x) == want


def test_format_number_digits():
    assert format_number(1234.5678, 0) == "1,235"
    assert format_number(0.0004, 3) == "< 0.001"


@pytest.mark.parametrize("p, want", [(2.34e-12, "p < 0.001"), (0.0009, "p < 0.001"), (0.0123, "p = 0.012"),
                                     (0.345, "p = 0.34"), (np.nan, MISSING), (None, MISSING)])
def test_format_p(p, want):
    assert format_p(p) == want


def test_format_share():
    assert format_share(0.1234) == "12.3%"
    assert format_share(np.inf) == MISSING


def test_human_labels():
    assert human_label("arrival_median_min") == "median minutes to arrival"
    assert human_label("service[T.housing]") == "service: housing"
    assert human_label("service[mental_health]") == "service: mental health"
    assert human_label("some_new_column") == "some new column"
    assert human_label("victims (all windows)") == "victims (all windows)"
    df = pd.DataFrame({"past_victims": [1], "unserved": [0], "n": [3]})
    assert list(human_columns(df).columns) == ["past victims", "never referred", "number"]
    assert list(human_columns(df, {"n": "people"}).columns)[-1] == "people"
    assert all("_" not in v and "[" not in v for v in LABELS.values())


def test_policy_table_no_raw_numbers():
    df = pd.DataFrame({"column": ["age[T.25-34]", "service[housing]"], "hazard_ratio": [1.23456, np.inf],
                       "p": [2.34e-12, 0.2], "n": [1200, 15], "share": [0.5, np.nan],
                       "area": ["<b>x</b>", "y"]})
    html = policy_table(df, shares=["share"]).to_html()
    for bad in (">nan<", ">inf<", "e-12", "hazard_ratio", "age[T.", "<b>x"):
        assert bad not in html, bad
    for good in ("hazard ratio", "p &lt; 0.001", "p = 0.20", "1,200", "1.23", "50.0%", MISSING,
                 "age: 25-34", "&lt;b&gt;x"):
        assert good in html, good
    assert "<th" in html and "row0" in html and 'class="row_heading' not in html  # index hidden


def test_appendix_and_notice_escape():
    a = appendix_html("Data <types>", "<table></table>")
    assert a.startswith('<details class="wb-appendix"><summary>Data &lt;types&gt;</summary>')
    assert "<table></table>" in a and a.endswith("</details>")
    assert "&lt;script&gt;" in notice_html("<script>")


def test_tidy_table_cells_only_whole_cells():
    html = ("<table><tr><td>nan</td><td> inf </td><td>2.34e-12</td><td>None</td>"
            "<td>nan is a word</td><td>12</td></tr></table><p>nan</p>")
    out = tidy_table_cells(html)
    assert out.count(f"<td>{MISSING}</td>") == 3
    assert "<td>&lt; 0.001</td>" in out
    assert "<td>nan is a word</td>" in out and "<p>nan</p>" in out and "<td>12</td>" in out


def test_css_tables_scroll_and_images_fit():
    assert "overflow-x:auto" in REPORT_CSS
    assert "img,iframe,svg,video{max-width:100%}" in REPORT_CSS


def test_drop_empty_sections():
    import nbformat.v4 as v4

    from workbench.report.export import drop_empty_sections

    stream = v4.new_output("stream", name="stdout", text="x")
    nb = v4.new_notebook(cells=[
        v4.new_markdown_cell("# Title"), v4.new_code_cell("print(1)", outputs=[stream]),
        v4.new_markdown_cell("## Empty section\n\nText."), v4.new_code_cell("pass"), v4.new_code_cell("pass"),
        v4.new_markdown_cell("## Full section"), v4.new_code_cell("print(2)", outputs=[stream]),
        v4.new_markdown_cell("## Methods\n\nOnly text."),
    ])
    assert drop_empty_sections(nb) == 1
    heads = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert heads == ["# Title", "## Full section", "## Methods"]


def test_top_groups_keeps_seven_and_other():
    from workbench.plots.groups import top_groups

    d = pd.DataFrame({"provider": [f"p{i}" for i in range(12) for _ in range(12 - i)], "x": 1.0})
    out = top_groups(d, "provider")
    assert out["provider"].nunique() == 8 and len(out) == len(d)
    assert set(out["provider"]) >= {"p0", "p6"} and "p7" not in set(out["provider"])
    assert (out["provider"] == "other (5 groups)").sum() == sum(12 - i for i in range(7, 12))
    few = d[d["provider"].isin([f"p{i}" for i in range(8)])]
    assert top_groups(few, "provider")["provider"].nunique() == 8  # 8 groups: nothing lumped
    w = pd.DataFrame({"g": list("abcdefghij"), "n": range(10)})
    assert set(top_groups(w, "g", weight="n", keep=2)["g"]) == {"j", "i", "other (8 groups)"}


def test_time_on_scene_lumps_many_agencies():
    import matplotlib

    matplotlib.use("Agg")
    from workbench.plots.response import plot_time_on_scene

    rng = np.random.default_rng(0)
    v = pd.DataFrame({"responder_type": [f"agency_{i}" for i in range(15) for _ in range(20)],
                      "on_scene_min": rng.gamma(2, 10, 300)})
    from workbench.sections.response import pool_groups

    fig = plot_time_on_scene(v.assign(responder_type=pool_groups(v["responder_type"])[0]))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 9 and labels[-1] == "other (7 groups)"


def test_quadrant_without_support_is_a_strip():
    import matplotlib

    matplotlib.use("Agg")
    from workbench import dosage
    from workbench.plots import dosage as pdz

    n = 12
    pop = np.full(n, 5000.0)
    shoot = np.arange(2, 26, 2, dtype=float)
    counts = pd.DataFrame({"area_id": [f"A{i}" for i in range(n)], "period": "all", "population": pop,
                           "resident_years": pop, "shootings": shoot, "patrol_hours": (0.1 + 40 * shoot / pop) * pop,
                           "victims": np.full(n, 3.0), "coresponder_visits": shoot, "police_contacts": np.nan})
    bal = dosage.balance(counts, n_draws=200)
    fig = pdz.plot_quadrant(bal, 11)
    w, h = fig.get_size_inches()
    assert h < 4 and "support not shown" in fig.axes[0].get_title(loc="left")
    counts["victims"] = shoot * 3  # support per victim the same everywhere: still a strip (issue 12 section 4)
    fig = pdz.plot_quadrant(dosage.balance(counts, n_draws=200), 11)
    assert fig.get_size_inches()[1] < 4 and "citywide rate everywhere" in fig.axes[0].get_title(loc="left")
    counts["coresponder_visits"] = shoot * np.tile([0.2, 1.0, 3.0], n // 3)  # support varies: the square
    fig = pdz.plot_quadrant(dosage.balance(counts, n_draws=200), 11)
    assert fig.get_size_inches()[1] > 6 and fig.axes[0].get_legend() is not None


def test_policy_table_category_codes_read_as_words():
    df = pd.DataFrame({"responder_type": ["community_health_worker", "police"], "name": ["Area_1 x", "b"]})
    html = policy_table(df).to_html()
    assert "community health worker" in html and "Area_1 x" in html  # data text with capitals kept


def test_format_rules_run_their_examples_and_live_on_the_ground_floor():
    import doctest

    import workbench.formatting as fmt
    from workbench.sections import format as sections_format

    assert doctest.testmod(fmt).failed == 0
    assert sections_format.policy_table is fmt.policy_table
