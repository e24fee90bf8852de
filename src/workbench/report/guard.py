"""Folder safety for report runs: the report marker, the run lock, private staging, path checks.

A run may only ever replace what the workbench itself made, and never leaves person-level data
behind:

- :data:`MARKER_FILE` is written into every report folder the runner publishes;
  :func:`check_replaceable` refuses an existing ``--out`` folder that does not carry it (an empty
  folder is accepted: there is nothing in it to lose).
- :func:`report_lock` holds an exclusive lock file beside the report folder
  (``.<name>.lock``, holding the pid, host and start time of the holder) for the whole run;
  a second run to the same folder is refused with :class:`ReportBusyError` naming the holder
  (or waits up to ``wait_s``). The lock is an ``flock``: the kernel releases it when its holder
  dies, so a lock file left by a killed run is stale by construction and is taken over.
- :func:`private_staging` creates the staging folder (mode 0700, beside the report folder,
  same file system for the atomic rename) with a :data:`STAGING_MARKER`, turns SIGTERM and
  SIGHUP into :class:`Terminated` (so ``finally`` blocks run) and removes the staging folder on
  every exit Python sees; :func:`clean_dead_staging` removes the staging of *every* dead run in
  the folder (a SIGKILL leaves one) at the start of the next run of any report there.
- :func:`check_within_roots` refuses paths that leave the allowed roots (:func:`allowed_roots`).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .publish import _pid_alive  # one liveness test for locks and leftovers

__all__ = [
    "LOCK_SUFFIX",
    "MARKER_FILE",
    "ROOTS_ENV",
    "STAGING_MARKER",
    "WAIT_ENV",
    "RunGuard",
    "FolderError",
    "ReportBusyError",
    "Terminated",
    "allowed_roots",
    "check_replaceable",
    "check_within_roots",
    "clean_dead_staging",
    "is_workbench_report",
    "lock_path",
    "private_staging",
    "read_lock",
    "report_lock",
    "terminate_on_signals",
    "write_marker",
]

log = logging.getLogger("workbench.report")

#: File in every published report folder: proof that the workbench made (and may replace) it.
MARKER_FILE = ".workbench-report.json"
#: File in every staging folder: proof that a leftover hidden folder is the workbench's staging.
STAGING_MARKER = ".workbench-staging"
#: ``.<report folder name>.lock`` beside the report folder.
LOCK_SUFFIX = ".lock"
#: Environment variable: seconds a run waits for another run of the same report (``--wait``).
WAIT_ENV = "WORKBENCH_LOCK_WAIT"
#: Environment variable: extra allowed roots for paths in parameter files (``os.pathsep``-separated).
ROOTS_ENV = "WORKBENCH_ROOTS"

#: Staging folders and reports renamed aside: ``.<name>.tmp-<pid>-<hex>``, ``.<name>.old-<pid>-<hex>``.
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")


class FolderError(ValueError):
    """An output folder or path the run must not touch; nothing was written.

    Parameters
    ----------
    where : str
        ``"out"`` or the parameter's field path.
    message : str
        What is wrong and how to fix it.
    """

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")


class ReportBusyError(RuntimeError):
    """Another run holds the lock of the same report folder."""


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM/SIGHUP so that cleanup (``finally``) runs.

    A :class:`SystemExit` with code ``128 + signal`` (the shell's convention): not caught by
    ``except Exception``.
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(128 + signum)


# -- the report marker ----------------------------------------------------------------------
def write_marker(folder: str | Path, run_name: str, audience: str, version: str) -> Path:
    """Write :data:`MARKER_FILE` into ``folder`` (a staging folder about to be published)."""
    path = Path(folder) / MARKER_FILE
    path.write_text(json.dumps({
        "workbench": "report", "run_name": run_name, "audience": audience, "version": version,
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }, indent=1), encoding="utf-8")
    return path


def is_workbench_report(folder: str | Path) -> bool:
    """True when ``folder`` carries a valid :data:`MARKER_FILE`."""
    try:
        meta = json.loads((Path(folder) / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("workbench") == "report"


def check_replaceable(target: str | Path) -> None:
    """Refuse an existing ``target`` the workbench did not make.

    Accepted: a path that does not exist, an empty folder, a folder with :data:`MARKER_FILE`.

    Raises
    ------
    FolderError
        ``target`` is a file, a symbolic link, or a folder without the marker.
    """
    target = Path(target)
    if target.is_symlink():
        raise FolderError("out", f"{target} is a symbolic link; give the real folder")
    if not target.exists():
        return
    if not target.is_dir():
        raise FolderError("out", f"{target} is a file, not a report folder; choose another --out")
    if is_workbench_report(target) or not any(target.iterdir()):
        return
    raise FolderError(
        "out",
        f"{target} exists and is not a workbench report (it has no {MARKER_FILE}); a report run "
        "never replaces a folder it did not make. Choose a new or empty folder for --out, or "
        "move that folder away first",
    )


# -- allowed roots -------------------------------------------------------------------------------
def _repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def allowed_roots(base_dir: str | Path | None = None) -> list[Path]:
    """Folders paths in a parameter file may point into.

    The parameter file's folder (``base_dir``), the current directory, the project folder (the
    one holding ``notebooks/`` of this installation) and its parent (shared data beside the
    checkout), and every folder in the environment variable :data:`ROOTS_ENV`.
    """
    roots = [Path.cwd(), _repo_root(), _repo_root().parent]
    if base_dir is not None:
        roots.append(Path(base_dir))
    roots += [Path(p) for p in os.environ.get(ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    out: list[Path] = []
    for r in roots:
        r = r.expanduser().resolve()
        if r not in out:
            out.append(r)
    return out


def check_within_roots(path: str | Path, roots: Iterable[Path], where: str) -> Path:
    """``path`` resolved (symbolic links followed); refused when it lies outside every root.

    Raises
    ------
    FolderError
        Naming the field, the path and the allowed roots.
    """
    resolved = Path(path).expanduser().resolve()
    roots = list(roots)
    if any(resolved == r or r in resolved.parents for r in roots):
        return resolved
    raise FolderError(
        where,
        f"{path} resolves to {resolved}, outside the allowed folders ({', '.join(map(str, roots))}); "
        f"move it inside one, or add its folder to the environment variable {ROOTS_ENV}",
    )


# -- the run lock ---------------------------------------------------------------------------
def lock_path(target: str | Path) -> Path:
    """``<parent>/.<name>.lock`` of the report folder ``target``."""
    target = Path(target)
    return target.parent / f".{target.name}{LOCK_SUFFIX}"


def read_lock(path: str | Path) -> dict:
    """What the lock file says about its holder (``{}`` when unreadable)."""
    try:
        meta = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _holder(meta: dict) -> str:
    if not meta:
        return "another run"
    return (f"pid {meta.get('pid', '?')} on {meta.get('host', '?')}, started {meta.get('started', '?')}"
            f" (run {meta.get('run_name', '?')!r})")


@contextmanager
def report_lock(target: str | Path, run_name: str = "", wait_s: float = 0.0) -> Iterator[Path]:
    """Hold the exclusive lock of the report folder ``target`` for the duration of the block.

    Parameters
    ----------
    target : path
        Report folder.
    run_name : str
        Written into the lock file with the pid, host name and start time.
    wait_s : float, default 0
        Seconds to wait for another holder before giving up (0: refuse at once).

    Raises
    ------
    ReportBusyError
        Another live run holds the lock; the message names it (pid, host, start time).
    """
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + max(0.0, wait_s)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                raise ReportBusyError(
                    f"report folder {Path(target)} is being written by {_holder(read_lock(path))}; "
                    f"wait for it to finish (lock file {path}). Two runs to one folder are never "
                    "allowed: the last writer would silently win"
                ) from None
            time.sleep(0.5)
            continue
        try:  # the file may have been unlinked by its previous holder between open and flock
            if os.fstat(fd).st_ino != os.stat(path).st_ino:
                raise FileNotFoundError
        except FileNotFoundError:
            os.close(fd)
            continue
        break
    stale = read_lock(path)
    if stale:
        log.warning("report %s: stale lock of a dead run taken over (%s)", target, _holder(stale))
    meta = {"pid": os.getpid(), "host": socket.gethostname(), "run_name": run_name,
            "started": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps(meta).encode())
    os.fsync(fd)
    try:
        yield path
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
        os.close(fd)


# -- private staging --------------------------------------------------------------------------------
_handler_lock = threading.Lock()


def _raise_terminated(signum, frame):  # noqa: ARG001
    raise Terminated(signum)


@contextmanager
def terminate_on_signals(signums: Iterable[int] = (signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` in the main thread.

    Python's default for SIGTERM ends the process without running ``finally`` blocks; with this
    handler the cleanup of the run (staging removal, lock release) runs. SIGINT already raises
    :class:`KeyboardInterrupt`. Outside the main thread (Dask workers) nothing is changed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _handler_lock:
        saved = {}
        for s in signums:
            if signal.getsignal(s) in (signal.SIG_DFL, None):
                saved[s] = signal.signal(s, _raise_terminated)
    try:
        yield
    finally:
        with _handler_lock:
            for s, old in saved.items():
                signal.signal(s, old)


def private_dir(path: str | Path) -> Path:
    """Make ``path`` (and missing parents) with its last two levels private (``0700``, whatever the umask).

    For folders that may hold person-level data outside a published report: ``reports/_failed/``
    and each failed run's folder in it (an executed notebook keeps its outputs).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.parent.stat().st_uid == os.getuid():
        os.chmod(path.parent, 0o700)
    path.mkdir(mode=0o700)
    os.chmod(path, 0o700)
    return path


def new_staging(target: str | Path) -> Path:
    """A new private (0700) staging folder ``.<name>.tmp-<pid>-<hex>`` beside ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    path.mkdir(mode=0o700)
    os.chmod(path, 0o700)  # whatever the umask
    (path / STAGING_MARKER).write_text(f"{os.getpid()}\n", encoding="utf-8")
    return path


def clean_dead_staging(folder: str | Path) -> list[Path]:
    """Remove the staging folders of dead runs of *any* report in ``folder``.

    Only hidden folders named like a staging folder (``.<name>.tmp-<pid>-<hex>``) whose pid is
    not alive and that carry :data:`STAGING_MARKER` (or are empty) are removed; a report renamed
    aside (``.<name>.old-<pid>-<hex>``) by a run killed mid-publish is renamed back when its
    folder is missing. Nothing else is touched.

    Returns
    -------
    list of Path
        What was removed or restored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    done = []
    for p in sorted(folder.iterdir()):
        m = _LEFTOVER.match(p.name)
        if not m or not p.is_dir() or p.is_symlink() or _pid_alive(int(m["pid"])):
            continue
        if m["kind"] == "old":
            home = folder / m["name"]
            if not home.exists():
                p.rename(home)
            else:
                shutil.rmtree(p, ignore_errors=True)
        elif (p / STAGING_MARKER).exists() or (p / MARKER_FILE).exists() or (p / "index.html").exists() \
                or not any(p.iterdir()):
            shutil.rmtree(p, ignore_errors=True)
        else:
            continue
        log.info("removed the leftovers of a dead run: %s", p)
        done.append(p)
    return done


@contextmanager
def private_staging(target: str | Path) -> Iterator[Path]:
    """A private staging folder beside ``target``, removed on every exit Python sees.

    Removes the staging folders of dead runs in the same folder first
    (:func:`clean_dead_staging`), then yields a new 0700 folder; SIGTERM and SIGHUP raise
    :class:`Terminated` inside the block (:func:`terminate_on_signals`), SIGINT raises
    :class:`KeyboardInterrupt`; on any of them, on errors and on success the folder is removed
    (after a successful publish it no longer exists). Only SIGKILL (or a power cut) can leave it:
    the next run of any report in the folder removes it.
    """
    target = Path(target)
    clean_dead_staging(target.parent)
    with terminate_on_signals():
        staging = new_staging(target)
        try:
            yield staging
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class RunGuard:
    """Lock + private staging of one run, as two calls (for a runner that keeps its own ``try``).

    ``staging = guard.start()`` takes the lock (:func:`report_lock`), checks the folder again
    under the lock (:func:`check_replaceable`), cleans dead staging and makes the private staging
    folder (:func:`private_staging`); ``guard.close()`` (in the runner's ``finally``) removes the
    staging folder and releases the lock. :meth:`published` opens a published *policy* report to
    the umask's permissions (a research report stays 0700).

    Parameters
    ----------
    target : path
        Report folder.
    run_name : str
        For the lock file.
    wait_s : float, optional
        Seconds to wait for another run of the same folder; default: the environment variable
        :data:`WAIT_ENV` (set by ``workbench report --wait``), else 0 (refuse at once).
    """

    def __init__(self, target: str | Path, run_name: str = "", wait_s: float | None = None):
        from contextlib import ExitStack

        self.target = Path(target)
        self.run_name = run_name
        if wait_s is None:
            try:
                wait_s = float(os.environ.get(WAIT_ENV, "0") or 0)
            except ValueError:
                wait_s = 0.0
        self.wait_s = wait_s
        self._stack = ExitStack()

    def start(self) -> Path:
        """Take the lock and return a new private staging folder."""
        try:
            self._stack.enter_context(report_lock(self.target, self.run_name, self.wait_s))
            check_replaceable(self.target)
            return self._stack.enter_context(private_staging(self.target))
        except BaseException:
            self._stack.close()
            raise

    def close(self) -> None:
        """Remove the staging folder (if still there) and release the lock."""
        self._stack.close()

    def published(self, audience: str) -> None:
        """Set the published folder's permissions: policy reports readable as the umask says."""
        if audience == "policy":
            mode = 0o777 & ~_umask()
            os.chmod(self.target, mode | 0o700)
