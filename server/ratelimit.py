"""Rate limits kept in the database, so that every app process counts the same attempts."""

from __future__ import annotations

from datetime import datetime, timedelta

from server import clock, sql
from server.models import RateLimitHit

#: Plain SQL (server/sql.py): every participant's form and every login asks it first.
COUNT_SQL = 'SELECT COUNT(*) AS "hits" FROM "rate_limit_hit" WHERE "key" = $1 AND "created_at" > $2'


async def is_exceeded(key: str, limit: int, window: timedelta) -> bool:
    """True when `limit` attempts under `key` were already counted within `window`."""
    rows = await sql.fetch(RateLimitHit, COUNT_SQL, key, clock.now() - window)
    return rows[0]["hits"] >= limit


async def count_hit(key: str) -> None:
    await RateLimitHit.create(key=key, created_at=clock.now())


async def allow(key: str, limit: int, window: timedelta) -> bool:
    """Count one attempt under `key`, unless the limit is reached: then False.

    Call it in the transaction of the attempt. Concurrent attempts under the same key wait for each
    other until that transaction ends, else each counts the earlier hits before any has written its
    own and all of them get through: on PostgreSQL a transaction-level advisory lock per key (SQLite
    runs one write transaction at a time anyway).
    """
    connection = RateLimitHit._meta.db
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [key])
    if await is_exceeded(key, limit, window):
        return False
    await count_hit(key)
    return True


async def prune(older_than: timedelta = timedelta(days=1), *, now: datetime | None = None) -> int:
    """Delete hits older than every window (the longest is 15 minutes); the retention purge calls it."""
    return await RateLimitHit.filter(created_at__lt=(now or clock.now()) - older_than).delete()
