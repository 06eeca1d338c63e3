"""Count the SQL statements the app sends to the database, on SQLite and PostgreSQL alike.

Every Tortoise client (also the transaction wrappers, which share their parent's logger) logs each
statement at DEBUG on the `tortoise.db_client` logger just before running it: `execute_query`,
`execute_query_dict`, `execute_insert`, `execute_many` (one record for the whole batch) and
`execute_script`. Counting those records counts every statement, inside transactions too. Not
counted: BEGIN, COMMIT, ROLLBACK and savepoints, which go to the driver directly.

    async with count_queries() as counter:
        await client.get("/boekingen")
    assert counter.total == 7, counter.statements
"""

from __future__ import annotations

import logging
from types import TracebackType

#: Messages the client logs that are no statement.
_CONNECTION_MESSAGES = ("Created connection", "Closed connection")


class QueryCounter(logging.Handler):
    """The statements (their SQL, without the parameter values) run inside the block, in order."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []
        self._logger = logging.getLogger("tortoise.db_client")
        self._saved_level = self._logger.level
        self._saved_propagate = self._logger.propagate

    @property
    def total(self) -> int:
        return len(self.statements)

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and not record.msg.startswith(_CONNECTION_MESSAGES):
            self.statements.append(str(record.args[0]) if record.args else record.msg)

    def __enter__(self) -> QueryCounter:
        self._saved_level = self._logger.level
        self._saved_propagate = self._logger.propagate
        self._logger.setLevel(logging.DEBUG)
        self._logger.propagate = False  # keep every statement out of pytest's captured log
        self._logger.addHandler(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._saved_level)
        self._logger.propagate = self._saved_propagate

    async def __aenter__(self) -> QueryCounter:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)


def count_queries() -> QueryCounter:
    """A counter of the SQL statements run inside `with` / `async with count_queries() as counter`."""
    return QueryCounter()
