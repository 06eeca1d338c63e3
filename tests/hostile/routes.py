"""What the hostile-input tests need to know about the app: its POST routes, who may use each one,
a world with an object for every path parameter, and a cheap fingerprint of what is stored."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
from starlette.datastructures import FormData, QueryParams
from starlette.routing import Route
from tortoise import Tortoise

from server.app import create_app
from server.models import UserSession
from server.sessions import SESSION_COOKIE, hash_secret
from tests.conftest import make_settings
from tests.factories import csrf_token, sign_in, with_csrf
from tests.hostile.strategies import encode
from tests.server.test_access_matrix import ACTORS, ALLOW, MATRIX, World

T = TypeVar("T")

#: Tables a refused request may still change: rate-limit counters (counting refusals is their job)
#: and sessions (a login link ends the browser's old session before it is checked).
MAY_CHANGE_WHEN_REFUSED = frozenset({"rate_limit_hit", "user_session"})


def post_routes() -> list[str]:
    """Every POST path of the app, read from the app itself, so a new form is covered at once."""
    app = create_app(make_settings("sqlite://:memory:"))
    return sorted(
        route.path for route in app.routes if isinstance(route, Route) and "POST" in (route.methods or ())
    )


def actor_for(path: str, method: str = "POST") -> str:
    """The first actor the authorisation matrix allows on this route (anonymous for public ones)."""
    outcomes = MATRIX.get((method, path))
    assert outcomes, (
        f"{method} {path} is not in the authorisation matrix (tests/server/test_access_matrix.py)"
    )
    return next((a for a in ACTORS if outcomes[a] == ALLOW), "anonymous")


def _tables() -> list[str]:
    tables = set()
    for models in Tortoise.apps.values():
        for model in models.values():
            tables.add(model._meta.db_table)
            for field in model._meta.m2m_fields:
                tables.add(model._meta.fields_map[field].through)
    return sorted(tables - MAY_CHANGE_WHEN_REFUSED)


async def row_counts() -> dict[str, int]:
    """The number of rows of every table (but MAY_CHANGE_WHEN_REFUSED), in one query."""
    tables = _tables()
    columns = ", ".join(f'(SELECT COUNT(*) FROM "{t}") AS "{t}"' for t in tables)  # noqa: S608 (our own table names)
    connection = Tortoise.get_connection("default")
    _, [row] = await connection.execute_query(f"SELECT {columns}")
    return {table: int(row[table]) for table in tables}


@contextmanager
def fields_read(*, query: bool = False) -> Iterator[set[str]]:
    """Record the names of the form fields (or query parameters) a route asks for: get, getlist, []
    and `in`."""
    names: set[str] = set()
    kind = QueryParams if query else FormData
    originals = {name: getattr(kind, name) for name in ("get", "getlist", "__getitem__", "__contains__")}

    def recording(name: str) -> Callable[..., Any]:
        original = originals[name]

        def method(self: Any, key: Any, *args: Any) -> Any:
            if isinstance(key, str):
                names.add(key)
            return original(self, key, *args)

        return method

    for name in originals:
        setattr(kind, name, recording(name))
    try:
        yield names
    finally:
        for name, original in originals.items():
            setattr(kind, name, original)


def run_on_loop(loop: asyncio.AbstractEventLoop, make: Callable[[], Awaitable[T]]) -> T:
    """From a worker thread: run a coroutine on the test's event loop and wait for its result."""

    async def call() -> T:
        return await make()

    return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=120)


async def act_as(client: httpx.AsyncClient, world: World, actor: str) -> None:
    client.cookies.clear()
    if actor == "anonymous":
        with_csrf(client)
    else:
        await sign_in(client, world.users[actor])


async def stay_as(client: httpx.AsyncClient, world: World, actor: str) -> None:
    """Sign in again only when the last request ended the session (a logout, a used login link)."""
    key = client.cookies.get(SESSION_COOKIE)
    if actor == "anonymous" or (key and await UserSession.exists(key_hash=hash_secret(key))):
        with_csrf(client)
    else:
        await act_as(client, world, actor)


async def post_form(
    client: httpx.AsyncClient, url: str, pairs: list[tuple[str, str]], *, multipart: bool = False
) -> httpx.Response:
    body, content_type = encode([("csrf_token", csrf_token(client)), *pairs], multipart)
    return await client.post(url, content=body, headers={"content-type": content_type})
