"""Reminder mails before confirmed sessions, with a controlled clock (`now=`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bookings import reminders
from bookings.models import Booking, BookingReminder, BookingStatus
from bookings.policy import BookingPolicy
from server.mail import OutboxMessage
from server.models import Organisation, Role, User
from tests.bookings.factories import make_booking
from tests.factories import make_organisation, make_user

POLICY = BookingPolicy(reminder_days=(7, 1))
BASE_URL = "http://testserver"
STARTS_AT = datetime(2027, 3, 12, 18, 30, tzinfo=UTC)  # Friday 19:30 in Amsterdam


async def run(now: datetime) -> int:
    return await reminders.send_due_reminders(POLICY, base_url=BASE_URL, now=now)


async def confirmed_booking(**overrides: object) -> tuple[Booking, User]:
    organisation = overrides.pop("organisation", None) or await make_organisation(name="Gemeente Zeist")
    assert isinstance(organisation, Organisation)
    clerk = await make_user(Role.CLERK, organisation=organisation, name="Petra")
    values: dict[str, object] = {
        "organisation": organisation,
        "requested_by": clerk,
        "status": BookingStatus.CONFIRMED,
        "starts_at": STARTS_AT,
    }
    values.update(overrides)
    return await make_booking(**values), clerk


async def mails() -> list[OutboxMessage]:
    return await OutboxMessage.all().order_by("id")


async def test_the_7_day_reminder_goes_out_once_at_its_time_then_the_1_day_one() -> None:
    booking, clerk = await confirmed_booking()

    assert await run(STARTS_AT - timedelta(days=7, minutes=1)) == 0
    assert await run(STARTS_AT - timedelta(days=7)) == 1
    assert await run(STARTS_AT - timedelta(days=6)) == 0
    assert await run(STARTS_AT - timedelta(days=1, minutes=1)) == 0
    assert await run(STARTS_AT - timedelta(days=1)) == 1
    assert await run(STARTS_AT - timedelta(hours=1)) == 0
    assert await run(STARTS_AT + timedelta(hours=1)) == 0

    sent = await mails()
    assert [m.to_address for m in sent] == [clerk.email, clerk.email]
    assert sent[0].subject == "Herinnering: Raadsbrede sessie op 12 maart 2027"
    assert sorted(await BookingReminder.filter(booking=booking).values_list("days_before", flat=True)) == [
        1,
        7,
    ]


async def test_the_reminder_says_when_where_and_whom_to_call_and_links_the_booking() -> None:
    booking, _ = await confirmed_booking()
    await run(STARTS_AT - timedelta(days=7))
    (mail,) = await mails()
    for text in (mail.body_text, mail.body_html):
        assert "Hallo Petra," in text
        assert "vrijdag 12 maart 2027 om 19:30" in text  # Europe/Amsterdam, not UTC
        assert "tot 22:00 uur" in text
        assert "Raadhuis, Markt 1, 3701 AB Zeist" in text
        assert "Petra de Griffier" in text and "06 12 34 56 78" in text
        assert f"http://testserver/boekingen/{booking.reference}" in text
        assert "070 - 37 38 314" in text


async def test_a_session_confirmed_20_hours_ahead_gets_only_the_1_day_reminder() -> None:
    booking, _ = await confirmed_booking()
    now = STARTS_AT - timedelta(hours=20)
    assert await run(now) == 1
    assert await run(now + timedelta(minutes=5)) == 0
    assert len(await mails()) == 1
    assert sorted(await BookingReminder.filter(booking=booking).values_list("days_before", flat=True)) == [
        1,
        7,
    ]


async def test_runs_at_the_same_time_send_each_reminder_once() -> None:
    await confirmed_booking()
    await confirmed_booking(organisation=await make_organisation(), starts_at=STARTS_AT)
    now = STARTS_AT - timedelta(days=7)
    results = await asyncio.gather(run(now), run(now), run(now))
    assert sum(results) == 2
    assert len(await mails()) == 2
    assert await BookingReminder.all().count() == 2


async def test_a_rescheduled_session_gets_reminders_for_its_new_date() -> None:
    booking, _ = await confirmed_booking()
    assert await run(STARTS_AT - timedelta(days=7)) == 1

    new_start = STARTS_AT + timedelta(days=14)
    booking.starts_at, booking.ends_at = new_start, new_start + timedelta(hours=2)
    booking.calendar_sequence += 1
    await booking.save(update_fields=["starts_at", "ends_at", "calendar_sequence"])

    assert await run(STARTS_AT - timedelta(days=1)) == 0  # the old date no longer counts
    assert await run(new_start - timedelta(days=7)) == 1
    assert await run(new_start - timedelta(days=1)) == 1
    assert len(await mails()) == 3
    assert "26 maart 2027" in (await mails())[-1].subject


async def test_cancelled_and_unconfirmed_sessions_get_no_reminder() -> None:
    organisation = await make_organisation()
    await make_user(Role.CLERK, organisation=organisation)
    for status in (
        BookingStatus.REQUESTED,
        BookingStatus.SCHEDULED,
        BookingStatus.CANCELLED,
        BookingStatus.DELIVERED,
        BookingStatus.CLOSED,
    ):
        await make_booking(organisation=organisation, status=status, starts_at=STARTS_AT)
    await make_booking(organisation=organisation, status=BookingStatus.CONFIRMED, starts_at=None)

    assert await run(STARTS_AT - timedelta(days=1)) == 0
    assert await mails() == []


async def test_a_reminder_is_not_sent_for_a_session_cancelled_after_it_was_read() -> None:
    booking, _ = await confirmed_booking()
    await Booking.filter(id=booking.id).update(status=BookingStatus.CANCELLED)
    due = reminders.due_reminders([booking], set(), [1, 7], STARTS_AT - timedelta(days=7))
    assert len(due) == 1
    assert await reminders._send(due[0], [booking.requested_by], BASE_URL) is False  # type: ignore[list-item]
    assert await mails() == []
    assert await BookingReminder.all().count() == 0


async def test_when_the_requester_left_the_active_colleagues_are_reminded() -> None:
    booking, requester = await confirmed_booking()
    requester.is_active = False
    await requester.save(update_fields=["is_active"])
    colleague = await make_user(Role.CLERK, organisation=booking.organisation, email="jan@zeist.nl")
    await make_user(Role.CLERK, organisation=booking.organisation, email="weg@zeist.nl", is_active=False)
    await make_user(Role.CLERK, email="elders@example.org")

    assert await run(STARTS_AT - timedelta(days=7)) == 1
    assert [m.to_address for m in await mails()] == [colleague.email]


async def test_the_requester_alone_is_reminded_while_still_active() -> None:
    booking, requester = await confirmed_booking()
    await make_user(Role.CLERK, organisation=booking.organisation, email="jan@zeist.nl")
    assert await run(STARTS_AT - timedelta(days=7)) == 1
    assert [m.to_address for m in await mails()] == [requester.email]
