"""What runs in the background: the mail and webhook senders, and the periodic jobs and loops of the
domains.

They run inside every app process (WEERBAAR_BACKGROUND=inprocess, the default) or only in
`weerbaar worker` processes (WEERBAAR_BACKGROUND=worker). The periodic jobs go through the cluster's
one scheduler (`server.scheduler`): each runs once per tick however many processes and hosts run it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress

from server.mail_sender import run_sender
from server.scheduler import Job, run_scheduler
from server.settings import Settings
from server.webhook_sender import SenderConfig
from server.webhook_sender import run_sender as run_webhook_sender

#: How often a process looks for a job tick nobody ran yet, at most (a quarter tick when shorter).
POLL_SECONDS = 10.0


#: A domain's own loop (e.g. rendering invoice documents when woken); it returns once `stop` is set.
Loop = Callable[[asyncio.Event], Awaitable[None]]


def webhook_config(settings: Settings) -> SenderConfig:
    return SenderConfig(
        base_url=settings.base_url,
        allow_private=settings.webhooks_allow_private,
        require_https=settings.is_production,
    )


@asynccontextmanager
async def background_tasks(
    settings: Settings, jobs: Sequence[Job], loops: Sequence[Loop] = ()
) -> AsyncIterator[asyncio.Event]:
    """Run the mail sender (when SMTP is configured), the webhook sender, the periodic jobs and the
    domains' loops until the block ends."""
    stop = asyncio.Event()
    interval = settings.job_interval_seconds
    poll = min(POLL_SECONDS, interval / 4)
    tasks = [asyncio.create_task(run_scheduler(jobs, interval, stop, poll))]
    tasks += [asyncio.create_task(loop(stop)) for loop in loops]
    tasks.append(asyncio.create_task(run_webhook_sender(webhook_config(settings), stop)))
    if settings.smtp_url:
        tasks.append(asyncio.create_task(run_sender(settings.smtp_url, settings.mail_from, stop)))
    try:
        yield stop
    finally:
        stop.set()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
