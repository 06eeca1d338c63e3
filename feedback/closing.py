"""The `feedback.closed` webhook event: once per session, when its form closes and results may show.

Closing is a moment (`closes_at`), not a step someone takes, so a periodic job records the event. A
conditional update claims each session, so however many processes run the job, the event is recorded
once. Sessions that closed longer than LOOK_BACK ago are left alone (those from before webhooks).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from feedback.models import SessionFeedback
from server import clock
from server.webhooks import record_event

LOOK_BACK = timedelta(days=7)


async def announce_closed_sessions(now: datetime | None = None) -> int:
    """Record the event for each session whose form closed since LOOK_BACK; returns how many."""
    now = now or clock.now()
    closed = await SessionFeedback.filter(
        closes_at__lte=now, closes_at__gt=now - LOOK_BACK, closed_announced_at__isnull=True
    ).select_related("booking")
    announced = 0
    for session in closed:
        async with in_transaction():
            if not await SessionFeedback.filter(id=session.id, closed_announced_at__isnull=True).update(
                closed_announced_at=now
            ):
                continue
            booking = session.booking
            await record_event(
                "feedback.closed",
                booking.reference,
                {
                    "booking_reference": booking.reference,
                    "opens_at": session.opens_at.isoformat(),
                    "closes_at": session.closes_at.isoformat(),
                },
                booking.organisation_id,  # type: ignore[attr-defined]
                path=f"/feedback/sessies/{booking.reference}",
            )
            announced += 1
    return announced
