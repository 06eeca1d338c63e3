"""When a trainer is free: parts of the day, travel buffers, blocked days, the monthly maximum.

These are the facts both the suggestions (advisory) and the assignment service (authoritative, under
a lock) use.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bookings.staffing_models import HOLDING, AssignmentRequest, BlockedPeriod
from server.templating import AMSTERDAM

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Sessions starting at or after this hour (Amsterdam) are evening sessions.
EVENING_FROM_HOUR = 17


def part_of_day(starts_at: datetime) -> str:
    return "evening" if starts_at.astimezone(AMSTERDAM).hour >= EVENING_FROM_HOUR else "afternoon"


def availability_key(starts_at: datetime) -> str:
    """The weekly-availability key of a start time, e.g. 'thu_evening'."""
    local = starts_at.astimezone(AMSTERDAM)
    return f"{WEEKDAYS[local.weekday()]}_{part_of_day(starts_at)}"


def month_bounds(starts_at: datetime) -> tuple[datetime, datetime]:
    """The calendar month (Amsterdam) around a start time, as aware datetimes."""
    local = starts_at.astimezone(AMSTERDAM)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


async def conflicting_requests(
    trainer_id: int,
    starts_at: datetime,
    ends_at: datetime,
    buffer: timedelta,
    *,
    exclude_booking_id: int | None,
) -> list[AssignmentRequest]:
    """The trainer's pending or accepted requests that overlap [start - buffer, end + buffer]."""
    query = AssignmentRequest.filter(
        trainer_id=trainer_id,
        status__in=HOLDING,
        starts_at__lt=ends_at + buffer,
        ends_at__gt=starts_at - buffer,
    )
    if exclude_booking_id is not None:
        query = query.exclude(booking_id=exclude_booking_id)
    return await query


async def sessions_in_month(trainer_id: int, starts_at: datetime, *, exclude_booking_id: int | None) -> int:
    first, following = month_bounds(starts_at)
    query = AssignmentRequest.filter(
        trainer_id=trainer_id, status__in=HOLDING, starts_at__gte=first, starts_at__lt=following
    )
    if exclude_booking_id is not None:
        query = query.exclude(booking_id=exclude_booking_id)
    return await query.count()


def is_blocked(periods: list[BlockedPeriod], day: date) -> bool:
    return any(period.first_day <= day <= period.last_day for period in periods)
