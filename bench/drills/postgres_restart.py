"""Drill: PostgreSQL restarts under load.

`weerbaar serve --workers 2` on a private cluster; six clients read pages, book, accept trainer
requests and issue invoices while the cluster is restarted (`pg_ctl restart -m fast`) and later
stopped for a few seconds and started again. Allowed answers: 2xx, 3xx and the 503 page (with
Retry-After); a 500, a hang or a dropped connection fails the drill. The app must serve again within
seconds of the database being back, and afterwards the invariants must hold (bookings with their
preferred dates, accepted requests consistent, invoice numbers gap-free with PDF and UBL), and every
write that was answered with success must be there.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.drills.app import Actors, Process, Recorder, booking_form, environment, prepare, wait_until_serving
from bench.drills.cluster import Cluster, free_port
from bench.drills.invariants import check_database, render_left_over

CLIENTS = 6
RESTART_AT = 4.0
STOP_AT = 9.0
DOWN_SECONDS = 3.0
LOAD_SECONDS = 20.0
RECOVERY_LIMIT = 5.0
OPEN_REQUESTS = 400


@dataclass
class Result:
    passed: bool
    lines: list[str] = field(default_factory=list)


async def _load(actors: Actors, recorder: Recorder, stop: asyncio.Event) -> None:
    turns = itertools.count()
    reads = itertools.cycle(
        [
            ("/boekingen", actors.cookies["coordinator"]),
            ("/financien", actors.cookies["finance"]),
            ("/organisatie/boekingen", actors.clerk_cookies[0][1]),
            ("/trainer", next(iter(actors.trainer_cookies.values()))),
        ]
    )
    form = {"csrf_token": actors.csrf_token}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=actors.base_url, timeout=15) as http:
            while not stop.is_set():
                turn = next(turns)
                kind = ("read", "book", "accept", "issue")[turn % 4]
                if kind == "book":
                    code, cookie = actors.clerk_cookies[turn % len(actors.clerk_cookies)]
                    path = f"/organisaties/{code}/boeken/{actors.offering_id}"
                    await recorder.send(http, kind, "POST", path, cookie, booking_form(actors, turn))
                elif kind == "accept" and actors.open_requests:
                    request_id, trainer_id = actors.open_requests.pop(0)
                    body = {**form, "action": "accept", "reason": ""}
                    cookie = actors.trainer_cookies[trainer_id]
                    await recorder.send(http, kind, "POST", f"/trainer/verzoeken/{request_id}", cookie, body)
                elif kind == "issue" and actors.drafts:
                    path = f"/financien/facturen/{actors.drafts.pop(0)}/uitgeven"
                    await recorder.send(http, kind, "POST", path, actors.cookies["finance"], form)
                else:
                    path, cookie = next(reads)
                    await recorder.send(http, "read", "GET", path, cookie, None)

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


async def _outages(cluster: Cluster, recorder: Recorder, back: list[float]) -> list[str]:
    lines = []
    await asyncio.sleep(RESTART_AT)
    took = await asyncio.to_thread(cluster.restart)
    back.append(recorder.now())
    lines.append(f"pg_ctl restart -m fast at {RESTART_AT:.1f} s took {took:.2f} s")
    await asyncio.sleep(STOP_AT - recorder.now())
    await asyncio.to_thread(cluster.stop_fast)
    stopped = recorder.now()
    await asyncio.sleep(DOWN_SECONDS)
    await asyncio.to_thread(cluster.start)
    back.append(recorder.now())
    lines.append(
        f"pg_ctl stop -m fast at {stopped:.1f} s, start {DOWN_SECONDS:.0f} s later: back at {back[-1]:.1f} s"
    )
    return lines


def _recovery(recorder: Recorder, back: float) -> float | None:
    """Seconds from the database being back to the first successful answer to a request sent after."""
    after = [
        o for o in recorder.outcomes if o.started >= back and isinstance(o.status, int) and o.status < 400
    ]
    return min(o.ended for o in after) - back if after else None


def _writes(before: dict[str, int], after: dict[str, int], ok: dict[str, int]) -> tuple[list[str], list[str]]:
    """Per kind of write: stored (after - before) against answered with success. Fewer stored than
    answered is a lost write (a failure); more means a write went through although its answer was a
    503 (the page asks the user to check before sending again)."""
    lines, problems = [], []
    for kind, count in (
        ("book", "drill bookings"),
        ("accept", "accepted requests"),
        ("issue", "issued invoices"),
    ):
        stored = after[count] - before.get(count, 0)
        lines.append(f"{kind}: {ok[kind]} answered with success, {stored} stored")
        if stored < ok[kind]:
            problems.append(f"{kind}: {ok[kind] - stored} writes answered with success are missing")
    return lines, problems


async def run(cluster: Cluster, folder: Path) -> Result:
    database_url = await cluster.create_database("drill_restart")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    actors = await prepare(database_url, base_url, OPEN_REQUESTS)
    before = await check_database(database_url)
    if before.problems:
        return Result(False, ["the seeded database breaks the invariants already:", *before.problems])
    env = environment(database_url, base_url)
    server = Process(["serve", "--port", str(port), "--workers", "2"], env, folder / "serve.log")
    server.start()
    back: list[float] = []
    try:
        wait_until_serving(base_url, server)
        recorder = Recorder()
        stop = asyncio.Event()
        load = asyncio.create_task(_load(actors, recorder, stop))
        lines = await _outages(cluster, recorder, back)
        await asyncio.sleep(max(LOAD_SECONDS - recorder.now(), 0))
        stop.set()
        await load
    finally:
        server.stop()

    outcomes = recorder.outcomes
    wrong = [o for o in outcomes if not (isinstance(o.status, int) and (o.status < 400 or o.status == 503))]
    unavailable = [o for o in outcomes if o.status == 503]
    without_retry_after = [o for o in unavailable if not o.retry_after]
    recoveries = [_recovery(recorder, moment) for moment in back]
    late = [o for o in unavailable if o.started > back[-1] + RECOVERY_LIMIT]
    ok = {
        kind: sum(1 for o in outcomes if o.kind == kind and o.status == 303)
        for kind in ("book", "accept", "issue")
    }
    rendered = await render_left_over(database_url)
    after = await check_database(database_url)
    write_lines, lost = _writes(before.counts, after.counts, ok)
    lines += [
        f"{len(outcomes)} requests: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(recorder.statuses().items())),
        f"503 pages: {len(unavailable)} (without Retry-After: {len(without_retry_after)}, "
        f"more than {RECOVERY_LIMIT:.0f} s after the database was back: {len(late)}); "
        f"anything else: {len(wrong)} {sorted({f'{o.kind} {o.status}' for o in wrong})[:6]}",
        "back to serving after the database returned: "
        + ", ".join("never" if r is None else f"{r:.2f} s" for r in recoveries),
        *write_lines,
        f"invoice files rendered after the app stopped (as a restarted app would): {rendered}",
        *after.problems,
        *lost,
    ]
    passed = (
        not wrong
        and not without_retry_after
        and not late
        and all(r is not None and r <= RECOVERY_LIMIT for r in recoveries)
        and not after.problems
        and not lost
    )
    return Result(passed, lines)
