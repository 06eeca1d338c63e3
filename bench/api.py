"""What API v1 costs per request beside the pages that show the same data, one request at a time,
in process (the method of bench/pages.py: the full volume, median wall and CPU milliseconds, SQL
statements per request).

Reads: the coordinator's bookings, the trainer's requests and the finance invoice list, each as a
page and as `GET /api/v1/...` (a page of 25, the token checked and its rate limit counted). Writes:
submitting a booking through the form and through `POST /api/v1/bookings` (with an Idempotency-Key).
Throughput in one process is 1000 / CPU ms per request.

    .venv/bin/python -m bench.api              # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python -m bench.api --db sqlite --runs 40 --tiny
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta

import httpx
from tortoise import Tortoise, timezone

from bench.dashboard import count_statements
from bench.pages import SECRET_KEY, booking_form, csrf_token, medians, visitor
from bench.seed import FULL, TINY, seed
from bookings.public_holidays import first_day_without_holiday
from server import clock
from server.api_tokens import create_token
from server.app import create_app
from server.clock import AMSTERDAM
from server.db import apply_migrations, init_orm
from server.models import User
from server.settings import Settings
from tests.databases import throwaway_database

SCOPES = ["read", "book", "answer-requests", "invoices"]


async def bearer(email: str) -> dict[str, str]:
    user = await User.get(email=email)
    _token, secret = await create_token(
        actor=user, name="bench", scopes=SCOPES, expires_at=clock.now() + timedelta(days=30)
    )
    return {"Authorization": f"Bearer {secret}"}


async def row(label: str, runs: int, action: Callable[[], Awaitable[object]]) -> None:
    wall, cpu = await medians(runs, action)
    statements = await count_statements(action)
    print(f"{label:<40} {wall:8.2f} {cpu:8.2f} {statements:11d} {1000 / cpu if cpu else 0:10.0f}")


async def measure(kind: str, runs: int, tiny: bool) -> None:
    async with throwaway_database(kind) as url:
        await apply_migrations(url)
        await init_orm(url)
        try:
            seeded = await seed(TINY if tiny else FULL)
            app = create_app(Settings(database_url=url, secret_key=SECRET_KEY, run_background_jobs=False))
            print(f"{kind}, median of {runs} requests           wall ms   CPU ms  statements  per CPU-s")
            reads = [
                ("bookings", seeded.coordinator_email, "/boekingen", "/api/v1/bookings"),
                ("trainer requests", seeded.trainer_email, "/trainer", "/api/v1/assignment-requests"),
                ("invoices", seeded.finance_email, "/financien", "/api/v1/invoices"),
            ]
            for label, email, page, api_path in reads:
                headers = await bearer(email)
                async with await visitor(app, email) as client:

                    async def get_page(client: httpx.AsyncClient = client, path: str = page) -> None:
                        assert (await client.get(path)).status_code == 200, path

                    async def get_api(
                        client: httpx.AsyncClient = client, path: str = api_path, h: dict = headers
                    ) -> None:
                        assert (await client.get(path, headers=h)).status_code == 200, path

                    await row(f"{label}: page", runs, get_page)
                    await row(f"{label}: API", runs, get_api)
            await measure_booking(app, seeded, runs)
        finally:
            await Tortoise.close_connections()


async def measure_booking(app, seeded, runs: int) -> None:  # type: ignore[no-untyped-def]
    days = itertools.count(40)
    code, offering = seeded.organisation_code, seeded.follow_up_offering_id
    headers = await bearer(seeded.clerk_email)
    clerk = await visitor(app, seeded.clerk_email)

    def next_day() -> str:
        """A day further ahead each time, never a public holiday (no session is given then)."""
        return first_day_without_holiday(
            timezone.now().date() + timedelta(days=next(days) % 300 + 40)
        ).isoformat()

    async def form() -> None:
        body = booking_form(csrf_token(clerk), next_day())
        response = await clerk.post(f"/organisaties/{code}/boeken/{offering}", data=body)
        assert response.status_code == 303, response.status_code

    async def api() -> None:
        start = datetime.combine(datetime.fromisoformat(next_day()).date(), time(19, 30), AMSTERDAM)
        body = {
            "organisationCode": code,
            "offeringId": offering,
            "localSituation": "Online haat na het debat over windmolens.",
            "themes": ["online"],
            "expectedParticipants": 12,
            "partOfDay": "evening",
            "locationAddress": "Raadhuis, Raadhuisplein 1",
            "contactName": "Griffie",
            "contactPhone": "070 123 4567",
            "poNumber": "PO-BENCH",
            "invoiceEmail": "facturen@gemeente.example",
            "preferredStarts": [start.isoformat()],
        }
        response = await clerk.post(
            "/api/v1/bookings", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
        )
        assert response.status_code == 201, response.text

    await row("submit a booking: form", runs, form)
    await row("submit a booking: API", runs, api)
    await clerk.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--tiny", action="store_true", help="the small volume (quick check)")
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.db, arguments.runs, arguments.tiny))


if __name__ == "__main__":
    main()
