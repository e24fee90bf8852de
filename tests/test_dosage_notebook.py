"""Notebook 05_dosage end to end through the report runner (papermill, privacy scan inside)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import html_text, notebook_report_params

from workbench.report import run_report
from workbench.report.params import (
    DEFAULT_NOTEBOOKS_DIR,
    RESERVED_PARAMETERS,
    notebook_parameter_names,
)

NB = "05_dosage"
PARAMETERS = {"start", "end", "program_start", "police_measure", "support_measure", "police_high", "support_low",
              "min_probability", "exposure_radius_m", "change_outcome", "program_areas", "reach_share",
              "trend_freq", "top_n", "seed"}


def _params(tmp_path: Path, source: Path, name: str = "tiny", min_count: int = 11, **nb_params) -> Path:
    extra = {NB: nb_params} if nb_params else {}
    return notebook_report_params(tmp_path, source, [NB], name, min_count, **extra)




def _no_errors(out: Path) -> None:
    import nbformat

    nb = nbformat.read(out / "notebooks" / f"{NB}.ipynb", 4)
    streams = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if o.get("name") == "stderr" or o.get("output_type") == "error"]
    assert not streams, streams[:1]


def test_parameters_cell():
    assert notebook_parameter_names(DEFAULT_NOTEBOOKS_DIR / f"{NB}.ipynb") == set(RESERVED_PARAMETERS) | PARAMETERS


@pytest.mark.slow
def test_dosage_report_on_tiny_city(tiny_city, tmp_path):
    out = tmp_path / "reports" / "tiny"
    result = run_report(_params(tmp_path, tiny_city, trend_freq="Q"), out=out, progress=False)
    assert [r.status for r in result.notebooks] == ["ok"]
    page = (out / f"{NB}.html").read_text()
    text = html_text(page)
    for s in ("Police dose against support dose", "Where the balance classes are", "Areas most out of balance",
              "Change after the program start", "Caveats", "parallel trends", "Reading the numbers",
              "patrol records", "to protect privacy", "empirical Bayes", "starting at the program start"):
        assert s in text, s
    assert page.count("<img ") == 3  # quadrant, map, trends
    assert "Traceback" not in text and "Error" not in text
    assert not re.search(r"\bP\d{6}\b", text)  # no person ids
    _no_errors(out)


@pytest.mark.slow
def test_dosage_skips_cleanly_without_support_records(tiny_city, tmp_path):
    from workbench.data.dataset import Dataset

    ds = Dataset.from_folder(tiny_city)
    tables = {k: v for k, v in ds.tables.items() if k not in ("patrols", "responses", "referrals", "followups")}
    src = Dataset(tables=tables, timezone=ds.timezone, crs=ds.crs, name="nosupport").to_folder(tmp_path / "nos")
    out = tmp_path / "reports" / "nos"
    result = run_report(_params(tmp_path, src, "nos"), out=out, progress=False)
    assert [r.status for r in result.notebooks] == ["ok"]
    page = (out / f"{NB}.html").read_text()
    text = html_text(page)
    assert "no patrol records" in text and "no response records" in text and "no referrals" in text
    assert "the sections below are skipped" in text
    assert page.count("<img ") == 0
    _no_errors(out)


@pytest.mark.slow
@pytest.mark.philadelphia
def test_philadelphia_says_so(philadelphia_report):
    out = philadelphia_report
    text = html_text((out / f"{NB}.html").read_text())
    assert "no patrol records" in text and "the sections below are skipped" in text
    _no_errors(out)


def test_notebook_is_parameters_calls_and_prose():
    """Issue 12 section 5: under 80 lines of code, no page rule written in the notebook, the fits
    under ``cautions`` so that typed warnings reach the page, no bare ``except``."""
    import nbformat

    nb = nbformat.read(DEFAULT_NOTEBOOKS_DIR / f"{NB}.ipynb", 4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert sum(len(s.splitlines()) for s in code) < 80
    src = "\n".join(code)
    for banned in ("def ", "except", "simplefilter", "suppress_counts", "policy_table", ">= min_count"):
        assert banned not in src, banned
    for fit in ("the balance estimate", "the before/after estimate", "the pre-period check"):
        assert f'with cautions("{fit}")' in src, fit
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert headings == ["# Dosage: police presence, support and need", "## Need, police dose and support dose",
                        "## Police dose against support dose", "## Where the balance classes are",
                        "## Areas most out of balance", "## Change after the program start",
                        "## Reading the numbers", "## Methods and caveats"]
