"""What runs in the background: the mail sender and the periodic jobs of the domains.

Both run inside every app process (WEERBAAR_BACKGROUND=inprocess, the default) or only in
`weerbaar worker` processes (WEERBAAR_BACKGROUND=worker). Every job is safe to run in several
processes at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress

from server.mail import run_sender
from server.periodic import Job, run_periodically
from server.settings import Settings

JOB_INTERVAL_SECONDS = 60.0


@asynccontextmanager
async def background_tasks(settings: Settings, jobs: Sequence[Job]) -> AsyncIterator[asyncio.Event]:
    """Run the sender (when SMTP is configured) and the periodic jobs until the block ends."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(run_periodically(jobs, JOB_INTERVAL_SECONDS, stop))]
    if settings.smtp_url:
        tasks.append(asyncio.create_task(run_sender(settings.smtp_url, settings.mail_from, stop)))
    try:
        yield stop
    finally:
        stop.set()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
