"""Throwaway test databases: an SQLite file in a temporary folder, or a PostgreSQL database
created on the local server for this run and dropped afterwards."""

from __future__ import annotations

import graphlib
import os
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
from tortoise import connections

from server.db import is_postgres

POSTGRES_SERVER = os.environ.get("WEERBAAR_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
POSTGRES_ADMIN_DB = "postgres"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


async def postgres_reachable() -> str | None:
    """None when reachable, else the reason."""
    try:
        connection = await asyncpg.connect(f"{POSTGRES_SERVER}/{POSTGRES_ADMIN_DB}", timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


async def require_postgres() -> None:
    reason = await postgres_reachable()
    if reason is None:
        return
    message = f"PostgreSQL op {POSTGRES_SERVER} is niet bereikbaar ({reason})"
    if running_in_ci():
        pytest.fail(f"{message}; onder CI=true moeten de PostgreSQL-tests draaien.", pytrace=False)
    pytest.skip(f"{message}: PostgreSQL-tests overgeslagen.")


@asynccontextmanager
async def throwaway_database(kind: str, *, copy_of: str | None = None) -> AsyncIterator[str]:
    """Yield the URL of a new database of this kind, empty or a copy of the database at `copy_of`
    (of the same kind, with nobody connected to it); remove it afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="weerbaar-test-") as folder:
            path = Path(folder) / "test.sqlite3"
            if copy_of:
                _copy_sqlite(copy_of, path)
            yield f"sqlite://{path}"
        return
    await require_postgres()
    name = f"weerbaar_test_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{_postgres_name(copy_of)}"' if copy_of else ""
    admin = await asyncpg.connect(f"{POSTGRES_SERVER}/{POSTGRES_ADMIN_DB}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"{template}')
    finally:
        await admin.close()
    try:
        yield f"{POSTGRES_SERVER}/{name}?maxsize=20"
    finally:
        admin = await asyncpg.connect(f"{POSTGRES_SERVER}/{POSTGRES_ADMIN_DB}")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def _copy_sqlite(url: str, target: Path) -> None:
    """SQLite's own backup, so a write-ahead log that was not checkpointed comes along too."""
    source = sqlite3.connect(url.removeprefix("sqlite://"))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _postgres_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


#: Per database: its tables (`name`), and its foreign keys (`child` points to `parent`), each name quoted.
_CATALOGUE = {
    "postgres": (
        """SELECT quote_ident(tablename) AS name FROM pg_tables
        WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'""",
        """SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
        FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace""",
    ),
    "sqlite": (
        """SELECT '"' || name || '"' AS name FROM sqlite_master
        WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'tortoise_migrations'""",
        """SELECT '"' || m.name || '"' AS child, '"' || f."table" || '"' AS parent
        FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f WHERE m.type = 'table'""",
    ),
}
_emptying_scripts: dict[str, str] = {}


async def empty_all_tables(database_url: str) -> None:
    """Every table of the database empty, as before the first test, the tables behind many-to-many
    fields too (Tortoise's `truncate_all_models` left those full on SQLite).

    With DELETE, each table before the tables it points to: on PostgreSQL a TRUNCATE ... CASCADE
    makes new files for every table and index, 70 ms before each of some 1,400 tests, where the
    DELETEs take about a millisecond, as few tables hold rows."""
    connection = connections.get("default")
    if database_url not in _emptying_scripts:
        tables, foreign_keys = _CATALOGUE["postgres" if is_postgres(database_url) else "sqlite"]
        order = graphlib.TopologicalSorter(
            {row["name"]: () for row in await connection.execute_query_dict(tables)}
        )
        for key in await connection.execute_query_dict(foreign_keys):
            if key["child"] != key["parent"]:
                order.add(key["parent"], key["child"])
        deletes = "".join(f"DELETE FROM {table};" for table in order.static_order())  # noqa: S608  # the catalogue's names
        if not is_postgres(database_url):
            # SQLite checks ON DELETE RESTRICT row by row, so a credit line deleted after the line it
            # credits (both in invoice_line) would fail; outside a transaction the pragma holds.
            deletes = f"PRAGMA foreign_keys = OFF;{deletes}PRAGMA foreign_keys = ON;"
        _emptying_scripts[database_url] = deletes
    await connection.execute_script(_emptying_scripts[database_url])
