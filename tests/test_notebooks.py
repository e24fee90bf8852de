"""The report notebooks end to end: tiny synthetic city (fast) and Philadelphia (slow, real data)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.report import run_report
from workbench.report.params import DEFAULT_NOTEBOOKS_DIR



def _code_free(html: str) -> None:
    """No code cell shows its input, no prompts, no source code text."""
    cells = re.findall(r'<div[^>]*class="jp-Cell jp-CodeCell[^"]*"[^>]*>(.*?)(?=<div[^>]*class="jp-Cell |</main>)',
                       html, flags=re.S)
    assert cells, "no code cells found"
    for cell in cells:
        assert 'class="jp-InputArea' not in cell
    assert 'class="jp-InputPrompt' not in html and 'class="jp-OutputPrompt' not in html
    assert 'class="jp-CodeMirrorEditor' not in html and 'class="highlight' not in html
    for code in ("import matplotlib", "overview_section(", "Dataset.from_folder", "min_count = 11"):
        assert code not in html


def _overview_params(tmp_path: Path, source: Path, **data) -> Path:
    import yaml

    p = tmp_path / "overview.yaml"
    p.write_text(yaml.safe_dump({
        "run_name": "tiny", "title": "Tiny city",
        "data": {"name": "tiny", "source": str(source), "timezone": "America/Chicago", **data},
        "notebooks": ["00_data_overview"],
        "notebook_parameters": {"00_data_overview": {"start": "2024-01-01"}},
    }))
    return p


def test_overview_report_on_tiny_city(tiny_city, tmp_path):
    out = tmp_path / "reports" / "tiny"
    result = run_report(_overview_params(tmp_path, tiny_city), out=out, progress=False)
    assert result.index.is_file() and [r.status for r in result.notebooks] == ["ok"]
    page = (out / "00_data_overview.html").read_text()
    _code_free(page)
    assert "<title>Tiny city: 00_data_overview</title>" in page
    for text in ("Incidents by month and kind", "Data quality", "Where incidents happen",
                 "Reading the numbers", "to protect privacy", "per 1,000 residents",
                 "Who is shot", "Victims by age group", "per 100,000 residents a year"):
        assert text in page
    assert page.count("<img ") == 3  # monthly chart, rate map, density
    assert "DataEnd(" not in page  # a cell's last value is not echoed
    assert (out / "notebooks" / "00_data_overview.ipynb").is_file()
    assert 'href="00_data_overview.html"' in result.index.read_text()


def test_notebook_parameters_cell_matches_runner():
    from workbench.report.params import RESERVED_PARAMETERS, notebook_parameter_names

    names = notebook_parameter_names(DEFAULT_NOTEBOOKS_DIR / "00_data_overview.ipynb")
    assert names == set(RESERVED_PARAMETERS) | {"start", "end"}


@pytest.mark.slow
@pytest.mark.philadelphia
def test_overview_report_on_philadelphia(philadelphia_report):
    out = philadelphia_report
    page = (out / "00_data_overview.html").read_text()
    _code_free(page)
    assert "no arrests" in page and "no response records" in page  # said, not crashed
    assert "per km²" in page  # neighborhoods have no population
    assert "Victims by race/ethnicity" in page and "no residents by race/ethnicity" in page
    assert "record no shots fired" in page
