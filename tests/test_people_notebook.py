"""Notebook 02_people end to end (papermill through the report runner), and its plots."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from conftest import html_text, notebook_report_params

from workbench.report import run_report
from workbench.report.params import (
    DEFAULT_NOTEBOOKS_DIR,
    RESERVED_PARAMETERS,
    notebook_parameter_names,
)

PARAMETERS = {"as_of", "cutoffs", "n_cutoffs", "horizon_days", "top_share", "top_k", "refit_months",
              "fairness_bound", "min_group_size", "n_boot", "researcher_mode", "top_n"}


def _params(tmp_path: Path, source: Path, name: str = "tiny", **nb) -> Path:
    return notebook_report_params(tmp_path, source, ["02_people"], name, **{"02_people": nb})




def test_parameters_cell():
    names = notebook_parameter_names(DEFAULT_NOTEBOOKS_DIR / "02_people.ipynb")
    assert names == set(RESERVED_PARAMETERS) | PARAMETERS


def test_people_report_on_tiny_city(tiny_city, tiny_dataset, tmp_path):
    out = tmp_path / "reports" / "tiny"
    params = _params(tmp_path, tiny_city, horizon_days=60, n_cutoffs=4, refit_months=2, n_boot=3,
                     min_group_size=10)
    result = run_report(params, out=out, progress=False)  # the privacy scan runs inside
    assert [r.status for r in result.notebooks] == ["ok"]
    page = (out / "02_people.html").read_text()
    text = html_text(page)
    for s in ("The co-arrest network", "Exposure to recent victims", "63.1%", "4,107", "125 days",
              "One cascade", "person A", "Would a risk list have found the next victims?",
              "Fairness audit", "researcher mode is off", "Contagion (network Hawkes)", "Who is shot"):
        assert s in text or s in page, s
    assert page.count("<img ") >= 3
    assert "Traceback" not in text and "Error" not in text
    # no person id anywhere in the policy page
    ids = set(tiny_dataset["people"]["person_id"].astype(str))
    tokens = set(re.findall(r"[A-Za-z0-9_\-]+", page))
    assert not ids & tokens


def test_people_report_skips_without_arrests(tiny_dataset, tmp_path):
    from workbench.data.dataset import Dataset

    tables = {k: v for k, v in tiny_dataset.tables.items() if k != "arrests"}
    src = Dataset(tables=tables, timezone=tiny_dataset.timezone, crs=tiny_dataset.crs,
                  name="noarrests").to_folder(tmp_path / "noarrests")
    out = tmp_path / "reports" / "noarrests"
    result = run_report(_params(tmp_path, src, "noarrests"), out=out, progress=False)
    assert [r.status for r in result.notebooks] == ["ok"]
    text = html_text((out / "02_people.html").read_text())
    assert "no arrest records" in text and "skipped" in text
    assert "<img " not in (out / "02_people.html").read_text()


@pytest.mark.slow
@pytest.mark.philadelphia
def test_people_report_on_philadelphia(philadelphia_report):
    out = philadelphia_report
    text = html_text((out / "02_people.html").read_text())
    assert "no arrest records" in text and "skipped" in text


def test_cascade_plot_uses_letters_only():
    from workbench.plots import people as pp
    from workbench.sections.people import _letters, cascade_people

    events = pd.DataFrame({
        "event_id": ["e1", "e2", "e3", "e4"], "person_id": ["P9", "P7", "P8", "P7"],
        "t": [10.0, 40.0, 100.0, 130.0], "source_event": [None, "e1", "e2", "e3"],
        "delay_days": [np.nan, 30.0, 60.0, 30.0], "cascade_id": [3, 3, 3, 3], "generation": [0, 1, 2, 3],
    })
    nodes, edges = cascade_people(events, 3)
    assert nodes["label"].tolist() == ["A", "B", "C"]
    assert nodes.set_index("label").loc["B", "n_shootings"] == 2
    assert nodes["day"].tolist() == [0.0, 30.0, 90.0]
    assert edges[["source", "target"]].values.tolist() == [["A", "B"], ["B", "C"], ["C", "B"]]
    fig = pp.plot_cascade(nodes, edges)
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "person A" in texts and "P7" not in texts
    assert _letters(25) == "Z" and _letters(26) == "AA"


def test_notebook_is_calls_and_prose():
    """Issue 12 §5: under 80 lines of code, fits inside cautions(), no catch-all and no page helpers."""
    import nbformat

    nb = nbformat.read(DEFAULT_NOTEBOOKS_DIR / "02_people.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert len(code.splitlines()) < 80
    for banned in ("except Exception", "simplefilter", "catch_warnings", "def show", "def skip", "def pct",
                   "suppress_counts", "NetworkHawkes", "rolling_evaluation"):
        assert banned not in code, banned
    assert 'with cautions("the contagion model"):' in code and 'with cautions("the forward evaluation"):' in code
    headings = [ln for c in nb.cells if c.cell_type == "markdown" for ln in c.source.splitlines() if ln.startswith("#")]
    assert headings == ["# People at risk: networks, contagion and risk lists", "## The co-arrest network",
                        "## Exposure to recent victims", "## Contagion: do shootings spread along ties?",
                        "### One cascade", "## Would a risk list have found the next victims?", "### Calibration",
                        "## Who is shot", "## Fairness audit", "## Risk list (researchers only)",
                        "## Methods and caveats"]
