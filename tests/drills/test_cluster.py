"""Two app hosts and a worker on one PostgreSQL, as a hosting party runs Weerbaar: separate
`weerbaar serve` processes on two ports (each running the background work itself) and one
`weerbaar worker`, all against the database under test.

- A write through host A shows at once on host B.
- Each periodic job runs once per tick in the whole cluster (short ticks: WEERBAAR_JOB_INTERVAL_SECONDS).
- A batch issue started on A shows its progress on B, and B refuses a second one.
- Host A killed (SIGKILL) mid-batch: once its lease ran out (WEERBAAR_LEASE_SECONDS), another process
  finishes the batch; the numbers are 1..n without a gap and every invoice has its files.

Nothing waits a fixed time or asserts a duration: the test polls for each condition with a
generous deadline."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bench.drills.app import SECRET_KEY, Process, environment, wait_until_serving
from bench.drills.cluster import free_port
from invoicing.models import Invoice, InvoiceBatch, InvoiceCounter, InvoiceStatus
from server import clock
from server.app import JOB_LABELS
from server.models import Role, User
from server.scheduler import JobRun
from server.security import CSRF_COOKIE, csrf_token_for
from server.sessions import SESSION_COOKIE, start_session
from tests.clocked import clock_environment
from tests.factories import make_user
from tests.invoicing.factories import complete_seller_settings
from tests.invoicing.test_batch import make_drafts

DRAFTS = 200  # eight chunks: a kill after the first lands in the middle
TICK_SECONDS = "2"
LEASE_SECONDS = "6"
DEADLINE = 240.0
TICKS = 3


async def until(condition: Callable[[], Awaitable[object]], what: str, deadline: float = DEADLINE) -> object:
    """Poll `condition` until it gives something true; fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if result := await condition():
            return result
        await asyncio.sleep(0.1)
    pytest.fail(f"niet binnen {deadline:.0f} s: {what}")


class Browser:
    """A signed-in user's cookies and CSRF token, usable against any host."""

    def __init__(self, session_key: str) -> None:
        csrf_cookie = secrets.token_urlsafe(32)
        self.headers = {"Cookie": f"{SESSION_COOKIE}={session_key}; {CSRF_COOKIE}={csrf_cookie}"}
        self.form = {"csrf_token": csrf_token_for(csrf_cookie, SECRET_KEY, session_key)}

    async def get(self, base_url: str, path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            return await http.get(path, headers=self.headers)

    async def post(self, base_url: str, path: str, **fields: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            return await http.post(path, headers=self.headers, data={**self.form, **fields})


@contextmanager
def cluster(database_url: str, folder: Path) -> Iterator[tuple[Process, str, Process, str]]:
    """Hosts A and B (`weerbaar serve`, background work in-process) and one `weerbaar worker`."""
    ports = free_port(), free_port()
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    # The processes' clocks start at the test's moment, where the test made its sessions and drafts.
    settings = {
        "WEERBAAR_JOB_INTERVAL_SECONDS": TICK_SECONDS,
        "WEERBAAR_LEASE_SECONDS": LEASE_SECONDS,
        **clock_environment(clock.now()),
    }
    hosts = [
        Process(
            ["serve", "--port", str(port), "--workers", "1"],
            environment(database_url, url, **settings),
            folder / f"host-{name}.log",
        )
        for name, port, url in zip("ab", ports, urls, strict=True)
    ]
    worker = Process(["worker"], environment(database_url, urls[0], **settings), folder / "worker.log")
    processes = [*hosts, worker]
    try:
        for process in processes:
            process.start()
        for host, url in zip(hosts, urls, strict=True):
            wait_until_serving(url, host, timeout=120)
        yield hosts[0], urls[0], hosts[1], urls[1]
    finally:
        for process in processes:
            process.stop()


async def signed_in(role: Role) -> Browser:
    user = await make_user(role)
    return Browser(await start_session(user, second_factor_done=True))


async def test_two_hosts_and_a_worker_behave_as_one(db_kind: str, database_url: str, tmp_path: Path) -> None:
    if db_kind != "postgres":
        pytest.skip("a cluster runs on PostgreSQL (run with --db postgres)")
    await complete_seller_settings()
    finance, coordinator = await signed_in(Role.FINANCE), await signed_in(Role.COORDINATOR)
    drafts = await make_drafts(DRAFTS)

    with cluster(database_url, tmp_path) as (host_a, url_a, _host_b, url_b):
        # A write through A shows at once on B.
        invited = await coordinator.post(
            url_a, "/beheer/gebruikers", email="nieuw@example.org", name="Nieuwe Trainer", role="trainer"
        )
        assert invited.status_code == 303, invited.text
        assert "Nieuwe Trainer" in (await coordinator.get(url_b, "/beheer/gebruikers")).text

        # A batch started on A: its progress shows on B, and B refuses a second.
        started = await finance.post(url_a, "/financien/concepten/uitreiken")
        assert started.status_code == 303, started.text
        (batch,) = await InvoiceBatch.all()

        async def first_chunk_issued() -> bool:
            return bool((await InvoiceBatch.get(id=batch.id)).issued_numbers)

        await until(first_chunk_issued, "het eerste deel van de reeks uitgereikt")
        host_a.kill()  # SIGKILL, mid-batch: nothing of its own clean-up runs
        row = await InvoiceBatch.get(id=batch.id)
        assert row.finished_at is None and len(row.issued_numbers) < DRAFTS
        on_b = " ".join((await finance.get(url_b, "/financien")).text.split())
        assert re.search(rf"Concepten uitreiken: \d+ van {DRAFTS} klaar", on_b), on_b
        refused = await finance.post(url_b, "/financien/concepten/uitreiken")
        assert refused.status_code == 409
        assert "Er worden al concepten uitgereikt" in refused.text

        # Once A's lease ran out, another process finishes the batch.
        async def finished() -> InvoiceBatch | None:
            current = await InvoiceBatch.get(id=batch.id)
            return current if current.finished_at else None

        done = await until(finished, "de reeks afgemaakt door een andere server")
        assert isinstance(done, InvoiceBatch)
        assert done.error == "" and done.takeovers >= 1 and f":{host_a.process.pid}:" not in done.host

        async def all_rendered() -> bool:
            return not await Invoice.filter(pdf__isnull=True).exclude(status=InvoiceStatus.DRAFT).exists()

        await until(all_rendered, "elke uitgereikte factuur heeft zijn pdf en UBL")
        numbers = sorted(await Invoice.filter(id__in=[d.id for d in drafts]).values_list("number", flat=True))
        year = numbers[0][:4]
        assert numbers == [f"{year}-{n:04d}" for n in range(1, DRAFTS + 1)]  # each once, no gap
        assert (await InvoiceCounter.get(year=int(year))).last_number == DRAFTS
        assert sorted(done.issued_numbers) == numbers
        on_b = " ".join((await finance.get(url_b, "/financien")).text.split())
        assert f"{DRAFTS} van {DRAFTS} concepten uitgereikt" in on_b

        # Each periodic job ran once per tick in the whole cluster, over several ticks.
        async def several_ticks() -> bool:
            ticks = Counter(job for job, _due in set(await JobRun.all().values_list("job", "due_at")))
            return len(ticks) == len(JOB_LABELS) and min(ticks.values()) >= TICKS

        await until(several_ticks, f"elke periodieke taak {TICKS} ticks gelopen")
        runs = await JobRun.all().values_list("job", "due_at", "host")
        per_tick = Counter((job, due) for job, due, _host in runs)
        assert set(per_tick.values()) == {1}, [key for key, count in per_tick.items() if count > 1]
    assert await User.filter(email="nieuw@example.org").exists()
