"""`weerbaar backup` and `weerbaar restore`: the whole database in one file, and back.

- **SQLite**: the backup is an SQLite database file made with SQLite's online backup API while the
  app runs: a consistent copy (one snapshot) without stopping anything. A restore copies it into
  the target file the same way.
- **PostgreSQL**: the backup is a `pg_dump --format=custom` file (one snapshot, consistent while
  writes run); a restore is `pg_restore` into the target database in one transaction. `pg_dump`
  and `pg_restore` (Debian: postgresql-client) must be at least the server's version.

A restore refuses a target that holds rows (`--force` empties it first), a backup of the other
kind of database, and a backup whose migrations this version does not know (made by a newer
version). A backup from an older version is restored as it is; `weerbaar migrate` then brings
it up to date.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pkgutil
import re
import shutil
import sqlite3
import subprocess
import sys
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg

from server.db import MIGRATIONS, is_postgres
from server.settings import Settings

MIGRATIONS_TABLE = "tortoise_migrations"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message (Dutch) says why and what to do."""


def known_migrations() -> set[tuple[str, str]]:
    """(app, name) of every migration file this version ships."""
    known = set()
    for app, package in MIGRATIONS.items():
        path = import_module(package).__path__
        known |= {(app, module.name) for module in pkgutil.iter_modules(path) if module.name[:4].isdigit()}
    return known


def sqlite_path(database_url: str) -> Path:
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if not path or path == ":memory:":
        raise BackupError("Een database in het geheugen kan niet worden geback-upt.")
    return Path(path)


def _pg_environment(database_url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore (the password through PGPASSWORD, not argv)."""
    url = urlsplit(database_url)
    args = ["--host", url.hostname or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", unquote(url.username)]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = unquote(url.password)
    return [*args, "--dbname", url.path.lstrip("/")], env


def _asyncpg_url(database_url: str) -> str:
    url = urlsplit(database_url)
    return url._replace(scheme="postgresql", query="").geturl()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} niet gevonden; installeer de PostgreSQL-client (Debian: postgresql-client)."
        )
    return found


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} mislukte: {done.stderr.strip()[-2000:]}")
    return done.stdout


# ---------- backup ----------


def backup(database_url: str, out: Path) -> None:
    """Write a consistent copy of the database to `out` (via a temporary file, so a failed backup
    never leaves a half file under the real name)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    if is_postgres(database_url):
        args, env = _pg_environment(database_url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), *args], env)
    else:
        source = sqlite3.connect(f"file:{sqlite_path(database_url)}?mode=ro", uri=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)  # all pages in one step: one snapshot
        finally:
            target.close()
            source.close()
    partial.chmod(0o600)
    partial.replace(out)


# ---------- restore ----------


def backup_kind(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgres"
    raise BackupError(f"{path} is geen back-up van Weerbaar (geen SQLite-bestand en geen pg_dump-bestand).")


def _sqlite_migrations(path: Path) -> set[tuple[str, str]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        query = f"SELECT app, name FROM {MIGRATIONS_TABLE}"  # noqa: S608  # nosec B608
        return set(connection.execute(query))
    except sqlite3.OperationalError:
        return set()
    finally:
        connection.close()


def _pg_dump_migrations(path: Path) -> set[tuple[str, str]]:
    """The migration rows in a pg_dump file, read from its COPY block without restoring it."""
    script = _run([_tool("pg_restore"), "--data-only", f"--table={MIGRATIONS_TABLE}", "--file=-", str(path)])
    rows, inside = set(), False
    for line in script.splitlines():
        if line.startswith("COPY ") and MIGRATIONS_TABLE in line:
            inside = True
            columns = re.search(r"\((.*)\)", line)
            names = [c.strip().strip('"') for c in columns.group(1).split(",")] if columns else []
        elif inside and line == "\\.":
            inside = False
        elif inside:
            values = dict(zip(names, line.split("\t"), strict=False))
            rows.add((values["app"], values["name"]))
    return rows


def check_migrations(applied: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Refuse a backup with migrations this version does not know; returns the ones it lacks."""
    if not applied:
        raise BackupError("De back-up bevat geen migratiegegevens; is het wel een back-up van Weerbaar?")
    known = known_migrations()
    unknown = sorted(applied - known)
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown)
        raise BackupError(
            f"De back-up komt van een nieuwere versie van Weerbaar (onbekende migraties: {names}). "
            "Zet eerst die versie terug."
        )
    return sorted(known - applied)


async def _pg_rows(database_url: str) -> int:
    connection = await asyncpg.connect(_asyncpg_url(database_url))
    try:
        tables = await connection.fetch(
            "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'"
        )
        total = 0
        for table in tables:
            # The name comes from the catalogue, quoted by quote_ident.
            probe = f"SELECT count(*) FROM (SELECT 1 FROM {table['name']} LIMIT 1) t"  # noqa: S608  # nosec B608
            total += await connection.fetchval(probe)
        return total
    finally:
        await connection.close()


async def _pg_empty_schema(database_url: str) -> None:
    connection = await asyncpg.connect(_asyncpg_url(database_url))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


def _sqlite_rows(path: Path) -> int:
    if not path.exists():
        return 0
    connection = sqlite3.connect(path)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        # The names come from sqlite_master, not from input.
        probes = [
            f'SELECT count(*) FROM (SELECT 1 FROM "{name}" LIMIT 1)'  # noqa: S608  # nosec B608
            for name in tables
            if not name.startswith("sqlite_")
        ]
        return sum(connection.execute(probe).fetchone()[0] for probe in probes)
    finally:
        connection.close()


def restore(backup_file: Path, database_url: str, *, force: bool) -> list[tuple[str, str]]:
    """Put the backup into the target database; returns the migrations still to apply (backup of
    an older version). Raises BackupError when it refuses (see the module docstring)."""
    kind = backup_kind(backup_file)
    target_kind = "postgres" if is_postgres(database_url) else "sqlite"
    if kind != target_kind:
        raise BackupError(f"Dit is een back-up van {kind}, maar de database is {target_kind}.")
    if kind == "sqlite":
        missing = check_migrations(_sqlite_migrations(backup_file))
        target = sqlite_path(database_url)
        if _sqlite_rows(target) and not force:
            raise _not_empty()
        target.parent.mkdir(parents=True, exist_ok=True)
        source, destination = (
            sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True),
            sqlite3.connect(target),
        )
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
        return missing
    missing = check_migrations(_pg_dump_migrations(backup_file))
    if asyncio.run(_pg_rows(database_url)) and not force:
        raise _not_empty()
    asyncio.run(_pg_empty_schema(database_url))
    args, env = _pg_environment(database_url)
    _run(
        [
            _tool("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            *args,
            str(backup_file),
        ],
        env,
    )
    return missing


def _not_empty() -> BackupError:
    return BackupError(
        "De database is niet leeg. Terugzetten vervangt alles wat erin staat; herhaal met --force "
        "als dat de bedoeling is (stop eerst de app en de worker)."
    )


# ---------- the commands ----------


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    try:
        backup(settings.database_url, Path(args.out))
    except BackupError as error:
        print(f"Fout: {error}", file=sys.stderr)
        return 1
    print(f"Back-up geschreven naar {args.out}.")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    try:
        missing = restore(Path(args.file), settings.database_url, force=args.force)
    except BackupError as error:
        print(f"Fout: {error}", file=sys.stderr)
        return 1
    print(f"Back-up {args.file} teruggezet.")
    if missing:
        print(f"De back-up mist {len(missing)} migratie(s) van deze versie: voer nu `weerbaar migrate` uit.")
    return 0


def add_backup_commands(commands: Any) -> None:
    """`weerbaar backup` and `weerbaar restore` on the command line's subparsers."""
    backup_parser = commands.add_parser(
        "backup", help="de hele database in één bestand (terwijl de app draait)"
    )
    backup_parser.add_argument("--out", required=True, help="het back-upbestand om te schrijven")
    backup_parser.set_defaults(handler=cmd_backup)
    restore_parser = commands.add_parser("restore", help="een back-up terugzetten (stop eerst app en worker)")
    restore_parser.add_argument("file", help="het back-upbestand")
    restore_parser.add_argument(
        "--force", action="store_true", help="ook als de database niet leeg is: alles vervangen"
    )
    restore_parser.set_defaults(handler=cmd_restore)
