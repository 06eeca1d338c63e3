"""How fast the coordinators' tour dashboard renders with the real size of the work.

Seeds a throwaway database with the full volume (bench/seed.py: 354 organisations, 5,000 bookings,
50,000 feedback responses, 2,000 invoices), then requests the dashboard and the organisations table
one at a time, in process (httpx over ASGI, no network), and prints the median and 90th percentile,
the number of SQL statements per request, and the ratio to a baseline measured in the same run: one
indexed SELECT and a small Jinja page, the least any page of the app does.

    .venv/bin/python -m bench.dashboard              # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python -m bench.dashboard --db sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from jinja2 import Environment
from tortoise import Tortoise

from bench.seed import FULL, seed
from server.app import create_app
from server.db import apply_migrations, init_orm
from server.models import Organisation, User
from server.sessions import SESSION_COOKIE, start_session
from server.settings import Settings
from tests.databases import throwaway_database

PAGES = ("/coordinatie", "/coordinatie/organisaties", "/coordinatie/organisaties?sorteer=fase&volgorde=af")
BASELINE_PAGE = Environment(autoescape=True).from_string(
    "<!doctype html><title>{{ o.name }}</title><h1>{{ o.name }}</h1><p>{{ o.cbs_code }}</p>"
)


class StatementCount(logging.Handler):
    """Counts the statements Tortoise logs (see tests/query_counter.py for why this counts them all)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.total = 0

    def emit(self, record: logging.LogRecord) -> None:
        connection_message = str(record.msg).startswith(("Created connection", "Closed connection"))
        if isinstance(record.msg, str) and not connection_message:
            self.total += 1


async def timings(runs: int, action: Callable[[], Awaitable[object]]) -> list[float]:
    """Milliseconds of `runs` calls, after two warm-up calls."""
    for _ in range(2):
        await action()
    result = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        result.append((time.perf_counter() - started) * 1000)
    return result


async def count_statements(action: Callable[[], Awaitable[object]]) -> int:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCount()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(counter)
    try:
        await action()
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
        logger.propagate = propagate
    return counter.total


async def measure(kind: str, runs: int) -> None:
    async with throwaway_database(kind) as url:
        await apply_migrations(url)
        await init_orm(url)
        try:
            started = time.perf_counter()
            seeded = await seed(FULL)
            print(f"{kind}: seeded {seeded.counts} in {time.perf_counter() - started:.0f} s")
            coordinator = await User.get(email=seeded.coordinator_email)
            key = await start_session(coordinator, second_factor_done=True)
            app = create_app(Settings(database_url=url, secret_key="b" * 40, run_background_jobs=False))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                client.cookies.set(SESSION_COOKIE, key)

                async def baseline() -> None:
                    organisation = await Organisation.get(cbs_code=seeded.organisation_code)
                    BASELINE_PAGE.render(o=organisation)

                base = statistics.median(await timings(runs, baseline))
                print(f"{'baseline (1 SELECT + Jinja)':<58} median {base:7.1f} ms")
                for path in PAGES:

                    async def page(path: str = path) -> None:
                        response = await client.get(path)
                        assert response.status_code == 200, (path, response.status_code)

                    values = await timings(runs, page)
                    median = statistics.median(values)
                    p90 = statistics.quantiles(values, n=10)[-1]
                    statements = await count_statements(page)
                    print(
                        f"{path:<58} median {median:7.1f} ms  p90 {p90:7.1f} ms  "
                        f"{statements:3d} statements  ratio {median / base:6.1f}× baseline"
                    )
        finally:
            await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--runs", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.db, arguments.runs))


if __name__ == "__main__":
    main()
