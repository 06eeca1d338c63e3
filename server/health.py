"""Probes and metrics for the hosting party: `/healthz`, `/readyz` and `/metrics`.

- `/healthz`: the process answers (no database): a failing one means restart the process.
- `/readyz`: the database answers, its migrations are those of this code, and the backlogs are
  below their thresholds (the outbox's mails overdue while SMTP is configured, and the domains'
  backlogs registered in server/app.py, e.g. invoices waiting for their documents): a failing one
  means send no traffic here for now. 503 with the failed checks named.
- `/metrics`: the Prometheus text format (server/metrics.py); with WEERBAAR_METRICS_TOKEN set (required
  in production) only for `Authorization: Bearer <token>`.

None of them needs a session or holds personal data: counts, ages and names of checks only. Every
answer carries `Cache-Control: no-store`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import connections
from tortoise.functions import Count, Min

from server import clock, scheduler
from server.access import public
from server.db import pending_migrations
from server.errors import is_database_unavailable
from server.mail import OutboxMessage, OutboxStatus
from server.metrics import (
    CONTENT_TYPE,
    Reading,
    ReadingSource,
    count_database_error,
    exposition,
    is_authorised,
)
from server.settings import Settings

#: A check that takes longer than this counts as failed (a hanging database is not a ready one).
CHECK_TIMEOUT_SECONDS = 3.0
#: A queued mail due this long ago and still not sent means the sender is not keeping up.
OUTBOX_OVERDUE = timedelta(minutes=10)
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Backlog:
    """A domain's backlog for /readyz: `count` items waiting, not ready from `threshold` on (0: off)."""

    count: Callable[[], Awaitable[int]]
    threshold: int


@public
async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


class _Readiness:
    """Remembers that the migrations were current: they do not go back while the process runs."""

    migrations_current = False


async def _check_database() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def _check_migrations(settings: Settings) -> str | None:
    if _Readiness.migrations_current:
        return None
    pending = await pending_migrations(settings.database_url)
    if pending:
        return f"{len(pending)} migraties ontbreken (weerbaar migrate)"
    _Readiness.migrations_current = True
    return None


async def outbox_overdue() -> int:
    return await OutboxMessage.filter(
        status=OutboxStatus.QUEUED, next_attempt_at__lte=clock.now() - OUTBOX_OVERDUE
    ).count()


async def _readiness(settings: Settings, backlogs: Mapping[str, Backlog]) -> dict[str, str]:
    """Each check's outcome: "ok" or what is wrong (no personal data, no error text of the driver)."""
    checks: dict[str, str] = {}
    try:
        await _check_database()
    except Exception as exc:
        count_database_error(unavailable=is_database_unavailable(exc))
        return {"database": "niet bereikbaar"}
    checks["database"] = "ok"
    checks["migrations"] = await _check_migrations(settings) or "ok"
    for name, backlog in backlogs.items():
        if backlog.threshold:
            count = await backlog.count()
            checks[name] = (
                "ok" if count < backlog.threshold else f"{count} wachtend (grens {backlog.threshold})"
            )
    return checks


@public
async def readyz(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    backlogs = dict(request.app.state.readiness_backlogs)
    if settings.smtp_url:  # without SMTP, mail stays in the outbox on purpose (development)
        backlogs["outbox"] = Backlog(outbox_overdue, settings.ready_max_outbox_overdue)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            checks = await _readiness(settings, backlogs)
    except Exception as exc:  # a timeout, or the database went away between two checks
        count_database_error(unavailable=is_database_unavailable(exc) or isinstance(exc, TimeoutError))
        checks = {"database": "niet bereikbaar"}
    ready = all(outcome == "ok" for outcome in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "niet gereed", "checks": checks},
        status_code=200 if ready else 503,
        headers=NO_STORE,
    )


async def outbox_readings() -> list[Reading]:
    """The outbox per status, and the age of the oldest mail waiting to be sent."""
    rows: list[dict[str, Any]] = (
        await OutboxMessage.filter(
            status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.FAILED]
        )
        .annotate(count=Count("id"), oldest=Min("created_at"))
        .group_by("status")
        .values("status", "count", "oldest")
    )
    found = {str(row["status"]): row for row in rows}
    readings = [
        Reading(
            "weerbaar_outbox_messages",
            "Mails in the outbox per status (queued, sending, failed).",
            float(found[status]["count"]) if status in found else 0.0,
            (("status", status),),
        )
        for status in (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.FAILED)
    ]
    waiting = [found[s]["oldest"] for s in (OutboxStatus.QUEUED, OutboxStatus.SENDING) if s in found]
    oldest = (clock.now() - min(waiting)).total_seconds() if waiting else 0.0
    readings.append(
        Reading("weerbaar_outbox_oldest_waiting_age_seconds", "Age of the oldest mail not yet sent.", oldest)
    )
    return readings


async def job_readings() -> list[Reading]:
    """When each periodic job last finished without an error, from the cluster's run rows (the same on
    every host, whichever process ran it)."""
    return [
        Reading(
            "weerbaar_periodic_job_last_success_timestamp_seconds",
            "Unix time at which each periodic job last finished without an error.",
            finished_at.timestamp(),
            (("job", job),),
        )
        for job, finished_at in (await scheduler.last_success()).items()
    ]


@public
async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not is_authorised(request.headers.get("authorization", ""), settings.metrics_token):
        return Response(
            "Token ontbreekt of klopt niet.\n",
            status_code=401,
            media_type="text/plain",
            headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    sources: list[ReadingSource] = [outbox_readings, job_readings, *request.app.state.metric_sources]
    readings: list[Reading] = []
    database_ok = True
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            for source in sources:
                readings += await source()
    except Exception as exc:  # the request counts are still worth a scrape while the database is away
        count_database_error(unavailable=is_database_unavailable(exc) or isinstance(exc, TimeoutError))
        readings, database_ok = [], False
    readings.append(
        Reading(
            "weerbaar_database_readable",
            "1 when this scrape could read the database's figures, else 0.",
            1.0 if database_ok else 0.0,
        )
    )
    body = exposition(readings, settings.metrics_multiprocess_dir)
    return Response(body, media_type=CONTENT_TYPE, headers=NO_STORE)


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
