"""Sending the realistic mix to a server, closed loop and open loop (asyncio and httpx).

Closed loop: `connections` clients each send the next request of the mix as soon as their last one
was answered, for a fixed time: the throughput the server sustains. Open loop: requests go out at
fixed times (bench/mix.py `schedule`) whatever the server does, and each latency runs from that
time, as wrk2 does (not in Debian): the latency a steady stream of users sees, without coordinated
omission.

Every answer is recorded with its type, its latency, its status and the statements the server ran
for it (the `x-bench-statements` header that bench/counting.py adds).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from bench.mix import Mix, Request, schedule

STATEMENTS_HEADER = "x-bench-statements"
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    kind: str
    latency_ms: float
    status: int
    statements: int
    #: Why there was no answer (the client's exception), if there was none.
    failure: str = ""

    @property
    def is_error(self) -> bool:
        return not 200 <= self.status < 400


async def _send(client: httpx.AsyncClient, request: Request, since: float) -> Answer:
    headers = {"cookie": request.cookie} if request.cookie else {}
    if request.is_write:
        headers["content-type"] = "application/x-www-form-urlencoded"
    try:
        response = await client.request(request.method, request.path, headers=headers, content=request.body)
    except httpx.HTTPError as error:
        return Answer(request.kind, (time.perf_counter() - since) * 1000, 0, 0, type(error).__name__)
    statements = int(response.headers.get(STATEMENTS_HEADER, 0))
    return Answer(request.kind, (time.perf_counter() - since) * 1000, response.status_code, statements)


def _client(base: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base, limits=limits, timeout=TIMEOUT_SECONDS)


async def closed_loop(base: str, mix: Mix, *, connections: int, seconds: float) -> tuple[list[Answer], float]:
    """The answers of `connections` busy clients during `seconds`, and the time the run took
    (until the last request sent in time was answered)."""
    answers: list[Answer] = []
    async with _client(base, connections) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def one_connection() -> None:
            while time.perf_counter() < deadline:
                request = mix.next()
                answers.append(await _send(client, request, time.perf_counter()))

        await asyncio.gather(*(one_connection() for _ in range(connections)))
        return answers, time.perf_counter() - started


async def open_loop(base: str, mix: Mix, *, rate: float, seconds: float) -> tuple[list[Answer], float]:
    """The answers of requests sent at `rate` per second during `seconds`, each timed from its
    scheduled send time; and how far behind its schedule the client fell at worst (ms)."""
    times = schedule(rate, seconds)
    requests = mix.take(len(times))
    lag = 0.0
    async with _client(base, max(64, int(rate))) as client:
        started = time.perf_counter()
        tasks = []
        for at, request in zip(times, requests, strict=True):
            due = started + at
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            lag = max(lag, (time.perf_counter() - due) * 1000)
            tasks.append(asyncio.create_task(_send(client, request, due)))
        answers = await asyncio.gather(*tasks)
    return list(answers), lag
