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
    "PRELOAD_CODE",
    "RESET_CODE",
    "WarmKernel",
    "process_peak_mb",
    "reset_process_peak",
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
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.engines import NBClientEngine
        from papermill.log import logger
        from papermill.utils import merge_kwargs, remove_args
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

        class WarmNotebookClient(PapermillNotebookClient):
            """papermill's notebook client that can first reset a kernel used before."""

            reset_code = Unicode("", help="Code run silently before the first cell").tag(config=True)

            def papermill_execute_cells(self):
                if self.reset_code:
                    reply = self.wait_for_reply(self.kc.execute(self.reset_code, silent=True, store_history=False))
                    if reply is None or reply["content"].get("status") != "ok":
                        raise RuntimeError("the kernel could not be reset for the next notebook")
                super().papermill_execute_cells()

        class OneWriteEngine(NBClientEngine):
            """papermill's nbclient engine, writing the executed notebook only at the end.

            papermill writes the whole notebook after every cell (``request_save_on_cell_execute``);
            for a report that is seconds of JSON per page. This engine runs without those writes,
            and when execution stops with an exception that is not a cell error (a timeout, a dead
            kernel) it writes the notebook as far as it got to ``failure_path``, so that the failed
            cell can still be named and the notebook kept. With ``km`` (a kernel already used by an
            earlier notebook) ``reset_code`` clears that notebook's variables and figures first.
            """

            @classmethod
            def execute_managed_notebook(
                cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                start_timeout=60, execution_timeout=None, failure_path=None, **kwargs,
            ):
                # as papermill's NBClientEngine.execute_managed_notebook, with WarmNotebookClient
                kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
                final_kwargs = merge_kwargs(
                    kwargs, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                    log=logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
                )
                client = WarmNotebookClient(nb_man, **final_kwargs)
                try:
                    return client.execute()
                except BaseException:
                    if failure_path is not None:
                        nb_man.output_path = str(failure_path)  # notebook_complete() saves it there
                    raise
                finally:
                    if not client.owns_km and client.kc is not None:
                        client.kc.stop_channels()  # the kernel lives on; this client's sockets do not

        papermill_engines.register(ENGINE_NAME, OneWriteEngine)
    return ENGINE_NAME


OneWriteEngine = None  # defined on first use by _register_engine (papermill is imported lazily)
LoggedKernelManager = None


#: Run silently in a kernel before its next notebook: figures closed, every variable of the
#: previous notebook deleted (``%reset -f``); imported modules stay loaded, which is the point.
RESET_CODE = """\
import sys as _wb_sys
if "matplotlib.pyplot" in _wb_sys.modules:
    _wb_sys.modules["matplotlib.pyplot"].close("all")
del _wb_sys
get_ipython().run_line_magic("reset", "-f")
from workbench._memory import release_memory as _wb_release  # the last notebook's freed heap
_wb_release()
del _wb_release
"""


def process_peak_mb(pid: int | None) -> float | None:
    """Peak resident memory of process ``pid`` since it started or since :func:`reset_process_peak`,
    MiB (Linux ``VmHWM``); ``None`` where the system does not say."""
    if not pid:
        return None
    try:
        with open(f"/proc/{int(pid)}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return None


def reset_process_peak(pid: int | None) -> bool:
    """Start a new peak-memory window for ``pid`` (Linux: ``5`` into ``/proc/<pid>/clear_refs``)."""
    if not pid:
        return False
    try:
        with open(f"/proc/{int(pid)}/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except (OSError, ValueError):
        return False


#: Imported by a warm kernel while the runner still checks the data (every report notebook needs them).
PRELOAD_CODE = """\
import IPython.display
import matplotlib.pyplot
import numpy
import pandas
import geopandas
import pyarrow.parquet
import workbench.data.dataset
"""


class WarmKernel:
    """One kernel kept warm for the notebooks a worker runs one after another.

    Starting a kernel and importing pandas, matplotlib, geopandas and the workbench costs one to
    two CPU seconds per notebook; a warm kernel pays it once per worker. Before each later
    notebook :data:`RESET_CODE` clears the previous notebook's variables and figures, so every
    notebook still starts from an empty namespace. A kernel that ran a failing notebook is
    discarded (:meth:`discard`), never reused.

    Parameters
    ----------
    kernel_name : str
        Kernelspec name.
    kernel_log : path, optional
        File receiving the kernel process's stdout and stderr.
    config : traitlets.config.Config, optional
        Extra configuration (kernel transport).
    """

    def __init__(self, kernel_name: str, kernel_log: str | Path | None = None, config=None):
        from traitlets.config import Config

        self.kernel_name = kernel_name
        self.kernel_log = kernel_log
        self.config = Config()
        if config is not None:
            self.config.merge(config)
        if kernel_log is not None:
            self.config.merge(Config({"LoggedKernelManager": {"log_path": str(kernel_log)}}))
        self.km = None
        self.notebooks = 0  # notebooks run on the current kernel

    def start(self, cwd: str | Path, timeout: float = 60.0, preload: str = "",
              env: dict[str, str] | None = None) -> None:
        """Start the kernel now in ``cwd`` and run ``preload`` silently (imports for later notebooks).

        Used to warm kernels up while the parent process still checks the data. Raises when
        the kernel does not start or the preload fails; the caller then discards the kernel.
        """
        from jupyter_core.utils import run_sync

        km = self.manager()

        async def warm_up():
            await km.start_kernel(cwd=str(cwd), **({"env": {**os.environ, **env}} if env else {}))
            kc = km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=timeout)
                if preload:
                    msg_id = kc.execute(preload, silent=True, store_history=False)
                    while True:
                        reply = await kc.get_shell_msg(timeout=None)
                        if reply["parent_header"].get("msg_id") == msg_id:
                            break
                    if reply["content"].get("status") != "ok":
                        raise RuntimeError(f"kernel warm-up failed: {reply['content'].get('ename')}")
            finally:
                kc.stop_channels()

        run_sync(warm_up)()
        self.notebooks = 1  # its namespace is no longer empty: reset before the first notebook

    def manager(self):
        """The kernel manager (created on first use; nbclient starts its kernel)."""
        if self.km is None:
            _register_engine()
            self.km = LoggedKernelManager(kernel_name=self.kernel_name, config=self.config)
            self.notebooks = 0
        return self.km

    def discard(self, now: bool = True) -> None:
        """Stop the kernel (if it runs); the next notebook gets a fresh one."""
        from jupyter_core.utils import run_sync

        km, self.km = self.km, None
        if km is not None and km.has_kernel:
            try:
                run_sync(km.shutdown_kernel)(now=now)
            except Exception:  # already dead: nothing left to stop
                pass

    def close(self) -> None:
        """Shut the kernel down politely at the end of the run."""
        self.discard(now=False)

    @property
    def pid(self) -> int | None:
        """The kernel process's id (``None`` before it starts)."""
        km = self.km
        pid = getattr(getattr(km, "provisioner", None), "pid", None) if km is not None else None
        return int(pid) if pid else None

    def kill(self) -> None:
        """Kill the kernel process at once, from any thread (a run stopped by a signal or a failure).

        The notebook running on it then fails with a dead kernel, so its worker thread returns
        instead of finishing the notebook; :meth:`close` afterwards has nothing left to stop.
        """
        import signal

        pid = self.pid
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):  # already gone
                pass


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
    kernel: WarmKernel | None = None,
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
        File receiving the kernel process's stdout and stderr (default: inherited). Ignored
        with ``kernel`` (which has its own).
    progress : bool
        papermill's progress bar.
    config : traitlets.config.Config, optional
        Extra configuration (kernel transport, see :func:`workbench.report.runner.kernel_sockets`).
        Ignored with ``kernel``.
    kernel : WarmKernel, optional
        Run on this warm kernel (reset first when it ran a notebook before) instead of a kernel
        started and stopped for this notebook alone. On failure the kernel is discarded.

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
    extra = {}
    if kernel is not None:
        km = kernel.manager()
        # the kernel may have been started elsewhere (WarmKernel.start): move it to this run's folder
        cwd = f"import os as _wb_os\n_wb_os.chdir({str(workdir)!r})\ndel _wb_os\n"
        extra = {"km": km, "reset_code": cwd + (RESET_CODE if kernel.notebooks else ""), "config": kernel.config}
    else:
        cfg = Config()
        if config is not None:
            cfg.merge(config)
        if kernel_log is not None:
            cfg.merge(Config({"LoggedKernelManager": {"log_path": str(kernel_log)}}))
        extra = {"kernel_manager_class": LoggedKernelManager, "config": cfg}
    try:
        nb = pm.execute_notebook(
            str(source),
            str(executed),
            parameters=parameters,
            engine_name=engine,
            kernel_name=kernel_name,
            progress_bar=progress,
            request_save_on_cell_execute=False,
            failure_path=str(executed),
            resources={"metadata": {"path": str(workdir)}},
            start_timeout=start_timeout,
            execution_timeout=cell_timeout,
            **extra,
        )
    except BaseException:
        if kernel is not None:
            kernel.discard()
        raise
    if kernel is not None:
        kernel.notebooks += 1
    return nb
