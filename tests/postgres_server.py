"""A throwaway PostgreSQL server for the tests, when the machine has one installed.

``WORKBENCH_TEST_POSTGRES_URL`` wins when set. Otherwise, when ``initdb`` and ``pg_ctl`` are on the
PATH (Debian's postgresql package puts them there on this project's machines), a private cluster is
initialised in a temporary folder, started on a free loopback port and stopped at the end of the
session. As root the server runs as the ``postgres`` system user (PostgreSQL refuses root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def _as_postgres() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return ["__no_postgres_user__"]
    return ["runuser", "-u", "postgres", "--"]


@contextmanager
def scratch_postgres() -> Iterator[str | None]:
    """Yield a SQLAlchemy URL of a scratch database, or ``None`` when no server can be had."""
    url = os.environ.get("WORKBENCH_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    prefix = _as_postgres()
    if not (initdb and pg_ctl) or prefix == ["__no_postgres_user__"]:
        yield None
        return
    home = tempfile.mkdtemp(prefix="workbench-pg-")
    os.chmod(home, 0o777)
    data = os.path.join(home, "data")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = dict(check=True, capture_output=True, timeout=60)
    try:
        subprocess.run(prefix + [initdb, "-D", data, "-A", "trust", "-U", "postgres"], **run)
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            prefix + [pg_ctl, "-D", data, "-o", options, "-w", "-l", f"{home}/log", "start"], **run
        )
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(home, ignore_errors=True)
        yield None
        return
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
