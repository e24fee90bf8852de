"""Run history of a report: one record per run, the summaries of the last runs, and the comparison.

Every successful run publishes its report folder with a ``history/`` folder inside
(:data:`HISTORY_DIR`), carried over from the report it replaces:

- ``history/runs.jsonl`` (:data:`RUNS_FILE`): one JSON record per published run, oldest first
  (:func:`run_record`: run name, report folder, audience, status, start and finish times, seconds,
  data fingerprint, workbench version, seconds per notebook and the headline numbers as shown on
  the index page), at most :data:`MAX_RECORDS` lines;
- ``history/<UTC time>.summary.json``: the ``summary.json`` of the last ``keep_runs`` runs (the
  parameter ``keep_runs``, default 10); older ones are removed, and only files named like that
  (the workbench's own) are ever removed.

A run that fails after its staging folder was made (a notebook failed, the privacy scan refused a
page) leaves the published report untouched and writes its record as ``run.json``
(:data:`FAILED_RECORD`) into its folder under ``reports/_failed/`` (status ``failed`` or
``privacy``, the notebook named, the error's type only: an error message may quote data). Runs
refused for bad parameters or data write nothing, so they have no record.

:func:`list_runs` gathers both for ``workbench runs``; :func:`comparison_summary` picks the
earlier run the index's "What changed" part compares with (the parameter ``compare_with``:
``previous``, an ISO date or a number of runs back).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "FAILED_RECORD",
    "HEADLINE",
    "HISTORY_DIR",
    "MAX_RECORDS",
    "RUNS_FILE",
    "carry_history",
    "comparison_summary",
    "format_runs",
    "headline",
    "list_runs",
    "read_history",
    "record_failure",
    "run_record",
]

log = logging.getLogger("workbench.report")

#: Folder inside every published report holding its run history.
HISTORY_DIR = "history"
#: One JSON record per published run, oldest first.
RUNS_FILE = "runs.jsonl"
#: Record of a failed run, in its folder under ``reports/_failed/``.
FAILED_RECORD = "run.json"
#: Most records kept in :data:`RUNS_FILE` (the oldest are dropped).
MAX_RECORDS = 1000

#: Headline numbers of a record: summary key -> short column name of ``workbench runs``.
HEADLINE: dict[str, str] = {
    "shootings": "shootings",
    "people_exposed": "exposures",
    "coresponse_coverage": "coverage",
    "median_days_to_engagement": "days_to_engage",
    "past_victims_unserved": "unserved",
}

#: Summary files written by the workbench: ``<UTC stamp>[-n].summary.json``.
_SUMMARY_FILE = re.compile(r"^\d{8}T\d{6}Z(-\d+)?\.summary\.json$")
#: A report folder name (a run name, ``-research`` for research reports).
_FOLDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
#: Control characters (never printed to a terminal from a record).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _utc_stamp(iso: str) -> str:
    """``2026-12-06T05:36:32+01:00`` -> ``20261206T043632Z`` (sortable, safe as a file name)."""
    try:
        t = datetime.fromisoformat(str(iso))
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
    except ValueError:
        t = datetime.now(timezone.utc)
    return t.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def headline(summary: dict[str, Any] | None) -> dict[str, str]:
    """The headline numbers of a ``summary.json`` as shown on the index (suppression applied)."""
    if not summary:
        return {}
    return {str(n.get("key")): str(n.get("shown", "")) for n in summary.get("numbers", [])
            if n.get("key") in HEADLINE}


def run_record(
    *,
    run_name: str,
    report: str,
    audience: str,
    status: str,
    started: str,
    finished: str,
    seconds: float,
    fingerprint: str = "",
    version: str = "",
    summary: dict[str, Any] | None = None,
    notebooks: dict[str, float] | None = None,
    notebook: str = "",
    error: str = "",
    compared_with: str = "",
) -> dict[str, Any]:
    """One run's record (JSON-ready).

    Parameters
    ----------
    run_name : str
        The parameter file's ``run_name``.
    report : str
        Report folder name (``<run_name>`` or ``<run_name>-research``).
    audience : {"policy", "research"}
    status : {"ok", "failed", "privacy", "error"}
    started, finished : str
        Time-zone-aware ISO 8601 times.
    seconds : float
        Wall-clock seconds of the run.
    fingerprint : str
        SHA-256 of the data.
    version : str
        ``workbench`` version.
    summary : dict, optional
        The run's ``summary.json``: its headline numbers (:func:`headline`) and period end are kept.
    notebooks : dict, optional
        Seconds per notebook.
    notebook : str
        The notebook that failed (failed runs).
    error : str
        Type of the error (failed runs; never its message, which may quote data).
    compared_with : str
        What the index compared this run with.
    """
    rec: dict[str, Any] = {
        "run_name": run_name, "report": report, "audience": audience, "status": status,
        "started": started, "finished": finished, "seconds": round(float(seconds), 1),
        "fingerprint": fingerprint, "version": version,
        "headline": headline(summary),
        "period_end": ((summary or {}).get("period") or {}).get("end", ""),
        "notebooks": {k: round(float(v), 1) for k, v in (notebooks or {}).items()},
    }
    if notebook:
        rec["notebook"] = notebook
    if error:
        rec["error"] = error
    if compared_with:
        rec["compared_with"] = compared_with
    return rec


# -- reading ------------------------------------------------------------------------------------
def _read_json(path: Path) -> Any:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_history(folder: str | Path) -> list[dict[str, Any]]:
    """Records of the published runs of the report in ``folder``, oldest first.

    A report published before run histories existed has no ``history/``: its one record is made
    from its ``summary.json`` and marker file. Unreadable lines are skipped.
    """
    folder = Path(folder)
    path = folder / HISTORY_DIR / RUNS_FILE
    records: list[dict[str, Any]] = []
    if path.is_file() and not path.is_symlink():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                records.append(rec)
        return records
    return [r for r in [_legacy_record(folder)] if r]


def _legacy_record(folder: Path) -> dict[str, Any] | None:
    """A record for a report without ``history/`` (from ``summary.json`` and the marker)."""
    from .guard import MARKER_FILE, is_workbench_report

    if not is_workbench_report(folder):
        return None
    marker = _read_json(folder / MARKER_FILE) or {}
    summary = _read_json(folder / "summary.json")
    summary = summary if isinstance(summary, dict) else None
    finished = str((summary or {}).get("finished") or marker.get("written") or "")
    rec = run_record(
        run_name=str((summary or {}).get("run_name") or marker.get("run_name") or folder.name),
        report=folder.name, audience=str(marker.get("audience", "policy")), status="ok",
        started="", finished=finished, seconds=0.0,
        fingerprint=str((summary or {}).get("fingerprint", "")), version=str(marker.get("version", "")),
        summary=summary,
    )
    rec["summary"] = "summary.json" if summary else ""
    return rec


def _summaries(folder: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(record, summary.json)`` of the kept successful runs of ``folder``, newest first."""
    out = []
    for rec in reversed(read_history(folder)):
        name = str(rec.get("summary") or "")
        if rec.get("status") != "ok" or not name:
            continue
        path = folder / name if name == "summary.json" else folder / HISTORY_DIR / Path(name).name
        s = _read_json(path)
        if isinstance(s, dict):
            out.append((rec, s))
    return out


def _parse_compare(compare_with: str | int | date | None) -> tuple[str, Any]:
    """``("previous", None)``, ``("back", n)`` or ``("date", date)``."""
    if compare_with is None:
        return "previous", None
    if isinstance(compare_with, date):
        return "date", compare_with if not isinstance(compare_with, datetime) else compare_with.date()
    text = str(compare_with).strip()
    if text in ("", "previous"):
        return "previous", None
    if text.isdigit():
        return ("previous", None) if int(text) <= 1 else ("back", int(text))
    return "date", date.fromisoformat(text[:10])


def comparison_summary(
    folder: str | Path, compare_with: str | int | date | None = "previous"
) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """The earlier run's ``summary.json`` the index compares this run with.

    Parameters
    ----------
    folder : path
        The report folder (the published report the new run will replace).
    compare_with : str, int or date
        ``previous`` (the last published run), a number ``n`` (``n`` runs back; 1 is the
        previous run) or an ISO date (the last run that finished on or before that day, local
        time of the run).

    Returns
    -------
    (dict or None, str or None, str or None)
        The summary (``None`` on a first run), how the sentences name that run (``None`` for
        the previous run: "the previous run") and a note when the run asked for is not kept
        (the closest kept run is used instead).
    """
    kept = _summaries(Path(folder))
    if not kept:
        return None, None, None
    kind, value = _parse_compare(compare_with)
    note = None
    if kind == "previous":
        return kept[0][1], None, None
    if kind == "back":
        i = value - 1
        if i >= len(kept):
            i = len(kept) - 1
            are = "runs are" if len(kept) != 1 else "run is"
            note = (f"compare_with asks for the run {value} runs back, but only {len(kept)} earlier {are} "
                    "kept (keep_runs); compared with the oldest kept run.")
    else:
        older = [k for k, (r, _) in enumerate(kept) if str(r.get("finished", ""))[:10] <= value.isoformat()]
        if older:
            i = older[0]
        else:
            i = len(kept) - 1
            note = (f"compare_with asks for the last run on or before {value.isoformat()}, but no kept run "
                    "is that old; compared with the oldest kept run.")
    rec, s = kept[i]
    back = i + 1
    if back == 1:
        return s, None, note
    when = str(rec.get("finished", ""))[:16].replace("T", " ") or "an earlier date"  # date and time
    return s, f"the run of {when}, {back} runs back", note


# -- writing ------------------------------------------------------------------------------------
def carry_history(staging: str | Path, target: str | Path, record: dict[str, Any],
                  summary_text: str | None, keep_runs: int = 10) -> Path:
    """Write ``staging/history``: the report's history so far plus this run.

    Copies ``target/history`` (only when ``target`` is a workbench report, and only the files the
    workbench writes there: :data:`RUNS_FILE` and ``<stamp>.summary.json``; never symbolic
    links), or, for a report made before histories existed, starts from its ``summary.json``;
    adds this run's summary and record; keeps the newest ``keep_runs`` summaries and
    :data:`MAX_RECORDS` records.

    Returns
    -------
    Path
        ``staging/history``.
    """
    from .guard import is_workbench_report

    staging, target = Path(staging), Path(target)
    dest = staging / HISTORY_DIR
    dest.mkdir(exist_ok=True)
    records: list[dict[str, Any]] = []
    if is_workbench_report(target):
        src = target / HISTORY_DIR
        if src.is_dir() and not src.is_symlink():
            for f in src.iterdir():
                if f.is_file() and not f.is_symlink() and (f.name == RUNS_FILE or _SUMMARY_FILE.match(f.name)):
                    shutil.copy2(f, dest / f.name)
            records = read_history(target)
        else:  # published before run histories: its summary becomes the first kept one
            legacy = _legacy_record(target)
            if legacy is not None:
                if legacy.get("summary"):
                    name = _free_name(dest, _utc_stamp(legacy.get("finished", "")))
                    shutil.copy2(target / "summary.json", dest / name)
                    legacy["summary"] = name
                records = [legacy]
    record = dict(record)
    record["summary"] = ""
    if summary_text is not None:
        name = _free_name(dest, _utc_stamp(record.get("finished", "")))
        (dest / name).write_text(summary_text, encoding="utf-8")
        record["summary"] = name
    records.append(record)
    records = records[-MAX_RECORDS:]
    # keep the newest keep_runs summaries; only the workbench's own files are removed
    with_summary = [r for r in records if r.get("summary")]
    keep = {str(r["summary"]) for r in with_summary[-max(1, int(keep_runs)):]}
    for f in dest.iterdir():
        if _SUMMARY_FILE.match(f.name) and f.name not in keep:
            f.unlink()
    for r in records:
        if r.get("summary") and str(r["summary"]) not in keep:
            r["summary"] = ""
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
    (dest / RUNS_FILE).write_text(text, encoding="utf-8")
    return dest


def _free_name(folder: Path, stamp: str) -> str:
    name, n = f"{stamp}.summary.json", 1
    while (folder / name).exists():
        n += 1
        name = f"{stamp}-{n}.summary.json"
    return name


def record_failure(target: str | Path, kept_name: str, record: dict[str, Any], kept: Path | None = None,
                   since: float | None = None) -> Path | None:
    """Write a failed run's record as ``run.json`` under ``<reports>/_failed/``; never raises.

    Parameters
    ----------
    target : path
        The report folder the run would have published (left untouched).
    kept_name : str
        Report folder name; the failed run's folder is ``_failed/<kept_name>-<stamp>``.
    record : dict
        :func:`run_record` with status ``failed``, ``privacy`` or ``error``.
    kept : Path, optional
        The run's ``_failed`` folder when one was made (the failed notebook is kept there).
    since : float, optional
        Start of the run (epoch seconds): a ``_failed/<kept_name>-*`` folder made since then
        without a record is taken as the run's own.

    Returns
    -------
    Path or None
        The record written (``None`` if it could not be written; a warning is logged).
    """
    from .runner import FAILED_DIR

    try:
        base = Path(target).parent / FAILED_DIR
        if kept is None and since is not None and base.is_dir():
            mine = [p for p in base.iterdir()
                    if p.is_dir() and not p.is_symlink() and p.name.startswith(f"{kept_name}-")
                    and p.stat().st_mtime >= since - 1 and not (p / FAILED_RECORD).exists()]
            kept = max(mine, key=lambda p: p.stat().st_mtime) if mine else None
        if kept is None:
            stamp = datetime.now(timezone.utc).astimezone().strftime("%Y%m%dT%H%M%S%z")
            kept, n = base / f"{kept_name}-{stamp}", 1
            while kept.exists():
                n += 1
                kept = base / f"{kept_name}-{stamp}-{n}"
            from .guard import private_dir

            private_dir(kept)  # 0700: a failed notebook may hold person-level rows
        path = Path(kept) / FAILED_RECORD
        with open(path, "x", encoding="utf-8") as f:  # never overwrites
            json.dump(record, f, indent=1, sort_keys=True)
        return path
    except Exception as e:  # a missing record must never hide the run's own error
        log.warning("report %s: failed run not recorded: %s: %s", kept_name, type(e).__name__, e)
        return None


# -- listing --------------------------------------------------------------------------------
def list_runs(reports: str | Path = "reports", report: str | None = None) -> list[dict[str, Any]]:
    """Every recorded run under ``reports`` (or of one report folder), newest first.

    Parameters
    ----------
    reports : path
        The folder holding the report folders (default ``reports``).
    report : str, optional
        One report folder name (``demo``, ``demo-research``).

    Returns
    -------
    list of dict
        :func:`run_record` dicts, published runs and failed runs (from ``_failed/*/run.json``),
        sorted by finish time, newest first.

    Raises
    ------
    ValueError
        ``report`` is not a plain folder name.
    """
    from .runner import FAILED_DIR

    reports = Path(reports)
    if report is not None and not _FOLDER_NAME.match(report):
        raise ValueError(f"{report!r} is not a report folder name (letters, digits, '_', '.', '-')")
    out: list[dict[str, Any]] = []
    if not reports.is_dir():
        return out
    for folder in sorted(reports.iterdir()):
        if folder.name.startswith((".", "_")) or not folder.is_dir() or folder.is_symlink():
            continue
        if report is not None and folder.name != report:
            continue
        for rec in read_history(folder):
            rec.setdefault("report", folder.name)
            out.append(rec)
    failed = reports / FAILED_DIR
    if failed.is_dir():
        for folder in failed.iterdir():
            rec = _read_json(folder / FAILED_RECORD)
            if not isinstance(rec, dict):
                continue
            if report is not None and rec.get("report") != report:
                continue
            rec["kept"] = str(folder)
            out.append(rec)
    return sorted(out, key=lambda r: _utc_stamp(r.get("finished", "")) if r.get("finished") else "", reverse=True)


def _plain(value: Any, width: int | None = None) -> str:
    text = _CONTROL.sub("?", str(value if value is not None else ""))
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def format_runs(records: list[dict[str, Any]]) -> str:
    """Plain-text table of :func:`list_runs` (newest first): one line per run.

    Columns: report, finished, status, seconds, data (first 12 hex digits of the fingerprint),
    the headline numbers as shown on the index, and for failed runs the notebook and error type.
    """
    if not records:
        return "No recorded runs."
    cols = ["report", "finished", "status", "seconds", "data", *HEADLINE.values(), "detail"]
    rows = []
    for r in records:
        h = r.get("headline") or {}
        detail = ""
        if r.get("status") != "ok":
            detail = " ".join(x for x in (f"notebook {r['notebook']}" if r.get("notebook") else "",
                                          f"({r['error']})" if r.get("error") else "") if x)
        elif r.get("compared_with"):
            detail = f"compared with {r['compared_with']}"
        rows.append([
            _plain(r.get("report") or r.get("run_name"), 40), _plain(r.get("finished"), 25),
            _plain(r.get("status"), 10), f"{float(r.get('seconds') or 0):.1f}",
            _plain(str(r.get("fingerprint") or "")[:12]),
            *[_plain(h.get(k, ""), 20) for k in HEADLINE], _plain(detail, 60),
        ])
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)
