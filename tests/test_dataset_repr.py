"""A Dataset prints as a short summary (tables, rows, period, CRS, time zone), never its rows."""

from __future__ import annotations

from workbench.data.dataset import Dataset


def test_repr_is_a_summary_without_rows(tiny_dataset):
    text = repr(tiny_dataset)
    lines = text.splitlines()
    assert lines[0].startswith("Dataset 'tiny'") or lines[0].startswith("Dataset ")
    n = len(tiny_dataset["incidents"])
    assert any(line.split()[:1] == ["incidents"] and f"{n:,} rows" in line for line in lines)
    t = tiny_dataset["incidents"]["occurred_at"]
    assert f"{t.min():%Y-%m-%d} to {t.max():%Y-%m-%d}" in text
    assert tiny_dataset.timezone in text and tiny_dataset.crs in text and "metre" in text
    assert len(lines) < 20
    for table, col in (("people", "person_id"), ("incidents", "incident_id")):
        assert str(tiny_dataset[table][col].iloc[0]) not in text
    assert str(tiny_dataset) == text


def test_repr_html_escapes_and_shows_no_rows(tiny_dataset):
    import dataclasses

    ds = dataclasses.replace(tiny_dataset, name="<script>alert(1)</script>")
    page = ds._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<td>incidents</td>" in page and str(tiny_dataset["people"]["person_id"].iloc[0]) not in page


def test_repr_of_an_empty_dataset():
    ds = Dataset(tables={}, timezone="UTC", crs="not a crs", name="empty")
    text = repr(ds)
    assert "0 tables" in text and "no incident times" in text and "unknown unit" in text
