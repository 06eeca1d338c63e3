"""Rendered pages kept per process for as long as the database has not changed.

A page that only reads is a function of the request (address, cookies, who is signed in), the clock
and what the database holds. A process may therefore answer the same request again from memory as
long as no write was committed since it rendered it, by any process: the change mark tells
(server/change_mark.py). Pages show times to the minute, so a page is kept under the mark and the
minute. When only the minute moved on, the requests that come in while one of them renders the page
anew get the page of the minute before: its data is current, and nobody waits on the clock.

Only pages marked with `@cached_page` are kept: GET pages whose answer depends on nothing but the
above. Put it below the access rule (`@requires`), so that the rule is checked on every request. Only
200 answers without a Set-Cookie are kept, and none for a request that has no CSRF cookie yet (its
page carries a token for a cookie that is new with this answer).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from tortoise import timezone

from server.access import Endpoint
from server.change_mark import Kept, change_mark


@dataclass(frozen=True)
class _Page:
    status_code: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def response(self) -> Response:
        response = Response(self.body, status_code=self.status_code)
        response.raw_headers = list(self.headers)
        return response


class PageCache:
    """The kept pages of one app, and the renders under way.

    When a page is missing, the first request renders it and the requests for the same page under
    the same version that come in meanwhile wait for that render, instead of all rendering it at
    once after every change. If the page is kept under the same mark but an earlier minute, they get
    that page instead of waiting: the database is unchanged, only the clock moved on.
    """

    def __init__(self, entries: int) -> None:
        self.pages: Kept[_Page] = Kept(entries)
        self._renders: dict[tuple[Hashable, Hashable], asyncio.Future[_Page | None]] = {}

    async def render(
        self,
        key: Hashable,
        version: tuple[str, datetime],
        endpoint: Endpoint,
        request: Request,
        keep: Callable[[Response], bool],
    ) -> Response:
        """Render a missing page once for everyone who asks for it meanwhile; keep it if `keep`.

        `version` is the change mark and the minute."""
        under_way = self._renders.get((key, version))
        if under_way is not None:
            earlier = self.pages.latest(key)
            if earlier is not None and earlier[0][0] == version[0]:  # type: ignore[index]
                return earlier[1].response()
            page = await asyncio.shield(under_way)
            if page is not None:
                return page.response()
            return await endpoint(request)  # that render was not kept or failed: render here
        done: asyncio.Future[_Page | None] = asyncio.get_running_loop().create_future()
        self._renders[(key, version)] = done
        page = None
        try:
            response = await endpoint(request)
            if keep(response):
                page = _Page(response.status_code, tuple(response.raw_headers), response.body)
                self.pages.put(key, version, page)
            return response
        finally:
            del self._renders[(key, version)]
            done.set_result(page)


def _minute() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


def _key(request: Request) -> Hashable:
    scope = request.scope
    cookies = tuple(value for name, value in scope["headers"] if name == b"cookie")
    session = request.state.session
    return (scope["path"], scope["query_string"], cookies, session.id if session else None)


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
    shows something this process holds in memory, not in the database). It is asked again after a
    render, before the page is kept.
    """
    if endpoint is None:
        return functools.partial(cached_page, unless=unless)

    def is_skipped() -> bool:
        return unless is not None and unless()

    def keep(response: Response) -> bool:
        return _is_keepable(response) and not is_skipped()

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        cache: PageCache = request.app.state.page_cache
        if not cache.pages.entries or request.state.csrf_cookie_is_new or is_skipped():
            return await endpoint(request)
        version = (await change_mark(request.scope), _minute())
        key = _key(request)
        page = cache.pages.get(key, version)
        if page is None:
            return await cache.render(key, version, endpoint, request, keep)
        return page.response()

    return answer
