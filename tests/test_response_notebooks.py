"""Notebooks 03_response and 04_past_victims end to end (papermill through the report runner)."""

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

NOTEBOOKS = ["03_response", "04_past_victims"]


def _params(tmp_path: Path, source: Path, name: str = "tiny", **nb_params) -> Path:
    return notebook_report_params(tmp_path, source, NOTEBOOKS, name, **nb_params)




def test_parameters_cells():
    assert notebook_parameter_names(DEFAULT_NOTEBOOKS_DIR / "03_response.ipynb") == set(RESERVED_PARAMETERS) | {
        "start", "end", "program_start", "followup_window_days", "lost_after_days", "censoring", "landmark_days",
        "weighted"}
    assert notebook_parameter_names(DEFAULT_NOTEBOOKS_DIR / "04_past_victims.ipynb") == set(RESERVED_PARAMETERS) | {
        "program_start", "as_of", "researcher_mode", "horizon_days", "top_n"}


@pytest.mark.slow
def test_reports_on_tiny_city(tiny_city, tmp_path):
    out = tmp_path / "reports" / "tiny"
    result = run_report(_params(tmp_path, tiny_city), out=out, progress=False)  # privacy scan inside
    assert [r.status for r in result.notebooks] == ["ok", "ok"]
    page = (out / "03_response.html").read_text()
    text = html_text(page)
    for s in ("Who responds, and how fast", "Time on scene", "Data checks", "Time to engagement",
              "Proportional-hazards check", "check_assumptions", "Fine-Gray", "Aalen-Johansen",
              "St. Louis", "17%", "not a random subset", "to protect privacy", "program start"):
        assert s in text, s
    assert page.count("<img ") >= 6
    assert "Traceback" not in text and "Error" not in text
    import nbformat

    for name in NOTEBOOKS:  # no warnings or errors printed
        nb = nbformat.read(out / "notebooks" / f"{name}.ipynb", 4)
        streams = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("name") == "stderr" or o.get("output_type") == "error"]
        assert not streams, streams[:1]
    past = (out / "04_past_victims.html").read_text()
    ptext = html_text(past)
    for s in ("Where they live", "How long ago", "Still unreached", "researcher mode is off"):
        assert s in ptext, s
    assert "P0" not in ptext  # no person ids (the runner's scan also checked)


@pytest.mark.slow
def test_skip_cleanly_without_responses(tiny_city, tmp_path):
    from workbench.data.dataset import Dataset

    ds = Dataset.from_folder(tiny_city)
    tables = {k: v for k, v in ds.tables.items() if k not in ("responses", "referrals", "followups")}
    src = Dataset(tables=tables, timezone=ds.timezone, crs=ds.crs, name="noresp").to_folder(tmp_path / "noresp")
    out = tmp_path / "reports" / "noresp"
    result = run_report(_params(tmp_path, src, "noresp"), out=out, progress=False)
    assert [r.status for r in result.notebooks] == ["ok", "ok"]
    page = html_text((out / "03_response.html").read_text())
    assert "There are no response records in these data" in page
    assert (out / "04_past_victims.html").read_text().count("<img ") == 0
    assert "there are no response records" in html_text((out / "04_past_victims.html").read_text())
    # re-victimization needs only victims: it is still shown
    assert "People followed" in page


@pytest.mark.slow
def test_researcher_mode_shows_the_list(tiny_city, tmp_path):
    import nbformat
    import papermill as pm

    from workbench.report.kernel import ensure_kernel, kernel_environment
    from workbench.report.runner import kernel_sockets

    ensure_kernel()
    out = tmp_path / "04.ipynb"
    with kernel_environment() as kernel, kernel_sockets() as sockets:  # no TCP port race with other workers
        pm.execute_notebook(str(DEFAULT_NOTEBOOKS_DIR / "04_past_victims.ipynb"), str(out),
                            parameters={"data_dir": str(tiny_city), "researcher_mode": True, "top_n": 5},
                            kernel_name=kernel, progress_bar=False, cwd=str(tmp_path), **sockets)
    nb = nbformat.read(out, 4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "risk" in html and re.search(r"P\d{6}", html)


@pytest.mark.slow
@pytest.mark.philadelphia
def test_philadelphia_says_so(philadelphia_report):
    out = philadelphia_report
    page = (out / "03_response.html").read_text()
    assert "There are no response records in these data" in html_text(page)
    assert (out / "04_past_victims.html").read_text().count("<img ") == 0
