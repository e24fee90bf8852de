"""The Jupyter kernel reports run in: always *this* interpreter.

:func:`ensure_kernel` installs a kernelspec named :data:`KERNEL_NAME` into ``sys.prefix``
whose ``argv`` starts with :data:`sys.executable`, and :func:`kernel_environment` puts
``sys.prefix/share/jupyter`` first on ``JUPYTER_PATH`` while papermill runs, so a kernelspec of
the same name elsewhere (``~/.local/share/jupyter``, a conda base) can never win and a report
never runs in some other Python.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["KERNEL_NAME", "ensure_kernel", "kernel_environment", "kernel_spec_dir"]

#: Name of the kernelspec the runner passes to papermill.
KERNEL_NAME = "workbench"
DISPLAY_NAME = "Python (workbench)"


def _data_dir() -> Path:
    return Path(sys.prefix) / "share" / "jupyter"


def kernel_spec_dir() -> Path:
    """Folder of the kernelspec in this environment (``<sys.prefix>/share/jupyter/kernels/workbench``)."""
    return _data_dir() / "kernels" / KERNEL_NAME


def _is_current() -> bool:
    spec = kernel_spec_dir() / "kernel.json"
    try:
        argv = json.loads(spec.read_text())["argv"]
    except (OSError, ValueError, KeyError):
        return False
    return bool(argv) and os.path.realpath(argv[0]) == os.path.realpath(sys.executable)


def ensure_kernel() -> str:
    """Install (or repair) the ``workbench`` kernelspec for this interpreter.

    Idempotent: does nothing when the installed spec already runs :data:`sys.executable`.

    Returns
    -------
    str
        The kernel name to pass to papermill (:data:`KERNEL_NAME`).
    """
    if not _is_current():
        from ipykernel.kernelspec import install

        try:
            install(kernel_name=KERNEL_NAME, display_name=DISPLAY_NAME, prefix=sys.prefix)
        except OSError:
            if not _is_current():  # not just a parallel process installing the same spec
                raise
    return KERNEL_NAME


_lock = threading.Lock()
_users = 0
_saved: str | None = None


@contextmanager
def kernel_environment() -> Iterator[str]:
    """Context in which Jupyter finds this environment's kernelspecs first.

    Installs the kernel if needed and prepends ``<sys.prefix>/share/jupyter`` to
    ``JUPYTER_PATH`` while any run in this process is inside the context (thread-safe: Dask
    workers may run several reports as threads), then restores the previous value.

    Yields
    ------
    str
        The kernel name.
    """
    global _users, _saved
    with _lock:
        name = ensure_kernel()
        if _users == 0:
            _saved = os.environ.get("JUPYTER_PATH")
            parts = [str(_data_dir())] + ([_saved] if _saved else [])
            os.environ["JUPYTER_PATH"] = os.pathsep.join(parts)
        _users += 1
    try:
        yield name
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                if _saved is None:
                    os.environ.pop("JUPYTER_PATH", None)
                else:
                    os.environ["JUPYTER_PATH"] = _saved
