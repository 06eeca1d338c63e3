"""The database's change mark, and values a process keeps for as long as that mark stays the same.

The mark is read with one statement that touches no table, and it changes with every write that
ends, by any process:

- PostgreSQL: `pg_current_snapshot()`. It changes whenever a transaction that wrote anything ends,
  committed or rolled back, in any database of the cluster (more misses, never a stale value).
  Transactions that only read leave it as it is.
- SQLite: `data_version`, which changes when another connection (another process) commits, with
  `total_changes()`, the rows this process's own connection has written. A transaction holds that
  connection for its whole length, so no read of the process sees a write before its end.

A request reads the mark before it reads anything else, and what it builds from its reads is kept
under that mark. A later request that reads the same mark knows that nothing was committed since
those reads, so the kept value is what it would read and build itself.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from starlette.types import Scope
from tortoise import connections

POSTGRES_MARK = "SELECT pg_current_snapshot()::text AS mark"
SQLITE_MARK = "SELECT (SELECT data_version FROM pragma_data_version()) || ':' || total_changes() AS mark"

V = TypeVar("V")


async def change_mark(scope: Scope) -> str:
    """The database's change mark for this request, read once: on first use, before other reads."""
    state = scope.setdefault("state", {})
    mark = state.get("change_mark")
    if mark is None:
        connection = connections.get("default")
        sql = SQLITE_MARK if connection.capabilities.dialect == "sqlite" else POSTGRES_MARK
        rows = await connection.execute_query_dict(sql)
        mark = state["change_mark"] = str(rows[0]["mark"])
    return mark


class Kept(Generic[V]):
    """Values per key, each with the version (a mark, or a mark with more) it was built under.

    A key holds one value: a newer version replaces the older. The least recently used key goes
    first when there are more than `entries`; 0 keeps nothing.
    """

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._values: OrderedDict[Hashable, tuple[Hashable, V]] = OrderedDict()

    def get(self, key: Hashable, version: Hashable) -> V | None:
        kept = self._values.get(key)
        if kept is None or kept[0] != version:
            return None
        self._values.move_to_end(key)
        return kept[1]

    def latest(self, key: Hashable) -> tuple[Hashable, V] | None:
        """The value kept for `key` with its version, whatever that version is."""
        return self._values.get(key)

    def put(self, key: Hashable, version: Hashable, value: V) -> None:
        self._values[key] = (version, value)
        self._values.move_to_end(key)
        while len(self._values) > self.entries:
            self._values.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        self._values.pop(key, None)

    def __len__(self) -> int:
        return len(self._values)
