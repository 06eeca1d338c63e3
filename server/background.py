"""What runs in the background: the mail sender, and the periodic jobs and loops of the domains.

They run inside every app process (WEERBAAR_BACKGROUND=inprocess, the default) or only in
`weerbaar worker` processes (WEERBAAR_BACKGROUND=worker). Every job is safe to run in several
processes at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress

from server.mail_sender import run_sender
from server.periodic import Job, run_periodically
from server.settings import Settings

JOB_INTERVAL_SECONDS = 60.0


#: A domain's own loop (e.g. rendering invoice documents when woken); it returns once `stop` is set.
Loop = Callable[[asyncio.Event], Awaitable[None]]


@asynccontextmanager
async def background_tasks(
    settings: Settings, jobs: Sequence[Job], loops: Sequence[Loop] = ()
) -> AsyncIterator[asyncio.Event]:
    """Run the sender (when SMTP is configured), the periodic jobs and the domains' loops until the
    block ends."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(run_periodically(jobs, JOB_INTERVAL_SECONDS, stop))]
    tasks += [asyncio.create_task(loop(stop)) for loop in loops]
    if settings.smtp_url:
        tasks.append(asyncio.create_task(run_sender(settings.smtp_url, settings.mail_from, stop)))
    try:
        yield stop
    finally:
        stop.set()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
