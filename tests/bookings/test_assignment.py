"""Asking trainers and their answers; never double-booked, also under concurrency (PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar

from bookings import assignment, lifecycle
from bookings.availability import WEEKDAYS
from bookings.errors import BookingRuleBroken
from bookings.models import BookingStatus, OfferingRole, TrainerKind
from bookings.staffing import TrainerBusy
from bookings.staffing_models import AssignmentRequest, RequestStatus, TrainerProfile
from server.mail import OutboxAttachment, OutboxMessage
from server.models import Role, User
from server.settings import Settings
from tests.bookings.factories import make_booking, make_offering
from tests.clocked import TEST_MOMENT
from tests.factories import make_user, not_on_a_holiday

EVERY_PART = [f"{day}_{part}" for day in WEEKDAYS for part in ("afternoon", "evening")]
#: Tuesday 15 December 2026: no public holiday on it, nor a week later (30 days ahead, that week
#: ended on Christmas Day).
START = TEST_MOMENT + timedelta(days=27)


async def trainer(kind: TrainerKind = TrainerKind.TRAINER, *, per_month: int = 10, name: str = "") -> User:
    role = Role.COORDINATOR if kind is TrainerKind.COORDINATOR else Role.TRAINER
    user = await make_user(role, **({"name": name} if name else {}))
    await TrainerProfile.create(
        user=user, kind=kind, weekly_availability=EVERY_PART, max_sessions_per_month=per_month
    )
    return user


async def scheduled_booking(
    *roles: tuple[TrainerKind, int, int], starts_at: datetime = START, **overrides: object
):
    offering = await make_offering(duration_minutes=180)
    for kind, low, high in roles or ((TrainerKind.TRAINER, 1, 1),):
        await OfferingRole.create(offering=offering, kind=kind, min_count=low, max_count=high)
    clerk = await make_user(Role.CLERK)
    return await make_booking(
        offering=offering,
        organisation_id=clerk.organisation_id,
        requested_by=clerk,
        status=BookingStatus.SCHEDULED,
        starts_at=starts_at,
        **overrides,
    )


def token_from(text: str) -> str:
    match = re.search(r"/verzoeken/([\w-]+)", text)
    assert match, text
    return match.group(1)


async def last_mail_to(user: User) -> OutboxMessage:
    message = await OutboxMessage.filter(to_address=user.email).order_by("-id").first()
    assert message is not None, f"no mail to {user.email}"
    return message


@pytest.fixture
async def coordinator() -> User:
    return await make_user(Role.COORDINATOR)


async def test_an_accepted_request_confirms_the_booking_with_invitations(
    coordinator: User, settings: Settings
) -> None:
    booking = await scheduled_booking()
    tamara = await trainer(name="Tamara")
    request = await assignment.ask_trainer(
        booking.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    assert request.status is RequestStatus.PENDING and request.expires_at is not None
    token = token_from((await last_mail_to(tamara)).body_text)

    answered = await assignment.answer_by_token(token, True, "", settings=settings)
    assert answered.status is RequestStatus.ACCEPTED
    assert (await type(booking).get(id=booking.id)).status is BookingStatus.CONFIRMED
    invite = await last_mail_to(tamara)
    attachment = await OutboxAttachment.get(message=invite)
    event = Calendar.from_ical(bytes(attachment.content)).walk("VEVENT")[0]
    assert any(tamara.email in str(a) for a in event.get("ATTENDEE"))

    with pytest.raises(assignment.RequestClosed):  # the link works once
        await assignment.answer_by_token(token, False, "", settings=settings)


async def test_a_decline_asks_the_next_candidate_and_the_last_one_alerts_the_team(
    coordinator: User, settings: Settings
) -> None:
    booking = await scheduled_booking()
    first, second = await trainer(name="Anna"), await trainer(name="Bram")
    await assignment.ask_trainer(
        booking.id, first.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    await assignment.answer_by_token(
        token_from((await last_mail_to(first)).body_text), False, "Ziek", settings=settings
    )
    asked_next = await AssignmentRequest.get(booking=booking, trainer=second)
    assert asked_next.status is RequestStatus.PENDING

    await assignment.answer_by_token(
        token_from((await last_mail_to(second)).body_text), False, "", settings=settings
    )
    alert = await last_mail_to(coordinator)
    assert booking.reference in alert.subject or booking.reference in alert.body_text
    assert (await type(booking).get(id=booking.id)).status is BookingStatus.SCHEDULED


async def test_an_unanswered_request_expires_and_the_next_is_asked(
    coordinator: User, settings: Settings
) -> None:
    booking = await scheduled_booking()
    first, second = await trainer(name="Anna"), await trainer(name="Bram")
    request = await assignment.ask_trainer(
        booking.id, first.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    assert await assignment.expire_requests(settings, now=request.expires_at - timedelta(minutes=1)) == 0
    assert await assignment.expire_requests(settings, now=request.expires_at + timedelta(minutes=1)) == 1
    assert (await AssignmentRequest.get(id=request.id)).status is RequestStatus.EXPIRED
    assert (await AssignmentRequest.get(booking=booking, trainer=second)).status is RequestStatus.PENDING
    with pytest.raises(assignment.RequestClosed):
        await assignment.answer_by_id(request.id, True, "", trainer=first, settings=settings)


@pytest.mark.parametrize(("gap_hours", "busy"), [(-1, True), (1, True), (3, False)])
async def test_overlap_with_travel_buffer_is_refused(
    coordinator: User, settings: Settings, gap_hours: int, busy: bool
) -> None:
    tamara = await trainer()
    first = await scheduled_booking()
    await assignment.ask_trainer(
        first.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    second = await scheduled_booking(starts_at=first.ends_at + timedelta(hours=gap_hours))
    if busy:
        with pytest.raises(TrainerBusy):
            await assignment.ask_trainer(
                second.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
            )
    else:
        await assignment.ask_trainer(
            second.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
        )


async def test_the_monthly_maximum_is_kept(coordinator: User, settings: Settings) -> None:
    tamara = await trainer(per_month=1)
    first = await scheduled_booking(starts_at=START.replace(day=3))
    second = await scheduled_booking(starts_at=START.replace(day=20))
    await assignment.ask_trainer(
        first.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    with pytest.raises(TrainerBusy):
        await assignment.ask_trainer(
            second.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
        )


async def test_withdrawing_reopens_the_role(coordinator: User, settings: Settings) -> None:
    booking = await scheduled_booking()
    tamara, bram = await trainer(name="Tamara"), await trainer(name="Bram")
    request = await assignment.ask_trainer(
        booking.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    await assignment.answer_by_id(request.id, True, "", trainer=tamara, settings=settings)
    assert (await type(booking).get(id=booking.id)).status is BookingStatus.CONFIRMED

    with pytest.raises(BookingRuleBroken):  # a reason is needed
        await assignment.withdraw(request.id, "", actor=tamara, settings=settings)
    with pytest.raises(BookingRuleBroken):  # not within 48 hours of the start
        await assignment.withdraw(
            request.id, "Ziek", actor=tamara, settings=settings, now=booking.starts_at - timedelta(hours=47)
        )
    await assignment.withdraw(
        request.id, "Ziek", actor=tamara, settings=settings, now=booking.starts_at - timedelta(hours=72)
    )
    assert (await type(booking).get(id=booking.id)).status is BookingStatus.SCHEDULED
    assert (await AssignmentRequest.get(booking=booking, trainer=bram)).status is RequestStatus.PENDING


async def test_a_coordinator_can_take_a_trainer_off_at_short_notice(
    coordinator: User, settings: Settings
) -> None:
    booking = await scheduled_booking()
    tamara = await trainer()
    request = await assignment.ask_trainer(
        booking.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    await assignment.answer_by_id(request.id, True, "", trainer=tamara, settings=settings)
    await assignment.withdraw(
        request.id, "", actor=coordinator, settings=settings, now=booking.starts_at - timedelta(hours=2)
    )
    assert (await AssignmentRequest.get(id=request.id)).status is RequestStatus.WITHDRAWN


async def test_moving_a_session_asks_the_trainers_again_or_is_refused(
    coordinator: User, settings: Settings
) -> None:
    tamara = await trainer()
    booking = await scheduled_booking()
    other = await scheduled_booking(starts_at=START + timedelta(days=7))
    request = await assignment.ask_trainer(
        booking.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    await assignment.answer_by_id(request.id, True, "", trainer=tamara, settings=settings)
    await assignment.ask_trainer(
        other.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )

    with pytest.raises(TrainerBusy):  # Tamara is on the other session then
        await lifecycle.reschedule_booking(
            booking.id, other.starts_at + timedelta(hours=1), actor=coordinator, settings=settings
        )
    assert (await type(booking).get(id=booking.id)).starts_at == booking.starts_at  # nothing half-done

    moved = not_on_a_holiday(START + timedelta(days=3))
    await lifecycle.reschedule_booking(booking.id, moved, actor=coordinator, settings=settings)
    again = await AssignmentRequest.get(id=request.id)
    assert again.status is RequestStatus.PENDING and again.starts_at == moved
    assert "/verzoeken/" in (await last_mail_to(tamara)).body_text


async def test_cancelling_tells_the_trainers(coordinator: User, settings: Settings) -> None:
    booking = await scheduled_booking()
    tamara = await trainer()
    request = await assignment.ask_trainer(
        booking.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    await assignment.answer_by_id(request.id, True, "", trainer=tamara, settings=settings)
    await lifecycle.cancel_booking(booking.id, "", actor=coordinator, settings=settings)
    assert (await AssignmentRequest.get(id=request.id)).status is RequestStatus.CANCELLED
    mail = await last_mail_to(tamara)
    attachment = await OutboxAttachment.get(message=mail)
    assert Calendar.from_ical(bytes(attachment.content))["METHOD"] == "CANCEL"


async def test_coordinators_staff_intakes_directly(coordinator: User, settings: Settings) -> None:
    booking = await scheduled_booking((TrainerKind.COORDINATOR, 1, 1))
    carla = await trainer(TrainerKind.COORDINATOR)
    request = await assignment.ask_trainer(
        booking.id, carla.id, TrainerKind.COORDINATOR, actor=coordinator, settings=settings
    )
    assert request.status is RequestStatus.ACCEPTED
    assert (await type(booking).get(id=booking.id)).status is BookingStatus.CONFIRMED


async def test_auto_assign_asks_the_best_for_each_role(coordinator: User, settings: Settings) -> None:
    booking = await scheduled_booking((TrainerKind.MODERATOR, 1, 1), (TrainerKind.TRAINER, 1, 2))
    await trainer(TrainerKind.MODERATOR)
    await trainer(TrainerKind.TRAINER)
    asked = await assignment.auto_assign(booking.id, actor=coordinator, settings=settings)
    assert sorted(r.kind for r in asked) == [TrainerKind.MODERATOR, TrainerKind.TRAINER]


async def test_concurrent_asks_for_overlapping_sessions_book_the_trainer_once(
    coordinator: User, settings: Settings, db_kind: str
) -> None:
    tamara = await trainer(per_month=100)
    bookings = [await scheduled_booking(starts_at=START + timedelta(minutes=2 * n)) for n in range(50)]
    results = await asyncio.gather(
        *(
            assignment.ask_trainer(b.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings)
            for b in bookings
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, AssignmentRequest) for r in results) == 1, results
    assert all(isinstance(r, TrainerBusy) for r in results if not isinstance(r, AssignmentRequest))
    assert await AssignmentRequest.filter(trainer=tamara).count() == 1


async def test_concurrent_accepts_of_overlapping_requests_accept_one(
    coordinator: User, settings: Settings
) -> None:
    tamara = await trainer(per_month=100)
    requests = []
    for n in range(50):
        booking = await scheduled_booking(starts_at=START + timedelta(minutes=2 * n))
        requests.append(
            await AssignmentRequest.create(
                booking=booking,
                trainer=tamara,
                kind=TrainerKind.TRAINER,
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                expires_at=START,
            )
        )
    results = await asyncio.gather(
        *(assignment.answer_by_id(r.id, True, "", trainer=tamara, settings=settings) for r in requests),
        return_exceptions=True,
    )
    assert sum(isinstance(r, AssignmentRequest) for r in results) == 1, results
    assert all(isinstance(r, TrainerBusy) for r in results if not isinstance(r, AssignmentRequest))
    assert await AssignmentRequest.filter(trainer=tamara, status=RequestStatus.ACCEPTED).count() == 1


async def test_concurrent_answers_to_one_request_count_once(coordinator: User, settings: Settings) -> None:
    booking = await scheduled_booking()
    tamara = await trainer()
    await assignment.ask_trainer(
        booking.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    token = token_from((await last_mail_to(tamara)).body_text)
    results = await asyncio.gather(
        *(assignment.answer_by_token(token, n % 2 == 0, "", settings=settings) for n in range(50)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, AssignmentRequest) for r in results) == 1, results
    assert all(
        isinstance(r, assignment.RequestClosed) for r in results if not isinstance(r, AssignmentRequest)
    )


async def test_trainers_on_a_session_get_its_reminder(coordinator: User, settings: Settings) -> None:
    from bookings.policy import BookingPolicy
    from bookings.reminders import send_due_reminders

    booking = await scheduled_booking()
    tamara = await trainer()
    request = await assignment.ask_trainer(
        booking.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    await assignment.answer_by_id(request.id, True, "", trainer=tamara, settings=settings)
    sent = await send_due_reminders(
        BookingPolicy(), base_url="http://x", now=booking.starts_at - timedelta(days=6)
    )
    assert sent == 1
    reminder = await last_mail_to(tamara)
    assert "Herinnering" in reminder.subject and f"/trainer/sessies/{booking.reference}" in reminder.body_text


async def test_a_trainers_calendar_feed_holds_their_sessions(coordinator: User, settings: Settings) -> None:
    from bookings.feeds import bookings_in_feed, feed_for

    booking = await scheduled_booking()
    await scheduled_booking()  # someone else's session
    tamara = await trainer()
    request = await assignment.ask_trainer(
        booking.id, tamara.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    feed = await feed_for(tamara)
    assert (await bookings_in_feed(feed.token))[1] == []  # asked, not yet accepted
    await assignment.answer_by_id(request.id, True, "", trainer=tamara, settings=settings)
    assert [b.id for b in (await bookings_in_feed(feed.token))[1]] == [booking.id]
