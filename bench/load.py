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
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import asyncpg
from tortoise import Tortoise, connections, timezone

from bench import seed as seeding
from bench import seed_additions, wrk
from bench.mix import booking_request
from bookings.models import Booking
from bookings.staffing_models import AssignmentRequest, RequestStatus
from feedback.models import ParticipantCode, Question, QuestionKind, Response
from invoicing.models import Invoice, InvoiceStatus
from server.db import apply_migrations, init_orm
from server.models import Organisation, OrganisationKind, User
from server.security import csrf_token_for
from server.sessions import SESSION_COOKIE, start_session
from server.settings import PROJECT_DIR

BIN = Path(sys.executable).parent
PAGE_TARGET_RATIO = 0.3
PAGE_TARGET_P99_MS = 50.0
WRITE_TARGET_PER_SECOND = 300.0
WRITE_TARGET_P99_MS = 100.0
WRITE_CLERKS = 64
#: Requests listed per write, and before them the ones its warm-up may take: enough that no line is
#: sent twice within the run at well over the target (a repeated acceptance or issue is an error).
REQUEST_LINES = 6000
WARM_UP_LINES = 1000
WARM_UP_SECONDS = 1.0
#: A page that answers fewer than two requests per connection in the run is measured this much longer.
SLOW_PAGE_FACTOR = 3
DEFAULT_POOL = 20
AUTOGROUP_SETTING = Path("/proc/sys/kernel/sched_autogroup_enabled")


@dataclass
class Row:
    name: str
    result: wrk.Result
    is_write: bool
    stored: int | None = None

    def ratio(self, baselines: Baselines) -> float:
        """Throughput against the bare app's: its page for a page, its smallest write for a write."""
        baseline = baselines.write if self.is_write else baselines.page
        return self.result.per_second / baseline.per_second if baseline.per_second else 0.0

    def meets_target(self, baselines: Baselines, *, speed: bool = True) -> bool:
        """No errors, every answered write stored, and with `speed` (the targets on PostgreSQL) the
        throughput and p99 targets."""
        result = self.result
        if result.errors or result.timeouts:
            return False
        if self.stored is not None and self.stored < result.requests - result.errors:
            return False
        if not speed:
            return True
        if self.is_write:
            return result.per_second >= WRITE_TARGET_PER_SECOND and result.p99_ms < WRITE_TARGET_P99_MS
        return self.ratio(baselines) >= PAGE_TARGET_RATIO and result.p99_ms < PAGE_TARGET_P99_MS


@dataclass
class Baselines:
    """The bare app of bench/baseline_app.py: a page after one SELECT, a write of one SELECT and one
    INSERT in a transaction."""

    page: wrk.Result
    write: wrk.Result


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


def autogroup_scheduling(setting: Path = AUTOGROUP_SETTING) -> bool | None:
    """Whether the kernel shares the CPU per session first; None where it has no such setting."""
    try:
        return setting.read_text().strip() != "0"
    except OSError:
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _postgres_admin(postgres: str, statement: str) -> None:
    admin = await asyncpg.connect(f"{postgres}/postgres")
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def default_socket_dir() -> str:
    """The folder of the local PostgreSQL's Unix socket (Debian's), or "" when it has none there."""
    folder = "/var/run/postgresql"
    return folder if Path(folder, ".s.PGSQL.5432").exists() else ""


def postgres_url(postgres: str, name: str, socket_dir: str, pool: int = DEFAULT_POOL) -> str:
    """The app's URL of database `name` with `pool` connections per process: through the socket in
    `socket_dir`, else over TCP."""
    if not socket_dir:
        return f"{postgres}/{name}?maxsize={pool}"
    user = urlsplit(postgres).username or "postgres"
    return f"postgres://{user}@/{name}?maxsize={pool}&host={socket_dir}"


@contextmanager
def throwaway_database(
    kind: str, postgres: str, socket_dir: str = "", pool: int = DEFAULT_POOL
) -> Iterator[str]:
    """A new, empty database of this kind (an SQLite file in a temporary folder), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="weerbaar-bench-") as folder:
            yield f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        return
    name = f"weerbaar_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_postgres_admin(postgres, f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url(postgres, name, socket_dir, pool)
    finally:
        asyncio.run(_postgres_admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@asynccontextmanager
async def orm(database_url: str) -> AsyncIterator[None]:
    await init_orm(database_url)
    try:
        yield
    finally:
        await Tortoise.close_connections()


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


Line = tuple[str, str, str, dict[str, str] | list[tuple[str, str]]]


def write_lines(path: Path, lines: list[Line]) -> Path:
    with path.open("w") as handle:
        for method, target, cookie, body in lines:
            handle.write(f"{method}\t{target}\t{cookie}\t{urlencode(body)}\n")
    return path


def booking_lines(actors: Actors) -> list[Line]:
    assert actors.seeded
    offering = actors.seeded.follow_up_offering_id
    codes = sorted(actors.clerk_cookies)
    today = timezone.now().date()
    lines: list[Line] = []
    for n in range(WARM_UP_LINES + REQUEST_LINES):
        code = codes[n % len(codes)]
        cookie = actors.clerk_cookies[code]
        body = booking_request(n, actors.token(cookie), today, po_prefix="PO-BENCH")
        lines.append(("POST", f"/organisaties/{code}/boeken/{offering}", cookie, body))
    return lines


async def feedback_lines(actors: Actors) -> list[Line]:
    assert actors.seeded
    # One fresh participant code per line: a code admits one response (feedback/codes.py).
    sessions = (
        await ParticipantCode.filter(code__in=actors.seeded.open_feedback_codes[1:], is_used=False)
        .order_by("id")
        .limit(WARM_UP_LINES + REQUEST_LINES)
        .values("code", form_id="session__form_id")
    )
    questions: dict[int, list[Question]] = {}
    for question in await Question.filter(form_id__in={s["form_id"] for s in sessions}):
        questions.setdefault(question.form_id, []).append(question)  # type: ignore[attr-defined]
    lines: list[Line] = []
    for n in range(min(len(sessions), WARM_UP_LINES + REQUEST_LINES)):
        session = sessions[n]
        body = [("csrf_token", actors.csrf_token)]
        for question in questions[session["form_id"]]:
            if question.kind is QuestionKind.TEXT:
                body.append((f"q{question.id}", f"Nuttige middag, deelnemer {n}."))
            elif question.kind is QuestionKind.GRADE:
                body.append((f"q{question.id}", str(6 + n % 5)))
            elif question.kind is QuestionKind.SCALE:
                body.append((f"q{question.id}", str(1 + n % 5)))
            else:
                body.append((f"q{question.id}", str(n % len(question.options))))
        lines.append(("POST", f"/f/{session['code']}", actors.cookie(), body))
    return lines


async def accept_lines(actors: Actors) -> list[Line]:
    """One line per pending request, made for the run (one pool: no two of them conflict)."""
    pool = await seed_additions.add_open_requests(WARM_UP_LINES + REQUEST_LINES)
    lines: list[Line] = []
    for request_id, trainer_id in pool:
        cookie = actors.trainer_cookies[trainer_id]
        body = {"csrf_token": actors.token(cookie), "action": "accept", "reason": ""}
        lines.append(("POST", f"/trainer/verzoeken/{request_id}", cookie, body))
    return lines


async def issue_lines(actors: Actors) -> list[Line]:
    """One line per draft, made for the run (the seeded 300 would be issued within a second)."""
    drafts = await seed_additions.add_drafts(WARM_UP_LINES + REQUEST_LINES)
    cookie = actors.cookies["finance"]
    body = {"csrf_token": actors.token(cookie)}
    return [("POST", f"/financien/facturen/{i}/uitgeven", cookie, body) for i in drafts]


@contextmanager
def server(
    command: list[str], env: dict[str, str], log: Path, port: int
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=PROJECT_DIR)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while status("127.0.0.1", port, "/", "") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log.read_text().splitlines()[-20:])
                raise RuntimeError(f"server op poort {port} start niet:\n{tail}")
            time.sleep(0.3)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def status(host: str, port: int, path: str, cookie: str) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


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


def median_result(results: Sequence[wrk.Result]) -> wrk.Result:
    """The median of each figure of several runs (the throughput as the requests of the median
    throughput in the median length), with their errors and timeouts added up."""
    seconds = statistics.median(result.seconds for result in results)
    return wrk.Result(
        requests=round(statistics.median(result.per_second for result in results) * seconds),
        seconds=seconds,
        p50_ms=statistics.median(result.p50_ms for result in results),
        p99_ms=statistics.median(result.p99_ms for result in results),
        errors=sum(result.errors for result in results),
        timeouts=sum(result.timeouts for result in results),
    )


def median_rows(runs: Sequence[Sequence[Row]]) -> list[Row]:
    """Per line of the runs, the median figures; for a write `stored` is the median's answered
    requests when every run stored what it answered, and 0 when one did not."""
    rows = []
    for lines in zip(*runs, strict=True):
        result = median_result([line.result for line in lines])
        stored = None
        if lines[0].is_write:
            complete = all(
                line.stored is not None and line.stored >= line.result.requests - line.result.errors
                for line in lines
            )
            stored = result.requests - result.errors if complete else 0
        rows.append(Row(lines[0].name, result, lines[0].is_write, stored))
    return rows


AUTOGROUP_STATE = {True: "on", False: "off", None: "not available"}
AUTOGROUP_WARNING = (
    "Warning: kernel.sched_autogroup_enabled=1. PostgreSQL's backends then share the CPU as one group "
    "and stall for up to a second under full load: the p99 figures on PostgreSQL are then the "
    "kernel's, not the app's. Switch it off with `sysctl -w kernel.sched_autogroup_enabled=0` "
    "(make bench does that as root)."
)


def print_table(
    kind: str, baselines: Baselines, rows: list[Row], args: argparse.Namespace, title: str = ""
) -> None:
    page, write = baselines.page, baselines.write
    print(
        f"\n{kind}{title}, 2 workers, {args.connections} connections, {args.seconds:g} s each (wrk); "
        f"kernel autogroup scheduling {AUTOGROUP_STATE[autogroup_scheduling()]}\n"
        f"baseline page {page.per_second:.0f}/s, p50 {page.p50_ms:.1f} ms, p99 {page.p99_ms:.1f} ms; "
        f"baseline write {write.per_second:.0f}/s, p50 {write.p50_ms:.1f} ms, p99 {write.p99_ms:.1f} ms, "
        f"{write.errors} errors"
    )
    header = (
        f"{'':30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'>10 s':>6} {'stored':>7} "
        f"{'ratio':>6}  target"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        result = row.result
        stored = "" if row.stored is None else str(row.stored)
        target = "yes" if row.meets_target(baselines, speed=kind == "PostgreSQL") else "NO"
        print(
            f"{row.name:30} {result.per_second:8.0f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
            f"{result.errors:7d} {result.timeouts:6d} {stored:>7} {row.ratio(baselines):6.2f}  {target}"
        )
    print(
        f"targets: no errors and every answered write stored; on PostgreSQL also pages ratio >= "
        f"{PAGE_TARGET_RATIO} and p99 < {PAGE_TARGET_P99_MS:g} ms, writes >= {WRITE_TARGET_PER_SECOND:g}/s "
        f"and p99 < {WRITE_TARGET_P99_MS:g} ms; >10 s = requests "
        "without an answer within wrk's 10 s timeout; stored = rows the database gained; ratio = "
        "throughput against the baseline page (pages) or the baseline write (writes)"
    )


def main(argv: list[str] | None = None) -> int:
    """The realistic mix (bench/realistic.py), or with `--single-url` the table of single pages and writes."""
    argv = sys.argv[1:] if argv is None else argv
    if "--single-url" not in argv:
        from bench import realistic  # the headline; it uses this module's servers and databases

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
