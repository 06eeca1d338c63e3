"""Tortoise engine for SQLite set up for several processes on one file.

WAL lets readers work while one process writes; `busy_timeout` makes a writer wait for the lock
instead of failing at once; `BEGIN IMMEDIATE` takes the write lock when a transaction starts. A plain
`BEGIN` takes it at the first write, and a transaction that read first can then no longer wait for it:
SQLite answers 'database is locked' straight away, whatever the busy timeout.

SQLite keeps date-times as text and compares them as text, so they must all be written in one
offset: every aware datetime goes in as UTC. Otherwise a bound in Amsterdam time ('2027-01-01
00:00:00+01:00') sorts after a UTC value of the same or a later moment ('2026-12-31 23:30:00+00:00').
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

BUSY_TIMEOUT_MS = 30_000


def _utc_text(value: datetime) -> str:
    return (value.astimezone(UTC) if value.tzinfo else value).isoformat(" ")


# Replaces Tortoise's adapter (registered when its SQLite executor was imported, above).
sqlite3.register_adapter(datetime, _utc_text)


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ReleasingTransactionContext(SqliteTransactionContext):
    """Gives the connection lock back when BEGIN fails ('database is locked' after the busy timeout).

    Tortoise's context keeps the lock then, and every later query of the process would wait for it
    forever.
    """

    async def __aenter__(self) -> Any:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


class ConcurrentSqliteClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        self.pragmas.setdefault("busy_timeout", BUSY_TIMEOUT_MS)
        self.pragmas.setdefault("synchronous", "NORMAL")

    def _in_transaction(self) -> TransactionContext:
        return ReleasingTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ConcurrentSqliteClient
