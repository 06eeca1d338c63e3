"""A private PostgreSQL cluster in a temporary folder on a free port, for drills that restart or kill
the database server: the shared server on 127.0.0.1:5432 is never touched.

Debian's `initdb` and `pg_ctl` (/usr/lib/postgresql/<version>/bin) refuse to run as root: as root they
run as the `postgres` user, in a folder it owns.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import asyncpg

PG_ROOT = Path("/usr/lib/postgresql")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pg_bin() -> Path:
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "pg_ctl").exists()), key=lambda p: int(p.parent.name)
    )
    if not versions:
        raise RuntimeError(f"geen PostgreSQL-binaries onder {PG_ROOT} (apt-get install postgresql)")
    return versions[-1]


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = port
        self.bin = pg_bin()

    def _run(self, *args: str, timeout: float = 60) -> None:
        """Output goes to the log file: a server started here must not hold a pipe of ours open."""
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        with (self.folder / "pg_ctl.log").open("a") as output:
            subprocess.run(command, check=True, timeout=timeout, stdout=output, stderr=output)  # noqa: S603

    def url(self, database: str, maxsize: int = 10) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?maxsize={maxsize}"

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"
        )

    def _options(self) -> list[str]:
        settings = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        return ["-D", str(self.data), "-l", str(self.log), "-o", settings, "-w"]

    def start(self) -> None:
        self._run("pg_ctl", *self._options(), "start")

    def restart(self) -> float:
        """`pg_ctl restart -m fast`: open connections are ended; returns the seconds it took."""
        started = time.monotonic()
        self._run("pg_ctl", *self._options(), "-m", "fast", "restart")
        return time.monotonic() - started

    def stop_fast(self) -> None:
        """As at a planned maintenance: open connections are ended, the server shuts down cleanly."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    async def create_database(self, name: str) -> str:
        admin = await asyncpg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return self.url(name)


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="weerbaar-drill-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with suppress(subprocess.SubprocessError):
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
