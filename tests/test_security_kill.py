"""A killed run leaves no person-level data behind (SIGTERM, SIGINT, SIGKILL).

A report run (the ``slow`` fixture notebook: the data snapshot is already in the staging folder
while it sleeps) is started as a separate process and signalled mid-notebook. SIGTERM and SIGINT
are seen by Python: the staging folder (private, 0700, holding the data snapshot) is removed and
the lock released before the process exits. SIGKILL is not seen: its staging folder is removed at
the start of the next run of *any* report in the same folder. The last good report is untouched
in every case.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench import __version__
from workbench.report import guard

GOOD = "<html><body>last good report</body></html>"

pytestmark = pytest.mark.xdist_group("kill")


def _last_good(target: Path) -> Path:
    target.mkdir(parents=True)
    (target / "index.html").write_text(GOOD)
    guard.write_marker(target, target.name, "policy", __version__)
    return target


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _staging(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if ".tmp-" in p.name)


def _start_slow_run(write_params, tmp_path: Path, target: Path) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / "slow-started"
    params = write_params("t", notebooks=("slow",),
                          notebook_parameters={"slow": {"seconds": 120, "marker": str(marker)}})
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "report", "--params", str(params), "--out", str(target), "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if not marker.exists():
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the slow notebook never started: {proc.stderr.read().decode()[-2000:]}")
    return proc, marker


def _check_private_snapshot(parent: Path) -> Path:
    (staging,) = _staging(parent)
    assert staging.stat().st_mode & 0o777 == 0o700
    assert any((staging / "_work" / "data").glob("people.*")), "no data snapshot in the staging folder"
    return staging


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, None)])
def test_terminated_run_removes_its_staging(write_params, tmp_path, signum, code):
    target = _last_good(tmp_path / "reports" / "t")
    proc, _ = _start_slow_run(write_params, tmp_path, target)
    try:
        _check_private_snapshot(target.parent)
        assert guard.read_lock(guard.lock_path(target))["pid"] == proc.pid
        os.kill(proc.pid, signum)  # the runner only (its kernel is a child of it)
        proc.wait(timeout=90)
        deadline = time.monotonic() + 15
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _group_alive(proc.pid), "the notebook's kernel outlived the run"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the kernel
        except ProcessLookupError:
            pass
        proc.wait()
    assert proc.returncode != 0
    if code is not None:
        assert proc.returncode == code
    assert _staging(target.parent) == []  # no person-level data left behind
    assert not guard.lock_path(target).exists()
    assert (target / "index.html").read_text() == GOOD
    assert sorted(p.name for p in target.parent.iterdir()) == ["t"]


def test_sigkilled_run_is_cleaned_by_the_next_run_of_another_report(write_params, tmp_path):
    from workbench.report import run_report

    target = _last_good(tmp_path / "reports" / "t")
    proc, _ = _start_slow_run(write_params, tmp_path, target)
    try:
        staging = _check_private_snapshot(target.parent)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its kernel: nothing can clean up
        proc.wait()
    assert staging.exists() and guard.lock_path(target).exists()  # a SIGKILL leaves both
    other = run_report(write_params("other"), out=target.parent / "other", progress=False)
    assert not staging.exists()  # removed by the run of another report in the same folder
    assert (target / "index.html").read_text() == GOOD and other.index.is_file()
    # the dead run's lock is stale: the next run of the same report takes it over
    again = run_report(write_params("t"), out=target, progress=False)
    assert again.index.is_file() and not guard.lock_path(target).exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["other", "t"]
