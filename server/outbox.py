"""What the outboxes (mail in server.mail_sender, webhooks in server.webhook_sender) share: claiming due
rows under a lease, and writing an attempt's outcome only while the claim is still ours.

A row is due when it is queued, or when it is being sent under a lease that ran out (its sender died):
`next_attempt_at` holds the next attempt, or the lease's end while a sender holds it. Claiming locks
the due rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has one writer at a time), so two
senders never take the same row; the outcome is written by a conditional update that matches the
claim's status and lease, so a sender whose lease ran out cannot overwrite the result of the one that
took the row over.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.transactions import in_transaction

from server import clock

Row = TypeVar("Row", bound=Model)


async def claim_due(
    model: type[Row], *, queued: StrEnum, sending: StrEnum, lease: timedelta, limit: int, **filters: Any
) -> list[Row]:
    """Take up to `limit` due rows of `model` (longest due first) matching `filters`; they become
    `sending` until the lease ends, and the returned instances carry that lease."""
    now = clock.now()
    lease_until = now + lease
    async with in_transaction():
        claimed = (
            await model.filter(status__in=[queued, sending], next_attempt_at__lte=now, **filters)
            .order_by("next_attempt_at", "id")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )
        if claimed:
            await model.filter(id__in=[row.pk for row in claimed]).update(
                status=sending, next_attempt_at=lease_until
            )
    for row in claimed:
        row.status = sending  # type: ignore[attr-defined]
        row.next_attempt_at = lease_until  # type: ignore[attr-defined]
    return claimed


async def update_if_claimed(row: Model, sending: StrEnum, **update: Any) -> bool:
    """Write `update` on a claimed row as long as our claim (status and lease) still holds."""
    changed = (
        await type(row)
        .filter(
            id=row.pk,
            status=sending,
            next_attempt_at=row.next_attempt_at,  # type: ignore[attr-defined]
        )
        .update(**update)
    )
    return bool(changed)


async def release_untried(
    model: type[Model], claimed: list[Any], *, queued: StrEnum, sending: StrEnum
) -> None:
    """Claimed rows that were not tried are due again at once, without counting an attempt, instead of
    waiting for the lease to run out."""
    if not claimed:
        return
    await model.filter(
        id__in=[row.pk for row in claimed], status=sending, next_attempt_at=claimed[0].next_attempt_at
    ).update(status=queued, next_attempt_at=clock.now())
