"""The report runner: atomic publication, failure path, killed runs, batches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from workbench import __version__
from workbench.data.dataset import Dataset
from workbench.report import NotebookError, run_batch, run_report
from workbench.report.commands import format_summary
from workbench.report.guard import write_marker
from workbench.report.publish import clean_stale

GOOD = "<html><body>last good report</body></html>"


def _last_good(target: Path) -> Path:
    """A previously published report (its bytes and the workbench's report marker)."""
    target.mkdir(parents=True)
    (target / "index.html").write_text(GOOD)
    write_marker(target, target.name, "policy", __version__)
    return target


def _leftovers(parent: Path) -> list[str]:
    """Hidden leftovers beside a report (a lock file of a killed run is stale, not a leftover)."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock"))


def test_run_publishes_index_and_replaces_old_report(write_params, tiny_city, tmp_path):
    target = _last_good(tmp_path / "reports" / "t")
    (target / "stale.txt").write_text("from the old report")
    result = run_report(write_params("t"), out=target, progress=False)

    assert result.index == target / "index.html"
    assert not (target / "stale.txt").exists()  # the old folder was replaced, not merged
    assert (target / "ok.html").is_file() and (target / "notebooks" / "ok.ipynb").is_file()
    assert not (target / "_work").exists()  # the data snapshot is never published
    index = result.index.read_text()
    fingerprint = Dataset.from_folder(tiny_city).fingerprint()
    assert result.fingerprint == fingerprint and fingerprint in index
    assert "Test t" in index and __version__ in index and 'href="ok.html"' in index
    assert "min_count: 11" in index  # rendered parameters
    started, finished = (datetime.fromisoformat(t) for t in (result.started, result.finished))
    assert started.tzinfo is not None and finished >= started
    assert [(r.name, r.status) for r in result.notebooks] == [("ok", "ok")]
    page = (target / "ok.html").read_text()
    assert "hello: True" in page
    assert "cwd: _work" in page  # the kernel ran in the run's scratch folder
    assert _leftovers(target.parent) == []


def test_failing_notebook_keeps_failed_copy_and_last_good_report(write_params, tmp_path):
    target = _last_good(tmp_path / "reports" / "t")
    with pytest.raises(NotebookError) as err:
        run_report(write_params("t", notebooks=("ok", "fail")), out=target, progress=False)
    e = err.value
    assert e.notebook == "fail" and e.cell_index is not None
    assert e.cell_source.startswith("raise ValueError")
    assert "deliberate failure for the test" in e.error and "ValueError" in e.error
    assert e.kept.parent == target.parent / "_failed" and e.kept.name.startswith("t-")
    assert (e.kept / "fail.ipynb").is_file()
    assert (target / "index.html").read_text() == GOOD
    assert sorted(p.name for p in target.iterdir()) == [".workbench-report.json", "index.html"]
    assert _leftovers(target.parent) == []


def test_killed_run_leaves_last_good_report(write_params, tmp_path):
    target = _last_good(tmp_path / "reports" / "t")
    marker = tmp_path / "slow-started"
    params = write_params("t", notebooks=("slow",),
                          notebook_parameters={"slow": {"seconds": 120, "marker": str(marker)}})
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "report", "--params", str(params), "--out", str(target),
         "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), "the slow notebook never started"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its kernel, mid-notebook
        proc.wait()
    assert (target / "index.html").read_text() == GOOD
    stale = _leftovers(target.parent)
    assert len(stale) == 1 and stale[0].startswith(".t.tmp-")
    assert [p.name for p in clean_stale(target)] == stale  # the next run tidies up
    assert _leftovers(target.parent) == []
    assert (target / "index.html").read_text() == GOOD


def test_batch_two_processes(write_params, tmp_path):
    write_params("one", name="a.yaml")
    write_params("two", name="b.yaml")
    (tmp_path / "c.yaml").write_text("run_name: three\ncolour: red\n")
    out = tmp_path / "reports"
    items = run_batch(str(tmp_path / "*.yaml"), out=str(out), jobs=2)
    assert [(Path(i.params).name, i.exit_code) for i in items] == [("a.yaml", 0), ("b.yaml", 0), ("c.yaml", 2)]
    assert (out / "one" / "index.html").is_file() and (out / "two" / "index.html").is_file()
    summary = format_summary(items)
    assert "c.yaml" in summary and "bad input" in summary and "Bad parameters" in summary


def test_batch_on_dask_cluster(write_params, tmp_path):
    distributed = pytest.importorskip("distributed")
    write_params("one", name="a.yaml")
    write_params("two", name="b.yaml", notebooks=["fail"])
    out = tmp_path / "reports"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        items = run_batch(str(tmp_path / "*.yaml"), out=str(out), scheduler=cluster.scheduler_address)
    assert [(i.run_name, i.exit_code, i.status) for i in items] == [("one", 0, "ok"), ("", 1, "failed")]
    assert "Notebook fail failed" in items[1].detail
    assert (out / "one" / "index.html").is_file() and not (out / "two").exists()
    assert any(p.name.startswith("two-") for p in (out / "_failed").iterdir())


def test_cell_timeout_names_the_cell(write_params, tmp_path):
    params = write_params("t", notebooks=("slow",), execution={"cell_timeout_s": 1},
                          notebook_parameters={"slow": {"seconds": 30, "marker": str(tmp_path / "m")}})
    with pytest.raises(NotebookError) as err:
        run_report(params, out=tmp_path / "reports" / "t", progress=False)
    assert err.value.notebook == "slow" and "imeout" in err.value.error
    assert err.value.cell_source.startswith("import pathlib, time")
    assert not (tmp_path / "reports" / "t").exists()


def test_synthetic_source_is_generated_once(tmp_path):
    import yaml

    from workbench.report import ensure_synthetic, load_params

    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({
        "run_name": "g", "title": "g", "notebooks": ["00_data_overview"],
        "data": {"name": "g", "source": "gen/tiny", "timezone": "America/Chicago",
                 "synthetic": {"scale": "tiny", "seed": 7}}}))
    params = load_params(p)
    assert ensure_synthetic(params) == tmp_path / "gen" / "tiny"
    meta = json.loads((tmp_path / "gen" / "tiny" / "dataset.json").read_text())
    from workbench.synth import GENERATOR_VERSION

    assert meta["synthetic"] == {"scale": "tiny", "seed": 7, "generator": GENERATOR_VERSION}
    assert ensure_synthetic(params) is None  # already there
    assert sorted(p.name for p in (tmp_path / "gen").iterdir()) == ["tiny"]  # no temp left


def test_kernel_start_failure_is_retried_then_succeeds(tmp_path):
    from workbench.report import runner

    calls = []

    def attempt():
        calls.append(1)
        if len(calls) < runner.KERNEL_START_ATTEMPTS:
            raise RuntimeError("Kernel died before replying to kernel_info")

    runner._retry_kernel_start(attempt, tmp_path / "missing.ipynb", "02_people")
    assert len(calls) == runner.KERNEL_START_ATTEMPTS


def test_kernel_start_failure_gives_up_after_the_last_attempt(tmp_path):
    from workbench.report import runner

    calls = []

    def attempt():
        calls.append(1)
        raise RuntimeError("zmq.error.ZMQError: Address already in use (addr='tcp://127.0.0.1:1')")

    with pytest.raises(RuntimeError, match="Address already in use"):
        runner._retry_kernel_start(attempt, tmp_path / "missing.ipynb", "02_people")
    assert len(calls) == runner.KERNEL_START_ATTEMPTS


def test_cell_errors_are_not_retried(tmp_path):
    from workbench.report import runner

    calls = []

    def attempt():
        calls.append(1)
        raise ValueError("bad value in a cell")

    with pytest.raises(ValueError):
        runner._retry_kernel_start(attempt, tmp_path / "missing.ipynb", "02_people")
    assert calls == [1]


def test_kernel_sockets_are_private_unix_sockets_removed_afterwards():
    from workbench.report import runner

    with runner.kernel_sockets() as kw:
        if os.name != "posix":
            assert kw == {}
            return
        km = kw["config"]["KernelManager"]
        assert km["transport"] == "ipc"
        folder = Path(km["ip"]).parent
        assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700
        assert len(km["ip"]) < runner._MAX_SOCKET_PATH
    assert not folder.exists()
