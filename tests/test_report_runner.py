"""The report runner: atomic publication, failure path, killed runs, batches."""

from __future__ import annotations

import json
import os
import re
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
    # a failed notebook may hold person-level rows: _failed and its run folder are private (0700)
    assert (e.kept.stat().st_mode & 0o777) == 0o700 and (e.kept.parent.stat().st_mode & 0o777) == 0o700
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


# -- scheduling: notebooks at once, written once, run.log, quiet kernels --------------------------

def _notebook(folder: Path, name: str, *cells: str) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(metadata={"kernelspec": {"name": "workbench", "display_name": "workbench",
                                               "language": "python"}})
    first = new_code_cell('data_dir = None\nrun_name = "x"\ntitle = "x"\nmin_count = 11\nfolder = ""')
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first] + [new_code_cell(c) for c in cells]
    nbformat.write(nb, folder / f"{name}.ipynb")


def _meeting_notebooks(folder: Path) -> Path:
    """Notebooks ``a`` and ``b``: each announces itself, then waits for the other (so both must run
    at the same time), and ``loud`` that writes to the kernel process's own stderr."""
    folder.mkdir()
    for me, other in (("a", "b"), ("b", "a")):
        _notebook(folder, me,
                  f"import pathlib, time\nd = pathlib.Path(folder)\n(d / '{me}').write_text('here')\n"
                  f"t = time.monotonic()\nwhile not (d / '{other}').exists() and time.monotonic() - t < 60:\n"
                  "    time.sleep(0.05)\n"
                  f"met = (d / '{other}').exists()",
                  "import os\nprint('met:', met, 'blas:', os.environ.get('OPENBLAS_NUM_THREADS'))")
    _notebook(folder, "loud", "import os\nos.write(2, b'KERNEL-OWN-STDERR\\n')", "print('loud done')")
    return folder


def test_independent_notebooks_run_at_the_same_time_and_are_written_once(write_params, tmp_path, monkeypatch):
    import nbformat
    import papermill.engines
    import papermill.execute

    writes: list[str] = []
    for module in (papermill.execute, papermill.engines):
        original = module.write_ipynb
        monkeypatch.setattr(module, "write_ipynb",
                            lambda nb, path, _o=original: (writes.append(Path(path).name), _o(nb, path))[1])
    meet = tmp_path / "meet"
    params = write_params("t", notebooks=("a", "b"), notebooks_dir=_meeting_notebooks(tmp_path / "nbs"),
                          notebook_parameters={"a": {"folder": str(meet)}, "b": {"folder": str(meet)}})
    meet.mkdir()
    result = run_report(params, out=tmp_path / "reports" / "t", progress=False, jobs=2)

    assert result.jobs == 2 and [(r.name, r.status) for r in result.notebooks] == [("a", "ok"), ("b", "ok")]
    for name in ("a", "b"):
        page = (result.out / f"{name}.html").read_text()
        assert "met: True" in page  # both were running at once
        assert "blas: 1" in page  # kernels sharing the cores get one BLAS thread each
        nb = nbformat.read(result.out / "notebooks" / f"{name}.ipynb", 4)
        assert [c.metadata.papermill["status"] for c in nb.cells] == ["completed"] * len(nb.cells)
    assert sorted(writes) == ["a.ipynb", "b.ipynb"]  # once each, not after every cell
    assert set(result.stages) >= {"load", "snapshot", "notebooks", "summary", "index", "publish", "total"}
    assert result.stages["notebooks"] <= result.stages["total"]
    log_lines = (result.out / "run.log").read_text().splitlines()
    for name in ("a", "b"):
        assert any(line.split()[1:3] == [name, "started"] for line in log_lines)
        assert any(line.split()[1:3] == [name, "finished"] for line in log_lines)


def test_large_data_runs_one_copy_at_a_time_and_logs_each_kernel_peak(write_params, tmp_path):
    """Over ``execution.parallel_max_mb`` the summary is computed first and the notebooks run one at
    a time (so two notebooks never meet), and every notebook's kernel peak memory is logged."""
    import sys

    meet, nbs = tmp_path / "meet", tmp_path / "nbs"
    meet.mkdir()
    nbs.mkdir()
    for me, other in (("a", "b"), ("b", "a")):  # each looks for the other for 2 s: alone, it never finds it
        _notebook(nbs, me, f"import pathlib, time\nd = pathlib.Path(folder)\n(d / '{me}').write_text('here')\n"
                  f"t = time.monotonic()\nwhile not (d / '{other}.done').exists() and time.monotonic() - t < 2:\n"
                  f"    time.sleep(0.05)\nseen = (d / '{other}').exists()\n(d / '{me}.done').write_text('')",
                  "import os\nprint('saw the other running:', seen, 'kernel', os.getpid())")
    params = write_params("t", notebooks=("a", "b"), notebooks_dir=nbs,
                          notebook_parameters={"a": {"folder": str(meet)}, "b": {"folder": str(meet)}},
                          execution={"cell_timeout_s": 120, "parallel_max_mb": 0})
    t0 = __import__("time").monotonic()
    result = run_report(params, out=tmp_path / "reports" / "t", progress=False, jobs=2)
    assert result.jobs == 1 and [r.status for r in result.notebooks] == ["ok", "ok"]
    pages = [(result.out / f"{r.name}.html").read_text() for r in result.notebooks]
    # the first to run never saw the other one running
    assert sum("saw the other running: False" in page for page in pages) == 1
    pids = {re.search(r"kernel (\d+)", page).group(1) for page in pages}
    assert len(pids) == 2  # each on a new kernel: a large dataset's heap is not carried over
    log_text = (result.out / "run.log").read_text()
    assert "summary first, then one notebook at a time" in log_text and "summary computed in" in log_text
    assert log_text.index("summary computed in") < log_text.index(" started\n")
    if sys.platform.startswith("linux"):
        assert all(r.peak_mb is not None and 30 < r.peak_mb < 4096 for r in result.notebooks)
        assert log_text.count("kernel peak") == 2
    assert __import__("time").monotonic() - t0 < 200


def test_kernel_process_output_goes_to_a_log_not_the_terminal(write_params, tmp_path, capfd):
    params = write_params("t", notebooks=("loud",), notebooks_dir=_meeting_notebooks(tmp_path / "nbs"))
    result = run_report(params, out=tmp_path / "reports" / "t", progress=False)
    assert result.notebooks[0].status == "ok"
    out, err = capfd.readouterr()
    assert "KERNEL-OWN-STDERR" not in out + err
    assert out == ""  # progress=False: nothing printed


def test_first_failure_in_parameter_order_is_raised_and_kept(write_params, tmp_path):
    target = _last_good(tmp_path / "reports" / "t")
    with pytest.raises(NotebookError) as err:
        run_report(write_params("t", notebooks=("fail", "ok")), out=target, progress=False, jobs=2)
    assert err.value.notebook == "fail" and (err.value.kept / "fail.ipynb").is_file()
    assert (err.value.kept / "fail.kernel.log").is_file()  # the kernel's own output, kept with it
    assert (target / "index.html").read_text() == GOOD
    assert _leftovers(target.parent) == []


def test_notebook_order_is_longest_first():
    from workbench.report.runner import notebook_order

    names = ["00_data_overview", "01_places", "02_people", "mine"]
    assert notebook_order(names) == ["02_people", "01_places", "mine", "00_data_overview"]
    previous = {"00_data_overview": 30.0, "02_people": 1.0}  # the last report's own timings win
    assert notebook_order(names, previous)[0] == "00_data_overview"
    assert notebook_order(names, previous)[-1] == "02_people"


def test_previous_durations_come_from_the_last_reports_run_log(write_params, tmp_path):
    from workbench.report.runner import _previous_durations

    target = tmp_path / "reports" / "t"
    run_report(write_params("t", notebooks=("ok",)), out=target, progress=False)
    seen = _previous_durations(target)
    assert set(seen) == {"ok"} and seen["ok"] > 0


def test_batch_prints_a_line_per_notebook_unless_quiet(write_params, tmp_path, capfd):
    write_params("one", name="a.yaml")
    out = tmp_path / "reports"
    items = run_batch(str(tmp_path / "a.yaml"), out=str(out), quiet=False)
    assert [i.exit_code for i in items] == [0]
    printed = capfd.readouterr().out.splitlines()
    assert "[one] ok started" in printed
    assert any(line.startswith("[one] ok finished") and line.split()[3].replace(".", "").isdigit()
               for line in printed)
    assert (out / "one" / "run.log").is_file()  # each run folder keeps its own log
    items = run_batch(str(tmp_path / "a.yaml"), out=str(out), quiet=True)
    assert [i.exit_code for i in items] == [0]
    assert capfd.readouterr().out == ""


def test_warm_kernel_runs_the_next_notebook_in_an_empty_namespace(write_params, tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder, "first", "import os\nleft_over = 42\nimport matplotlib.pyplot as plt\nfig = plt.figure()",
              "print('pid:', os.getpid())")
    _notebook(folder, "second", "import os\nimport matplotlib.pyplot as plt",
              "print('pid:', os.getpid(), 'left over:', 'left_over' in globals(), 'figures:', len(plt.get_fignums()))")
    params = write_params("t", notebooks=("first", "second"), notebooks_dir=folder)
    result = run_report(params, out=tmp_path / "reports" / "t", progress=False, jobs=1)
    pages = {r.name: (result.out / f"{r.name}.html").read_text() for r in result.notebooks}
    pid = re.search(r"pid: (\d+)", pages["first"]).group(1)
    assert f"pid: {pid} left over: False figures: 0" in pages["second"]  # same kernel, clean slate
    cold = run_report(params, out=tmp_path / "reports" / "cold", progress=False, jobs=1, warm_kernels=False)
    second = (cold.out / "second.html").read_text()
    assert "left over: False" in second and re.search(r"pid: (\d+)", second).group(1) != \
        re.search(r"pid: (\d+)", (cold.out / "first.html").read_text()).group(1)


def test_run_log_lines_are_redacted(tmp_path):
    """Whatever a run-log line carries (a summary problem quoting a connection URL), no password
    reaches ``run.log``."""
    from workbench.report.runner import _RunLog

    log = _RunLog(tmp_path / "run.log", "t", False)
    log("summary", "could not connect to postgresql://analyst:s3cret@db.city.gov/shootings")
    text = (tmp_path / "run.log").read_text()
    assert "s3cret" not in text and "postgresql://analyst:***@db.city.gov/shootings" in text
