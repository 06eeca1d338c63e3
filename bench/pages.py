"""How much work the load test's pages take, one request at a time, in process.

Seeds a throwaway database with the full volume (bench/seed.py), signs in the users `bench/load.py`
uses, then requests each page `--runs` times through httpx over ASGI (no network, no other
connections) and prints the median wall time, the median CPU time of this process (the app and the
client; steadier than the wall time when other work shares the machine), the statements per request
and the size of the page, with the same for a baseline: one indexed SELECT and a small Jinja page.
Then the same for two writes of the load test: submitting a booking (the clerk, a date further ahead
each time) and accepting a request (open requests added as `bench/load.py` adds them).

    .venv/bin/python -m bench.pages              # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python -m bench.pages --db sqlite --runs 100
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from starlette.applications import Starlette
from tortoise import Tortoise, timezone

from bench.dashboard import BASELINE_PAGE, count_statements
from bench.seed import FULL, Seeded, seed
from bench.seed_additions import add_open_requests
from server.app import create_app
from server.db import apply_migrations, init_orm
from server.models import Organisation, User
from server.security import CSRF_COOKIE, csrf_token_for
from server.sessions import SESSION_COOKIE, start_session
from server.settings import Settings
from tests.databases import throwaway_database

SECRET_KEY = "b" * 40
CSRF_COOKIE_VALUE = "bench-csrf-" + "c" * 32


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
            settings = Settings(database_url=url, secret_key=SECRET_KEY, run_background_jobs=False)
            app = create_app(settings)
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
                async with await visitor(app, email) as client:

                    async def get(client: httpx.AsyncClient = client, path: str = path) -> httpx.Response:
                        response = await client.get(path)
                        assert response.status_code == 200, (path, response.status_code)
                        return response

                    size = len((await get()).content)
                    wall, cpu = await medians(runs, get)
                    statements = await count_statements(get)
                    print(f"{label:<32} {wall:8.2f} {cpu:8.2f} {statements:11d} {size:6d}")
            await measure_writes(app, seeded, runs)
        finally:
            await Tortoise.close_connections()


async def visitor(app: Starlette, email: str | None) -> httpx.AsyncClient:
    """A client with the CSRF cookie, signed in as the user with `email` unless None."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    if email:
        user = await User.get(email=email)
        client.cookies.set(SESSION_COOKIE, await start_session(user, second_factor_done=True))
    client.cookies.set(CSRF_COOKIE, CSRF_COOKIE_VALUE)
    return client


def csrf_token(client: httpx.AsyncClient) -> str:
    """The client's CSRF token (bound to its session)."""
    return csrf_token_for(CSRF_COOKIE_VALUE, SECRET_KEY, client.cookies.get(SESSION_COOKIE) or "")


def booking_form(csrf: str, day: str) -> dict[str, str]:
    """A clerk's follow-up booking request for an evening on `day`, as the booking form posts it."""
    return {
        "csrf_token": csrf,
        "local_situation": "Online haat na het debat over windmolens.",
        "themes": "online",
        "expected_participants": "12",
        "part_of_day": "evening",
        "location_address": "Raadhuis, Raadhuisplein 1",
        "contact_name": "Griffie",
        "contact_phone": "070 123 4567",
        "po_number": "PO-BENCH",
        "invoice_email": "facturen@gemeente.example",
        "date_1": day,
        "time_1": "19:30",
    }


async def measure_writes(app: Starlette, seeded: Seeded, runs: int) -> None:
    days = itertools.count(40)
    url = f"/organisaties/{seeded.organisation_code}/boeken/{seeded.follow_up_offering_id}"

    clerk = await visitor(app, seeded.clerk_email)

    async def submit_booking() -> None:
        day = (timezone.now().date() + timedelta(days=next(days) % 300 + 40)).isoformat()
        body = booking_form(csrf_token(clerk), day)
        response = await clerk.post(url, data=body)
        assert response.status_code == 303, (url, response.status_code)

    # Every run accepts another open request (warm-up and the statement count included).
    pool = await add_open_requests(runs + 4)
    trainer_ids = sorted({trainer_id for _, trainer_id in pool})
    emails = dict(await User.filter(id__in=trainer_ids).values_list("id", "email"))
    clients = {trainer_id: await visitor(app, emails[trainer_id]) for trainer_id in trainer_ids}
    requests = iter(pool)

    async def accept() -> None:
        request_id, trainer_id = next(requests)
        path = f"/trainer/verzoeken/{request_id}"
        response = await clients[trainer_id].post(
            path, data={"csrf_token": csrf_token(clients[trainer_id]), "action": "accept"}
        )
        assert response.status_code == 303, (path, response.status_code)

    writes: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("submit a booking (clerk)", submit_booking),
        ("accept a request (trainer)", accept),
    ]
    for label, write in writes:
        wall, cpu = await medians(runs, write)
        statements = await count_statements(write)
        print(f"{label:<32} {wall:8.2f} {cpu:8.2f} {statements:11d}")
    for client in (clerk, *clients.values()):
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--runs", type=int, default=60)
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.db, arguments.runs))


if __name__ == "__main__":
    main()
