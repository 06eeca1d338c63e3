"""The load test (`make bench`): the realistic mix as the headline (bench/realistic.py); with
`--single-url`, the table of the main pages and writes of a seeded Weerbaar one URL at a time under
32 connections, described below.

For each database (PostgreSQL, then SQLite): a throwaway database, migrated and seeded with the full
volume (bench/seed.py); `weerbaar serve --workers 2` and the bare baseline app (bench/baseline_app.py,
also 2 workers) on free ports; then `wrk` against the baseline page and write, each page and each
write for a fixed time. Each page is requested a few times first, and each write runs for a second
on requests of its own, so that the figures are of servers that have compiled their templates and
prepared their statements, not of their first requests.

Both servers reach a PostgreSQL on the same machine through its Unix socket when it has one
(`--postgres-socket`), as the README advises for such a deployment: a statement over loopback TCP
costs both sides the TCP stack, about a tenth of a booking's time here.

Prints requests per second, p50 and p99 latency, errors, the ratio to the baseline (page or write)
and whether the target is met. Figures are printed, never asserted. With `--runs N` the whole run
is repeated on a fresh database and servers, each run is printed, and then a table of the medians:
on this shared machine the p99 of one run moves by a fifth from run to run.

The kernel's autogroup scheduling (`kernel.sched_autogroup_enabled`, on in Debian's kernel) shares
the CPU between sessions first: all of PostgreSQL's backends, started in a session of their own,
then compete as one group with the session that runs the servers and wrk. With both cores busy,
their statements stalled for 0.1 to 1.2 s at a time, all at once (`SELECT pg_current_snapshot()`,
timed in the servers), which decided the p99 of most pages. The run says whether it is on and
warns; `make bench` switches it off as root, as the README advises for a machine that runs
PostgreSQL next to the app.

Users are signed in by creating their sessions with the app's own session service
(`server.sessions.start_session`, second factor counted as done), the way a login ends; the CSRF
token is the HMAC of a chosen cookie under the secret key the servers are started with.

The throwaway databases and the servers are those of bench/databases.py and bench/servers.py, the
writes' request lines come from bench/request_lines.py, and the rows, medians and table from
bench/single_url_table.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from tortoise import connections

from bench import realistic, wrk
from bench import seed as seeding
from bench.databases import DEFAULT_POOL, default_socket_dir, orm, throwaway_database
from bench.request_lines import (
    REQUEST_LINES,
    WARM_UP_LINES,
    Line,
    accept_lines,
    booking_lines,
    feedback_lines,
    issue_lines,
    write_lines,
)
from bench.servers import BIN, free_port, server, status
from bench.single_url_table import (
    AUTOGROUP_WARNING,
    Baselines,
    Row,
    autogroup_scheduling,
    median_result,
    median_rows,
    print_table,
)
from bookings.models import Booking
from bookings.staffing_models import AssignmentRequest, RequestStatus
from feedback.models import Response
from invoicing.models import Invoice, InvoiceStatus
from server.db import apply_migrations
from server.models import Organisation, OrganisationKind, User
from server.security import csrf_token_for
from server.sessions import SESSION_COOKIE, start_session

WRITE_CLERKS = 64
WARM_UP_SECONDS = 1.0
#: A page that answers fewer than two requests per connection in the run is measured this much longer.
SLOW_PAGE_FACTOR = 3


@dataclass
class Actors:
    """Cookies per role, and what the pages and writes are about."""

    csrf_cookie: str
    csrf_token: str
    secret_key: str
    cookies: dict[str, str] = field(default_factory=dict)
    clerk_cookies: dict[str, str] = field(default_factory=dict)
    trainer_cookies: dict[int, str] = field(default_factory=dict)
    seeded: seeding.Seeded | None = None

    def cookie(self, session_key: str | None = None) -> str:
        csrf = f"weerbaar_csrf={self.csrf_cookie}"
        return f"{SESSION_COOKIE}={session_key}; {csrf}" if session_key else csrf

    def token(self, cookie: str) -> str:
        """The CSRF token for a cookie made by `cookie` (the token is bound to the session)."""
        session_key = cookie.partition(f"{SESSION_COOKIE}=")[2].partition(";")[0]
        return csrf_token_for(self.csrf_cookie, self.secret_key, session_key)


async def prepare(database_url: str, secret_key: str) -> Actors:
    """Migrate, seed and sign in: a clerk, a coordinator, finance, every trainer and clerks for writes."""
    started = time.perf_counter()
    await apply_migrations(database_url)
    async with orm(database_url):
        seeded = await seeding.seed(seeding.FULL)
        if database_url.startswith("postgres"):
            # As a database in use would be: planner statistics in place, no autovacuum analysing
            # the fresh tables during the runs (its writes would also end every kept page), and the
            # seed's writes on disk, not left to a checkpoint that would flush them during the writes.
            await connections.get("default").execute_script("VACUUM ANALYZE")
            await connections.get("default").execute_script("CHECKPOINT")
        print(f"  seeded in {time.perf_counter() - started:.1f} s: {seeded.counts}", flush=True)
        csrf_cookie = secrets.token_urlsafe(32)
        actors = Actors(csrf_cookie, csrf_token_for(csrf_cookie, secret_key), secret_key, seeded=seeded)
        for role, email in (
            ("clerk", seeded.clerk_email),
            ("coordinator", seeded.coordinator_email),
            ("finance", seeded.finance_email),
            ("trainer", seeded.trainer_email),
        ):
            user = await User.get(email=email)
            actors.cookies[role] = actors.cookie(await start_session(user, second_factor_done=True))
        municipalities = await Organisation.filter(kind=OrganisationKind.MUNICIPALITY).limit(WRITE_CLERKS)
        for organisation in municipalities:
            clerk = await User.get(organisation_id=organisation.id)
            key = await start_session(clerk, second_factor_done=True)
            actors.clerk_cookies[organisation.cbs_code] = actors.cookie(key)
        for trainer in await User.filter(role="trainer"):
            key = await start_session(trainer, second_factor_done=True)
            actors.trainer_cookies[trainer.id] = actors.cookie(key)
    return actors


def pages(actors: Actors) -> list[tuple[str, str, str]]:
    assert actors.seeded
    code, offering = actors.seeded.organisation_code, actors.seeded.follow_up_offering_id
    return [
        ("home", "/", ""),
        ("organisation page (clerk)", f"/organisaties/{code}", actors.cookies["clerk"]),
        ("booking form (clerk)", f"/organisaties/{code}/boeken/{offering}", actors.cookies["clerk"]),
        ("bookings board (coordinator)", "/boekingen", actors.cookies["coordinator"]),
        ("tour dashboard (coordinator)", "/coordinatie", actors.cookies["coordinator"]),
        ("trainer requests (trainer)", "/trainer", actors.cookies["trainer"]),
        ("feedback form (participant)", f"/f/{actors.seeded.open_feedback_codes[0]}", actors.cookie()),
        ("invoice list (finance)", "/financien", actors.cookies["finance"]),
    ]


def measure_writes(
    database_url: str, actors: Actors, base: str, folder: Path, seconds: float, connections: int
) -> list[Row]:
    """Each write for `seconds`, after a warm-up on lines of its own; `stored` is what the database
    gained during the run (checked against the answers)."""
    rows = []
    writes: list[tuple[str, Callable[[], object], Callable[[], list[Line]]]] = [
        ("submit a booking", lambda: Booking.all().count(), lambda: booking_lines(actors)),
        (
            "submit feedback",
            lambda: Response.all().count(),
            lambda: asyncio.run(_with_orm(database_url, feedback_lines(actors))),
        ),
        (
            "accept a request",
            lambda: AssignmentRequest.filter(status=RequestStatus.ACCEPTED).count(),
            lambda: asyncio.run(_with_orm(database_url, accept_lines(actors))),
        ),
        (
            "issue an invoice",
            lambda: Invoice.exclude(status=InvoiceStatus.DRAFT).count(),
            lambda: asyncio.run(_with_orm(database_url, issue_lines(actors))),
        ),
    ]
    for number, (name, counter, make_lines) in enumerate(writes):
        lines = make_lines()
        warm_up = write_lines(folder / f"write-{number}-warm-up.tsv", lines[:WARM_UP_LINES])
        request_file = write_lines(folder / f"write-{number}.tsv", lines[WARM_UP_LINES:])
        wrk.run(base, connections=connections, seconds=WARM_UP_SECONDS, request_file=warm_up)
        before = asyncio.run(_settled_count(database_url, counter))
        result = wrk.run(base, connections=connections, seconds=seconds, request_file=request_file)
        stored = asyncio.run(_settled_count(database_url, counter)) - before
        rows.append(Row(name, result, is_write=True, stored=stored))
        print(f"  {name}: {result.per_second:.0f}/s", flush=True)
    return rows


async def _settled_count(database_url: str, counter: Callable[[], object]) -> int:
    """The count once the server has finished the requests wrk left in flight when it stopped, so
    that they are counted, and so that the next write's rows never race them for an id."""
    async with orm(database_url):
        count = await counter()  # type: ignore[misc]
        for _ in range(40):
            await asyncio.sleep(0.25)
            again = await counter()  # type: ignore[misc]
            if again == count:
                break
            count = again
        return count  # type: ignore[no-any-return]


async def _with_orm(database_url: str, work: Awaitable[list[Line]]) -> list[Line]:
    async with orm(database_url):
        return await work


def bench_database(kind: str, args: argparse.Namespace) -> tuple[Baselines, list[Row]]:
    secret_key = secrets.token_urlsafe(48)
    with (
        tempfile.TemporaryDirectory(prefix="weerbaar-bench-run-") as temp,
        throwaway_database(kind, args.postgres, args.postgres_socket, args.pool) as database_url,
    ):
        folder = Path(temp)
        actors = asyncio.run(prepare(database_url, secret_key))
        env = {
            **os.environ,
            "WEERBAAR_DATABASE_URL": database_url,
            "WEERBAAR_SECRET_KEY": secret_key,
            "WEERBAAR_BACKGROUND": "worker",
        }
        app_port, baseline_port = free_port(), free_port()
        env["WEERBAAR_BASE_URL"] = f"http://127.0.0.1:{app_port}"
        app_command = [str(BIN / "weerbaar"), "serve", "--workers", "2", "--port", str(app_port)]
        baseline_command = [
            *(str(BIN / "uvicorn"), "bench.baseline_app:create_app", "--factory"),
            *("--workers", "2", "--port", str(baseline_port), "--log-level", "info"),
        ]
        with (
            server(app_command, env, folder / "app.log", app_port),
            server(baseline_command, env, folder / "baseline.log", baseline_port),
        ):
            baseline = wrk.run(
                f"http://127.0.0.1:{baseline_port}/", connections=args.connections, seconds=args.seconds
            )
            print(f"  baseline: {baseline.per_second:.0f}/s", flush=True)
            lines = [("POST", "/", "", {"summary": f"write {n}"}) for n in range(REQUEST_LINES)]
            baseline_write = wrk.run(
                f"http://127.0.0.1:{baseline_port}/",
                connections=args.connections,
                seconds=args.seconds,
                request_file=write_lines(folder / "baseline.tsv", lines),
            )
            print(f"  baseline write: {baseline_write.per_second:.0f}/s", flush=True)
            rows = []
            for name, path, cookie in pages(actors):
                for _warm_up in range(3):
                    code = status("127.0.0.1", app_port, path, cookie)
                    if code != 200:
                        raise RuntimeError(f"{name}: {path} antwoordt {code}, niet 200")
                url = f"http://127.0.0.1:{app_port}{path}"
                result = wrk.run(url, connections=args.connections, seconds=args.seconds, cookie=cookie)
                if result.requests < 2 * args.connections:
                    # Slower than the run: the first answers came after it ended. Measure longer.
                    seconds = args.seconds * SLOW_PAGE_FACTOR
                    result = wrk.run(url, connections=args.connections, seconds=seconds, cookie=cookie)
                rows.append(Row(name, result, is_write=False))
                print(f"  {name}: {result.per_second:.0f}/s", flush=True)
            rows += measure_writes(
                database_url, actors, f"http://127.0.0.1:{app_port}/", folder, args.seconds, args.connections
            )
    return Baselines(baseline, baseline_write), rows


def main(argv: list[str] | None = None) -> int:
    """The realistic mix (bench/realistic.py), or with `--single-url` the table of single pages and writes."""
    argv = sys.argv[1:] if argv is None else argv
    if "--single-url" not in argv:
        return realistic.main(argv)
    return single_url_main([arg for arg in argv if arg != "--single-url"])


def single_url_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=6.0, help="per page and per write")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--postgres", default="postgres://postgres@127.0.0.1:5432", help="server for the database"
    )
    parser.add_argument(
        "--postgres-socket",
        default=default_socket_dir(),
        help="folder of its Unix socket, which the servers use ('' for TCP; default: %(default)r)",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=DEFAULT_POOL,
        help="PostgreSQL connections per server process (?maxsize=; default: %(default)s)",
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="repeat the whole run and print the medians too (default: 1)"
    )
    args = parser.parse_args(argv)
    if not wrk.available():
        print("wrk ontbreekt: apt-get install wrk (make bench doet dat als root).", file=sys.stderr)
        return 2
    kinds = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    if "postgres" in kinds and autogroup_scheduling():
        print(AUTOGROUP_WARNING, file=sys.stderr, flush=True)
    results = []
    for kind in kinds:
        runs = []
        for number in range(1, args.runs + 1):
            print(f"{kind}" + (f", run {number} of {args.runs}" if args.runs > 1 else "") + ":", flush=True)
            runs.append(bench_database(kind, args))
        results.append((kind, runs))
    for kind, runs in results:
        label = "PostgreSQL" if kind == "postgres" else "SQLite"
        count = len(runs)
        for number, (baselines, rows) in enumerate(runs, start=1):
            print_table(label, baselines, rows, args, f", run {number} of {count}" if count > 1 else "")
        if count > 1:
            medians = Baselines(
                median_result([baselines.page for baselines, _ in runs]),
                median_result([baselines.write for baselines, _ in runs]),
            )
            median_table = median_rows([rows for _, rows in runs])
            print_table(label, medians, median_table, args, f", median of {count} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
