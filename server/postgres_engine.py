"""Tortoise's asyncpg engine, giving a connection back to the pool when BEGIN fails.

Tortoise's pooled transaction context takes a connection from the pool and then sends BEGIN. When
BEGIN fails (the database restarted and the connection is dead, or the server refuses), its
`__aexit__` never runs: the connection stays taken for good and the task keeps pointing at it. Each
such failure makes the pool one connection smaller, until every request waits for a connection that
never comes back. Here the connection goes back to the pool (asyncpg replaces a dead one).
"""

from __future__ import annotations

import contextlib
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections


class ReleasingTransactionContext(TransactionContextPooled):
    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            get_connections().reset(self.token)
            with contextlib.suppress(Exception):
                await pool.release(self.client._connection)
            raise
        return self.client


class ReleasingAsyncpgClient(AsyncpgDBClient):
    def _in_transaction(self) -> TransactionContext:
        return ReleasingTransactionContext(TransactionWrapper(self), self._pool_init_lock)


client_class = ReleasingAsyncpgClient
