"""Can the time to answer a login-link request tell whether an address has an account?

Posts the login form (httpx over ASGI, in process, no network) for a known and for an unknown
address, alternating so that drift hits both alike, and prints the median and 90th percentile of each
and their difference. The rate-limit counters are emptied before each request (not timed), so every
request does the full work. A known address queues a link; an unknown one does the same work in a
savepoint it rolls back (server/auth.py).

    .venv/bin/python -m bench.login_timing              # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python -m bench.login_timing --db sqlite --runs 300
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from tortoise import Tortoise

from bench.dashboard import throwaway_database
from server.app import create_app
from server.db import apply_migrations, init_orm
from server.models import RateLimitHit, Role, User
from server.security import CSRF_COOKIE, csrf_token_for
from server.settings import Settings

SECRET_KEY = "bench-secret-key-that-is-long-enough-for-the-settings"  # noqa: S105 (throwaway)
CSRF_COOKIE_VALUE = "b" * 43
KNOWN, UNKNOWN = "griffier@zeist.nl", "niemand@zeist.nl"


async def post_login(client: httpx.AsyncClient, email: str) -> float:
    """Milliseconds for one request, with the rate-limit counters emptied first."""
    await RateLimitHit.all().delete()
    data = {"csrf_token": csrf_token_for(CSRF_COOKIE_VALUE, SECRET_KEY), "email": email}
    started = time.perf_counter()
    response = await client.post("/inloggen", data=data)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text[:300]
    return elapsed


def summary(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return f"{label:<9} median {statistics.median(values):6.2f} ms   p90 {p90:6.2f} ms"


async def main(kind: str, runs: int) -> None:
    async with throwaway_database(kind) as url:
        await apply_migrations(url)
        await init_orm(url)
        try:
            await User.create(email=KNOWN, name="Griffier", role=Role.COORDINATOR)
            settings = Settings(
                database_url=url, secret_key=SECRET_KEY, smtp_url=None, run_background_jobs=False
            )
            app = create_app(settings)
            times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
            ):
                client.cookies.set(CSRF_COOKIE, CSRF_COOKIE_VALUE)
                for email in (KNOWN, UNKNOWN, KNOWN, UNKNOWN):  # warm-up
                    await post_login(client, email)
                for _ in range(runs):
                    for email in (KNOWN, UNKNOWN):
                        times[email].append(await post_login(client, email))
        finally:
            await Tortoise.close_connections()
    known, unknown = statistics.median(times[KNOWN]), statistics.median(times[UNKNOWN])
    print(f"login-link requests on {kind}, {runs} of each, alternating")
    print(summary("known", times[KNOWN]))
    print(summary("unknown", times[UNKNOWN]))
    print(f"difference of the medians: {known - unknown:+.2f} ms ({known / unknown:.3f} x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--runs", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.db, arguments.runs))
