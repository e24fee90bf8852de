"""The ``workbench`` command line: ``synth``, ``validate``, ``map``, ``report``, ``brief`` and ``kernel``.

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


def _parser() -> argparse.ArgumentParser:
    from workbench import __version__

    p = argparse.ArgumentParser(prog="workbench", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="write the synthetic city (every contract table + truth.json)")
    s.add_argument("--scale", choices=["tiny", "demo", "city"], default="demo")
    s.add_argument("--seed", type=int, default=20261125)
    s.add_argument("--out", required=True, help="output folder (a contract folder)")

    v = sub.add_parser("validate", help="check parameters and data; print a data-quality summary")
    v.add_argument("--params", required=True, help="parameters YAML file")

    r = sub.add_parser("report", help="run the report notebooks with papermill and export HTML")
    g = r.add_mutually_exclusive_group(required=True)
    g.add_argument("--params", help="parameters YAML file")
    g.add_argument("--batch", help="glob of parameter files, e.g. 'parameters/*.yaml'")
    r.add_argument("--out", help="report folder (default reports/<run name>)")
    r.add_argument("--jobs", type=int, default=1, help="parallel processes for --batch")
    r.add_argument("--scheduler", help="Dask distributed scheduler address for --batch")
    r.add_argument("--quiet", action="store_true", help="no progress bars")
    r.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait up to SECONDS for another run of the same report folder (default: refuse at once)")

    mp = sub.add_parser("map", help="propose a commented mapping YAML from a raw export, then validate it")
    mp.add_argument("file", help="CSV, Parquet or Excel file, SQLite file or SQLAlchemy URL")
    mp.add_argument("--table", default="incidents", help="contract table the file holds")
    mp.add_argument("--sql", help="table name or SELECT query (database sources)")
    mp.add_argument("--crs", help="EPSG code of projected x/y coordinates, when known")
    mp.add_argument("--out", help="YAML file to write (default ./<file stem>-mapping.yaml)")
    mp.add_argument("--force", action="store_true", help="replace an existing --out file")
    b = sub.add_parser("brief", help="write the one-page co-responder brief for the shootings of a day or week")
    b.add_argument("--params", required=True, help="parameters YAML file")
    b.add_argument("--date", required=True, help="first local day, YYYY-MM-DD")
    b.add_argument("--days", type=int, default=1, help="days covered (7 for a week)")
    b.add_argument("--out", help="HTML file (default reports/<run name>-briefs/brief-<date>.html)")

    k = sub.add_parser("kernel", help="register this environment's Jupyter kernel")
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
