"""The load tests' databases: a throwaway database made for a run and dropped afterwards (on
PostgreSQL, reached through its Unix socket when it has one; or an SQLite file), and the ORM on a
database for a while.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise

from server.db import init_orm

DEFAULT_POOL = 20


async def _postgres_admin(postgres: str, statement: str) -> None:
    admin = await asyncpg.connect(f"{postgres}/postgres")
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def default_socket_dir() -> str:
    """The folder of the local PostgreSQL's Unix socket (Debian's), or "" when it has none there."""
    folder = "/var/run/postgresql"
    return folder if Path(folder, ".s.PGSQL.5432").exists() else ""


def postgres_url(postgres: str, name: str, socket_dir: str, pool: int = DEFAULT_POOL) -> str:
    """The app's URL of database `name` with `pool` connections per process: through the socket in
    `socket_dir`, else over TCP."""
    if not socket_dir:
        return f"{postgres}/{name}?maxsize={pool}"
    user = urlsplit(postgres).username or "postgres"
    return f"postgres://{user}@/{name}?maxsize={pool}&host={socket_dir}"


@contextmanager
def throwaway_database(
    kind: str, postgres: str, socket_dir: str = "", pool: int = DEFAULT_POOL
) -> Iterator[str]:
    """A new, empty database of this kind (an SQLite file in a temporary folder), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="weerbaar-bench-") as folder:
            yield f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        return
    name = f"weerbaar_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_postgres_admin(postgres, f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url(postgres, name, socket_dir, pool)
    finally:
        asyncio.run(_postgres_admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@asynccontextmanager
async def orm(database_url: str) -> AsyncIterator[None]:
    await init_orm(database_url)
    try:
        yield
    finally:
        await Tortoise.close_connections()
