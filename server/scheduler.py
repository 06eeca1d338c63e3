"""One scheduler for the whole cluster: each periodic job runs once per tick, whatever the number of
app processes, hosts and `weerbaar worker`s that run the scheduler.

Time is cut into ticks of `interval` seconds (by `server.clock`, so tests move it). Every process
that runs background work looks every few seconds whether the current tick of each job has a run
row (`JobRun`); where it has none, it inserts one. The unique constraint on (job, due_at) lets
exactly one insert win, on SQLite and PostgreSQL alike; the winner runs the job and writes the
outcome on its row, the others leave that tick alone. A process that dies during a run leaves the
row `running`: the job runs again at the next tick (every job catches up on what is due, so nothing
is lost). The rows are the history coordinators see at /beheer/taken and what metrics read.

`HOST` names this process in run rows and leases (host name, process id and a random part, so a
restarted process is a new holder).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.functions import Max
from tortoise.indexes import Index
from tortoise.models import Model

from server import clock

log = logging.getLogger("weerbaar.scheduler")

HOST = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:100]
#: Run rows older than this are deleted (the history page shows the last ones of each job).
KEEP_RUNS = timedelta(days=14)
DETAIL_LENGTH = 300

Job = Callable[[], Awaitable[object]]


class RunOutcome(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


class JobRun(Model):
    """One tick of one periodic job, claimed by exactly one process."""

    id = fields.BigIntField(primary_key=True)
    job = fields.CharField(max_length=64)
    #: The start of the tick this run is for.
    due_at = fields.DatetimeField()
    host = fields.CharField(max_length=100)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    outcome = fields.CharEnumField(RunOutcome, max_length=8, default=RunOutcome.RUNNING)
    #: The job's result (a count) or the error's type and message.
    detail = fields.CharField(max_length=DETAIL_LENGTH, default="")

    class Meta:
        table = "job_run"
        unique_together = (("job", "due_at"),)
        indexes = (Index(fields=("job", "started_at")),)


def job_name(job: Job) -> str:
    return getattr(job, "__name__", repr(job))[:64]


def tick_start(moment: datetime, interval: float) -> datetime:
    """The start of the tick `moment` falls in (ticks are counted from the Unix epoch)."""
    seconds = moment.timestamp()
    return datetime.fromtimestamp(seconds - seconds % interval, UTC)


async def claim(name: str, due_at: datetime) -> JobRun | None:
    """This process's run of `name` for the tick starting at `due_at`, or None when another
    process has it (the unique constraint decides)."""
    try:
        return await JobRun.create(job=name, due_at=due_at, host=HOST, started_at=clock.now())
    except IntegrityError:
        return None


async def run_claimed(run: JobRun, job: Job) -> None:
    """Run the job and write its outcome on its row; a failing job is logged, never fatal."""
    try:
        result = await job()
    except Exception as error:
        log.exception("periodic job %s failed", run.job)
        outcome, detail = RunOutcome.FAILED, f"{type(error).__name__}: {error}"
    else:
        outcome, detail = RunOutcome.OK, "" if result is None else str(result)
    await JobRun.filter(id=run.id).update(
        outcome=outcome, detail=detail[:DETAIL_LENGTH], finished_at=clock.now()
    )
    await JobRun.filter(job=run.job, started_at__lt=clock.now() - KEEP_RUNS).delete()


async def run_due(
    jobs: Sequence[Job], interval: float, done: dict[str, datetime], stop: asyncio.Event | None = None
) -> int:
    """Claim and run each job whose current tick this process has not looked at yet; returns how
    many this process ran. `done` remembers per job the last tick looked at.

    Once `stop` is set (the process is asked to stop) the job in hand finishes and no other is
    claimed: the tick's remaining jobs stay unclaimed, for another process or the next start, and a
    stopping worker does not work through a whole tick first."""
    due_at = tick_start(clock.now(), interval)
    todo = [job for job in jobs if done.get(job_name(job)) != due_at]
    if not todo:
        return 0
    taken = set(
        await JobRun.filter(due_at=due_at, job__in=[job_name(job) for job in todo]).values_list(
            "job", flat=True
        )
    )
    ran = 0
    for job in todo:
        if stop is not None and stop.is_set():
            break
        name = job_name(job)
        done[name] = due_at
        if name in taken:
            continue
        run = await claim(name, due_at)
        if run is not None:
            await run_claimed(run, job)
            ran += 1
    return ran


async def run_scheduler(jobs: Sequence[Job], interval: float, stop: asyncio.Event, poll: float) -> None:
    """Until `stop`: every `poll` seconds, run the jobs whose tick nobody ran yet (see module doc).
    A database that is away is logged and tried again at the next poll."""
    done: dict[str, datetime] = {}
    while not stop.is_set():
        try:
            await run_due(jobs, interval, done, stop)
        except Exception:
            log.exception("scheduler: claiming periodic jobs failed; trying again in %.0f s", poll)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll)


async def last_runs(outcome: RunOutcome | None = None) -> list[JobRun]:
    """The latest run of every job (with `outcome`, if given), by job name: two queries."""
    runs = JobRun.filter(outcome=outcome) if outcome else JobRun.all()
    latest = await runs.annotate(last_id=Max("id")).group_by("job").values_list("last_id", flat=True)
    return await JobRun.filter(id__in=list(latest)).order_by("job") if latest else []


async def last_success() -> dict[str, datetime]:
    """Per job, when its last successful run finished (for metrics and readiness)."""
    return {run.job: run.finished_at for run in await last_runs(RunOutcome.OK) if run.finished_at}
