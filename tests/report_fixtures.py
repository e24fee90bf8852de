"""One tiny report with every section, shared by the offline and browser tests.

Built once per test session; with pytest-xdist the workers share it through a lock file in the
session's common temporary folder (the first worker builds, the others wait and reuse).
"""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import pytest
import yaml

NOTEBOOKS = ["00_data_overview", "01_places", "02_people", "03_response", "04_past_victims", "05_dosage"]


def build_tiny_report(tiny_city: Path, tmp: Path) -> Path:
    """Run the full report on the tiny city into ``tmp/reports/tiny``; return the folder."""
    from workbench.report import run_report

    params = tmp / "tiny.yaml"
    params.write_text(yaml.safe_dump({
        "run_name": "tiny", "title": "Tiny city",
        "data": {"name": "tiny", "source": str(tiny_city), "timezone": "America/Chicago"},
        "notebooks": NOTEBOOKS,
        "notebook_parameters": {"01_places": {"permutations": 99, "kde_cell_m": 100}},
    }))
    result = run_report(params, out=tmp / "reports" / "tiny", progress=False)
    assert [r.status for r in result.notebooks] == ["ok"] * len(NOTEBOOKS), result.notebooks
    return result.out


_BUILT: dict[str, Path] = {}  # one build per process, whichever test module asks first


@pytest.fixture(scope="session")
def tiny_report(tiny_city, tmp_path_factory, worker_id) -> Path:
    """Folder of the tiny city's full report (index.html, summary.json, one page per section)."""
    if "report" in _BUILT:
        return _BUILT["report"]
    if worker_id == "master":  # no xdist
        _BUILT["report"] = build_tiny_report(tiny_city, tmp_path_factory.mktemp("tiny_report"))
        return _BUILT["report"]
    shared = tmp_path_factory.getbasetemp().parent / "tiny_report"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = shared / "reports" / "tiny" / "index.html"
            if not done.is_file():
                shutil.rmtree(shared / "reports", ignore_errors=True)
                build_tiny_report(tiny_city, shared)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _BUILT["report"] = shared / "reports" / "tiny"
    return _BUILT["report"]
