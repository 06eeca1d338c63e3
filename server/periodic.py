"""Background jobs that run every few seconds in each app process (or in `weerbaar worker`).

Every job must be safe to run in several processes at once: it claims its work in the database
(row locks, unique constraints), so two processes never do the same piece twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from server import clock
from server.metrics import job_succeeded

log = logging.getLogger("weerbaar.periodic")

Job = Callable[[], Awaitable[object]]


async def run_periodically(jobs: Sequence[Job], interval: float, stop: asyncio.Event) -> None:
    """Run each job, then wait `interval` seconds or until `stop`; a failing job is logged, never fatal."""
    while not stop.is_set():
        for job in jobs:
            name = getattr(job, "__name__", str(job))
            try:
                await job()
            except Exception:
                log.exception("periodic job %s failed", name)
            else:
                job_succeeded(name, clock.now().timestamp())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
