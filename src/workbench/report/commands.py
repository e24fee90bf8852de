"""``workbench report`` and ``workbench validate``: exit codes, batches and the summary table.

Exit codes (see :mod:`workbench.cli`): 0 success, 1 a notebook failed, 2 bad parameters or
data, or an output folder the workbench did not make (nothing written), 3 the privacy scan
refused an export, 4 another run is writing the same report folder (nothing touched; retry
later). A batch returns 0 when every report succeeded, otherwise the highest code of its
reports (4 > 3 > 2 > 1). Every message is passed through :func:`workbench.redact.redact`
(no database password is ever printed or logged).
"""

from __future__ import annotations

import glob
import logging
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path

__all__ = [
    "BatchItem",
    "format_summary",
    "notebook_parameter_findings",
    "report_command",
    "run_batch",
    "run_one",
    "runs_command",
    "validate_command",
]

log = logging.getLogger("workbench.report")

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_PRIVACY, EXIT_BUSY = 0, 1, 2, 3, 4


@dataclass
class BatchItem:
    """Outcome of one report of a batch (picklable, for process pools and Dask)."""

    params: str
    run_name: str = ""
    exit_code: int = EXIT_OK
    status: str = "ok"
    detail: str = ""
    index: str = ""


def _classify(exc: BaseException) -> tuple[int, str]:
    from workbench.data import DataError
    from workbench.privacy import PrivacyError

    from .guard import FolderError, ReportBusyError
    from .params import ParameterError
    from .runner import NotebookError

    if isinstance(exc, (ParameterError, DataError, FolderError)):
        return EXIT_BAD_INPUT, "bad input"
    if isinstance(exc, ReportBusyError):
        return EXIT_BUSY, "busy"
    if isinstance(exc, PrivacyError):
        return EXIT_PRIVACY, "privacy"
    if isinstance(exc, NotebookError):
        return EXIT_FAILED, "failed"
    return EXIT_FAILED, "error"


def run_one(
    params: str,
    out: str | None = None,
    progress: bool = False,
    echo: bool | None = None,
    jobs: int | None = None,
) -> BatchItem:
    """Run one report and never raise: the outcome is returned as a :class:`BatchItem`.

    Parameters
    ----------
    params : str
        Parameters YAML file.
    out : str, optional
        Report folder; default ``reports/<run_name>`` (``reports/<run_name>-research`` for
        ``audience: research``).
    progress : bool
        Show progress bars.
    echo : bool, optional
        Print one line per notebook started and finished (default: ``progress``).
    jobs : int, optional
        Notebooks run at once (default: one per core, see :func:`~workbench.report.runner.default_jobs`).
    """
    from workbench.redact import redact

    from .runner import run_report

    item = BatchItem(params=str(params))
    try:
        result = run_report(params, out=out, progress=progress, echo=echo, jobs=jobs)
    except Exception as exc:  # reported, not raised: one bad report must not sink a batch
        item.exit_code, item.status = _classify(exc)
        item.detail = redact(exc)
        if item.status == "error":
            log.exception("report %s: unexpected error", params)
        else:
            log.error("report %s %s: %s", params, item.status, item.detail)
        return item
    item.run_name = result.run_name
    item.index = str(result.index)
    return item


def _batch_plan(files: Sequence[str], out: str | None) -> tuple[list[tuple[str, str | None]], list[BatchItem]]:
    """Check every parameter file first; returns the runnable (file, out) pairs and refusals."""
    from .params import ParameterError, load_params
    from .runner import default_out

    plan, refused, targets = [], [], {}
    for f in files:
        try:
            p = load_params(f)
        except ParameterError as exc:
            refused.append(BatchItem(f, "", EXIT_BAD_INPUT, "bad input", str(exc)))
            log.error("report %s refused: %s", f, exc)
            continue
        target = (Path(out) / default_out(p).name) if out else default_out(p)  # <run_name>[-research]
        key = str(target.absolute())
        if key in targets:
            msg = f"same report folder {target} as {targets[key]} (run_name {p.run_name!r})"
            refused.append(BatchItem(f, p.run_name, EXIT_BAD_INPUT, "bad input", msg))
            log.error("report %s refused: %s", f, msg)
            continue
        targets[key] = f
        plan.append((f, str(target)))
    return plan, refused


def _mp_context():
    """A fork server that has imported the runner once: workers fork from it, already warm.

    Safer than plain ``fork`` (the server has no threads, kernels or sockets) and faster than
    ``spawn`` (the heavy imports are paid once, not once per worker).
    """
    ctx = get_context("forkserver")
    ctx.set_forkserver_preload(["workbench.report.runner", "workbench.report.commands", "papermill"])
    return ctx


def run_batch(
    pattern: str,
    out: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    quiet: bool = True,
) -> list[BatchItem]:
    """Run every parameter file matching ``pattern``.

    Parameters
    ----------
    pattern : str
        Glob of parameter files (``'parameters/*.yaml'``).
    out : str, optional
        Parent folder of the reports (``<out>/<run_name>``, ``<out>/<run_name>-research`` for
        research runs); default ``reports/``.
    jobs : int
        Parallel processes (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a Dask distributed scheduler; reports run as tasks on its workers.
    quiet : bool, default True
        ``False`` prints one line per notebook started and finished (run, notebook, seconds),
        as a single run does. Each report folder keeps its own ``run.log`` either way.

    Returns
    -------
    list of BatchItem
        In the order of the sorted file names.
    """
    files = sorted(glob.glob(pattern))
    if not files:
        return [BatchItem(pattern, "", EXIT_BAD_INPUT, "bad input", "no parameter file matches")]
    plan, refused = _batch_plan(files, out)
    results: list[BatchItem] = list(refused)
    if plan:
        paths, outs = [p for p, _ in plan], [o for _, o in plan]
        if not scheduler:
            from .kernel import ensure_kernel

            ensure_kernel()  # once, before parallel processes would race to install it
        one = partial(run_one, progress=False, echo=not quiet)
        if scheduler:
            from distributed import Client

            with Client(scheduler, set_as_default=False) as client:
                futures = client.map(run_one, paths, outs, progress=False, echo=not quiet, pure=False)
                results += client.gather(futures)
        elif jobs > 1:
            from .runner import default_jobs

            # the cores are shared between the reports running at once
            per_report = max(1, default_jobs(jobs * 4) // jobs)
            with ProcessPoolExecutor(max_workers=jobs, mp_context=_mp_context()) as pool:
                results += list(pool.map(partial(one, jobs=per_report), paths, outs))
        else:
            results += [one(p, o) for p, o in plan]
    order = {f: i for i, f in enumerate(files)}
    return sorted(results, key=lambda r: order.get(r.params, -1))


def format_summary(items: Sequence[BatchItem]) -> str:
    """Plain-text table: parameter file, run, status, exit code, first line of the reason."""
    import pandas as pd

    rows = [
        {
            "parameters": i.params,
            "run": i.run_name,
            "status": i.status,
            "exit": i.exit_code,
            "detail": i.index if i.exit_code == EXIT_OK else (i.detail.splitlines() or [""])[0][:100],
        }
        for i in items
    ]
    return pd.DataFrame(rows, columns=["parameters", "run", "status", "exit", "detail"]).to_string(index=False)


def _setup_logging(quiet: bool) -> None:
    from workbench.redact import install_log_redaction

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING if quiet else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    install_log_redaction()  # database passwords never reach a log


def report_command(
    params: str | None,
    batch: str | None,
    out: str | None,
    jobs: int = 1,
    scheduler: str | None = None,
    quiet: bool = False,
) -> int:
    """``workbench report``: run one report (``params``) or many (``batch``).

    Prints the path of ``index.html`` (one report) or a summary table (batch).

    Returns
    -------
    int
        Exit code (0 ok, 1 failed, 2 bad input, 3 privacy, 4 busy).
    """
    _setup_logging(quiet)
    if batch:
        items = run_batch(batch, out=out, jobs=max(1, jobs), scheduler=scheduler, quiet=quiet)
        print(format_summary(items))
        return max(i.exit_code for i in items)
    if params is None:
        print("give --params or --batch", file=sys.stderr)
        return EXIT_BAD_INPUT
    item = run_one(params, out=out, progress=not quiet)
    if item.exit_code != EXIT_OK:
        print(f"report {params} {item.status}:\n{item.detail}", file=sys.stderr)
        return item.exit_code
    print(item.index)
    return EXIT_OK


def validate_command(params: str) -> int:
    """``workbench validate``: check the parameter file and the data; print a quality summary.

    Returns
    -------
    int
        0 when parameters and data are fine, 2 otherwise.
    """
    import pandas as pd

    from workbench.data import DataError, load_dataset
    from workbench.sections.overview import quality_table
    from workbench.redact import redact

    from .params import ParameterError, load_params
    from .runner import ensure_synthetic

    try:
        p = load_params(params)
    except ParameterError as exc:
        print(redact(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Parameters OK: {params} (run {p.run_name!r}, notebooks {', '.join(p.notebooks)})")
    findings = notebook_parameter_findings(p)
    bad = [f for f in findings if f[2]]
    print(f"Notebook parameters: {len(findings)} value(s) checked against the notebooks' parameters cells"
          + (":" if findings else "."))
    for where, value, problem in findings:
        print(f"  {where} = {value}: {problem or 'ok'}")
    if bad:  # load_params refuses these too; kept as a second line of defence
        print(f"{len(bad)} notebook parameter value(s) do not fit their notebook", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        ensure_synthetic(p)
        dataset = load_dataset(p.data, base_dir=p.base_dir)
    except DataError as exc:
        print(redact(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Data OK: {dataset.name} (time zone {dataset.timezone}, CRS {dataset.crs}, "
          f"sha256 {dataset.fingerprint()})")
    summary = quality_table(dataset)  # data_quality_summary, display-ready
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 500):
        print(summary.to_string(index=False))
        from workbench.data import quality_flags  # the data owner sees example ids

        flags = quality_flags(dataset, examples=3)
        if len(flags):
            print("Data-quality flags:\n" + flags.to_string(index=False))
    return EXIT_OK



def notebook_parameter_findings(params) -> list[tuple[str, str, str]]:
    """Every ``notebook_parameters`` value checked as :func:`~workbench.report.params.load_params` does.

    The same check (:func:`~workbench.report.params.check_notebook_value` against the notebook's
    own ``parameters`` cell), listed value by value for ``workbench validate``.

    Returns
    -------
    list of (str, str, str)
        ``(notebook.parameter, value as text, problem)``; ``problem`` is empty when the value fits.
    """
    from .params import RESERVED_PARAMETERS, check_notebook_value, notebook_parameter_specs

    out = []
    for nb, overrides in params.notebook_parameters.items():
        path = params.notebook_path(nb)
        specs = notebook_parameter_specs(path) if path.is_file() else {}
        for key, value in overrides.items():
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:59] + "…"
            if key in RESERVED_PARAMETERS:
                problem = "set by the runner"
            elif key not in specs:
                problem = "not a parameter of this notebook"
            else:
                problem = check_notebook_value(key, specs[key], value) or ""
            out.append((f"{nb}.{key}", shown, problem))
    return out


def runs_command(reports: str = "reports", report: str | None = None, as_json: bool = False) -> int:
    """``workbench runs``: the recorded runs of the reports under ``reports``, newest first.

    Parameters
    ----------
    reports : str
        Folder holding the report folders.
    report : str, optional
        One report folder name.
    as_json : bool
        Print a JSON list of the records instead of a table.

    Returns
    -------
    int
        0 (also when nothing was recorded yet); 2 for an unknown or unsafe report name.
    """
    import json

    from .history import format_runs, list_runs

    try:
        records = list_runs(reports, report)
    except ValueError as exc:
        print(f"workbench runs: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if report is not None and not records and not (Path(reports) / report).is_dir():
        print(f"workbench runs: no report folder {report!r} in {reports}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(records, indent=1, sort_keys=True) if as_json else format_runs(records))
    return EXIT_OK
