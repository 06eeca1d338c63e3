"""The cluster's one scheduler: each periodic job runs once per tick however many processes run the
scheduler; runs and outcomes are recorded; old runs are pruned."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import timedelta

import httpx

from server import scheduler
from server.app import JOB_LABELS, periodic_jobs
from server.clock import Clock
from server.models import Role
from server.scheduler import JobRun, RunOutcome
from server.settings import Settings
from tests.factories import make_user, sign_in

INTERVAL = 60.0


def counting_jobs(calls: Counter[str]) -> list[scheduler.Job]:
    async def purge_expired() -> int:
        calls["purge_expired"] += 1
        await asyncio.sleep(0)  # let the other "hosts" interleave
        return 3

    async def send_reminders() -> None:
        calls["send_reminders"] += 1
        await asyncio.sleep(0)

    return [purge_expired, send_reminders]


async def test_three_processes_run_each_job_once_per_tick(fixed_clock: Clock) -> None:
    calls: Counter[str] = Counter()
    jobs = counting_jobs(calls)
    hosts: list[dict] = [{}, {}, {}]  # what each process remembers: the ticks it looked at
    ticks = 5
    for _tick in range(ticks):
        for _poll in range(3):  # each process polls several times within a tick
            await asyncio.gather(*(scheduler.run_due(jobs, INTERVAL, done) for done in hosts))
        fixed_clock.advance(timedelta(seconds=INTERVAL))

    assert calls == {"purge_expired": ticks, "send_reminders": ticks}
    runs = await JobRun.all().order_by("due_at")
    assert Counter(run.job for run in runs) == {"purge_expired": ticks, "send_reminders": ticks}
    assert all(run.outcome is RunOutcome.OK and run.finished_at for run in runs)
    assert {run.detail for run in runs if run.job == "purge_expired"} == {"3"}
    due = sorted({run.due_at for run in runs})
    assert [b - a for a, b in itertools.pairwise(due)] == [timedelta(seconds=INTERVAL)] * (ticks - 1)


async def test_a_process_that_starts_late_leaves_a_tick_already_run_alone(fixed_clock: Clock) -> None:
    calls: Counter[str] = Counter()
    jobs = counting_jobs(calls)
    assert await scheduler.run_due(jobs, INTERVAL, {}) == 2
    assert await scheduler.run_due(jobs, INTERVAL, {}) == 0  # a new process: same tick, nothing to do
    assert await scheduler.claim("purge_expired", scheduler.tick_start(fixed_clock.now(), INTERVAL)) is None
    assert calls == {"purge_expired": 1, "send_reminders": 1}


async def test_a_failing_job_is_recorded_and_runs_again_next_tick(fixed_clock: Clock) -> None:
    attempts = 0

    async def create_invoice_drafts() -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("database went away")
        return 2

    done: dict = {}
    await scheduler.run_due([create_invoice_drafts], INTERVAL, done)
    (failed,) = await scheduler.last_runs()
    assert failed.outcome is RunOutcome.FAILED and failed.detail == "ConnectionError: database went away"
    assert await scheduler.last_success() == {}

    fixed_clock.advance(timedelta(seconds=INTERVAL))
    await scheduler.run_due([create_invoice_drafts], INTERVAL, done)
    (latest,) = await scheduler.last_runs()
    assert latest.outcome is RunOutcome.OK and latest.detail == "2" and latest.host == scheduler.HOST
    assert await scheduler.last_success() == {"create_invoice_drafts": fixed_clock.now()}
    assert await JobRun.filter(job="create_invoice_drafts").count() == 2


async def test_runs_older_than_two_weeks_are_pruned(fixed_clock: Clock) -> None:
    calls: Counter[str] = Counter()
    jobs = counting_jobs(calls)[:1]
    await scheduler.run_due(jobs, INTERVAL, {})
    fixed_clock.advance(scheduler.KEEP_RUNS + timedelta(minutes=1))
    await scheduler.run_due(jobs, INTERVAL, {})
    assert await JobRun.all().count() == 1


async def test_the_scheduler_loop_stops_when_asked(fixed_clock: Clock) -> None:
    calls: Counter[str] = Counter()
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run_scheduler(counting_jobs(calls), INTERVAL, stop, poll=0.01))
    async with asyncio.timeout(60):  # a hang guard: a loaded machine is slow, not wrong
        while not calls["send_reminders"]:
            await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert calls == {"purge_expired": 1, "send_reminders": 1}  # the clock stood still: one tick


async def test_a_stopping_process_finishes_the_job_in_hand_and_claims_no_other(fixed_clock: Clock) -> None:
    stop = asyncio.Event()
    ran: list[str] = []

    async def purge_expired() -> None:
        ran.append("purge_expired")
        stop.set()  # SIGTERM arrives while this job runs

    async def send_reminders() -> None:
        ran.append("send_reminders")

    jobs = [purge_expired, send_reminders]
    assert await scheduler.run_due(jobs, INTERVAL, {}, stop) == 1
    assert ran == ["purge_expired"]
    assert [run.job for run in await JobRun.all()] == ["purge_expired"]
    assert await scheduler.run_due(jobs, INTERVAL, {}) == 1  # another process runs the rest of the tick
    assert ran == ["purge_expired", "send_reminders"]


async def test_coordinators_see_each_jobs_last_run(client: httpx.AsyncClient, fixed_clock: Clock) -> None:
    async def create_invoice_drafts() -> int:
        raise ConnectionError("database went away")

    async def purge_expired() -> int:
        return 4

    await scheduler.run_due([create_invoice_drafts, purge_expired], INTERVAL, {})
    await sign_in(client, await make_user(Role.COORDINATOR))

    page = await client.get("/beheer/taken")

    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Conceptfacturen maken" in text and "mislukt" in text
    assert "ConnectionError: database went away" in text
    assert "Verlopen inloglinks, sessies en oude mailteksten opruimen" in text and "gelukt" in text
    assert 'Herinneringen voor sessies versturen</th> <td colspan="4">Nog niet gelopen.' in text
    assert scheduler.HOST in text


def test_every_periodic_job_has_a_label_on_the_jobs_page() -> None:
    settings = Settings(database_url="sqlite://:memory:", secret_key="x")
    names = [job.__name__ for job in periodic_jobs(settings)]
    assert sorted(names) == sorted(JOB_LABELS)
