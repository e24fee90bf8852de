"""Report runner: parameters, papermill execution, code-free HTML export, atomic publication.

Public API
----------
- :class:`ReportParams`, :func:`load_params`, :class:`ParameterError` -- the parameter file;
- :func:`run_report`, :class:`ReportResult`, :class:`NotebookError` -- one report run;
- :func:`default_out`, :func:`report_audience`, :data:`AUDIENCE_FILE` -- where a report goes and
  whom it is for (policy or research);
- :func:`run_batch`, :func:`report_command`, :func:`validate_command` -- the CLI commands;
- :func:`ensure_kernel` -- the Jupyter kernel of this environment;
- :func:`export_html` -- nbconvert HTML without code;
- :class:`FolderError`, :class:`ReportBusyError`, :data:`MARKER_FILE` -- folder safety
  (:mod:`workbench.report.guard`, ``docs/security.md``).
"""

from .commands import BatchItem, format_summary, report_command, run_batch, run_one, validate_command
from .export import export_html
from .guard import MARKER_FILE, FolderError, ReportBusyError
from .kernel import KERNEL_NAME, ensure_kernel, kernel_environment
from .params import ParameterError, ReportParams, load_params
from .publish import clean_stale, publish
from .runner import (
    AUDIENCE_FILE,
    NotebookError,
    NotebookRun,
    ReportResult,
    default_out,
    ensure_synthetic,
    report_audience,
    run_report,
)

__all__ = [
    "AUDIENCE_FILE",
    "KERNEL_NAME",
    "MARKER_FILE",
    "BatchItem",
    "FolderError",
    "NotebookError",
    "NotebookRun",
    "ParameterError",
    "ReportParams",
    "ReportBusyError",
    "ReportResult",
    "clean_stale",
    "default_out",
    "ensure_kernel",
    "ensure_synthetic",
    "export_html",
    "format_summary",
    "kernel_environment",
    "load_params",
    "publish",
    "report_audience",
    "report_command",
    "run_batch",
    "run_one",
    "run_report",
    "validate_command",
]
