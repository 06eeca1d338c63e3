"""How much work the load test's pages take, one request at a time, in process.

Seeds a throwaway database with the full volume (bench/seed.py), signs in the users `bench/load.py`
uses, then requests each page `--runs` times through httpx over ASGI (no network, no other
connections) and prints the median wall time, the median CPU time of this process (the app and the
client; steadier than the wall time when other work shares the machine), the statements per request
and the size of the page, with the same for a baseline: one indexed SELECT and a small Jinja page.

    .venv/bin/python -m bench.pages              # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python -m bench.pages --db sqlite --runs 100
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from tortoise import Tortoise

from bench.dashboard import BASELINE_PAGE, count_statements
from bench.seed import FULL, seed
from server.app import create_app
from server.db import apply_migrations, init_orm
from server.models import Organisation, User
from server.sessions import SESSION_COOKIE, start_session
from server.settings import Settings
from tests.databases import throwaway_database


async def medians(runs: int, action: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `runs` calls, after three warm-up calls."""
    for _ in range(3):
        await action()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        await action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


async def measure(kind: str, runs: int) -> None:
    async with throwaway_database(kind) as url:
        await apply_migrations(url)
        await init_orm(url)
        try:
            seeded = await seed(FULL)
            app = create_app(Settings(database_url=url, secret_key="b" * 40, run_background_jobs=False))
            code, offering = seeded.organisation_code, seeded.follow_up_offering_id
            pages = [
                ("home", None, "/"),
                (
                    "organisation page (clerk)",
                    seeded.clerk_email,
                    f"/organisaties/{seeded.organisation_code}",
                ),
                ("booking form (clerk)", seeded.clerk_email, f"/organisaties/{code}/boeken/{offering}"),
                ("feedback form (participant)", None, f"/f/{seeded.open_feedback_codes[0]}"),
                ("bookings board (coordinator)", seeded.coordinator_email, "/boekingen"),
                ("tour dashboard (coordinator)", seeded.coordinator_email, "/coordinatie"),
                ("trainer requests (trainer)", seeded.trainer_email, "/trainer"),
                ("invoice list (finance)", seeded.finance_email, "/financien"),
            ]

            async def baseline() -> None:
                BASELINE_PAGE.render(o=await Organisation.get(cbs_code=seeded.organisation_code))

            wall, cpu = await medians(runs, baseline)
            print(f"{kind}, median of {runs} requests   wall ms   CPU ms  statements  bytes")
            print(f"{'baseline (1 SELECT + Jinja)':<32} {wall:8.2f} {cpu:8.2f}")
            for label, email, path in pages:
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://bench"
                ) as client:
                    if email:
                        user = await User.get(email=email)
                        client.cookies.set(SESSION_COOKIE, await start_session(user, second_factor_done=True))

                    async def get(client: httpx.AsyncClient = client, path: str = path) -> httpx.Response:
                        response = await client.get(path)
                        assert response.status_code == 200, (path, response.status_code)
                        return response

                    size = len((await get()).content)
                    wall, cpu = await medians(runs, get)
                    statements = await count_statements(get)
                    print(f"{label:<32} {wall:8.2f} {cpu:8.2f} {statements:11d} {size:6d}")
        finally:
            await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--runs", type=int, default=60)
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.db, arguments.runs))


if __name__ == "__main__":
    main()
