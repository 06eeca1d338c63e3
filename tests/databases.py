"""Throwaway test databases: an SQLite file in a temporary folder, or a PostgreSQL database
created on the local server for this run and dropped afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

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
async def throwaway_database(kind: str) -> AsyncIterator[str]:
    """Yield the URL of a new, empty database of this kind; remove it afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="weerbaar-test-") as folder:
            yield f"sqlite://{Path(folder) / 'test.sqlite3'}"
        return
    await require_postgres()
    name = f"weerbaar_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(f"{POSTGRES_SERVER}/{POSTGRES_ADMIN_DB}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
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
