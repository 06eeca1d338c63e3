"""Reminder mails before confirmed sessions; a periodic job (see `server.scheduler`).

Rules:
- For each `d` in `policy.reminder_days`, a reminder is due once `now >= starts_at - d days`, for a
  confirmed session that has not started yet.
- Only the most specific due reminder goes out: for a session confirmed 20 hours ahead only the 1-day
  reminder is sent, and the 7-day one is recorded as covered (its row means 'dealt with').
- Each (booking, days_before, starts_at) goes out at most once; a new start time (rescheduling) makes
  the reminders due again for the new date.
- The BookingReminder rows are written in the transaction that queues the mail. Their unique
  constraint lets one of two processes running at once win; the other's transaction fails and rolls
  back, mail included, and it moves on to the next booking.
- The booking is locked and read again in that transaction, so a session cancelled or rescheduled
  since the first read gets no reminder for the old date.
- Recipients: the clerk who requested the booking while still an active clerk of the organisation,
  else the organisation's active clerks; and the trainers who accepted a role in it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bookings.models import Booking, BookingReminder, BookingStatus
from bookings.policy import BookingPolicy
from bookings.staffing_models import AssignmentRequest, RequestStatus
from server import clock
from server.mail import queue_mail
from server.models import Role, User

log = logging.getLogger("weerbaar.reminders")


@dataclass(frozen=True)
class DueReminder:
    booking: Booking
    days_before: int  # the one that is sent
    covered: tuple[int, ...]  # every due one not yet recorded, the sent one included


def due_reminders(
    bookings: Sequence[Booking], recorded: set[tuple[int, int, datetime]], days: Sequence[int], now: datetime
) -> list[DueReminder]:
    """Which of these bookings get a reminder now, given the (booking id, days, starts_at) recorded."""
    found = []
    for booking in bookings:
        assert booking.starts_at is not None
        due = sorted(d for d in days if now >= booking.starts_at - timedelta(days=d))
        pending = tuple(d for d in due if (booking.id, d, booking.starts_at) not in recorded)
        if due and due[0] in pending:
            found.append(DueReminder(booking, due[0], pending))
    return found


def _is_reachable_requester(booking: Booking) -> bool:
    clerk = booking.requested_by
    return (
        clerk is not None
        and clerk.is_active
        and clerk.role is Role.CLERK
        and clerk.organisation_id == booking.organisation_id  # type: ignore[attr-defined]
    )


async def _recipients(due: Sequence[DueReminder]) -> dict[int, list[User]]:
    """Per booking id, who gets the reminder; one query for all colleagues that are needed."""
    requesters = {r.booking.id: r.booking.requested_by for r in due if _is_reachable_requester(r.booking)}
    needs_colleagues = {r.booking.organisation_id for r in due if r.booking.id not in requesters}  # type: ignore[attr-defined]
    colleagues: dict[int, list[User]] = {}
    if needs_colleagues:
        for clerk in await User.filter(
            role=Role.CLERK, is_active=True, organisation_id__in=needs_colleagues
        ).order_by("name", "id"):
            colleagues.setdefault(clerk.organisation_id, []).append(clerk)  # type: ignore[attr-defined]
    trainers: dict[int, list[User]] = {}
    for request in (
        await AssignmentRequest.filter(
            booking_id__in=[r.booking.id for r in due], status=RequestStatus.ACCEPTED, trainer__is_active=True
        )
        .select_related("trainer")
        .order_by("id")
    ):
        trainers.setdefault(request.booking_id, []).append(request.trainer)  # type: ignore[attr-defined]
    return {
        r.booking.id: (
            [requester]
            if (requester := requesters.get(r.booking.id)) is not None
            else colleagues.get(r.booking.organisation_id, [])  # type: ignore[attr-defined]
        )
        + trainers.get(r.booking.id, [])
        for r in due
    }


def _page_for(recipient: User, booking: Booking, base_url: str) -> str:
    """Trainers have their own page of a session; clerks the booking page."""
    path = "trainer/sessies" if recipient.role is Role.TRAINER else "boekingen"
    return f"{base_url.rstrip('/')}/{path}/{booking.reference}"


async def _send(reminder: DueReminder, recipients: Sequence[User], base_url: str) -> bool:
    """Record and queue one booking's reminder; False when it is no longer due or another process won."""
    booking = reminder.booking
    try:
        async with in_transaction():
            current = await Booking.select_for_update().get_or_none(id=booking.id)
            if current is None or (current.status, current.starts_at) != (
                BookingStatus.CONFIRMED,
                booking.starts_at,
            ):
                return False
            for days_before in reminder.covered:
                await BookingReminder.create(
                    booking=booking, days_before=days_before, starts_at=booking.starts_at
                )
            for recipient in recipients:
                await queue_mail(
                    recipient.email,
                    "bookings/reminder",
                    {
                        "booking": booking,
                        "recipient": recipient,
                        "link": _page_for(recipient, booking, base_url),
                    },
                )
    except IntegrityError:
        return False
    if not recipients:
        log.warning("booking %s: no active clerk to remind", booking.reference)
    return bool(recipients)


async def send_due_reminders(policy: BookingPolicy, *, base_url: str, now: datetime | None = None) -> int:
    """Queue the reminders that are due; return for how many bookings one went out.

    Safe to run in several processes at once (see the module docstring). Queries: the confirmed
    sessions within the longest reminder period, their recorded reminders and, when needed, the
    colleagues of requesters that left; then per due booking its own transaction.
    """
    now = now or clock.now()
    days = sorted(set(policy.reminder_days))
    if not days:
        return 0
    bookings = await Booking.filter(
        status=BookingStatus.CONFIRMED, starts_at__gt=now, starts_at__lte=now + timedelta(days=days[-1])
    ).select_related("offering", "organisation", "requested_by")
    if not bookings:
        return 0
    recorded = {
        (booking_id, days_before, starts_at)
        for booking_id, days_before, starts_at in await BookingReminder.filter(
            booking_id__in=[b.id for b in bookings]
        ).values_list("booking_id", "days_before", "starts_at")
    }
    due = due_reminders(bookings, recorded, days, now)
    if not due:
        return 0
    recipients = await _recipients(due)
    sent = 0
    for reminder in due:
        sent += await _send(reminder, recipients[reminder.booking.id], base_url)
    return sent
