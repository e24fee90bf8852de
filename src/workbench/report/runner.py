"""Run a report: parameters -> data (validated once) -> notebooks (papermill) -> HTML -> publish.

The steps of :func:`run_report`:

1. read and check the parameter file (:func:`~workbench.report.params.load_params`);
2. generate the synthetic city when ``data.synthetic`` is set and the folder is missing;
3. load and validate the data once (:func:`workbench.data.load_dataset`);
4. snapshot the validated data to a contract folder inside a staging folder beside the target;
5. execute the notebooks with papermill (parameters injected, per-cell timeout, this
   environment's kernel), several at once (:func:`default_jobs`, longest first, see
   :func:`notebook_order`; the notebooks are independent: each reads only the contract folder),
   write each executed ``.ipynb`` once and export code-free HTML in the same worker while the
   executive summary is computed beside them. The workers start before step 2: each starts
   a warm kernel (:class:`~workbench.report.kernel.WarmKernel`) and imports what every notebook
   needs while the data are checked, then runs its notebooks on it, reset between notebooks;
6. scan every HTML page with :func:`workbench.privacy.check_export`;
7. compute the executive summary (:func:`workbench.sections.summary.summarize`), compare it with the
   earlier run the parameter ``compare_with`` names (default the previous one; from the report's
   run history, :mod:`workbench.report.history`), write ``summary.json``, ``index.html`` and
   ``history/`` (the run's record added) and publish atomically
   (:func:`~workbench.report.publish.publish`). A run that fails after step 4 records itself in
   ``run.json`` under ``_failed`` (:func:`~workbench.report.history.record_failure`).

Audiences: a ``research`` run (``audience: research`` in the parameter file) passes
``researcher_mode=True`` to the notebooks that declare it, scans their pages with
``check_export(..., audience="research")`` (pseudonymous person ids allowed, names never), puts a
restricted-use banner on every page, writes the marker file :data:`AUDIENCE_FILE` and publishes
under ``reports/<run_name>-research``; it refuses an output folder that is, or lies inside, a
policy report (:func:`report_audience`). Policy runs are unchanged.

Errors in steps 1-3 (:class:`ParameterError`, :class:`~workbench.data.DataError`) happen before
anything is written. A failing notebook raises :class:`NotebookError` after keeping the failed
executed notebook under ``<reports>/_failed/<run>-<timestamp>/``; a privacy finding raises
:class:`~workbench.privacy.PrivacyError`. In every failure the last good report is untouched
and the staging folder is removed. When one notebook fails, no further notebook is started;
those already running finish (their results are discarded) and the failure of the first
failed notebook in the parameter file's order is raised.

Every run writes ``run.log`` into its report folder (one line per notebook started and
finished, with seconds, and the time of each stage); :attr:`ReportResult.stages` holds the
same stage times. Each kernel's own process output goes to a log file of the run, kept with a
failed notebook under ``_failed``, never to the terminal.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from workbench import __version__
from workbench._memory import release_memory
from workbench.privacy import check_export

from . import guard
from .export import export_html
from .index import render_index
from .kernel import (PRELOAD_CODE, WarmKernel, execute_notebook, kernel_environment, process_peak_mb,
                     reset_process_peak)
from .params import ParameterError, ReportParams, load_params
from .publish import publish, staging_dir

__all__ = [
    "AUDIENCE_FILE",
    "NotebookError",
    "NotebookRun",
    "ReportResult",
    "check_out_folder",
    "default_jobs",
    "default_out",
    "notebook_order",
    "report_audience",
    "report_folder_name",
    "run_report",
]

log = logging.getLogger("workbench.report")

FAILED_DIR = "_failed"

#: The run's own log, written into every report folder.
RUN_LOG = "run.log"

#: Relative cost of the repository's notebooks (seconds on the demo city), used to start the
#: longest first when no earlier report of the run says how long each took. Unknown notebooks
#: count as :data:`_DEFAULT_COST`.
NOTEBOOK_COST = {
    "02_people": 17.0,
    "03_response": 10.0,
    "05_dosage": 8.0,
    "01_places": 7.0,
    "04_past_victims": 5.0,
    "00_data_overview": 4.0,
}
_DEFAULT_COST = 5.0

#: Marker file of a research report (first line ``research``, then what the folder is). A report
#: folder without it is a policy report: every report published before research runs existed is.
AUDIENCE_FILE = "audience.txt"

_AUDIENCE_TEXT = (
    "research\n\n"
    "Restricted: this folder is a research report of the Violence Response Workbench. Its pages show\n"
    "pseudonymous person-level rows. Not for policy audiences or publication.\n"
)


class NotebookError(RuntimeError):
    """A report notebook failed; names the notebook, the cell and the error.

    Parameters
    ----------
    notebook : str
        Notebook name.
    cell_index : int or None
        Index of the failing cell in the executed notebook (``None`` if unknown).
    cell_source : str
        First line of the failing cell's source.
    error : str
        Exception name and message.
    kept : Path or None
        Folder where the failed executed notebook was kept.
    """

    def __init__(
        self,
        notebook: str,
        cell_index: int | None,
        cell_source: str,
        error: str,
        kept: Path | None = None,
    ):
        self.notebook = notebook
        self.cell_index = cell_index
        self.cell_source = cell_source
        self.error = error
        self.kept = kept
        where = f"cell {cell_index}" if cell_index is not None else "an unknown cell"
        msg = f"Notebook {notebook} failed in {where}"
        if cell_source:
            msg += f" ({cell_source!r})"
        msg += f": {error}"
        if kept is not None:
            msg += f"\nThe failed executed notebook is kept in {kept}"
        super().__init__(msg)


@dataclass
class NotebookRun:
    """Outcome of one notebook in a run."""

    name: str
    status: str = "pending"
    duration_s: float = 0.0
    html: Path | None = None
    ipynb: Path | None = None
    export_s: float = 0.0
    #: peak resident memory of the notebook's kernel while it ran, MiB (Linux; None elsewhere or on
    #: a kernel started for the notebook alone)
    peak_mb: float | None = None


@dataclass
class ReportResult:
    """A published report.

    Attributes
    ----------
    run_name : str
    out : Path
        The report folder.
    index : Path
        Its ``index.html``.
    notebooks : list of NotebookRun
    fingerprint : str
        SHA-256 of the data.
    started, finished : str
        Time-zone-aware ISO 8601 times.
    audience : {"policy", "research"}
        Who the report is for.
    stages : dict
        Wall-clock seconds of the run's stages: ``load`` (parameters, data, validation),
        ``snapshot`` (the contract folder), ``notebooks`` (all notebooks, executed and exported,
        several at once), ``summary`` (executive summary, computed beside the notebooks),
        ``index`` and ``publish``; ``total`` is the whole run.
    jobs : int
        Notebooks run at once.
    """

    run_name: str
    out: Path
    index: Path
    fingerprint: str
    started: str
    finished: str
    notebooks: list[NotebookRun] = field(default_factory=list)
    audience: str = "policy"
    stages: dict[str, float] = field(default_factory=dict)
    jobs: int = 1


def _now() -> datetime:
    return datetime.now(timezone.utc).astimezone()


def report_folder_name(params: ReportParams) -> str:
    """``<run_name>`` for a policy report, ``<run_name>-research`` for a research report."""
    return params.run_name if params.audience == "policy" else f"{params.run_name}-{params.audience}"


def default_out(params: ReportParams) -> Path:
    """``reports/<run_name>`` (policy) or ``reports/<run_name>-research`` under the current directory."""
    return Path("reports") / report_folder_name(params)


def report_audience(folder: str | Path) -> str | None:
    """Audience of the published report in ``folder``, or ``None`` when it holds no report.

    A report folder has ``index.html`` and ``notebooks/``. It is a research report when its
    :data:`AUDIENCE_FILE` says so, otherwise a policy report (reports made before research runs
    existed carry no marker).

    Returns
    -------
    {"policy", "research"} or None
    """
    folder = Path(folder)
    if not ((folder / "index.html").is_file() and (folder / "notebooks").is_dir()):
        return None
    marker = folder / AUDIENCE_FILE
    try:
        first = marker.read_text(encoding="utf-8").split(maxsplit=1)[:1]
    except OSError:
        return "policy"
    return "research" if first == ["research"] else "policy"


def check_out_folder(params: ReportParams, target: str | Path) -> None:
    """Refuse a report folder that belongs to the other audience.

    A research report must never replace or sit inside a policy report (its person-level
    pages would be published with it), and a policy run must never replace a research report
    (a researcher's restricted report would be lost, and a policy reader sent to that folder
    would find whatever is left of it).

    Parameters
    ----------
    params : ReportParams
        The run's parameters.
    target : path
        The report folder the run would publish to.

    Raises
    ------
    ParameterError
        Naming the other audience's report, before anything is written.
    """
    target = Path(target).absolute()
    if params.audience == "policy":
        if report_audience(target) == "research":
            raise ParameterError(params.source, [(
                "out",
                f"the report folder {target} is a research report (restricted, person-level); a "
                f"policy report must never replace one. Leave out --out (policy reports go to "
                f"{default_out(params)}) or choose another folder",
            )])
        return
    for folder in (target, *target.parents):
        if report_audience(folder) == "policy":
            where = "is" if folder == target else f"lies inside {folder}, which is"
            raise ParameterError(params.source, [(
                "out",
                f"the report folder {target} {where} a policy report; a research report must never "
                f"replace or sit inside one. Leave out --out (research reports go to "
                f"{default_out(params)}) or choose another folder",
            )])


def ensure_synthetic(params: ReportParams) -> Path | None:
    """Generate the synthetic city when ``data.synthetic`` is set and the folder lacks data.

    A folder generated earlier with another scale, seed or generator version (its
    ``dataset.json`` says which) is regenerated; a folder without that record (someone's own
    data) is never touched. The city is written to a hidden sibling folder and renamed into
    place, so parallel runs sharing one source never see a half-written folder.

    Returns
    -------
    Path or None
        The folder generated, or ``None`` when nothing had to be done.
    """
    spec = params.data
    if spec.synthetic is None or spec.is_sql:
        return None
    from workbench.synth import synthetic_meta, write_city

    folder = spec.source_path(params.base_dir).resolve()
    syn = spec.synthetic
    stale = None
    if (folder / "dataset.json").exists():
        recorded = json.loads((folder / "dataset.json").read_text()).get("synthetic")
        if recorded is None or recorded == synthetic_meta(syn.scale, syn.seed):
            return None
        stale = folder.with_name(f".{folder.name}.stale-{os.getpid()}")
        log.info("regenerating %s: it was generated as %s", folder, recorded)
    log.info("generating the synthetic city (scale %s, seed %s) in %s", syn.scale, syn.seed, folder)
    tmp = staging_dir(folder)
    try:
        write_city(scale=syn.scale, seed=syn.seed, out=tmp)
        if stale is not None:
            folder.rename(stale)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        try:
            tmp.rename(folder)
        except OSError:
            if not (folder / "dataset.json").exists():  # nobody else made it: real problem
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if stale is not None:
            shutil.rmtree(stale, ignore_errors=True)
    return folder


def _failing_cell(nb_path: Path) -> tuple[int | None, str]:
    import nbformat

    try:
        nb = nbformat.read(nb_path, 4)
    except Exception:
        return None, ""
    candidates = [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.get("metadata", {}).get("papermill", {}).get("exception")
        or c.get("metadata", {}).get("papermill", {}).get("status") in ("failed", "running")
    ]
    if not candidates:  # e.g. a timeout: papermill marks the cell completed; take the last started
        candidates = [
            (i, c) for i, c in enumerate(nb.cells)
            if c.get("metadata", {}).get("papermill", {}).get("start_time")
        ][-1:]
    if not candidates:
        return None, ""
    i, c = candidates[0]
    return i, (c.source.strip().splitlines() or [""])[0]


def _keep_failed(out: Path, run_name: str, files: list[Path | tuple[Path, str]]) -> Path:
    """Copy ``files`` (paths, or ``(path, name to keep it under)``) to a new ``_failed`` folder."""
    stamp = _now().strftime("%Y%m%dT%H%M%S%z")
    base = out.parent / FAILED_DIR
    kept = base / f"{run_name}-{stamp}"
    n = 1
    while kept.exists():
        n += 1
        kept = base / f"{run_name}-{stamp}-{n}"
    guard.private_dir(kept)  # 0700: a failed notebook may hold person-level rows
    for f in files:
        f, keep_as = f if isinstance(f, tuple) else (f, f.name)
        if f.exists():
            shutil.copy2(f, kept / keep_as)
    return kept


#: Longest Unix socket path the kernel's IPC sockets may have (the OS limit is 104-108 bytes).
_MAX_SOCKET_PATH = 90


@contextmanager
def kernel_sockets() -> Iterator[dict]:
    """Engine arguments that connect papermill to its kernel over private Unix sockets.

    On POSIX the kernel talks over IPC sockets in a fresh private temporary folder (mode
    0700) instead of five TCP ports on localhost: no other process can take the ports
    between their choice and the kernel's bind (the race that made parallel runs fail with
    ``Address already in use``), no other local user can connect to the kernel, and ipykernel
    does not warn about unencrypted TCP. Elsewhere, or when the temporary folder's path is too
    long for a socket, it yields no arguments (TCP, as papermill does by default).

    Yields
    ------
    dict
        Keyword arguments for :func:`papermill.execute_notebook` (possibly empty).
    """
    if os.name != "posix":
        yield {}
        return
    folder = tempfile.mkdtemp(prefix="wb-kernel-")
    try:
        prefix = os.path.join(folder, "kernel")
        if len(prefix) + 4 > _MAX_SOCKET_PATH:
            yield {}
            return
        from traitlets.config import Config

        yield {"config": Config({"KernelManager": {"transport": "ipc", "ip": prefix}})}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: Attempts to start a notebook's kernel before the run fails (see :func:`_retry_kernel_start`).
KERNEL_START_ATTEMPTS = 3


def _is_kernel_start_failure(exc: BaseException, executed: Path) -> bool:
    """True when *exc* came from starting the kernel, before any cell ran."""
    text = f"{type(exc).__name__}: {exc}"
    startup = "before replying to kernel_info" in text or "Address already in use" in text
    return startup and _failing_cell(executed)[0] is None


def _retry_kernel_start(attempt, executed: Path, name: str):
    """Run ``attempt()``, retrying when the kernel dies while starting.

    Over TCP (the fallback of :func:`kernel_sockets`) jupyter_client picks the kernel's five
    ports by binding port 0 and closing it; a kernel started at the same moment by another
    process (parallel reports, a scheduler, test workers) can take one of them first, and the
    new kernel dies with ``Address already in use`` before its first reply. A fresh start picks
    fresh ports; it also gets past a kernel that was slow to start on a loaded machine.
    Failures inside cells are never retried.
    """
    for i in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            return attempt()
        except Exception as e:
            if i == KERNEL_START_ATTEMPTS or not _is_kernel_start_failure(e, executed):
                raise
            log.warning("notebook %s: kernel did not start (%s); retrying (%d of %d)",
                        name, e, i + 1, KERNEL_START_ATTEMPTS)
            time.sleep(0.5 * i)


def _execute(
    params: ReportParams,
    name: str,
    data_dir: Path,
    executed: Path,
    workdir: Path,
    kernel_name: str,
    progress: bool,
    kernel_log: Path | None = None,
    kernel: WarmKernel | None = None,
):
    """Execute notebook ``name`` into ``executed`` (written once); returns the executed notebook.

    With ``kernel`` the notebook runs on that warm kernel; otherwise on a kernel of its own,
    started and stopped for it (over private sockets, :func:`kernel_sockets`).

    Raises
    ------
    NotebookError
        Naming the notebook, the failing cell and the error.
    """
    from papermill.exceptions import PapermillExecutionError

    def attempt():
        with kernel_sockets() as engine_kwargs:
            return execute_notebook(
                params.notebook_path(name),
                executed,
                parameters=params.parameters_for(name, data_dir),
                kernel_name=kernel_name,
                # the kernel's working directory, without os.chdir in this process (papermill's
                # cwd= changes the process-wide directory, which parallel threads share)
                workdir=workdir,
                start_timeout=int(params.execution.start_timeout_s),
                cell_timeout=params.execution.cell_timeout_s,
                kernel_log=kernel_log,
                progress=progress,
                config=engine_kwargs.get("config"),
                kernel=kernel,
            )

    try:
        return _retry_kernel_start(attempt, executed, name)
    except PapermillExecutionError as e:
        first = (e.source or "").strip().splitlines()
        raise NotebookError(name, e.cell_index, first[0] if first else "", f"{e.ename}: {e.evalue}") from None
    except Exception as e:
        index, first = _failing_cell(executed)
        raise NotebookError(name, index, first, f"{type(e).__name__}: {e}") from e


#: Environment of a kernel that shares the machine with other notebook kernels.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def default_jobs(n_notebooks: int) -> int:
    """Notebooks run at once: one per CPU core, at most 4 and at most ``n_notebooks``.

    ``WORKBENCH_REPORT_JOBS`` in the environment overrides the number of cores.
    """
    try:
        cores = int(os.environ.get("WORKBENCH_REPORT_JOBS", "0")) or len(os.sched_getaffinity(0))
    except (ValueError, AttributeError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4, n_notebooks))


def _previous_durations(target: Path) -> dict[str, float]:
    """Seconds each notebook took in the report already in ``target`` (from its ``run.log``)."""
    try:
        lines = (target / RUN_LOG).read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    seen = {}
    for line in lines:
        parts = line.split()
        # "<time> <notebook> finished <seconds> s ..."
        if len(parts) >= 5 and parts[2] == "finished" and parts[4] == "s":
            try:
                seen[parts[1]] = float(parts[3])
            except ValueError:
                pass
    return seen


def notebook_order(names: Sequence[str], previous: dict[str, float] | None = None) -> list[str]:
    """The order to start notebooks in: longest first (the classic rule for a short makespan).

    Parameters
    ----------
    names : sequence of str
        The run's notebooks.
    previous : dict, optional
        Seconds each took last time; otherwise :data:`NOTEBOOK_COST`.

    Returns
    -------
    list of str
        ``names`` sorted by expected seconds, longest first; ties keep the parameter order.
    """
    previous = previous or {}
    cost = {n: previous.get(n, NOTEBOOK_COST.get(n, _DEFAULT_COST)) for n in names}
    return sorted(names, key=lambda n: -cost[n])


class _RunLog:
    """The run's log: ``run.log`` in the staging folder, the ``workbench.report`` logger and,
    when ``echo`` is on, one printed line per event (``[run] notebook started`` ...)."""

    def __init__(self, path: Path, run_name: str, echo: bool):
        self.path = path
        self.run_name = run_name
        self.echo = echo
        self._lock = threading.Lock()

    def __call__(self, what: str, detail: str = "") -> None:
        from workbench.redact import redact

        stamp = _now().strftime("%H:%M:%S")
        text = redact(f"{what} {detail}".rstrip())  # no password reaches run.log, whatever the line carries
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(f"{stamp} {text}\n")
            if self.echo:
                print(f"[{self.run_name}] {text}", flush=True)
        if not self.echo:  # printed already: not twice on a terminal that also shows the log
            log.info("report %s: %s", self.run_name, text)


@dataclass
class _Context:
    """What every notebook of a run shares (read-only in the worker threads)."""

    params: ReportParams
    dataset: object
    data_dir: Path
    work: Path
    staging: Path
    target: Path
    kept_name: str
    kernel_name: str
    progress: bool
    runlog: _RunLog
    #: set when the run is stopped (a signal): a notebook killed mid-way is not kept under _failed
    aborted: threading.Event = field(default_factory=threading.Event)


def _run_notebook(ctx: _Context, run: NotebookRun, kernel: WarmKernel | None = None,
                  kernel_log: Path | None = None) -> NotebookRun:
    """Execute, export and scan one notebook; write its page into the staging folder.

    Runs in a worker thread. On failure the executed notebook (and the kernel's log) is kept
    under ``_failed`` and the error is raised.
    """
    name, params = run.name, ctx.params
    run.status = "running"
    run.ipynb = ctx.staging / "notebooks" / f"{name}.ipynb"
    kernel_log = kernel_log or ctx.work / f"{name}.kernel.log"
    ctx.runlog(name, "started")
    reset_process_peak(kernel.pid if kernel is not None else None)  # a new kernel starts at zero
    t0 = time.perf_counter()
    try:
        nb = _execute(params, name, ctx.data_dir, run.ipynb, ctx.work, ctx.kernel_name, ctx.progress,
                      kernel_log, kernel)
    except NotebookError as e:
        run.status = "failed"
        run.duration_s = time.perf_counter() - t0
        ctx.runlog(name, f"failed {run.duration_s:.1f} s")
        if ctx.aborted.is_set():  # stopped, not failed: leave nothing behind
            raise
        e.kept = _keep_failed(ctx.target, ctx.kept_name, [run.ipynb, (kernel_log, f"{name}.kernel.log")])
        log.error("report %s: %s", params.run_name, e)
        raise NotebookError(e.notebook, e.cell_index, e.cell_source, e.error, e.kept) from None
    run.duration_s = time.perf_counter() - t0
    run.peak_mb = process_peak_mb(kernel.pid) if kernel is not None else None
    t1 = time.perf_counter()
    html = export_html(nb, title=f"{params.title}: {name}", audience=params.audience)
    # pseudonymous ids are allowed only on pages that ran in researcher mode
    page_audience = "research" if params.researcher_mode(name) else "policy"
    try:
        check_export(html, ctx.dataset, where=f"{name}.html", audience=page_audience)
    except Exception:
        run.status = "failed"
        _keep_failed(ctx.target, ctx.kept_name, [run.ipynb])
        raise
    run.html = ctx.staging / f"{name}.html"
    run.html.write_text(html, encoding="utf-8")
    run.export_s = time.perf_counter() - t1
    run.status = "ok"
    peak = f", kernel peak {run.peak_mb:,.0f} MB" if run.peak_mb is not None else ""
    ctx.runlog(name, f"finished {run.duration_s:.1f} s (export {run.export_s:.1f} s{peak})")
    return run


class _Workers:
    """The threads that run a report's notebooks, ``jobs`` at a time, longest first.

    Created before the data are checked: with ``warm`` each worker starts its kernel at once
    and imports what every notebook needs (:data:`~workbench.report.kernel.PRELOAD_CODE`) while
    the parent process validates the data. :meth:`run` then hands over the notebooks; each
    worker takes the next from the queue and runs it on its warm kernel (reset between
    notebooks; see :class:`~workbench.report.kernel.WarmKernel`). When a notebook fails no worker
    takes another one; those running finish; the error raised is that of the first failed
    notebook in the parameter file's order. :meth:`close` stops the kernels (and, when
    :meth:`run` never came, tells the workers there is nothing to do).
    """

    def __init__(self, kernel_name: str, jobs: int, warm: bool = True, start_timeout: float = 60.0):
        self.kernel_name, self.jobs, self.warm, self.start_timeout = kernel_name, jobs, warm, start_timeout
        self.ctx: _Context | None = None
        self.todo: queue.SimpleQueue = queue.SimpleQueue()
        self.go = threading.Event()  # set by run() or close()
        self.stop = threading.Event()  # a notebook failed: take no further notebook
        self.errors: dict[str, BaseException] = {}
        self.kernels: list[WarmKernel] = []  # to kill them when the run is stopped
        self.allowed = jobs  # workers k >= allowed take no notebook (limit())
        self.fresh = False  # a new kernel for every notebook (limit(fresh=True))
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="report-worker")
        # own event loop per worker (a fresh context): a copied context may point jupyter_core at
        # another thread's running loop (Dask threads), and a warm kernel stays on one loop
        self.futures = [self.pool.submit(contextvars.Context().run, self._worker, k) for k in range(jobs)]

    def _worker(self, k: int) -> None:
        own = Path(tempfile.mkdtemp(prefix="wb-worker-"))  # private (0700): kernel log, first cwd
        try:
            with kernel_sockets() as engine_kwargs:
                kernel = None
                if self.warm:
                    kernel = WarmKernel(self.kernel_name, own / "kernel.log", engine_kwargs.get("config"))
                    self.kernels.append(kernel)
                    try:
                        # several notebooks share the cores: one BLAS thread per kernel (two OpenBLAS
                        # threads per kernel on two busy cores made small products ~60x dearer)
                        kernel.start(own, timeout=self.start_timeout, preload=PRELOAD_CODE,
                                     env=ONE_BLAS_THREAD if self.jobs > 1 else None)
                    except Exception as e:  # a cold start per notebook instead (retried there)
                        log.warning("worker %d: kernel warm-up failed (%s: %s)", k, type(e).__name__, e)
                        kernel.discard()
                try:
                    self.go.wait()
                    while self.ctx is not None and not self.stop.is_set() and k < self.allowed:
                        try:
                            run = self.todo.get_nowait()
                        except queue.Empty:
                            return
                        try:
                            _run_notebook(self.ctx, run, kernel, own / "kernel.log" if kernel else None)
                        except BaseException as e:
                            self.errors[run.name] = e
                            self.stop.set()
                            return
                        if kernel is not None and self.fresh:  # its heap goes back to the system
                            kernel.discard(now=False)
                finally:
                    if kernel is not None:
                        kernel.close()
        finally:
            shutil.rmtree(own, ignore_errors=True)

    def run(self, ctx: _Context, runs: list[NotebookRun]) -> None:
        """Run ``runs`` (longest first) and wait for them; raise the first failure."""
        by_name = {r.name: r for r in runs}
        for name in notebook_order(list(by_name), _previous_durations(ctx.target)):
            self.todo.put(by_name[name])
        self.ctx = ctx
        self.go.set()
        try:
            for f in self.futures:
                f.result()
        except BaseException:  # SIGTERM/SIGINT (raised here, in the main thread): stop now, not later
            self.abort()
            raise
        for r in runs:
            if r.status == "pending":
                r.status = "cancelled"
        if self.errors:
            raise self.errors[min(self.errors, key=[r.name for r in runs].index)]

    def limit(self, jobs: int, fresh: bool = False) -> None:
        """Run at most ``jobs`` notebooks at once (before :meth:`run`); the other workers stop their
        kernels when :meth:`run` starts. ``fresh``: a new kernel for each notebook after the first
        (a kernel that read a large dataset keeps most of its peak heap after a reset: pyarrow's and
        glibc's allocators do not hand it back)."""
        self.allowed = max(1, min(self.allowed, int(jobs)))
        self.fresh = self.fresh or fresh

    def abort(self) -> None:
        """Take no further notebook and kill the running kernels, so the workers return at once."""
        self.stop.set()
        if self.ctx is not None:
            self.ctx.aborted.set()
        for kernel in list(self.kernels):
            kernel.kill()

    def close(self) -> None:
        """Release the workers (nothing more to run) and stop their kernels."""
        self.go.set()
        self.pool.shutdown(wait=True)


def _compute_summary(params: ReportParams, dataset):
    """The executive summary (:func:`workbench.sections.summary.summarize`); when it cannot be computed
    at all, a :func:`~workbench.sections.summary.failed_summary` whose reason the index shows."""
    from workbench.sections.summary import failed_summary, summarize

    try:
        return summarize(dataset, params.privacy.min_count, months=params.summary_months)
    except Exception as e:  # the index must always be written: it says why the summary is missing
        log.warning("report %s: no executive summary: %s", params.run_name, type(e).__name__, exc_info=e)
        return failed_summary(e, params.privacy.min_count, params.summary_months, dataset)


def _area_names(dataset):
    """Area id -> the name readers see (:func:`workbench.data.names.area_names`)."""
    from workbench.data.names import area_names

    return area_names(dataset.get("areas"))


def _data_mb(dataset) -> float:
    """The dataset's tables in memory, MiB (text cells counted once per row, shared or not)."""
    return sum(float(df.memory_usage(index=True, deep=True).sum()) for df in dataset.tables.values()) / 2**20


def _privacy_view(dataset):
    """A dataset without tables that carries the full dataset's privacy scan indexes (built here,
    once, from every table as before): all :func:`~workbench.privacy.check_export` needs, without
    the person tables (the runner holds no row of data while the notebooks run)."""
    import dataclasses

    from workbench import privacy

    indexes = privacy._scan_indexes(dataset)
    view = dataclasses.replace(dataset, tables={})
    if hasattr(view, "identifiers"):
        object.__setattr__(view, "identifiers", None)
    object.__setattr__(view, "_privacy_scan_indexes", (privacy._scan_key(view), indexes))
    if privacy._scan_indexes(view) is not indexes:  # pragma: no cover - the cache changed: keep every table
        return dataset
    return view


def _summary(params: ReportParams, computed, names, target: Path, fingerprint: str, finished: str):
    """``(summary dict, changes, against)`` for the index page, or ``(None, [], None)``.

    The earlier run compared with is the one ``compare_with`` names, from the report's run
    history (:func:`workbench.report.history.comparison_summary`); ``against`` names it (``None``
    for the previous run).
    """
    from workbench.sections.summary import changes_since, summary_json

    if computed is None:
        return None, [], None
    current = summary_json(computed, fingerprint=fingerprint, finished=finished, run_name=params.run_name)
    # ``names``: area id -> name, from :func:`_area_names` (readers see area names, not ids)
    for a in current.get("top_areas") or []:
        a["name"] = str(names.get(str(a.get("area_id")), a.get("area_id")))
    from .history import comparison_summary

    previous, against, note = comparison_summary(target, params.compare_with)
    return current, ([note] if note else []) + changes_since(previous, current, against=against), against


def run_report(
    params_path: str | Path | ReportParams,
    out: str | Path | None = None,
    progress: bool = True,
    jobs: int | None = None,
    echo: bool | None = None,
    warm_kernels: bool = True,
) -> ReportResult:
    """Run every notebook of a parameter file and publish the report atomically.

    Parameters
    ----------
    params_path : path or ReportParams
        Parameters YAML file (or already loaded parameters).
    out : path, optional
        Report folder; default ``reports/<run_name>`` in the current directory
        (``reports/<run_name>-research`` for ``audience: research``; a research run refuses a
        folder that is or lies inside a policy report). Failed runs are kept under
        ``<out>/../_failed/``.
    progress : bool, default True
        Show papermill's progress bars and one line per notebook.
    jobs : int, optional
        Notebooks run at once (default :func:`default_jobs`); 1 runs them one after another.
    echo : bool, optional
        Print one line per notebook started and finished (default: ``progress``).
    warm_kernels : bool, default True
        Each worker runs its notebooks on one kernel, reset between notebooks
        (:class:`~workbench.report.kernel.WarmKernel`); ``False`` starts a fresh kernel per notebook.

    Returns
    -------
    ReportResult

    Raises
    ------
    ParameterError, DataError
        Bad parameters or data, or a research run aimed at a policy report's folder; nothing
        was written.
    NotebookError
        A notebook failed; the failed executed notebook is kept under ``_failed``.
    PrivacyError
        An export showed person ids or names; nothing was published.
    """
    from workbench.data import load_dataset

    t_start = time.perf_counter()
    stages: dict[str, float] = {}
    params = params_path if isinstance(params_path, ReportParams) else load_params(params_path)
    target = Path(out) if out is not None else default_out(params)
    target = target.absolute()
    check_out_folder(params, target)
    guard.check_replaceable(target)  # refused before anything is read or written
    research = params.audience == "research"
    kept_name = report_folder_name(params)  # failed research notebooks are kept as <run>-research-*
    started = _now()
    jobs = default_jobs(len(params.notebooks)) if jobs is None else max(1, int(jobs))

    # the notebook workers (and their kernels) start now, warming up while the data are checked
    kernels = ExitStack()
    kernel_name = kernels.enter_context(kernel_environment())
    workers = _Workers(kernel_name, jobs, warm_kernels, params.execution.start_timeout_s)
    kernels.callback(workers.close)
    try:
        ensure_synthetic(params)
        dataset = load_dataset(params.data, base_dir=params.base_dir)
        fingerprint = dataset.fingerprint()
        log.info("report %s: data %s validated (sha256 %s)", params.run_name, dataset.name, fingerprint[:12])
        stages["load"] = time.perf_counter() - t_start

        data_mb = _data_mb(dataset)
        one_copy = data_mb > params.execution.parallel_max_mb  # large data: one working copy at a time
        if one_copy:
            jobs = 1
            workers.limit(1, fresh=True)

        run_guard = guard.RunGuard(target, params.run_name)  # lock, private staging, signals
        staging = run_guard.start()
    except BaseException:
        kernels.close()
        raise
    runlog = _RunLog(staging / RUN_LOG, params.run_name, progress if echo is None else echo)
    summary_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"summary-{params.run_name}")
    runs: list[NotebookRun] = []
    try:
        t = time.perf_counter()
        work = staging / "_work"
        data_dir = dataset.to_folder(work / "data", extra_meta={"fingerprint": fingerprint})
        (staging / "notebooks").mkdir()
        stages["snapshot"] = time.perf_counter() - t
        runlog("run", f"started: {len(params.notebooks)} notebooks, {jobs} at once"
               + (f" (data {data_mb:,.0f} MB in memory, over execution.parallel_max_mb "
                  f"{params.execution.parallel_max_mb:,.0f}: summary first, then one notebook at a time, each on a new kernel)"
                  if one_copy else ""))

        def timed_summary(holder: list):
            t0 = time.perf_counter()
            full = holder.pop()  # the only reference once the runner switched to the slim view
            computed = _compute_summary(params, full)
            for problem in computed.problems:  # what the index says could not be computed, with its traceback
                runlog("summary", problem)
            from .now import compute_now

            now = compute_now(params, full)
            names = _area_names(full)
            del full
            release_memory()
            return (computed, now, names), time.perf_counter() - t0

        # the runner keeps the full tables only while the summary thread needs them: the pages are
        # checked against the privacy scan indexes of a slim view (2 M incidents: -1.7 GB during the
        # notebooks, each kernel reads its own copy from the contract folder)
        scan_view = _privacy_view(dataset)
        summary_future = summary_pool.submit(timed_summary, [dataset])  # beside the notebooks
        dataset = scan_view
        if one_copy:  # large data: the full tables are gone before the first kernel reads its copy
            summary_done = summary_future.result()
            runlog("run", f"summary computed in {summary_done[1]:.1f} s")
            summary_future = summary_pool.submit(lambda: summary_done)
        runs = [NotebookRun(name) for name in params.notebooks]
        t = time.perf_counter()
        ctx = _Context(params, scan_view, data_dir, work, staging, target, kept_name, kernel_name, progress, runlog)
        workers.run(ctx, runs)
        kernels.close()
        stages["notebooks"] = time.perf_counter() - t
        shutil.rmtree(work)
        t = time.perf_counter()
        (computed, now, area_name_map), stages["summary"] = summary_future.result()
        stages["summary_wait"] = time.perf_counter() - t
        finished = _now()
        t = time.perf_counter()
        summary, changes, against = _summary(params, computed, area_name_map, target, fingerprint,
                                             finished.isoformat(timespec="seconds"))
        summary_text = None
        if summary is not None:
            summary_text = json.dumps(summary, indent=2)
            check_export(summary_text, dataset, where="summary.json")
            (staging / "summary.json").write_text(summary_text, encoding="utf-8")
        index_html = render_index(
            params,
            runs,
            fingerprint=fingerprint,
            version=__version__,
            started=started.isoformat(timespec="seconds"),
            finished=finished.isoformat(timespec="seconds"),
            summary=summary,
            changes=changes,
            now=now,
            compared_with=against,
        )
        check_export(index_html, dataset, where="index.html")  # policy rules: no ids in any index
        (staging / "index.html").write_text(index_html, encoding="utf-8")
        if research:
            (staging / AUDIENCE_FILE).write_text(_AUDIENCE_TEXT, encoding="utf-8")
        from .history import carry_history, run_record

        carry_history(staging, target, run_record(
            run_name=params.run_name, report=target.name, audience=params.audience, status="ok",
            started=started.isoformat(timespec="seconds"), finished=finished.isoformat(timespec="seconds"),
            seconds=time.perf_counter() - t_start, fingerprint=fingerprint, version=__version__,
            summary=summary, notebooks={r.name: r.duration_s for r in runs}, compared_with=against or "",
        ), summary_text, params.keep_runs)
        guard.write_marker(staging, params.run_name, params.audience, __version__)
        stages["index"] = time.perf_counter() - t
        stages["total"] = time.perf_counter() - t_start
        runlog("run", "stages " + " ".join(f"{k}={v:.1f}s" for k, v in stages.items()))
        t = time.perf_counter()
        publish(staging, target)
        stages["publish"] = time.perf_counter() - t
        run_guard.published(params.audience)
    except Exception as exc:  # the published report stays untouched; the failure is recorded
        from .history import record_failure, run_record

        status = {"NotebookError": "failed", "PrivacyError": "privacy"}.get(type(exc).__name__, "error")
        failed = [r.name for r in runs if r.status == "failed"]
        record_failure(target, kept_name, run_record(
            run_name=params.run_name, report=target.name, audience=params.audience, status=status,
            started=started.isoformat(timespec="seconds"), finished=_now().isoformat(timespec="seconds"),
            seconds=time.perf_counter() - t_start, fingerprint=fingerprint, version=__version__,
            notebook=getattr(exc, "notebook", None) or (failed[0] if failed else ""), error=type(exc).__name__,
        ), kept=getattr(exc, "kept", None), since=started.timestamp())
        raise
    finally:
        kernels.close()
        summary_pool.shutdown(wait=True, cancel_futures=True)
        run_guard.close()
    stages["total"] = time.perf_counter() - t_start
    for r in runs:  # paths now inside the published folder
        r.html = target / r.html.name if r.html else None
        r.ipynb = target / "notebooks" / f"{r.name}.ipynb"
    result = ReportResult(
        run_name=params.run_name,
        out=target,
        index=target / "index.html",
        fingerprint=fingerprint,
        started=started.isoformat(timespec="seconds"),
        finished=finished.isoformat(timespec="seconds"),
        notebooks=runs,
        audience=params.audience,
        stages={k: round(v, 3) for k, v in stages.items()},
        jobs=jobs,
    )
    if runlog.echo:
        print(f"[{params.run_name}] published in {stages['total']:.1f} s", flush=True)
    log.info("report %s published: %s", params.run_name, result.index)
    return result
