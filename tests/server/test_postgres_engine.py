"""The asyncpg pool as server/postgres_engine.py sets it up: a failing BEGIN gives its connection
back, and a released connection costs no reset round trip but never carries a transaction on."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections
from tortoise.backends.asyncpg.client import TransactionWrapper
from tortoise.transactions import in_transaction

from server.models import Organisation


async def test_connections_come_back_when_begin_fails(db_kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if db_kind != "postgres":
        pytest.skip("the asyncpg pool is what is tested")
    pool = connections.get("default")._pool
    begin = TransactionWrapper.begin

    async def refused(self: TransactionWrapper) -> None:
        raise ConnectionError("the server closed the connection")

    monkeypatch.setattr(TransactionWrapper, "begin", refused)
    for _ in range(pool.get_max_size() + 5):
        with pytest.raises(ConnectionError):
            async with in_transaction():
                pass
    monkeypatch.setattr(TransactionWrapper, "begin", begin)

    async def a_transaction() -> int:
        async with in_transaction():
            return await Organisation.all().count()

    # The timeout only catches a hang (a pool with its connections lost); it is no speed limit.
    assert await asyncio.wait_for(a_transaction(), timeout=60) == 0
    assert pool.get_idle_size() == pool.get_size()


async def test_a_connection_goes_back_to_the_pool_without_a_reset_round_trip(db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("the asyncpg pool is what is tested")
    pool = connections.get("default")._pool
    sent: list[str] = []
    connection = await pool.acquire()
    connection.add_query_logger(lambda record: sent.append(record.query))
    await connection.fetchval("SELECT 1")
    await pool.release(connection)
    assert sent == ["SELECT 1"]


async def test_a_transaction_left_open_is_rolled_back_before_the_connection_is_reused(db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("the asyncpg pool is what is tested")
    pool = connections.get("default")._pool
    connection = await pool.acquire()
    await connection.execute("BEGIN")
    await connection.execute(
        "INSERT INTO organisation (kind, cbs_code, name, invoice_street, invoice_postcode, invoice_city,"
        " invoice_email, oin, requires_po_number, created_at, updated_at)"
        " VALUES ('province', 'PV99', 'Nergensland', '', '', '', '', '', false, now(), now())"
    )
    await pool.release(connection)
    assert await Organisation.all().count() == 0
