"""The ``workbench`` command line: ``synth``, ``validate``, ``map``, ``report``, ``runs``, ``brief`` and ``kernel``.

Exit codes (for schedulers): 0 success, 1 a report or notebook failed, 2 bad parameters, bad
input data or an output folder the workbench did not make (nothing was written), 3 the privacy
scan refused an export, 4 another run is writing the same report folder (retry later). A run
ended by SIGTERM or SIGHUP exits with 128 + the signal number after removing its staging folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PRIVACY = 3
EXIT_BUSY = 4


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Epilogs kept as written (exit codes, examples); an option's default shown when it has one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "%(default)" not in text \
                and action.option_strings:
            text += " (default: %(default)s)"
        return text


#: What ``workbench --help`` opens with.
DESCRIPTION = ("Violence Response Workbench: make the synthetic city, validate parameters and data,\n"
               "run and publish the reports, list past runs, write co-responder briefs.")

#: Exit codes of every command (the epilog of ``workbench --help``).
EXIT_CODES = """exit codes:
  0  success
  1  a report or notebook failed (the failed notebook is kept in reports/_failed/)
  2  bad parameters, bad input data, or an output folder the workbench did not make
     (nothing was written)
  3  the privacy scan refused an export (nothing was published)
  4  another run is writing the same report folder (nothing touched; retry later)
  128+N  the run was ended by signal N (SIGTERM 143, SIGHUP 129); its staging folder was removed"""

_EPILOGS = {
    "workbench": EXIT_CODES + """

examples:
  workbench synth --scale demo --out data/demo
  workbench validate --params parameters/demo.yaml
  workbench report --params parameters/demo.yaml
  workbench report --batch 'parameters/*.yaml' --jobs 2 --quiet
  workbench runs --report demo

'workbench COMMAND --help' explains each command's options.""",
    "synth": """exit codes: 0 written; 2 the folder cannot be written.

example:
  workbench synth --scale tiny --seed 7 --out data/tiny""",
    "validate": """Checks the parameter file (every key, the notebooks, each notebook parameter value against
the notebook's own parameters cell), then loads and validates the data; nothing is written.

exit codes: 0 parameters and data are fine; 2 a problem (each one printed, with the fix).

example:
  workbench validate --params parameters/demo.yaml""",
    "report": EXIT_CODES + """
A batch exits with the highest code of its reports (4 > 3 > 2 > 1).

examples:
  workbench report --params parameters/demo.yaml
  workbench report --params parameters/demo.yaml --out /srv/www/reports/demo --quiet
  workbench report --batch 'parameters/*.yaml' --jobs 2 --quiet""",
    "runs": """Lists the recorded runs of the reports under --reports, newest first: published runs (from
each report's history/runs.jsonl; the parameter keep_runs sets how many summaries are kept) and
failed runs (reports/_failed/*/run.json), with the data fingerprint and the headline numbers as
the index shows them (small counts suppressed).

exit codes: 0 listed (also when there is no run yet); 2 no report folder of that name, or a
name that is not a plain folder name.

examples:
  workbench runs
  workbench runs --report demo
  workbench runs --reports /srv/www/reports --json""",
    "map": """exit codes: 0 the proposal loads; 2 the file cannot be read, --out exists (without --force) or
the proposal still fails validation (each problem printed).

example:
  workbench map exports/shootings.csv --table incidents --out parameters/shootings-mapping.yaml""",
    "brief": """exit codes: 0 written; 2 bad parameters, date or data, or --out is a file the brief did not
write; 3 the privacy scan refused the page.

examples:
  workbench brief --params parameters/demo.yaml --date 2026-11-30
  workbench brief --params parameters/demo.yaml --date 2026-11-24 --days 7""",
    "kernel": """exit codes: 0 registered (prints the kernel name).

example:
  workbench kernel --install""",
}


def _parser() -> argparse.ArgumentParser:
    from workbench import __version__

    p = argparse.ArgumentParser(prog="workbench", description=DESCRIPTION,
                                epilog=_EPILOGS["workbench"], formatter_class=_Formatter)
    p.add_argument("--version", action="version", version=f"workbench {__version__}",
                   help="print the workbench version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                              epilog=_EPILOGS[name], formatter_class=_Formatter)

    s = command("synth", "write the synthetic city (every contract table + truth.json)")
    s.add_argument("--scale", choices=["tiny", "demo", "city"], default="demo",
                   help="size of the city: tiny (tests), demo (a few seconds), city (~320k people)")
    s.add_argument("--seed", type=int, default=20261125, help="random seed (same seed, same city)")
    s.add_argument("--out", required=True, help="output folder (a contract folder)")

    v = command("validate", "check parameters and data; print a data-quality summary")
    v.add_argument("--params", required=True, help="parameters YAML file")

    r = command("report", "run the report notebooks with papermill and export HTML")
    g = r.add_mutually_exclusive_group(required=True)
    g.add_argument("--params", help="parameters YAML file (one report)")
    g.add_argument("--batch", help="glob of parameter files, e.g. 'parameters/*.yaml' (quote it)")
    r.add_argument("--out", help="report folder (default reports/<run name>); with --batch the parent "
                                 "folder of the reports")
    r.add_argument("--jobs", type=int, default=1, help="reports run at once with --batch (one per core)")
    r.add_argument("--scheduler", help="Dask distributed scheduler address for --batch (tcp://host:8786)")
    r.add_argument("--quiet", action="store_true", help="no progress bars and no per-notebook lines")
    r.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait up to SECONDS for another run of the same report folder (default: refuse at once)")

    ru = command("runs", "list past runs of the reports: status, data fingerprint, headline numbers")
    ru.add_argument("--report", help="only this report folder (e.g. demo or demo-research)")
    ru.add_argument("--reports", default="reports", help="folder holding the report folders")
    ru.add_argument("--json", action="store_true", help="print the records as JSON (for machines)")

    mp = command("map", "propose a commented mapping YAML from a raw export, then validate it")
    mp.add_argument("file", help="CSV, Parquet or Excel file, SQLite file or SQLAlchemy URL")
    mp.add_argument("--table", default="incidents", help="contract table the file holds")
    mp.add_argument("--sql", help="table name or SELECT query (database sources)")
    mp.add_argument("--crs", help="EPSG code of projected x/y coordinates, when known")
    mp.add_argument("--out", help="YAML file to write (default ./<file stem>-mapping.yaml)")
    mp.add_argument("--force", action="store_true", help="replace an existing --out file")

    b = command("brief", "write the one-page co-responder brief for the shootings of a day or week")
    b.add_argument("--params", required=True, help="parameters YAML file")
    b.add_argument("--date", required=True, help="first local day, YYYY-MM-DD")
    b.add_argument("--days", type=int, default=1, help="days covered (7 for a week)")
    b.add_argument("--out", help="HTML file (default reports/<run name>-briefs/brief-<date>.html)")

    k = command("kernel", "register this environment's Jupyter kernel")
    k.add_argument("--install", action="store_true", help="install the kernelspec into sys.prefix")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "synth":
        from workbench.synth import write_city

        out = write_city(scale=args.scale, seed=args.seed, out=args.out)
        print(out)
        return EXIT_OK
    if args.command == "map":
        from workbench.data.propose import map_command

        return map_command(args.file, args.table, args.out, args.sql, args.crs, args.force)
    if args.command == "kernel":
        from workbench.report.kernel import ensure_kernel

        print(ensure_kernel())
        return EXIT_OK
    if args.command == "runs":
        from workbench.report.commands import runs_command

        return runs_command(args.reports, report=args.report, as_json=args.json)
    if args.command == "brief":
        from workbench.report.brief import brief_command

        return brief_command(args.params, args.date, days=args.days, out=args.out)
    from workbench.report.commands import report_command, validate_command

    if args.command == "validate":
        return validate_command(args.params)
    if args.wait > 0:  # read by every run of this process and its batch workers
        from workbench.report.guard import WAIT_ENV

        os.environ[WAIT_ENV] = str(args.wait)
    return report_command(
        params=args.params,
        batch=args.batch,
        out=args.out,
        jobs=args.jobs,
        scheduler=args.scheduler,
        quiet=args.quiet,
    )


if __name__ == "__main__":
    sys.exit(main())
