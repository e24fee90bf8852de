"""The Jupyter kernel reports run in: always *this* interpreter.

:func:`ensure_kernel` installs a kernelspec named :data:`KERNEL_NAME` into ``sys.prefix``
whose ``argv`` starts with :data:`sys.executable`, and :func:`kernel_environment` puts
``sys.prefix/share/jupyter`` first on ``JUPYTER_PATH`` while papermill runs, so a kernelspec of
the same name elsewhere (``~/.local/share/jupyter``, a conda base) can never win and a report
never runs in some other Python.

:func:`execute_notebook` runs one notebook with papermill (parameters injected, per-cell
metadata and timeouts as papermill keeps them) but writes the executed notebook once, when it
ends, instead of after every cell (:class:`OneWriteEngine`), and sends the kernel process's own
stdout and stderr (start-up noise, the ``KeyboardInterrupt`` a kernel prints when it is stopped)
to a log file instead of the terminal (:class:`LoggedKernelManager`).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "KERNEL_NAME",
    "ENGINE_NAME",
    "ensure_kernel",
    "execute_notebook",
    "kernel_environment",
    "kernel_spec_dir",
]

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


#: Name under which :class:`OneWriteEngine` is registered with papermill.
ENGINE_NAME = "workbench"

_engine_lock = threading.Lock()


def _register_engine() -> str:
    """Register :class:`OneWriteEngine` (and the kernel manager class) with papermill once."""
    global OneWriteEngine, LoggedKernelManager
    with _engine_lock:
        from papermill.engines import papermill_engines

        if ENGINE_NAME in papermill_engines._engines:
            return ENGINE_NAME
        from jupyter_client.manager import AsyncKernelManager
        from papermill.engines import NBClientEngine
        from traitlets import Unicode

        class LoggedKernelManager(AsyncKernelManager):
            """Kernel manager whose kernel process writes its stdout and stderr to ``log_path``.

            Cell output never goes there (it travels over the kernel's IOPub channel into the
            notebook); only what the kernel process itself prints does.
            """

            log_path = Unicode("", help="File that receives the kernel process's stdout and stderr").tag(
                config=True
            )

            async def _async_launch_kernel(self, kernel_cmd, **kw):
                if not self.log_path:
                    return await super()._async_launch_kernel(kernel_cmd, **kw)
                with open(self.log_path, "ab") as out:  # the child keeps its own copy of the handle
                    kw.setdefault("stdout", out)
                    kw.setdefault("stderr", out)
                    return await super()._async_launch_kernel(kernel_cmd, **kw)

        class OneWriteEngine(NBClientEngine):
            """papermill's nbclient engine, writing the executed notebook only at the end.

            papermill writes the whole notebook after every cell (``request_save_on_cell_execute``);
            for a report that is seconds of JSON per page. This engine runs without those writes,
            and when execution stops with an exception that is not a cell error (a timeout, a dead
            kernel) it writes the notebook as far as it got to ``failure_path``, so that the failed
            cell can still be named and the notebook kept.
            """

            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, failure_path=None, **kwargs):
                try:
                    return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
                except BaseException:
                    if failure_path is not None:
                        nb_man.output_path = str(failure_path)  # notebook_complete() saves it there
                    raise

        papermill_engines.register(ENGINE_NAME, OneWriteEngine)
    return ENGINE_NAME


OneWriteEngine = None  # defined on first use by _register_engine (papermill is imported lazily)
LoggedKernelManager = None


def execute_notebook(
    source: str | Path,
    executed: str | Path,
    parameters: dict,
    kernel_name: str,
    workdir: str | Path,
    start_timeout: int,
    cell_timeout: float | None,
    kernel_log: str | Path | None = None,
    progress: bool = False,
    config=None,
):
    """Execute ``source`` with papermill into ``executed``, written once at the end.

    Parameters
    ----------
    source, executed : path
        The notebook to run and where the executed notebook goes.
    parameters : dict
        Injected after the cell tagged ``parameters`` (papermill's parameterization).
    kernel_name : str
        Kernelspec name (:data:`KERNEL_NAME`).
    workdir : path
        The kernel's working directory (no ``os.chdir`` in this process: threads share it).
    start_timeout : int
        Seconds to wait for the kernel to start.
    cell_timeout : float or None
        Seconds a cell may run.
    kernel_log : path, optional
        File receiving the kernel process's stdout and stderr (default: inherited).
    progress : bool
        papermill's progress bar.
    config : traitlets.config.Config, optional
        Extra configuration (kernel transport, see :func:`workbench.report.runner.kernel_sockets`).

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook.

    Raises
    ------
    papermill.exceptions.PapermillExecutionError
        A cell raised; the executed notebook (with papermill's error markers) is written first.
    Exception
        Anything else (timeout, kernel death); the notebook as far as it ran is written first.
    """
    import papermill as pm
    from traitlets.config import Config

    engine = _register_engine()
    cfg = Config()
    if config is not None:
        cfg.merge(config)
    if kernel_log is not None:
        cfg.merge(Config({"LoggedKernelManager": {"log_path": str(kernel_log)}}))
    return pm.execute_notebook(
        str(source),
        str(executed),
        parameters=parameters,
        engine_name=engine,
        kernel_name=kernel_name,
        progress_bar=progress,
        request_save_on_cell_execute=False,
        failure_path=str(executed),
        kernel_manager_class=LoggedKernelManager,
        resources={"metadata": {"path": str(workdir)}},
        start_timeout=start_timeout,
        execution_timeout=cell_timeout,
        config=cfg,
    )
