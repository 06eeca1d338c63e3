"""Where the CPU of a realistic GET goes: the pages of the realistic mix, in process, profiled.

Seeds a throwaway database with the full volume (bench/seed.py), signs in the browsers of the
realistic mix (bench/visitors.py) and requests each page type `--requests` times straight through the
app's ASGI interface (no HTTP client in the figures), each time a random page of a random browser of
that type, with the logs written as in production (JSON lines, here to /dev/null). Prints per page
type the median CPU time of this process per request, the mean over the mix weighted as
bench/mix.py weighs the pages (what `bench.load` reports as "CPU per GET", without the database's
side) and the weighted median (the page type in the middle of the mix); then profiles the same
requests once more with cProfile on the process's CPU clock and prints the share of each package
in the profile and the functions with the most time of their own.

    .venv/bin/python -m bench.profile                  # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python -m bench.profile --db sqlite --requests 60 --page "tour dashboard"
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

from starlette.types import ASGIApp, Message
from tortoise import Tortoise

from bench import visitors
from bench.mix import READ_WEIGHTS
from bench.seed import FULL, seed
from server.app import create_app
from server.db import apply_migrations, init_orm
from server.logs import configure_logging
from server.settings import PROJECT_DIR, Settings
from tests.databases import throwaway_database

SECRET_KEY = "p" * 40
Page = tuple[str, str]  # (cookie header, path)


def package_of(filename: str) -> str:
    """The package a profiled function belongs to: a library, a folder of the project, or Python."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if filename.startswith(str(PROJECT_DIR)):
        return filename[len(str(PROJECT_DIR)) + 1 :].split("/", 1)[0] + "/"
    return "Python (stdlib, builtins)"


def print_profile(profile: cProfile.Profile, top: int, dump: str | None) -> None:
    stats = pstats.Stats(profile)
    own = Counter[str]()
    for (filename, _line, _name), (_calls, _primitive, own_time, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        own[package_of(filename)] += own_time
    total = sum(own.values()) or 1.0
    print("\nshare of the profile per package (own time)")
    for package, seconds in own.most_common(15):
        print(f"  {100 * seconds / total:5.1f} %  {package}")
    print(f"\nfunctions with the most time of their own (top {top})")
    stats.sort_stats("tottime").print_stats(top)
    if dump:
        stats.dump_stats(dump)
        print(f"profile saved to {dump} (python -m pstats {dump})")


async def asgi_get(app: ASGIApp, target: str, cookie: str) -> int:
    """GET `target` from `app` as one HTTP/1.1 request over ASGI; the status of the answer."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def measure(kind: str, requests: int, only: str | None, top: int, dump: str | None) -> None:
    async with throwaway_database(kind) as url:
        await apply_migrations(url)
        await init_orm(url)
        try:
            seeded = await seed(FULL)
            people = await visitors.sign_in(SECRET_KEY, seeded)
            pages: dict[str, list[Page]] = {}
            for visitor in people.visitors():
                for page_kind, paths in visitor.pages.items():
                    pages.setdefault(page_kind, []).extend((visitor.cookie, path) for path in paths)
            kinds = [only] if only else list(READ_WEIGHTS)
            app = create_app(Settings(database_url=url, secret_key=SECRET_KEY, run_background_jobs=False))

            async def get(page: Page) -> None:
                status = await asgi_get(app, page[1], page[0])
                assert status == 200, (page[1], status)

            for page_kind in kinds:  # warm-up: compiled templates, prepared statements
                for page in pages[page_kind][:5]:
                    await get(page)
            chosen = {k: random.Random(k).choices(pages[k], k=requests) for k in kinds}
            report(kind, requests, await timed(get, chosen))
            profile = cProfile.Profile(time.process_time)
            for page_kind in kinds:
                for page in chosen[page_kind]:
                    profile.enable()
                    await get(page)
                    profile.disable()
            print_profile(profile, top, dump)
        finally:
            await Tortoise.close_connections()


async def timed(
    get: Callable[[Page], Awaitable[None]], chosen: dict[str, Sequence[Page]]
) -> dict[str, float]:
    """The median CPU milliseconds per request of each page type."""
    medians = {}
    for page_kind, chosen_pages in chosen.items():
        cpu = []
        for page in chosen_pages:
            started = time.process_time()
            await get(page)
            cpu.append((time.process_time() - started) * 1000)
        medians[page_kind] = statistics.median(cpu)
    return medians


def weighted_median(medians: dict[str, float], weights: dict[str, float] = READ_WEIGHTS) -> float:
    """The CPU of the middle GET of the mix: each page type's median counted by its weight."""
    total = sum(weights[kind] for kind in medians)
    counted = 0.0
    for kind, median in sorted(medians.items(), key=lambda item: item[1]):
        counted += weights[kind]
        if counted >= total / 2:
            return median
    return 0.0


def report(kind: str, requests: int, medians: dict[str, float]) -> None:
    print(f"{kind}, {requests} requests per page type      CPU ms (median)  weight")
    for page_kind, median in sorted(medians.items(), key=lambda item: item[1]):
        print(f"  {page_kind:<28} {median:10.2f}  {READ_WEIGHTS[page_kind]:6.2f}")
    weight = sum(READ_WEIGHTS[k] for k in medians)
    mean = sum(READ_WEIGHTS[k] * median for k, median in medians.items()) / weight
    print(f"  {'weighted mean over the mix':<28} {mean:10.2f}")
    print(f"  {'weighted median over the mix':<28} {weighted_median(medians):10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--requests", type=int, default=40, help="per page type")
    parser.add_argument("--page", choices=list(READ_WEIGHTS), help="only this page type")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    parser.add_argument("--dump", metavar="FILE", help="also save the profile for pstats or snakeviz")
    arguments = parser.parse_args()
    configure_logging("json", open(os.devnull, "w"))  # noqa: SIM115  # for the life of the process
    asyncio.run(measure(arguments.db, arguments.requests, arguments.page, arguments.top, arguments.dump))


if __name__ == "__main__":
    main()
