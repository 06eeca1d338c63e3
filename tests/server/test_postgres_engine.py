"""A failing BEGIN gives its connection back to the pool (server/postgres_engine.py)."""

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

    assert await asyncio.wait_for(a_transaction(), timeout=5) == 0
    assert pool.get_idle_size() == pool.get_size()
