"""Test set-up: one migrated throwaway database per run (SQLite by default, PostgreSQL with
`--db postgres`), emptied before each test; an app and an HTTP client per test; a fixed clock.

Every test runs on a fixed clock (server/clock.py) at TEST_MOMENT (tests/clocked.py): time stands
still unless the test moves it with `fixed_clock.advance(...)` or `fixed_clock.set(...)`, so no outcome
depends on the date, or on a minute or a second passing while a test runs, however loaded the machine is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from tortoise import Tortoise

from server.app import create_app
from server.clock import Clock, clock
from server.db import apply_migrations, init_orm
from server.settings import Settings
from tests.clocked import TEST_MOMENT
from tests.databases import empty_all_tables, throwaway_database
from tests.factories import TEST_SECRET_KEY
from tests.smtp import SmtpSink


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", choices=["sqlite", "postgres"], default="sqlite", help="database for the whole run"
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"weerbaar database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
async def database_url(db_kind: str) -> AsyncIterator[str]:
    async with throwaway_database(db_kind) as url:
        await apply_migrations(url)
        await init_orm(url)
        try:
            yield url
        finally:
            await Tortoise.close_connections()


@pytest.fixture
async def fresh_url(db_kind: str) -> AsyncIterator[str]:
    """A second, empty database of the kind under test (for the CLI and other processes)."""
    async with throwaway_database(db_kind) as url:
        yield url


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[Clock]:
    """The application's clock, fixed at TEST_MOMENT (tests/clocked.py) whatever the real date, and
    real again afterwards."""
    clock.set(TEST_MOMENT)
    try:
        yield clock
    finally:
        clock.reset()


@pytest.fixture(autouse=True)
async def clean_database(database_url: str) -> None:
    await empty_all_tables(database_url)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET_KEY,
        "base_url": "http://testserver",
        "smtp_url": None,
        "run_background_jobs": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
def smtp_sink() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
