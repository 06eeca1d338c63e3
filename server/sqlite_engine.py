"""Tortoise engine for SQLite set up for several processes on one file.

WAL lets readers work while one process writes; `busy_timeout` makes a writer wait for the lock
instead of failing at once; `BEGIN IMMEDIATE` takes the write lock when a transaction starts. A plain
`BEGIN` takes it at the first write, and a transaction that read first can then no longer wait for it:
SQLite answers 'database is locked' straight away, whatever the busy timeout.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError

BUSY_TIMEOUT_MS = 30_000


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ConcurrentSqliteClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        self.pragmas.setdefault("busy_timeout", BUSY_TIMEOUT_MS)
        self.pragmas.setdefault("synchronous", "NORMAL")

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ConcurrentSqliteClient
