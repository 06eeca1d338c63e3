"""The load tests reach a PostgreSQL on the same machine through its Unix socket (bench/databases.py),
as the README advises for such a deployment: the URL they give the servers must reach the database
they seeded, with the pool size asked for."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg
import pytest

from bench import databases
from server.db import tortoise_config
from tests.factories import make_organisation


def test_without_a_socket_the_url_is_the_tcp_server() -> None:
    url = databases.postgres_url("postgres://postgres@127.0.0.1:5432", "weerbaar_bench", "")
    assert url == "postgres://postgres@127.0.0.1:5432/weerbaar_bench?maxsize=20"


def test_the_pool_size_reaches_the_servers_url() -> None:
    """`--pool`: the connections each server process keeps, over TCP and through the socket."""
    tcp = databases.postgres_url("postgres://postgres@127.0.0.1:5432", "weerbaar_bench", "", pool=5)
    socket = databases.postgres_url("postgres://postgres@127.0.0.1:5432", "weerbaar_bench", "/run/pg", pool=5)

    for url in (tcp, socket):
        assert int(tortoise_config(url)["connections"]["default"]["credentials"]["maxsize"]) == 5


async def test_the_socket_url_reaches_the_same_database(db_kind: str, database_url: str) -> None:
    socket_dir = databases.default_socket_dir()
    if db_kind != "postgres" or not socket_dir:
        pytest.skip("needs a local PostgreSQL with its socket in /var/run/postgresql")
    organisation = await make_organisation(name="Via de socket")
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")

    url = databases.postgres_url(f"postgres://{parts.username}@127.0.0.1:5432", name, socket_dir)

    credentials = tortoise_config(url)["connections"]["default"]["credentials"]
    assert credentials["host"] == socket_dir
    connection = await asyncpg.connect(
        host=credentials["host"], user=credentials["user"], database=credentials["database"]
    )
    try:
        assert await connection.fetchval("SELECT name FROM organisation WHERE id = $1", organisation.id) == (
            "Via de socket"
        )
    finally:
        await connection.close()
