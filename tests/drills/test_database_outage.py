"""Database outage drill: while the database cannot be reached the app answers a 503 page (Dutch, with
the 24/7 number, Retry-After, no traceback) instead of a 500, writes nothing half, and recovers by
itself when the database is back."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

from bookings.models import Booking, PriceModel
from server.access import public
from server.app import create_app
from server.errors import RETRY_AFTER_SECONDS, is_database_unavailable
from server.models import Role
from server.settings import Settings
from server.sqlite_engine import BUSY_TIMEOUT_MS
from tests.bookings.factories import make_booking, make_offering
from tests.databases import POSTGRES_ADMIN_DB, POSTGRES_SERVER
from tests.factories import make_organisation, make_user, post, sign_in


def _wrapped(outer: type[Exception], inner: BaseException) -> Exception:
    try:
        raise inner
    except BaseException as exc:
        try:
            raise outer(exc) from exc
        except Exception as wrapped:
            return wrapped
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed"),
        TimeoutError(),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.InternalClientError("cannot switch to state 11; another operation is in progress"),
        asyncpg.exceptions.InterfaceError(
            "cannot call Transaction.rollback(): the underlying connection is closed"
        ),
        asyncpg.exceptions.InterfaceError(
            "cannot call Connection.execute(): connection has been released back to the pool"
        ),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.ObjectNotInPrerequisiteStateError(
            'database "weerbaar" is not currently accepting connections'
        ),
        _wrapped(OperationalError, sqlite3.OperationalError("database is locked")),
        _wrapped(TransactionManagementError, sqlite3.OperationalError("database is locked")),
    ],
    ids=repr,
)
def test_errors_of_an_unreachable_database_are_recognised(error: Exception) -> None:
    assert is_database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug"),
        ValueError("bad input"),
        FileNotFoundError(2, "No such file"),
        IntegrityError("duplicate key value violates unique constraint"),
        _wrapped(OperationalError, sqlite3.OperationalError("no such table: booking")),
        asyncpg.exceptions.UndefinedColumnError("column does not exist"),
        asyncpg.exceptions.InterfaceError("cannot perform operation: another operation is in progress"),
        asyncpg.exceptions.ObjectNotInPrerequisiteStateError("cannot refresh materialized view concurrently"),
    ],
    ids=repr,
)
def test_bugs_and_broken_rules_are_not_taken_for_an_outage(error: Exception) -> None:
    assert not is_database_unavailable(error)


def assert_unavailable_page(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["cache-control"] == "no-store"
    assert "Tijdelijk niet beschikbaar" in response.text
    assert "070 - 37 38 314" in response.text
    assert "Traceback" not in response.text and "asyncpg" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_a_route_that_cannot_reach_the_database_answers_503(settings: Settings) -> None:
    @public
    async def unreachable(request: Request) -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('10.0.0.9', 5432)")

    app = create_app(settings)
    app.router.routes.append(Route("/onbereikbaar", unreachable))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/onbereikbaar")

    assert_unavailable_page(response)
    assert "10.0.0.9" not in response.text


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """As the server runs it: an error is answered with a page, not raised into the test."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_an_outage_after_the_answer_started_is_not_answered_twice(settings: Settings) -> None:
    """Once the status line went out, the 503 page cannot follow: the error goes on to the server."""

    async def rows() -> AsyncIterator[bytes]:
        yield b"eerste regel\n"
        raise ConnectionResetError(104, "Connection reset by peer")

    @public
    async def export(request: Request) -> StreamingResponse:
        return StreamingResponse(rows(), media_type="text/csv")

    app = create_app(settings)
    app.router.routes.append(Route("/export", export))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/export")

    assert response.status_code == 200
    assert response.text == "eerste regel\n"


async def paid_booking_and_its_clerk(client: httpx.AsyncClient) -> Booking:
    organisation = await make_organisation()
    clerk = await make_user(Role.CLERK, organisation=organisation)
    offering = await make_offering(price_model=PriceModel.PER_SESSION, price_cents=150_000)
    booking = await make_booking(
        organisation=organisation, offering=offering, invoice_email="oud@gemeente.nl"
    )
    await sign_in(client, clerk)
    return booking


def po_form(po_number: str) -> dict[str, str]:
    return {"po_number": po_number, "invoice_email": "facturen@gemeente.nl"}


@asynccontextmanager
async def postgres_refusing(database_url: str) -> AsyncIterator[None]:
    """The test database refuses new connections and its open ones are terminated, as in a restart."""
    name = urlsplit(database_url).path.lstrip("/")
    admin = await asyncpg.connect(f"{POSTGRES_SERVER}/{POSTGRES_ADMIN_DB}")
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        try:
            yield
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()


async def test_postgres_going_away_gives_503_pages_then_recovers(
    client: httpx.AsyncClient, database_url: str, db_kind: str
) -> None:
    if db_kind != "postgres":
        pytest.skip("terminates PostgreSQL connections")
    booking = await paid_booking_and_its_clerk(client)
    page = f"/boekingen/{booking.reference}"

    async with postgres_refusing(database_url):
        assert_unavailable_page(await client.get(page))
        assert_unavailable_page(await post(client, f"{page}/inkooporder", po_form("PO-TIJDENS-STORING")))

    statuses = []
    for _attempt in range(25):
        response = await client.get(page)
        statuses.append(response.status_code)
        if response.status_code == 200:
            break
    assert statuses[-1] == 200 and set(statuses) <= {200, 503}
    assert (await Booking.get(id=booking.id)).po_number == ""
    saved = await post(client, f"{page}/inkooporder", po_form("PO-NA-STORING"))
    assert saved.status_code == 303
    assert (await Booking.get(id=booking.id)).po_number == "PO-NA-STORING"


async def test_sqlite_locked_beyond_the_busy_timeout_gives_503_for_writes_only(
    client: httpx.AsyncClient, database_url: str, db_kind: str
) -> None:
    """Another process holds the write lock (a long migration, a stuck writer): reads go on (WAL),
    a write waits the busy timeout and then gets the 503 page; afterwards it goes through.

    Each request runs in a task of its own, as under uvicorn; the bound turns a hang into a failure.
    """
    if db_kind != "sqlite":
        pytest.skip("SQLite's write lock")
    booking = await paid_booking_and_its_clerk(client)
    page = f"/boekingen/{booking.reference}"
    connection = connections.get("default")
    other_process = sqlite3.connect(database_url.removeprefix("sqlite://"), isolation_level=None)
    await connection.execute_script("PRAGMA busy_timeout = 200")
    try:
        async with asyncio.timeout(60):  # far above the 200 ms busy timeout: a hang, not slowness
            other_process.execute("BEGIN IMMEDIATE")
            assert (await asyncio.create_task(client.get(page))).status_code == 200
            locked = await asyncio.create_task(post(client, f"{page}/inkooporder", po_form("PO-SLOT")))
            assert_unavailable_page(locked)
            other_process.execute("ROLLBACK")

            assert (await Booking.get(id=booking.id)).po_number == ""
            saved = await asyncio.create_task(post(client, f"{page}/inkooporder", po_form("PO-NA-SLOT")))
            assert saved.status_code == 303
            assert (await Booking.get(id=booking.id)).po_number == "PO-NA-SLOT"
    finally:
        other_process.close()
        if connection._lock.locked():  # left behind by the failed BEGIN: free it for the next tests
            connection._lock.release()
        await connection.execute_script(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
