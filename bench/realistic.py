"""The headline load test: realistic traffic on a seeded Weerbaar (`python -m bench.load`).

One throwaway database (PostgreSQL, or SQLite with `--db sqlite`) with the full seed
(bench/seed.py), several hundred signed-in browsers of every role and anonymous participants
(bench/visitors.py), the mix of bench/mix.py (about 5 % writes). The app runs as `weerbaar serve`
does (uvicorn, 2 workers, bench/counting.py adds the statement count per answer), next to the bare
baseline app (bench/baseline_app.py, also 2 workers).

Per run: the baseline page under wrk; then the app under the mix, closed loop with 32 connections
(throughput), then open loop at a fixed arrival rate (latency, measured from each request's send
time), then the mix's pages without its writes, closed loop (the CPU of a GET). CPU per request is
the CPU time the server processes (and on PostgreSQL the database's backends) used during the
phase, read from /proc, divided by the requests answered.

`--rounds N` repeats the run on the same database and servers restarted, and prints the median
of each figure (on this shared machine one run's figures move by a fifth or more).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from tortoise import connections

from bench import databases, servers, visitors, wrk
from bench.mix import READ_WEIGHTS, Mix, percentile
from bench.seed import FULL, seed
from bench.traffic import Answer, closed_loop, open_loop
from server.db import apply_migrations

BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP_SECONDS = 3.0
#: Connections per server process: the app's and the baseline's two each stay well within a shared
#: PostgreSQL's 100.
POOL = 10


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (uvicorn's workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return found


def cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    """User plus system CPU time per process (gone processes left out)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings (a process started meanwhile counts from zero)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


async def backend_pids(admin: asyncpg.Connection | None, database: str) -> list[int]:
    if admin is None:
        return []
    rows = await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    return [row["pid"] for row in rows]


@dataclass
class Phase:
    """What one phase measured."""

    answers: list[Answer]
    seconds: float
    app_cpu: float
    db_cpu: float
    lag_ms: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.answers) / self.seconds if self.seconds else 0.0

    def per_request_ms(self, cpu: float) -> float:
        return 1000 * cpu / len(self.answers) if self.answers else 0.0

    @property
    def statements(self) -> float:
        return statistics.fmean(a.statements for a in self.answers) if self.answers else 0.0

    @property
    def errors(self) -> int:
        return sum(a.is_error for a in self.answers)


class Meter:
    """CPU of the server processes and, on PostgreSQL, the database's backends around a phase."""

    def __init__(self, server_pid: int, admin: asyncpg.Connection | None, database: str) -> None:
        self.server_pid, self.admin, self.database = server_pid, admin, database

    async def reading(self) -> tuple[dict[int, float], dict[int, float]]:
        backends = await backend_pids(self.admin, self.database)
        return cpu_seconds(process_tree(self.server_pid)), cpu_seconds(backends)

    async def phase(self, run: Awaitable[tuple[list[Answer], float]]) -> tuple[Phase, float]:
        """The phase `run` measured, and the figure it returns besides its answers."""
        app_before, db_before = await self.reading()
        answers, extra = await run
        app_after, db_after = await self.reading()
        return Phase(answers, 0.0, cpu_used(app_before, app_after), cpu_used(db_before, db_after)), extra


@dataclass
class Measured:
    closed: Phase
    open: Phase
    #: The pages of the mix without its writes, closed loop: the CPU of a GET.
    pages: Phase
    baseline_per_second: float
    baseline_cpu_ms: float


def _database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/") if database_url.startswith("postgres") else ""


@asynccontextmanager
async def metered(server_pid: int, postgres: str, database: str) -> AsyncIterator[Meter]:
    """A meter for this server, with one connection of its own to find the database's backends."""
    admin = await asyncpg.connect(f"{postgres}/postgres") if database else None
    try:
        yield Meter(server_pid, admin, database)
    finally:
        if admin is not None:
            await admin.close()


async def _run_app(
    base: str, mixes: tuple[Mix, Mix], pid: int, db: tuple[str, str], args: argparse.Namespace
) -> tuple[Phase, Phase, Phase]:
    mix, reads = mixes
    await closed_loop(base, mix, connections=args.connections, seconds=WARM_UP_SECONDS)
    async with metered(pid, *db) as meter:
        closed, took = await meter.phase(
            closed_loop(base, mix, connections=args.connections, seconds=args.seconds)
        )
        closed.seconds = took
        opened, lag = await meter.phase(open_loop(base, mix, rate=args.rate, seconds=args.seconds))
        opened.seconds, opened.lag_ms = args.seconds, lag
        pages, took = await meter.phase(
            closed_loop(base, reads, connections=args.connections, seconds=args.seconds)
        )
        pages.seconds = took
    return closed, opened, pages


async def _baseline(
    port: int, pid: int, db: tuple[str, str], seconds: float, connections: int
) -> tuple[float, float]:
    """The baseline page's throughput under wrk and its CPU per request (server and database)."""
    async with metered(pid, *db) as meter:
        before = await meter.reading()
        url = f"http://127.0.0.1:{port}/"
        result = await asyncio.to_thread(wrk.run, url, connections=connections, seconds=seconds)
        after = await meter.reading()
    cpu = cpu_used(before[0], after[0]) + cpu_used(before[1], after[1])
    return result.per_second, 1000 * cpu / max(result.requests, 1)


def bench(kind: str, args: argparse.Namespace) -> list[Measured]:
    secret_key = secrets.token_urlsafe(48)
    measured: list[Measured] = []
    with (
        tempfile.TemporaryDirectory(prefix="weerbaar-bench-run-") as temp,
        databases.throwaway_database(kind, args.postgres, args.postgres_socket, args.pool) as database_url,
    ):
        folder = Path(args.logs or temp)
        folder.mkdir(parents=True, exist_ok=True)
        mixes = asyncio.run(_prepare(database_url, secret_key))
        db = (args.postgres, _database_name(database_url))
        env = {
            **os.environ,
            "WEERBAAR_DATABASE_URL": database_url,
            "WEERBAAR_SECRET_KEY": secret_key,
            "WEERBAAR_BACKGROUND": "worker",
        }
        baseline_port = servers.free_port()
        baseline_command = [
            *(str(BIN / "uvicorn"), "bench.baseline_app:create_app", "--factory"),
            *("--workers", "2", "--port", str(baseline_port), "--log-level", "info"),
        ]
        with servers.server(baseline_command, env, folder / "baseline.log", baseline_port) as baseline:
            for number in range(args.rounds):
                base_rate, base_cpu = asyncio.run(
                    _baseline(baseline_port, baseline.pid, db, args.seconds / 2, args.connections)
                )
                port = servers.free_port()
                command = [
                    *(str(BIN / "uvicorn"), "bench.counting:create_app", "--factory", "--proxy-headers"),
                    *("--workers", "2", "--port", str(port), "--log-level", "info"),
                ]
                app_env = {**env, "WEERBAAR_BASE_URL": f"http://127.0.0.1:{port}"}
                with servers.server(command, app_env, folder / f"app-{number + 1}.log", port) as app:
                    base = f"http://127.0.0.1:{port}"
                    closed, opened, pages = asyncio.run(_run_app(base, mixes, app.pid, db, args))
                measured.append(Measured(closed, opened, pages, base_rate, base_cpu))
                print(
                    f"  run {number + 1}: {closed.per_second:.0f}/s, "
                    f"{closed.per_request_ms(closed.app_cpu):.1f} ms CPU per request, "
                    f"{closed.errors} errors; baseline {base_rate:.0f}/s",
                    flush=True,
                )
    return measured


async def _prepare(database_url: str, secret_key: str) -> tuple[Mix, Mix]:
    """The mix, and its pages without the writes."""
    await apply_migrations(database_url)
    async with databases.orm(database_url):
        seeded = await seed(FULL)
        if database_url.startswith("postgres"):
            await connections.get("default").execute_script("VACUUM ANALYZE")
            await connections.get("default").execute_script("CHECKPOINT")
        people = await visitors.sign_in(secret_key, seeded)
        writes = {
            "submit a booking": visitors.booking_writes(people),
            "submit feedback": await visitors.feedback_writes(people),
            "accept a request": await visitors.accept_writes(people),
            "issue an invoice": await visitors.issue_writes(people),
        }
    return Mix(people.visitors(), writes), Mix(people.visitors(), {}, weights=READ_WEIGHTS, seed=2)


def _by_kind(answers: list[Answer]) -> dict[str, list[Answer]]:
    kinds: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        kinds[answer.kind].append(answer)
    return dict(sorted(kinds.items()))


def print_runs(label: str, runs: list[Measured], args: argparse.Namespace) -> None:
    """The median run (by closed-loop throughput) per request type, and the medians of the summary figures."""
    closed = sorted(runs, key=lambda m: m.closed.per_second)[len(runs) // 2]
    rate = statistics.median(m.closed.per_second for m in runs)
    app_cpu = statistics.median(m.closed.per_request_ms(m.closed.app_cpu) for m in runs)
    db_cpu = statistics.median(m.closed.per_request_ms(m.closed.db_cpu) for m in runs)
    base_rate = statistics.median(m.baseline_per_second for m in runs)
    base_cpu = statistics.median(m.baseline_cpu_ms for m in runs)
    open_p50 = statistics.median(percentile([a.latency_ms for a in m.open.answers], 0.5) for m in runs)
    open_p99 = statistics.median(percentile([a.latency_ms for a in m.open.answers], 0.99) for m in runs)
    pages_rate = statistics.median(m.pages.per_second for m in runs)
    pages_app = statistics.median(m.pages.per_request_ms(m.pages.app_cpu) for m in runs)
    pages_db = statistics.median(m.pages.per_request_ms(m.pages.db_cpu) for m in runs)
    pages_statements = statistics.median(m.pages.statements for m in runs)
    print(
        f"\n{label}: median of {len(runs)} runs, 2 workers, {args.connections} connections, "
        f"{args.seconds:g} s per phase\n"
        f"closed loop: {rate:.0f} requests/s ({rate / base_rate:.2f} x the baseline's {base_rate:.0f}/s), "
        f"CPU per request {app_cpu:.2f} ms app + {db_cpu:.2f} ms database "
        f"({app_cpu / base_cpu if base_cpu else 0:.0f} x the baseline's {base_cpu:.2f} ms), "
        f"errors {sum(m.closed.errors + m.open.errors for m in runs)}\n"
        f"open loop at {args.rate:g}/s: p50 {open_p50:.0f} ms, p99 {open_p99:.0f} ms\n"
        f"pages only (the mix without its writes, closed loop): {pages_rate:.0f} requests/s, CPU per GET "
        f"{pages_app:.2f} ms app + {pages_db:.2f} ms database, {pages_statements:.1f} statements per GET"
    )
    print(
        f"{'request type':24} {'share':>6} {'closed p50':>10} {'p99 ms':>7} {'open p50':>9} {'p99 ms':>7} "
        f"{'stmts':>6} {'errors':>6}"
    )
    opened = _by_kind([a for m in runs for a in m.open.answers])
    for kind, answers in _by_kind(closed.closed.answers).items():
        times = [a.latency_ms for a in answers]
        late = [a.latency_ms for a in opened.get(kind, [])]
        print(
            f"{kind:24} {len(answers) / len(closed.closed.answers):6.1%} {percentile(times, 0.5):10.0f} "
            f"{percentile(times, 0.99):7.0f} {percentile(late, 0.5):9.0f} {percentile(late, 0.99):7.0f} "
            f"{statistics.fmean(a.statements for a in answers):6.1f} {sum(a.is_error for a in answers):6d}"
        )

    failed = Counter(
        (a.kind, a.status) for m in runs for a in [*m.closed.answers, *m.open.answers] if a.is_error
    )
    if failed:
        print("errors: " + ", ".join(f"{kind} {status} x{n}" for (kind, status), n in failed.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--seconds", type=float, default=15.0, help="per phase (default: %(default)s)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=50.0, help="open loop: requests per second")
    parser.add_argument("--rounds", type=int, default=1, help="runs, for the medians (default: 1)")
    parser.add_argument("--logs", default="", help="folder for the servers' logs (default: thrown away)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--postgres-socket", default=databases.default_socket_dir())
    parser.add_argument("--pool", type=int, default=POOL, help="PostgreSQL connections per server process")
    args = parser.parse_args(argv)
    if not wrk.available():
        print("wrk ontbreekt: apt-get install wrk (make bench doet dat als root).", file=sys.stderr)
        return 2
    label = "PostgreSQL" if args.db == "postgres" else "SQLite"
    print(f"{label}: seeding and signing in", flush=True)
    measured = bench(args.db, args)
    print_runs(f"{label}, realistic mix", measured, args)
    return 0
