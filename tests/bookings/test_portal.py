"""The trainer's portal: open requests, upcoming sessions and the last past sessions, each in order."""

from __future__ import annotations

from datetime import timedelta

from bookings.models import BookingStatus, TrainerKind
from bookings.portal import portal_for
from bookings.staffing_models import RequestStatus
from server import clock
from tests.bookings.factories import make_booking, make_request, make_trainer


async def test_the_portal_sorts_each_request_into_its_list() -> None:
    trainer, colleague = await make_trainer(), await make_trainer()
    now = clock.now()

    async def request(days: int, status: RequestStatus, *, expires_in: timedelta = timedelta(days=3)) -> int:
        booking = await make_booking(status=BookingStatus.SCHEDULED, starts_at=now + timedelta(days=days))
        made = await make_request(booking, trainer, TrainerKind.TRAINER, status, expires_at=now + expires_in)
        await make_request(booking, colleague, TrainerKind.TRAINER, status)
        return made.id

    later_pending = await request(20, RequestStatus.PENDING)
    soon_pending = await request(10, RequestStatus.PENDING)
    await request(15, RequestStatus.PENDING, expires_in=-timedelta(hours=1))  # no longer open
    await request(12, RequestStatus.DECLINED)
    later_session = await request(30, RequestStatus.ACCEPTED)
    soon_session = await request(5, RequestStatus.ACCEPTED)
    past = [await request(-days, RequestStatus.ACCEPTED) for days in range(1, 24)]

    portal = await portal_for(trainer, now)
    assert [row["id"] for row in portal.pending] == [soon_pending, later_pending]
    assert [row["id"] for row in portal.upcoming] == [soon_session, later_session]
    assert [row["id"] for row in portal.past] == past[:20]  # the most recent first
    assert {row["status"] for row in portal.pending} == {RequestStatus.PENDING}
    assert portal.pending[0]["reference"] and portal.pending[0]["organisation_name"]
