"""When a trainer is free: parts of the day, travel buffers, blocked days, the monthly maximum.

These are the facts both the suggestions (advisory) and the assignment service (authoritative, under
a lock) use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from tortoise.expressions import Q

from bookings.staffing_models import HOLDING, AssignmentRequest, BlockedPeriod, RequestStatus
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


class Held(NamedTuple):
    """A trainer's pending or accepted request, as far as these rules need it (read as plain values:
    building a model per request took most of the booking form's time)."""

    starts_at: datetime
    ends_at: datetime
    status: RequestStatus


@dataclass(frozen=True)
class TrainerLoad:
    """A trainer's pending and accepted requests around one session (other bookings' only)."""

    #: Those within the travel buffer of the session.
    conflicts: list[Held]
    #: How many start in the session's calendar month (Amsterdam).
    in_month: int


async def trainer_load(
    trainer_id: int,
    starts_at: datetime,
    ends_at: datetime,
    buffer: timedelta,
    *,
    exclude_booking_id: int | None,
) -> TrainerLoad:
    """The requests that overlap [start - buffer, end + buffer], and the count of those starting in
    the month: one query for both."""
    first, following = month_bounds(starts_at)
    earliest, latest = starts_at - buffer, ends_at + buffer
    query = AssignmentRequest.filter(
        Q(starts_at__lt=latest, ends_at__gt=earliest) | Q(starts_at__gte=first, starts_at__lt=following),
        trainer_id=trainer_id,
        status__in=HOLDING,
    )
    if exclude_booking_id is not None:
        query = query.exclude(booking_id=exclude_booking_id)
    rows = [Held(*row) for row in await query.values_list("starts_at", "ends_at", "status")]
    return TrainerLoad(
        conflicts=[row for row in rows if row.starts_at < latest and row.ends_at > earliest],
        in_month=sum(first <= row.starts_at < following for row in rows),
    )


def is_blocked(periods: list[BlockedPeriod], day: date) -> bool:
    return any(period.first_day <= day <= period.last_day for period in periods)
