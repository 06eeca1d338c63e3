"""Tortoise's asyncpg engine: a connection goes back to the pool without a reset round trip, and
also when BEGIN fails.

Outside a transaction Tortoise takes a pool connection for every single statement. asyncpg's default
release then sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` to the server:
one more round trip, and server work, for every statement, which made up about a third of a page's
database time. The app keeps no session state on a connection (no SET, LISTEN, cursors or
session-level advisory locks: the rate limit's lock is transaction-level), so that reset has nothing
to undo. asyncpg still rolls back a transaction left open before giving the connection back.

Tortoise's pooled transaction context takes a connection from the pool and then sends BEGIN. When
BEGIN fails (the database restarted and the connection is dead, or the server refuses), its
`__aexit__` never runs: the connection stays taken for good and the task keeps pointing at it. Each
such failure makes the pool one connection smaller, until every request waits for a connection that
never comes back. Here the connection goes back to the pool (asyncpg replaces a dead one).
"""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg
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


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Nothing to reset: see the module docstring."""


class ReleasingAsyncpgClient(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await asyncpg.create_pool(None, reset=_keep_session, **kwargs)

    def _in_transaction(self) -> TransactionContext:
        return ReleasingTransactionContext(TransactionWrapper(self), self._pool_init_lock)


client_class = ReleasingAsyncpgClient
