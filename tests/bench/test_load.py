"""bench.load reaches a PostgreSQL on the same machine through its Unix socket, as the README
advises for such a deployment: the URL it gives the servers must reach the database it seeded,
with the pool size asked for."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bench import load, wrk
from server.db import tortoise_config
from tests.factories import make_organisation


def test_the_autogroup_setting_is_read_from_the_kernel_file(tmp_path: Path) -> None:
    setting = tmp_path / "sched_autogroup_enabled"
    assert load.autogroup_scheduling(setting) is None
    setting.write_text("1\n")
    assert load.autogroup_scheduling(setting) is True
    setting.write_text("0\n")
    assert load.autogroup_scheduling(setting) is False


def test_on_sqlite_the_target_is_no_errors_and_nothing_lost() -> None:
    """The issue's speed targets are PostgreSQL's; on SQLite only errors and lost writes count."""
    baselines = load.Baselines(wrk.Result(6000, 1, 4, 20, 0), wrk.Result(2000, 1, 10, 20, 0))
    slow = load.Row("submit a booking", wrk.Result(300, 1, 90, 400, 0), is_write=True, stored=300)
    assert not slow.meets_target(baselines) and slow.meets_target(baselines, speed=False)
    lost = load.Row("submit a booking", wrk.Result(600, 1, 20, 40, 0), is_write=True, stored=599)
    failed = load.Row("home", wrk.Result(9000, 1, 2, 5, 3), is_write=False)
    for row in (lost, failed):
        assert not row.meets_target(baselines) and not row.meets_target(baselines, speed=False)
    fast = load.Row("submit a booking", wrk.Result(600, 1, 20, 40, 0), is_write=True, stored=600)
    assert fast.meets_target(baselines)


def test_several_runs_give_the_median_of_each_figure() -> None:
    runs = [
        [
            load.Row("home", wrk.Result(6000, 6, 4, 30, 0), is_write=False),
            load.Row("submit a booking", wrk.Result(3000, 6, 60, 90, 0), is_write=True, stored=3000),
        ],
        [
            load.Row("home", wrk.Result(5400, 6, 5, 900, 0), is_write=False),
            load.Row("submit a booking", wrk.Result(2700, 6, 70, 120, 1), is_write=True, stored=2699),
        ],
        [
            load.Row("home", wrk.Result(6600, 6, 3, 20, 0), is_write=False),
            load.Row("submit a booking", wrk.Result(3300, 6, 50, 80, 0), is_write=True, stored=3300),
        ],
    ]
    home, booking = load.median_rows(runs)
    assert (home.result.per_second, home.result.p50_ms, home.result.p99_ms) == (1000, 4, 30)
    assert home.stored is None
    assert (booking.result.per_second, booking.result.p99_ms, booking.result.errors) == (500, 90, 1)
    assert booking.stored == 3000 - 1  # every run stored what it answered
    runs[2][1].stored = 3299
    assert load.median_rows(runs)[1].stored == 0


def test_without_a_socket_the_url_is_the_tcp_server() -> None:
    url = load.postgres_url("postgres://postgres@127.0.0.1:5432", "weerbaar_bench", "")
    assert url == "postgres://postgres@127.0.0.1:5432/weerbaar_bench?maxsize=20"


def test_the_pool_size_reaches_the_servers_url() -> None:
    """`--pool`: the connections each server process keeps, over TCP and through the socket."""
    tcp = load.postgres_url("postgres://postgres@127.0.0.1:5432", "weerbaar_bench", "", pool=5)
    socket = load.postgres_url("postgres://postgres@127.0.0.1:5432", "weerbaar_bench", "/run/pg", pool=5)

    for url in (tcp, socket):
        assert int(tortoise_config(url)["connections"]["default"]["credentials"]["maxsize"]) == 5


async def test_the_socket_url_reaches_the_same_database(db_kind: str, database_url: str) -> None:
    socket_dir = load.default_socket_dir()
    if db_kind != "postgres" or not socket_dir:
        pytest.skip("needs a local PostgreSQL with its socket in /var/run/postgresql")
    organisation = await make_organisation(name="Via de socket")
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")

    url = load.postgres_url(f"postgres://{parts.username}@127.0.0.1:5432", name, socket_dir)

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
