"""The feedback spike (issue 20): 300 participants of one session, each with their own participant
code, all submitting within a few seconds over HTTP from one client address (a room on one network).

A throwaway PostgreSQL database with the small seed (bench/seed.py, TINY), 300 fresh codes for one
open session, `weerbaar serve --workers 2`; then every participant sends the form once, at moments
spread evenly over `--seconds` (default 5: harsher than the 30 s the issue names). Prints p50 and p99
latency, the refusals (any answer but the redirect to the thank-you page) and the responses stored.
Figures are printed, never asserted; the single-URL feedback write of bench/load.py is the figure
to compare with (docs/benchmarks.md).

    .venv/bin/python -m bench.feedback_spike [--participants 300] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
from pathlib import Path

import httpx

from bench import seed as seeding
from bench.databases import orm, throwaway_database
from bench.mix import percentile
from bench.servers import BIN, free_port, server
from feedback import codes
from feedback.models import ParticipantCode, Question, QuestionKind, Response, SessionFeedback
from server.db import apply_migrations
from server.security import csrf_token_for

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"


async def _prepare(database_url: str, participants: int) -> tuple[int, list[str], list[Question]]:
    await apply_migrations(database_url)
    async with orm(database_url):
        seeded = await seeding.seed(seeding.TINY)
        first = await ParticipantCode.get(code=seeded.open_feedback_codes[0])
        session = await SessionFeedback.get(id=first.session_id)  # type: ignore[attr-defined]
        issued = await codes.issue(session, participants)
        questions = list(await Question.filter(form_id=session.form_id).order_by("id"))  # type: ignore[attr-defined]
        return session.id, issued, questions


def _body(questions: list[Question], n: int, token: str) -> dict[str, str]:
    body = {"csrf_token": token}
    for question in questions:
        if question.kind is QuestionKind.TEXT:
            body[f"q{question.id}"] = f"Nuttige middag, deelnemer {n}."
        elif question.kind is QuestionKind.GRADE:
            body[f"q{question.id}"] = str(6 + n % 5)
        elif question.kind is QuestionKind.SCALE:
            body[f"q{question.id}"] = str(1 + n % 5)
        else:
            body[f"q{question.id}"] = str(n % len(question.options))
    return body


async def _spike(url: str, issued: list[str], questions: list[Question], secret_key: str, seconds: float):  # type: ignore[no-untyped-def]
    csrf_cookie = secrets.token_urlsafe(32)
    token = csrf_token_for(csrf_cookie, secret_key)
    limits = httpx.Limits(max_connections=len(issued))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = time.perf_counter()

        async def one(n: int, code: str) -> tuple[int, float]:
            await asyncio.sleep(max(0.0, start + n * seconds / len(issued) - time.perf_counter()))
            sent = time.perf_counter()
            response = await client.post(
                f"/f/{code}", data=_body(questions, n, token), cookies={"weerbaar_csrf": csrf_cookie}
            )
            return response.status_code, time.perf_counter() - sent

        return await asyncio.gather(*(one(n, code) for n, code in enumerate(issued)))


async def _stored(database_url: str, session_id: int) -> int:
    async with orm(database_url):
        return await Response.filter(session_id=session_id, via_open_link=False).count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", DEFAULT_POSTGRES))
    args = parser.parse_args(argv)
    secret_key = secrets.token_urlsafe(48)
    with (
        tempfile.TemporaryDirectory(prefix="weerbaar-spike-") as temp,
        throwaway_database("postgres", args.postgres) as database_url,
    ):
        session_id, issued, questions = asyncio.run(_prepare(database_url, args.participants))
        before = asyncio.run(_stored(database_url, session_id))
        port = free_port()
        env = {
            **os.environ,
            "WEERBAAR_DATABASE_URL": database_url,
            "WEERBAAR_SECRET_KEY": secret_key,
            "WEERBAAR_BACKGROUND": "worker",
            "WEERBAAR_BASE_URL": f"http://127.0.0.1:{port}",
        }
        command = [str(BIN / "weerbaar"), "serve", "--workers", "2", "--port", str(port)]
        with server(command, env, Path(temp) / "app.log", port):
            started = time.perf_counter()
            outcomes = asyncio.run(
                _spike(f"http://127.0.0.1:{port}", issued, questions, secret_key, args.seconds)
            )
            took = time.perf_counter() - started
        stored = asyncio.run(_stored(database_url, session_id)) - before
    latencies = [seconds * 1000 for _status, seconds in outcomes]
    refused = sum(status != 303 for status, _seconds in outcomes)
    print(f"feedback spike: {len(issued)} participants in {took:.1f} s (sent over {args.seconds:g} s)")
    print(f"  p50 {percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms")
    print(f"  refused {refused}, stored {stored} of {len(issued)}")
    return 0 if refused == 0 and stored == len(issued) else 1


if __name__ == "__main__":
    raise SystemExit(main())
