"""Atomic publication of a report folder.

A run writes everything into a staging folder *beside* the target (same file system), and
:func:`publish` swaps it in only when the whole run succeeded: the old report is renamed
aside, the new one renamed in, the old one removed. A run that dies (even by SIGKILL) leaves
at most a hidden staging folder, never a half-written report; :func:`clean_stale` removes
what dead runs left behind and restores a report that was renamed aside but not replaced.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

__all__ = ["clean_stale", "publish", "staging_dir"]

_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sibling(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def staging_dir(target: str | Path) -> Path:
    """Create and return a new hidden staging folder beside ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    path = _sibling(target, "tmp")
    path.mkdir()
    return path


def clean_stale(target: str | Path) -> list[Path]:
    """Remove staging folders of dead runs for ``target``; restore a report left aside.

    Returns
    -------
    list of Path
        What was removed or restored.
    """
    target = Path(target)
    if not target.parent.is_dir():
        return []
    done = []
    for p in sorted(target.parent.iterdir()):
        m = _LEFTOVER.match(p.name)
        if not m or m["name"] != target.name or _pid_alive(int(m["pid"])):
            continue
        if m["kind"] == "old" and not target.exists():
            p.rename(target)  # killed between "rename old aside" and "rename new in"
        else:
            shutil.rmtree(p, ignore_errors=True)
        done.append(p)
    return done


def publish(staging: str | Path, target: str | Path) -> Path:
    """Replace ``target`` by ``staging`` with renames only.

    Parameters
    ----------
    staging : path
        Complete new report (beside ``target``, same file system).
    target : path
        Report folder to replace (may not exist yet).

    Returns
    -------
    Path
        ``target``.
    """
    staging, target = Path(staging), Path(target)
    old = None
    if target.exists():
        old = _sibling(target, "old")
        target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        if old is not None and not target.exists():
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target
