"""iCalendar files: an invitation and its cancellation per booking, and a personal feed. Parsed back
with icalendar, as a calendar program would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from icalendar import Calendar, Event

from bookings import calendar
from bookings.calendar import Party
from bookings.models import Booking, BookingStatus
from server import clock
from server.mail import Attachment, OutboxMessage
from server.mail_sender import build_email
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation

STARTS_AT = datetime(2026, 3, 12, 18, 30, tzinfo=UTC)  # 19:30 in Amsterdam


def parse(content: bytes) -> tuple[Calendar, list[Event]]:
    parsed = Calendar.from_ical(content)
    return parsed, list(parsed.walk("VEVENT"))


def only_event(content: bytes) -> tuple[Calendar, Event]:
    parsed, events = parse(content)
    assert len(events) == 1
    return parsed, events[0]


async def zeist_booking(**overrides: object) -> Booking:
    organisation = await make_organisation(name="Gemeente Zeist")
    offering = await make_offering(name="Raadsbrede sessie")
    values: dict[str, object] = {
        "reference": "WB-ZEIST1",
        "organisation": organisation,
        "offering": offering,
        "status": BookingStatus.CONFIRMED,
        "starts_at": STARTS_AT,
        "ends_at": STARTS_AT + timedelta(hours=2, minutes=30),
        "location_address": "Raadhuis, Markt 1; 3701 AB Zeist",
        "contact_name": "Petra de Griffier",
        "contact_phone": "06 12 34 56 78",
    }
    values.update(overrides)
    return await make_booking(**values)


async def test_an_invitation_describes_the_session() -> None:
    booking = await zeist_booking()
    attachment = calendar.booking_event(
        booking,
        method="REQUEST",
        sequence=0,
        organizer=Party("team@weerbaar.example", "Ondersteuningsteam"),
        attendees=[Party("griffie@zeist.nl", "Petra de Griffier"), Party("trainer@example.org")],
    )
    assert attachment.filename == "uitnodiging.ics"
    assert attachment.content_type == "text/calendar; method=REQUEST; charset=UTF-8"
    parsed, event = only_event(attachment.content)
    assert parsed["METHOD"] == "REQUEST"
    assert event["UID"] == "weerbaar-booking-WB-ZEIST1@weerbaar"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == STARTS_AT
    assert event.decoded("DTEND") == STARTS_AT + timedelta(hours=2, minutes=30)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTSTAMP") == clock.now().replace(microsecond=0)
    assert event["SUMMARY"] == "Raadsbrede sessie – Gemeente Zeist"
    assert event["LOCATION"] == "Raadhuis, Markt 1; 3701 AB Zeist"
    assert "Petra de Griffier, 06 12 34 56 78" in event["DESCRIPTION"]
    assert "070 - 37 38 314" in event["DESCRIPTION"]
    assert event["STATUS"] == "CONFIRMED"
    assert event["ORGANIZER"] == "mailto:team@weerbaar.example"
    assert event["ORGANIZER"].params["CN"] == "Ondersteuningsteam"
    assert [str(a) for a in event.attendees] == ["mailto:griffie@zeist.nl", "mailto:trainer@example.org"]
    assert event.attendees[0].params["CN"] == "Petra de Griffier"
    assert "CN" not in event.attendees[1].params


def event_of(booking: Booking, method: str, sequence: int, attendees: list[str]) -> Attachment:
    return calendar.booking_event(
        booking,
        method=method,
        sequence=sequence,
        organizer=Party("t@x.nl"),
        attendees=[Party(a) for a in attendees],
    )


async def test_a_rescheduled_session_keeps_its_uid_with_a_higher_sequence_and_then_a_cancel() -> None:
    booking = await zeist_booking()
    first = event_of(booking, "REQUEST", 0, ["a@x.nl"])

    # What the service does when rescheduling, then cancelling:
    booking.starts_at = STARTS_AT + timedelta(days=7)
    booking.ends_at = booking.starts_at + timedelta(hours=2)
    booking.status = BookingStatus.SCHEDULED
    moved = event_of(booking, "REQUEST", 1, ["a@x.nl"])
    booking.status = BookingStatus.CANCELLED
    cancelled = event_of(booking, "CANCEL", 2, ["a@x.nl"])

    events = [only_event(a.content)[1] for a in (first, moved, cancelled)]
    assert len({e["UID"] for e in events}) == 1
    assert [e["SEQUENCE"] for e in events] == [0, 1, 2]
    assert [e["STATUS"] for e in events] == ["CONFIRMED", "TENTATIVE", "CANCELLED"]
    assert events[1].decoded("DTSTART") == STARTS_AT + timedelta(days=7)
    assert cancelled.content_type == "text/calendar; method=CANCEL; charset=UTF-8"
    assert cancelled.filename == "annulering.ics"
    parsed, event = only_event(cancelled.content)
    assert parsed["METHOD"] == "CANCEL"
    assert str(event["SUMMARY"]).startswith("Geannuleerd: ")
    assert [str(a) for a in event.attendees] == ["mailto:a@x.nl"]


async def test_taking_someone_off_a_session_that_goes_on_cancels_it_for_them_only() -> None:
    booking = await zeist_booking()
    _, event = only_event(event_of(booking, "CANCEL", 3, ["trainer@x.nl"]).content)
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 3
    assert event["SUMMARY"] == "Raadsbrede sessie – Gemeente Zeist"  # the session itself goes on
    assert [str(a) for a in event.attendees] == ["mailto:trainer@x.nl"]


async def test_an_invitation_needs_a_date_and_a_known_method() -> None:
    booking = await zeist_booking(starts_at=None, ends_at=None, status=BookingStatus.REQUESTED)
    with pytest.raises(ValueError):
        event_of(booking, "REQUEST", 0, [])
    dated = await zeist_booking(reference="WB-ZEIST2")
    with pytest.raises(ValueError):
        event_of(dated, "PUBLISH", 0, [])
    with pytest.raises(ValueError):
        event_of(dated, "REQUEST", 0, ["a@x.nl\r\nX-EVIL:1"])


async def test_without_an_end_the_session_lasts_the_offerings_duration() -> None:
    booking = await zeist_booking(ends_at=None)
    _, event = only_event(event_of(booking, "REQUEST", 0, []).content)
    assert event.decoded("DTEND") == STARTS_AT + timedelta(minutes=booking.offering.duration_minutes)


async def test_the_invitation_travels_as_the_last_alternative_of_a_mail_with_a_copy_attached() -> None:
    """Outlook acts on a calendar part only inline, as the last part of multipart/alternative, with a
    method parameter that equals the METHOD inside; an attached one is just a file to it."""
    booking = await zeist_booking()
    attachment = event_of(booking, "REQUEST", 0, ["griffie@zeist.nl"])
    message = OutboxMessage(
        to_address="griffie@zeist.nl", subject="Uitnodiging", body_text="t", body_html="h"
    )
    message.message_id = "<m@weerbaar>"
    email = build_email(message, "Weerbaar <noreply@weerbaar.example>", [attachment])  # type: ignore[list-item]
    parsed = message_from_bytes(email.as_bytes(), policy=policy.default)

    assert parsed.get_content_type() == "multipart/mixed"
    alternative, copy = parsed.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    inline = alternative.get_payload()[-1]
    assert inline.get_content_disposition() is None
    assert inline.get_param("method") == "REQUEST" and inline.get_content_charset() == "utf-8"
    assert b"\r\nMETHOD:REQUEST\r\n" in inline.get_payload(decode=True)  # CRLF kept
    assert only_event(inline.get_payload(decode=True))[1]["UID"] == calendar.booking_uid(booking)
    assert copy.get_content_type() == "application/ics"
    assert copy.get_content_disposition() == "attachment" and copy.get_filename() == "uitnodiging.ics"
    assert copy.get_payload(decode=True) == attachment.content


async def test_a_feed_lists_sessions_and_marks_cancelled_ones() -> None:
    organisation = await make_organisation(name="Gemeente Zeist")
    confirmed = await zeist_booking(reference="WB-A", organisation=organisation, calendar_sequence=3)
    cancelled = await zeist_booking(
        reference="WB-B",
        organisation=organisation,
        status=BookingStatus.CANCELLED,
        starts_at=STARTS_AT + timedelta(days=1),
        ends_at=STARTS_AT + timedelta(days=1, hours=2),
    )
    scheduled = await zeist_booking(
        reference="WB-C", organisation=organisation, status=BookingStatus.SCHEDULED
    )
    undated = await zeist_booking(
        reference="WB-D",
        organisation=organisation,
        starts_at=None,
        ends_at=None,
        status=BookingStatus.REQUESTED,
    )

    parsed, events = parse(calendar.feed([confirmed, cancelled, scheduled, undated], name="Weerbaar – Petra"))
    assert parsed["METHOD"] == "PUBLISH"
    assert parsed["X-WR-CALNAME"] == "Weerbaar – Petra"
    by_uid = {str(e["UID"]): e for e in events}
    assert set(by_uid) == {calendar.booking_uid(b) for b in (confirmed, cancelled, scheduled)}
    assert by_uid[calendar.booking_uid(confirmed)]["SEQUENCE"] == 3
    assert by_uid[calendar.booking_uid(confirmed)]["STATUS"] == "CONFIRMED"
    assert by_uid[calendar.booking_uid(scheduled)]["STATUS"] == "TENTATIVE"
    assert by_uid[calendar.booking_uid(cancelled)]["STATUS"] == "CANCELLED"
    assert str(by_uid[calendar.booking_uid(cancelled)]["SUMMARY"]).startswith("Geannuleerd: ")
    assert by_uid[calendar.booking_uid(cancelled)].decoded("DTSTART") == STARTS_AT + timedelta(days=1)
    assert all("ORGANIZER" not in e and "ATTENDEE" not in e for e in events)


def test_an_empty_feed_is_a_valid_calendar() -> None:
    parsed, events = parse(calendar.feed([], name="Weerbaar"))
    assert parsed["METHOD"] == "PUBLISH" and events == []


def test_a_feed_asks_to_be_fetched_again_after_a_valid_duration() -> None:
    content = calendar.feed([], name="Weerbaar").decode()
    assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in content  # a DURATION, not '1:00:00'
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in content
