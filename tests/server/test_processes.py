"""Several processes on one database: `serve --workers 2` under concurrent writes, and `weerbaar worker`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from email.message import EmailMessage

import httpx

from tests.cli import weerbaar_output
from tests.hang_guard import HANG_GUARD_SECONDS
from tests.smtp import SmtpSink, free_port

SECRET = "process-test-secret-key-long-enough-0123456789"
#: Queue mail through the service, as the web app would, from a process of its own.
QUEUE_TWO_MAILS = """
import asyncio, os
from tortoise import Tortoise
from server.auth import request_login_link
from server.db import init_orm

async def main():
    await init_orm(os.environ["WEERBAAR_DATABASE_URL"])
    for address in ("trainer@weerbaar.example", "moderator@weerbaar.example"):
        await request_login_link(address, client="127.0.0.1", base_url="http://x")
    await Tortoise.close_connections()

asyncio.run(main())
"""


def environment(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEERBAAR_")}
    env.update({"WEERBAAR_DATABASE_URL": url, "WEERBAAR_SECRET_KEY": SECRET, **extra})
    return env


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(url)


async def test_two_workers_answer_concurrent_writes_without_database_errors(fresh_url: str) -> None:
    """Each login request is a read-then-write transaction (rate limits, token); none may fail."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = environment(fresh_url, WEERBAAR_BASE_URL=base)
    weerbaar_output(env, "migrate")
    weerbaar_output(env, "demo", "--no-links")
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(base, server)
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            first = await http.get("/inloggen")
            token = first.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            gate = asyncio.Semaphore(32)

            async def login(number: int) -> int:
                async with gate:
                    response = await http.post(
                        "/inloggen",
                        data={"csrf_token": token, "email": f"gebruiker{number}@weerbaar.example"},
                        headers={"X-Forwarded-For": f"10.1.{number // 250}.{number % 250}"},
                    )
                    return response.status_code

            statuses = Counter(await asyncio.gather(*(login(n) for n in range(1500))))
    finally:
        server.terminate()
        server.wait(timeout=HANG_GUARD_SECONDS)
    assert statuses == {200: 1500}


async def test_the_worker_process_delivers_the_outbox(fresh_url: str, smtp_sink: SmtpSink) -> None:
    env = environment(fresh_url, WEERBAAR_SMTP_URL=smtp_sink.url)
    weerbaar_output(env, "migrate")
    weerbaar_output(env, "demo", "--no-links")
    worker = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        subprocess.run(
            [sys.executable, "-c", QUEUE_TWO_MAILS], env=env, check=True, timeout=HANG_GUARD_SECONDS
        )
        async with asyncio.timeout(HANG_GUARD_SECONDS):
            while len(login_mails(smtp_sink)) < 2:
                await asyncio.sleep(0.1)
    finally:
        worker.terminate()
        stderr = worker.communicate(timeout=HANG_GUARD_SECONDS)[1].decode()
    assert worker.returncode == 0, stderr
    # The worker also runs the periodic jobs (e.g. feedback links for the demo's past sessions).
    assert sorted(m["To"] for m in login_mails(smtp_sink)) == [
        "moderator@weerbaar.example",
        "trainer@weerbaar.example",
    ]


def login_mails(sink: SmtpSink) -> list[EmailMessage]:
    return [m for m in sink.messages if "/inloggen/link/" in SmtpSink.text_of(m)]
