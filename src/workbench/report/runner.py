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
   executive summary is computed beside them;
6. scan every HTML page with :func:`workbench.privacy.check_export`;
7. compute the executive summary (:func:`workbench.summary.summarize`), compare it with the
   previous report's ``summary.json``, write ``summary.json`` and ``index.html`` and publish
   atomically (:func:`~workbench.report.publish.publish`).

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
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from workbench import __version__
from workbench.privacy import check_export

from . import guard
from .export import export_html
from .index import render_index
from .kernel import execute_notebook, kernel_environment
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


def _keep_failed(out: Path, run_name: str, files: list[Path]) -> Path:
    stamp = _now().strftime("%Y%m%dT%H%M%S%z")
    base = out.parent / FAILED_DIR
    kept = base / f"{run_name}-{stamp}"
    n = 1
    while kept.exists():
        n += 1
        kept = base / f"{run_name}-{stamp}-{n}"
    kept.mkdir(parents=True)
    for f in files:
        if f.exists():
            shutil.copy2(f, kept / f.name)
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
):
    """Execute notebook ``name`` into ``executed`` (written once); returns the executed notebook.

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
            )

    if threading.current_thread() is not threading.main_thread():
        # In a worker thread the copied context may point jupyter_core at another thread's
        # running event loop; start from an empty context.
        attempt = partial(contextvars.Context().run, attempt)
    try:
        return _retry_kernel_start(attempt, executed, name)
    except PapermillExecutionError as e:
        first = (e.source or "").strip().splitlines()
        raise NotebookError(name, e.cell_index, first[0] if first else "", f"{e.ename}: {e.evalue}") from None
    except Exception as e:
        index, first = _failing_cell(executed)
        raise NotebookError(name, index, first, f"{type(e).__name__}: {e}") from e


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
        stamp = _now().strftime("%H:%M:%S")
        text = f"{what} {detail}".rstrip()
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(f"{stamp} {text}\n")
            if self.echo:
                print(f"[{self.run_name}] {text}", flush=True)
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


def _run_notebook(ctx: _Context, run: NotebookRun) -> NotebookRun:
    """Execute, export and scan one notebook; write its page into the staging folder.

    Runs in a worker thread. On failure the executed notebook (and the kernel's log) is kept
    under ``_failed`` and the error is raised.
    """
    name, params = run.name, ctx.params
    run.status = "running"
    run.ipynb = ctx.staging / "notebooks" / f"{name}.ipynb"
    kernel_log = ctx.work / f"{name}.kernel.log"
    ctx.runlog(name, "started")
    t0 = time.perf_counter()
    try:
        nb = _execute(params, name, ctx.data_dir, run.ipynb, ctx.work, ctx.kernel_name, ctx.progress, kernel_log)
    except NotebookError as e:
        run.status = "failed"
        run.duration_s = time.perf_counter() - t0
        ctx.runlog(name, f"failed {run.duration_s:.1f} s")
        e.kept = _keep_failed(ctx.target, ctx.kept_name, [run.ipynb, kernel_log])
        log.error("report %s: %s", params.run_name, e)
        raise NotebookError(e.notebook, e.cell_index, e.cell_source, e.error, e.kept) from None
    run.duration_s = time.perf_counter() - t0
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
    ctx.runlog(name, f"finished {run.duration_s:.1f} s (export {run.export_s:.1f} s)")
    return run


def _run_notebooks(ctx: _Context, runs: list[NotebookRun], jobs: int) -> None:
    """Run every notebook, ``jobs`` at a time, longest first; raise the first failure.

    When a notebook fails, the notebooks not yet started are cancelled and those running are
    waited for; the error raised is that of the first failed notebook in ``runs`` order.
    """
    by_name = {r.name: r for r in runs}
    order = notebook_order([r.name for r in runs], _previous_durations(ctx.target))
    if jobs <= 1:
        for name in order:
            _run_notebook(ctx, by_name[name])
        return
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix=f"report-{ctx.params.run_name}") as pool:
        futures: dict[Future, NotebookRun] = {pool.submit(_run_notebook, ctx, by_name[n]): by_name[n] for n in order}
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.exception() is not None for f in done):
            for f in pending:
                if f.cancel():
                    futures[f].status = "cancelled"
            wait(pending)
    failed = [(runs.index(r), f) for f, r in futures.items() if not f.cancelled() and f.exception() is not None]
    if failed:
        raise min(failed, key=lambda x: x[0])[1].exception()


def _compute_summary(params: ReportParams, dataset):
    """The executive summary's numbers (:func:`workbench.summary.summarize`), or ``None``."""
    from workbench.summary import summarize

    try:
        return summarize(dataset, params.privacy.min_count, months=params.summary_months)
    except Exception as e:  # the summary must never sink the report
        log.warning("report %s: no executive summary: %s: %s", params.run_name, type(e).__name__, e)
        return None


def _summary(params: ReportParams, computed, target: Path, fingerprint: str, finished: str):
    """``(summary dict, changes)`` for the index page, or ``(None, [])`` if it cannot be made."""
    from workbench.summary import changes_since, summary_json

    if computed is None:
        return None, []
    current = summary_json(computed, fingerprint=fingerprint, finished=finished, run_name=params.run_name)
    previous = None
    old = target / "summary.json"
    if old.is_file():
        try:
            previous = json.loads(old.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            log.warning("report %s: previous summary.json unreadable: %s", params.run_name, e)
    return current, changes_since(previous, current)


def run_report(
    params_path: str | Path | ReportParams,
    out: str | Path | None = None,
    progress: bool = True,
    jobs: int | None = None,
    echo: bool | None = None,
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

    ensure_synthetic(params)
    dataset = load_dataset(params.data, base_dir=params.base_dir)
    fingerprint = dataset.fingerprint()
    log.info("report %s: data %s validated (sha256 %s)", params.run_name, dataset.name, fingerprint[:12])
    stages["load"] = time.perf_counter() - t_start

    run_guard = guard.RunGuard(target, params.run_name)  # lock, private staging, signals
    staging = run_guard.start()
    runlog = _RunLog(staging / RUN_LOG, params.run_name, progress if echo is None else echo)
    summary_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"summary-{params.run_name}")
    try:
        t = time.perf_counter()
        work = staging / "_work"
        data_dir = dataset.to_folder(work / "data", extra_meta={"fingerprint": fingerprint})
        (staging / "notebooks").mkdir()
        stages["snapshot"] = time.perf_counter() - t
        runlog("run", f"started: {len(params.notebooks)} notebooks, {jobs} at once")

        def timed_summary():
            t0 = time.perf_counter()
            computed = _compute_summary(params, dataset)
            return computed, time.perf_counter() - t0

        summary_future = summary_pool.submit(timed_summary)  # beside the notebooks
        runs = [NotebookRun(name) for name in params.notebooks]
        t = time.perf_counter()
        with kernel_environment() as kernel_name:
            ctx = _Context(params, dataset, data_dir, work, staging, target, kept_name, kernel_name,
                           progress, runlog)
            _run_notebooks(ctx, runs, jobs)
        stages["notebooks"] = time.perf_counter() - t
        shutil.rmtree(work)
        t = time.perf_counter()
        computed, stages["summary"] = summary_future.result()
        stages["summary_wait"] = time.perf_counter() - t
        finished = _now()
        t = time.perf_counter()
        summary, changes = _summary(params, computed, target, fingerprint, finished.isoformat(timespec="seconds"))
        if summary is not None:
            summary_text = json.dumps(summary, indent=2)
            check_export(summary_text, dataset, where="summary.json")
            (staging / "summary.json").write_text(summary_text, encoding="utf-8")
        from .now import compute_now

        now = compute_now(params, dataset)
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
        )
        check_export(index_html, dataset, where="index.html")  # policy rules: no ids in any index
        (staging / "index.html").write_text(index_html, encoding="utf-8")
        if research:
            (staging / AUDIENCE_FILE).write_text(_AUDIENCE_TEXT, encoding="utf-8")
        guard.write_marker(staging, params.run_name, params.audience, __version__)
        stages["index"] = time.perf_counter() - t
        stages["total"] = time.perf_counter() - t_start
        runlog("run", "stages " + " ".join(f"{k}={v:.1f}s" for k, v in stages.items()))
        t = time.perf_counter()
        publish(staging, target)
        stages["publish"] = time.perf_counter() - t
        run_guard.published(params.audience)
    finally:
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
