"""Drill: the app, the worker and a batch issue killed with SIGKILL in the middle of their work.

`weerbaar serve --workers 2` (WEERBAAR_BACKGROUND=worker: the app only queues), one `weerbaar worker`
delivering to a loopback SMTP server, and `weerbaar invoices issue-drafts` (the batch, when this
version has it) run while finance issues invoices and sends them by mail and a coordinator invites
users. Twice, every one of those processes is killed with SIGKILL at once (no clean-up runs) and
started again. Afterwards every invoice number must be used exactly once without a gap, every issued
invoice must have its PDF and UBL, and every queued mail must arrive.

Mail is delivered at least once: a worker killed after the SMTP server took a mail but before it
marked the row sent sends that mail again once the row's lease (5 minutes) has run out. The drill
does not wait 5 minutes: after the last kill it stops the live worker and releases the claims of the
killed ones (what the lease's end does), then counts the mails that arrived twice.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import threading
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from tortoise import Tortoise, timezone

from bench.drills.app import Actors, Process, Recorder, environment, prepare, wait_until_serving
from bench.drills.cluster import Cluster, free_port
from bench.drills.invariants import check_database
from bench.drills.postgres_restart import Result
from invoicing.models import Invoice, InvoiceBatch, InvoiceStatus
from server.db import init_orm
from server.mail import OutboxMessage, OutboxStatus
from server.settings import PROJECT_DIR

KILLS = 2
#: Each kill comes when the worker has delivered this many mails of a fresh backlog.
DELIVERED_BEFORE_KILL = 40
RESTART_AFTER = 1.0
LOAD_AFTER_LAST_KILL = 4.0
DRAIN_SECONDS = 90.0


class Sink:
    """Loopback SMTP server counting each Message-ID it accepted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self._lock:
            self.received[str(headers["Message-ID"])] += 1
        return "250 OK"

    def __enter__(self) -> Sink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def has_batch_issue() -> bool:
    probe = subprocess.run(
        [sys.executable, "-m", "server.cli", "invoices", "issue-drafts", "--help"],
        capture_output=True,
        cwd=PROJECT_DIR,
        check=False,
    )
    return probe.returncode == 0


async def _load(actors: Actors, recorder: Recorder, stop: asyncio.Event) -> None:
    """Finance issues drafts and sends them (mail with PDF and UBL); a coordinator invites users.

    A request the app never received (ConnectError: it was down) is tried again; one that was cut
    off (the app died while handling it) is not: its outcome is unknown, as for a real user.
    """
    form = {"csrf_token": actors.csrf_token}
    finance, coordinator = actors.cookies["finance"], actors.cookies["coordinator"]

    async def until_answered(
        http: httpx.AsyncClient, kind: str, path: str, cookie: str, body: dict[str, Any]
    ) -> bool:
        while not stop.is_set():
            outcome = await recorder.send(http, kind, "POST", path, cookie, body)
            if outcome.status != "ConnectError":
                return outcome.status == 303
            await asyncio.sleep(0.2)
        return False

    async def finance_client() -> None:
        async with httpx.AsyncClient(base_url=actors.base_url, timeout=60) as http:
            while not stop.is_set() and actors.drafts:
                invoice = actors.drafts.pop(0)
                if await until_answered(
                    http, "issue", f"/financien/facturen/{invoice}/uitgeven", finance, form
                ):
                    await until_answered(
                        http, "send", f"/financien/facturen/{invoice}/versturen", finance, form
                    )

    async def coordinator_client() -> None:
        async with httpx.AsyncClient(base_url=actors.base_url, timeout=60) as http:
            for turn in itertools.count():
                if stop.is_set():
                    return
                body = {
                    **form,
                    "email": f"drill{turn}@example.org",
                    "name": f"Drill {turn}",
                    "role": "trainer",
                }
                await until_answered(http, "invite", "/beheer/gebruikers", coordinator, body)

    await asyncio.gather(finance_client(), finance_client(), coordinator_client())


async def _queue_backlog(actors: Actors, recorder: Recorder, sink: Sink) -> None:
    """A coordinator invites every municipality (some 340 clerks' mails at once); returns when the
    worker is in the middle of delivering them."""
    body = {"csrf_token": actors.csrf_token, "organisations": actors.municipalities}
    async with httpx.AsyncClient(base_url=actors.base_url, timeout=120) as http:
        await recorder.send(http, "tour", "POST", "/tour/uitnodigen", actors.cookies["coordinator"], body)
    before = sum(sink.received.values())
    for _tick in range(200):
        if sum(sink.received.values()) - before >= DELIVERED_BEFORE_KILL:
            return
        await asyncio.sleep(0.05)


async def _release_orphaned_claims(database_url: str) -> int:
    """What the end of a lease does, without waiting 5 minutes: claims of killed workers are due."""
    await init_orm(database_url)
    try:
        return await OutboxMessage.filter(status=OutboxStatus.SENDING).update(
            status=OutboxStatus.QUEUED, next_attempt_at=timezone.now()
        )
    finally:
        await Tortoise.close_connections()


async def _drained(database_url: str) -> tuple[int, int, int]:
    """(mails not sent yet, issued invoices without files yet, batches not finished): the worker's
    work left (a killed batch is refused when restarted and taken over by the worker)."""
    await init_orm(database_url)
    try:
        unsent = await OutboxMessage.exclude(status=OutboxStatus.SENT).count()
        without_files = await Invoice.filter(pdf__isnull=True).exclude(status=InvoiceStatus.DRAFT).count()
        running = await InvoiceBatch.filter(finished_at__isnull=True).count()
        return unsent, without_files, running
    finally:
        await Tortoise.close_connections()


async def _sent_message_ids(database_url: str) -> list[str]:
    await init_orm(database_url)
    try:
        return list(await OutboxMessage.filter(status=OutboxStatus.SENT).values_list("message_id", flat=True))
    finally:
        await Tortoise.close_connections()


async def run(cluster: Cluster, folder: Path) -> Result:
    database_url = await cluster.create_database("drill_sigkill")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    actors = await prepare(database_url, base_url, 0)
    batch_available = has_batch_issue()
    lines = [
        "batch issue (weerbaar invoices issue-drafts): "
        + (
            "killed and restarted with the others (refused while the killed one runs; the worker "
            "takes that over once its lease ran out)"
            if batch_available
            else "not in this version, left out"
        )
    ]
    with Sink() as sink:
        env = environment(
            database_url,
            base_url,
            WEERBAAR_BACKGROUND="worker",
            WEERBAAR_SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
            # A killed batch (and its documents' renders) is taken over by the worker after this.
            WEERBAAR_LEASE_SECONDS="10",
            WEERBAAR_JOB_INTERVAL_SECONDS="5",
        )
        server = Process(["serve", "--port", str(port), "--workers", "2"], env, folder / "serve.log")
        worker = Process(["worker"], env, folder / "worker.log")
        batch = Process(["invoices", "issue-drafts"], env, folder / "batch.log")
        processes = [server, worker, *([batch] if batch_available else [])]
        for process in processes:
            process.start()
        recorder = Recorder()
        try:
            wait_until_serving(base_url, server)
            recorder = Recorder()
            stop = asyncio.Event()
            load = asyncio.create_task(_load(actors, recorder, stop))
            for _kill in range(KILLS):
                await _queue_backlog(actors, recorder, sink)
                running = [p.args[0] for p in processes if p.is_running]
                for process in processes:
                    process.kill()
                lines.append(f"SIGKILL at {recorder.now():.1f} s to: {', '.join(running)}")
                await asyncio.sleep(RESTART_AFTER)
                for process in processes:
                    process.start()
                await asyncio.to_thread(wait_until_serving, base_url, server)
            await asyncio.sleep(LOAD_AFTER_LAST_KILL)
            stop.set()
            await load
            if batch_available:
                await asyncio.to_thread(batch.process.wait, 120)  # type: ignore[union-attr]
            worker.stop()
            orphaned = await _release_orphaned_claims(database_url)
            worker.start()
            waited = 0.0
            while waited < DRAIN_SECONDS and any(await _drained(database_url)):
                await asyncio.sleep(0.5)
                waited += 0.5
        finally:
            for process in processes:
                process.stop()
        received = Counter(sink.received)

    report = await check_database(database_url, mail=True)
    sent_ids = await _sent_message_ids(database_url)
    lost = [message_id for message_id in sent_ids if not received[message_id]]
    twice = sum(count - 1 for count in received.values() if count > 1)
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(recorder.statuses().items()))
    lines += [
        f"{len(recorder.outcomes)} requests (refused while the app was down is expected): {statuses}",
        f"claims of killed workers released (instead of waiting out the 5-minute lease): {orphaned}",
        f"outbox: {report.counts['outbox rows']} mails, drained (and every invoice's files rendered by "
        f"the worker) {waited:.1f} s after the restart; "
        f"received {sum(received.values())}, {len(received)} different Message-IDs",
        f"delivered twice (killed between the SMTP server's OK and marking the row sent): {twice}",
        f"marked sent but never received: {len(lost)}",
        f"issued invoices: {report.counts['issued invoices']}",
        *report.problems,
    ]
    passed = not report.problems and not lost and len(received) == report.counts["outbox rows"]
    return Result(passed, lines)
