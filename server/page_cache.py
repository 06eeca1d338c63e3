"""Rendered pages kept per process for as long as the database has not changed.

A page that only reads is a function of the request (path, query string, cookies), the clock and
what the database holds. A process may therefore answer the same request again from memory as long
as no write was committed since it rendered it, by any process. The database says so cheaply with a
change mark, read with one statement that touches no table:

- PostgreSQL: `pg_current_snapshot()`. It changes whenever a transaction that wrote anything ends,
  committed or rolled back, in any database of the cluster (more misses, never a stale page).
  Transactions that only read leave it as it is.
- SQLite: `data_version`, which changes when another connection (another process) commits, with
  `total_changes()`, the rows this process's own connection has written. A transaction holds that
  connection for its whole length, so no read of the process sees a write before its end.

A request reads the mark before it reads anything else (the session included) and the page is kept
under that mark. A later request with the same mark knows that nothing was committed since the page
read its data, so the page is what a fresh render would show. Pages show times to the minute, so the
minute is part of the key as well.

Only pages marked with `@cached_page` are kept: GET pages whose answer depends on nothing but the
above. Only 200 answers without a Set-Cookie are kept, and none for a request that has no CSRF cookie
yet (its page carries a token for a cookie that is new with this answer).
"""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope
from tortoise import connections, timezone

from server.access import Endpoint

POSTGRES_MARK = "SELECT pg_current_snapshot()::text AS mark"
SQLITE_MARK = "SELECT (SELECT data_version FROM pragma_data_version()) || ':' || total_changes() AS mark"
#: Pages kept per process; the least recently used goes first.
DEFAULT_ENTRIES = 256


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


@dataclass(frozen=True)
class _Page:
    mark: str
    status_code: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def response(self) -> Response:
        response = Response(self.body, status_code=self.status_code)
        response.raw_headers = list(self.headers)
        return response


class PageCache:
    """The kept pages of one app, least recently used first, and the renders under way.

    When a page is missing, the first request renders it and the requests for the same page under
    the same mark that come in meanwhile wait for that render, instead of all rendering it at once
    after every change.
    """

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self.entries = entries
        self._pages: OrderedDict[Hashable, _Page] = OrderedDict()
        self._renders: dict[tuple[Hashable, str], asyncio.Future[_Page | None]] = {}

    def get(self, key: Hashable, mark: str) -> _Page | None:
        page = self._pages.get(key)
        if page is None or page.mark != mark:
            return None
        self._pages.move_to_end(key)
        return page

    def put(self, key: Hashable, page: _Page) -> None:
        self._pages[key] = page
        self._pages.move_to_end(key)
        while len(self._pages) > self.entries:
            self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)

    async def render(self, key: Hashable, mark: str, endpoint: Endpoint, request: Request) -> Response:
        """Render a missing page once for everyone who asks for it meanwhile, and keep it."""
        under_way = self._renders.get((key, mark))
        if under_way is not None:
            page = await asyncio.shield(under_way)
            if page is not None:
                return page.response()
            return await endpoint(request)  # that render was not keepable or failed: render here
        done: asyncio.Future[_Page | None] = asyncio.get_running_loop().create_future()
        self._renders[(key, mark)] = done
        page = None
        try:
            response = await endpoint(request)
            if _is_keepable(response):
                page = _Page(mark, response.status_code, tuple(response.raw_headers), response.body)
                self.put(key, page)
            return response
        finally:
            del self._renders[(key, mark)]
            done.set_result(page)


def _minute() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


def _key(request: Request) -> Hashable:
    scope = request.scope
    cookies = tuple(value for name, value in scope["headers"] if name == b"cookie")
    return (scope["path"], scope["query_string"], cookies, _minute())


def _is_keepable(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.background is None
        and isinstance(getattr(response, "body", None), bytes)
        and all(name != b"set-cookie" for name, _ in response.raw_headers)
    )


def cached_page(endpoint: Endpoint | None = None, *, unless: Callable[[], bool] | None = None) -> Any:
    """Answer this GET page from the process's kept pages while the database is unchanged.

    `unless`: while it returns true, the page is neither kept nor answered from memory (the page
    shows something this process holds in memory, not in the database).
    """
    if endpoint is None:
        return functools.partial(cached_page, unless=unless)

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        cache: PageCache = request.app.state.page_cache
        if not cache.entries or request.state.csrf_cookie_is_new or (unless is not None and unless()):
            return await endpoint(request)
        mark = await change_mark(request.scope)
        key = _key(request)
        page = cache.get(key, mark)
        if page is None:
            return await cache.render(key, mark, endpoint, request)
        return page.response()

    return answer
