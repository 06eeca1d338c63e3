"""The app as the load test serves it: `weerbaar serve`'s app, with the SQL statements of each request
counted into an `x-bench-statements` answer header.

    uvicorn bench.counting:create_app --factory --workers 2 --proxy-headers

Tortoise logs each statement at DEBUG on `tortoise.db_client` (tests/query_counter.py says which);
a handler counts them into a box the request's context holds. This costs a few microseconds per
statement.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.app import create_app as create_weerbaar_app
from server.settings import load_settings

HEADER = b"x-bench-statements"
_CONNECTION_MESSAGES = ("Created connection", "Closed connection")
_statements: ContextVar[list[int] | None] = ContextVar("bench_statements", default=None)


class _StatementCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        box = _statements.get()
        if (
            box is not None
            and isinstance(record.msg, str)
            and not record.msg.startswith(_CONNECTION_MESSAGES)
        ):
            box[0] += 1


def counted(app: ASGIApp) -> ASGIApp:
    """`app`, answering each HTTP request with the number of statements it ran in a header."""
    logger = logging.getLogger("tortoise.db_client")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(_StatementCounter())

    async def counting_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        box = [0]
        token = _statements.set(box)

        async def send_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, str(box[0]).encode())]
            await send(message)

        try:
            await app(scope, receive, send_count)
        finally:
            _statements.reset(token)

    return counting_app


def create_app() -> ASGIApp:
    return counted(create_weerbaar_app(load_settings()))
