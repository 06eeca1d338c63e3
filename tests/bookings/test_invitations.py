"""Calendar invitations as mail clients receive them: delivered to a real SMTP server and read the way
Microsoft documents Outlook finds a meeting request in a mail (the text/calendar part is the last
alternative of multipart/alternative, not an attachment, and its `method` parameter equals the
METHOD inside), for the clerk, the contact on the day and each trainer, through confirmation, a
move, a decline of the new date, a trainer joining, withdrawals and the cancellation."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from email.message import EmailMessage
from importlib import import_module

from icalendar import Calendar, Event
from tortoise import Tortoise

from bookings import assignment, lifecycle
from bookings.calendar import booking_uid
from bookings.demo import load_bookings_demo
from bookings.invitations_demo import load_invitations_demo
from bookings.models import Booking, BookingStatus, CalendarInvitation, TrainerKind
from bookings.staffing_models import AssignmentRequest, RequestStatus
from server import clock, demo
from server.mail import OutboxAttachment
from server.mail_sender import deliver_due
from server.models import Role, User
from server.settings import Settings
from tests.bookings.factories import make_request
from tests.bookings.test_assignment import START, last_mail_to, scheduled_booking, token_from, trainer
from tests.factories import make_user, not_on_a_holiday
from tests.smtp import SmtpSink

BACKFILL = import_module("bookings.migrations.0003_calendar_invitations").BACKFILL
MAIL_FROM = "Weerbaar <noreply@weerbaar.example>"
CONTACT = "petra.contact@zeist.example"


def meeting_request(message: EmailMessage) -> tuple[str, Event] | None:
    """The calendar part as Outlook finds it, or None for a mail without one. Fails when a part is
    there but Outlook would take it for a plain attachment, or its method parameter is missing,
    differs from the METHOD inside or comes without a charset."""
    calendars = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    if not calendars:
        assert not any(p.get_filename() for p in message.iter_attachments())
        return None
    assert len(calendars) == 1, "one calendar part"
    [part] = calendars
    alternatives = [p for p in message.walk() if p.get_content_type() == "multipart/alternative"]
    assert len(alternatives) == 1
    parts = list(alternatives[0].iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html", "text/calendar"]
    assert parts[-1] is part and part.get_content_disposition() is None
    assert part.get_content_charset() == "utf-8"
    parsed = Calendar.from_ical(part.get_payload(decode=True))
    assert part.get_param("method") == parsed["METHOD"]
    [event] = parsed.walk("VEVENT")
    copies = [p for p in message.iter_attachments() if p.get_content_type() == "application/ics"]
    assert [c.get_payload(decode=True) for c in copies] == [part.get_payload(decode=True)]
    return str(parsed["METHOD"]), event


class Calendars:
    """What each address's calendar program received, in order: (METHOD, event)."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.received: dict[str, list[tuple[str, Event]]] = defaultdict(list)
        self.seen = 0

    async def deliver(self) -> dict[str, tuple[str, Event]]:
        """Send what is queued; the calendar messages of this round by address."""
        while await deliver_due(self.sink.url, MAIL_FROM):
            pass
        new = self.sink.messages[self.seen :]
        self.seen = len(self.sink.messages)
        round_: dict[str, tuple[str, Event]] = {}
        for message in new:
            found = meeting_request(message)
            if found is None:
                continue
            address = str(message["To"])
            _method, event = found
            assert f"mailto:{address}" in [str(a) for a in event.attendees], "the recipient attends"
            assert str(event["ORGANIZER"]) == "mailto:noreply@weerbaar.localhost"
            assert address not in round_, f"one calendar message per round for {address}"
            round_[address] = found
            self.received[address].append(found)
        return round_

    def sequences(self, address: str) -> list[int]:
        return [int(event["SEQUENCE"]) for _, event in self.received[address]]


async def accept(person: User, settings: Settings) -> None:
    await assignment.answer_by_token(
        token_from((await last_mail_to(person)).body_text), True, "", settings=settings
    )


async def confirmed_session(
    coordinator: User, settings: Settings, calendars: Calendars
) -> tuple[Booking, User, User, User]:
    """A session for two trainers, with the contact on the day asking for the invitation, confirmed."""
    booking = await scheduled_booking(
        (TrainerKind.TRAINER, 2, 3), contact_name="Petra Contact", contact_email=CONTACT
    )
    clerk = await User.get(id=booking.requested_by_id)  # type: ignore[attr-defined]
    anna, bram = await trainer(name="Anna"), await trainer(name="Bram")
    for person in (anna, bram):
        await assignment.ask_trainer(
            booking.id, person.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
        )
        await accept(person, settings)
    assert (await Booking.get(id=booking.id)).status is BookingStatus.CONFIRMED
    return booking, clerk, anna, bram


async def test_every_party_is_invited_moved_and_cancelled_with_a_rising_sequence(
    settings: Settings, smtp_sink: SmtpSink
) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    calendars = Calendars(smtp_sink)
    booking, clerk, anna, bram = await confirmed_session(coordinator, settings, calendars)
    uid = booking_uid(booking)

    # Confirmed: the clerk, the contact on the day and both trainers are invited.
    confirmed = await calendars.deliver()
    assert set(confirmed) == {clerk.email, CONTACT, anna.email, bram.email}
    for method, event in confirmed.values():
        assert (method, str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", uid, 0)
        assert event["STATUS"] == "CONFIRMED" and event.decoded("DTSTART") == START
        assert len(event.attendees) == 4  # everyone on the session

    # Moved: everyone's calendar gets the new time; the trainers' with their new request.
    moved_to = not_on_a_holiday(START + timedelta(days=7))
    await lifecycle.reschedule_booking(booking.id, moved_to, actor=coordinator, settings=settings)
    moved = await calendars.deliver()
    assert set(moved) == {clerk.email, CONTACT, anna.email, bram.email}
    for method, event in moved.values():
        assert (method, str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", uid, 1)
        assert event.decoded("DTSTART") == moved_to and event["STATUS"] == "TENTATIVE"
    anna_mail = smtp_sink.to(anna.email)[-1]
    assert "/verzoeken/" in smtp_sink.text_of(anna_mail)  # the same mail asks to confirm the new date

    # Bram declines the new date: his calendar alone loses it; Cas is asked and accepts.
    cas = await trainer(name="Cas")
    await assignment.answer_by_token(
        token_from((await last_mail_to(bram)).body_text), False, "Kan niet", settings=settings
    )
    declined = await calendars.deliver()
    assert set(declined) == {bram.email}
    method, event = declined[bram.email]
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == ("CANCEL", uid, 2)
    assert [str(a) for a in event.attendees] == [f"mailto:{bram.email}"]
    assert (await AssignmentRequest.get(booking_id=booking.id, trainer=cas)).status is RequestStatus.PENDING
    assert await calendars.deliver() == {}  # a request is no invitation
    await accept(anna, settings)
    await accept(cas, settings)
    reconfirmed = await calendars.deliver()
    assert set(reconfirmed) == {clerk.email, CONTACT, anna.email, cas.email}
    assert all(method == "REQUEST" for method, _ in reconfirmed.values())
    assert int(reconfirmed[cas.email][1]["SEQUENCE"]) == 1  # the booking's, for a first invitation

    # Cancelled: a CANCEL to every calendar that holds the session, and to no other.
    await lifecycle.cancel_booking(booking.id, "", actor=coordinator, settings=settings)
    cancelled = await calendars.deliver()
    assert set(cancelled) == {clerk.email, CONTACT, anna.email, cas.email}
    for method, event in cancelled.values():
        assert (method, str(event["UID"]), event["STATUS"]) == ("CANCEL", uid, "CANCELLED")

    for address in (clerk.email, CONTACT, anna.email, bram.email, cas.email):
        sequences = calendars.sequences(address)
        assert sequences == sorted(set(sequences)), (address, sequences)  # rises per recipient
        assert {str(event["UID"]) for _, event in calendars.received[address]} == {uid}
    assert calendars.sequences(clerk.email) == [0, 1, 2, 3]
    assert calendars.sequences(bram.email) == [0, 1, 2]
    assert calendars.sequences(cas.email) == [1, 2]
    assert [m for m, _ in calendars.received[clerk.email]] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    assert not await CalendarInvitation.filter(booking_id=booking.id, is_cancelled=False).exists()


async def test_a_trainer_taken_off_a_session_that_goes_on_gets_a_cancel_of_their_own(
    settings: Settings, smtp_sink: SmtpSink
) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    calendars = Calendars(smtp_sink)
    booking, clerk, anna, bram = await confirmed_session(coordinator, settings, calendars)
    await calendars.deliver()

    # Anna withdraws herself; the team takes Bram off. The clerk's calendar keeps the session.
    anna_request = await AssignmentRequest.get(booking_id=booking.id, trainer=anna)
    await assignment.withdraw(anna_request.id, "Verhuizing", actor=anna, settings=settings)
    bram_request = await AssignmentRequest.get(booking_id=booking.id, trainer=bram)
    await assignment.withdraw(bram_request.id, "", actor=coordinator, settings=settings)
    withdrawn = await calendars.deliver()
    assert set(withdrawn) == {anna.email, bram.email}
    for person in (anna, bram):
        method, event = withdrawn[person.email]
        assert (method, int(event["SEQUENCE"])) == ("CANCEL", 1)
        assert [str(a) for a in event.attendees] == [f"mailto:{person.email}"]
        assert not str(event["SUMMARY"]).startswith("Geannuleerd")  # the session goes on
    assert "teruggetrokken" in smtp_sink.text_of(smtp_sink.to(anna.email)[-1])
    assert "van de sessie hieronder gehaald" in smtp_sink.text_of(smtp_sink.to(bram.email)[-1])
    assert await CalendarInvitation.filter(
        booking_id=booking.id, address=clerk.email, is_cancelled=False
    ).exists()


async def test_a_trainer_joining_a_confirmed_session_is_invited_and_others_are_not_disturbed(
    settings: Settings, smtp_sink: SmtpSink
) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    calendars = Calendars(smtp_sink)
    booking, *_ = await confirmed_session(coordinator, settings, calendars)
    await calendars.deliver()
    dirk = await trainer(name="Dirk")
    await assignment.ask_trainer(
        booking.id, dirk.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    assert await calendars.deliver() == {}
    await accept(dirk, settings)
    joined = await calendars.deliver()
    assert set(joined) == {dirk.email}
    method, event = joined[dirk.email]
    assert (method, int(event["SEQUENCE"])) == ("REQUEST", 0)
    assert len(event.attendees) == 5  # the four already on it, and Dirk


async def test_a_pending_trainer_who_declines_or_lets_it_expire_gets_no_calendar_mail(
    settings: Settings, smtp_sink: SmtpSink
) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    booking = await scheduled_booking()
    anna, bram = await trainer(name="Anna"), await trainer(name="Bram")
    await assignment.ask_trainer(
        booking.id, anna.id, TrainerKind.TRAINER, actor=coordinator, settings=settings
    )
    await assignment.answer_by_token(
        token_from((await last_mail_to(anna)).body_text), False, "", settings=settings
    )
    request = await AssignmentRequest.get(booking_id=booking.id, trainer=bram)
    await assignment.expire_requests(settings, now=request.expires_at + timedelta(minutes=1))
    calendars = Calendars(smtp_sink)
    assert await calendars.deliver() == {}
    assert len(smtp_sink.to(anna.email)) == 1 and len(smtp_sink.to(bram.email)) == 1  # the requests


async def test_a_clerk_without_the_invitation_gets_a_cancellation_mail_without_a_calendar_part(
    settings: Settings, smtp_sink: SmtpSink
) -> None:
    """A session cancelled before it was confirmed was never in anyone's calendar."""
    coordinator = await make_user(Role.COORDINATOR)
    booking = await scheduled_booking()
    clerk = await User.get(id=booking.requested_by_id)  # type: ignore[attr-defined]
    await lifecycle.cancel_booking(booking.id, "", actor=coordinator, settings=settings, now=clock.now())
    calendars = Calendars(smtp_sink)
    assert await calendars.deliver() == {}
    [mail] = smtp_sink.to(clerk.email)
    assert "Outlook" not in smtp_sink.text_of(mail)


async def test_the_demo_leaves_an_invitation_its_update_and_a_cancellation_in_the_outbox(
    settings: Settings,
) -> None:
    assert await demo.load_demo()
    await load_bookings_demo()
    await load_invitations_demo(settings)

    sent: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for attachment in await OutboxAttachment.all().order_by("id").select_related("message"):
        [event] = Calendar.from_ical(bytes(attachment.content)).walk("VEVENT")
        method = attachment.content_type.split("method=")[1].split(";")[0]
        sent[str(event["UID"])].append((attachment.message.to_address, int(event["SEQUENCE"]), method))
    moved = sent["weerbaar-booking-WB-DEMO04@weerbaar"]
    cancelled = sent["weerbaar-booking-WB-DEMO05@weerbaar"]
    clerk, contact = "griffier.utrecht@weerbaar.example", "grietje.vandijk@utrecht.example"
    for address in (clerk, contact, "trainer@weerbaar.example"):
        assert [(s, m) for a, s, m in moved if a == address] == [
            (0, "REQUEST"),
            (1, "REQUEST"),
            (2, "REQUEST"),
        ]
        assert [(s, m) for a, s, m in cancelled if a == address] == [(0, "REQUEST"), (1, "CANCEL")]
    await load_invitations_demo(settings)  # once only
    assert await Booking.filter(reference__startswith="WB-DEMO0").count() == 5


async def test_sessions_confirmed_before_the_migration_keep_their_calendars(settings: Settings) -> None:
    """The migration's backfill: a confirmed session's clerk and accepted trainer hold the invitation,
    so a later move or cancellation reaches them; a scheduled, never-moved session nobody's."""
    booking = await scheduled_booking()
    await Booking.filter(id=booking.id).update(status=BookingStatus.CONFIRMED, calendar_sequence=2)
    clerk = await User.get(id=booking.requested_by_id)  # type: ignore[attr-defined]
    anna = await trainer(name="Anna")
    await make_request(booking, anna, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    await scheduled_booking()
    connection = Tortoise.get_connection("default")
    for statement in BACKFILL:
        await connection.execute_query(statement)

    rows = await CalendarInvitation.all().order_by("address").values_list("booking_id", "address", "sequence")
    assert sorted(rows) == sorted([(booking.id, clerk.email, 2), (booking.id, anna.email, 2)])
    await lifecycle.cancel_booking(booking.id, "", actor=await make_user(Role.COORDINATOR), settings=settings)
    assert await CalendarInvitation.filter(is_cancelled=True, sequence=3).count() == 2
