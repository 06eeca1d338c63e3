"""iCalendar files for booked sessions: an invitation or cancellation per mail, and personal feeds.

Every booking is one event with a stable UID (`weerbaar-booking-<reference>@weerbaar`). In the
feeds its SEQUENCE is `booking.calendar_sequence`, which the service raises on every reschedule and
on cancelling; a mailed invitation carries the SEQUENCE its recipient is due (bookings/invitations.py),
so a calendar program replaces the event it already has instead of adding a second one.
Times are written in UTC; calendar programs show them in the reader's own time zone.

Feeds keep cancelled sessions (with STATUS:CANCELLED and 'Geannuleerd:' before the title) instead of
leaving them out: a subscriber then sees that the session was cancelled, rather than it silently
disappearing from their calendar. Programs that ignore STATUS still show the word in the title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vDuration

from bookings.models import Booking, BookingStatus
from server import clock
from server.i18n import _
from server.mail import Attachment

PRODID = "-//Ondersteuningsteam Weerbaar Bestuur//Weerbaar//NL"
TEAM_PHONE = "070 - 37 38 314"
METHODS = ("REQUEST", "CANCEL")
#: How often a subscribed calendar should fetch the feed again (a hint; Google decides for itself).
FEED_REFRESH = timedelta(hours=1)

_FEED_STATUS = {
    BookingStatus.REQUESTED: "TENTATIVE",
    BookingStatus.SCHEDULED: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.DELIVERED: "CONFIRMED",
    BookingStatus.CLOSED: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
}


def booking_uid(booking: Booking) -> str:
    return f"weerbaar-booking-{booking.reference}@weerbaar"


def _summary(booking: Booking, *, is_cancelled: bool) -> str:
    summary = f"{booking.offering.name} – {booking.organisation.name}"
    return _("Geannuleerd: %(summary)s") % {"summary": summary} if is_cancelled else summary


def _description(booking: Booking) -> str:
    return "\n".join(
        [
            _("Contactpersoon op de dag: %(name)s, %(phone)s")
            % {"name": booking.contact_name, "phone": booking.contact_phone},
            _("Ondersteuningsteam Weerbaar Bestuur, 24/7 bereikbaar: %(phone)s") % {"phone": TEAM_PHONE},
            _("Bij direct gevaar: bel 112."),
            _("Referentie: %(reference)s") % {"reference": booking.reference},
        ]
    )


def _event(booking: Booking, *, status: str, stamp: datetime, sequence: int) -> Event:
    """The event's own properties; the caller adds ORGANIZER and ATTENDEEs where they belong."""
    if booking.starts_at is None:
        raise ValueError(f"booking {booking.reference} has no date")
    starts_at = booking.starts_at.astimezone(UTC)
    ends_at = (
        booking.ends_at.astimezone(UTC)
        if booking.ends_at is not None
        else starts_at + timedelta(minutes=booking.offering.duration_minutes)
    )
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", _summary(booking, is_cancelled=booking.status is BookingStatus.CANCELLED))
    event.add("location", booking.location_address)
    event.add("description", _description(booking))
    event.add("status", status)
    return event


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


@dataclass(frozen=True)
class Party:
    """Someone on an invitation: the organizer (the team) or an attendee."""

    email: str
    name: str = ""

    def address(self, **params: str) -> vCalAddress:
        address = vCalAddress(f"mailto:{self.email}")
        if self.name:
            address.params["CN"] = self.name
        address.params.update(params)
        return address


def booking_event(
    booking: Booking, *, method: str, sequence: int, organizer: Party, attendees: Sequence[Party]
) -> Attachment:
    """An invitation or its update (METHOD REQUEST), or a cancellation (METHOD CANCEL), of one session
    for one recipient, who must be among `attendees` (calendar programs act only on their own part).

    A CANCEL of a session that still takes place takes only its attendees off it (RFC 5546, 3.2.5):
    it then names only them. `booking` needs `offering` and `organisation` fetched. Raises ValueError
    for a booking without a date, an unknown method, or an address with a line break in it.
    """
    if method not in METHODS:
        raise ValueError(f"unknown iCalendar method {method!r}")
    status = "CANCELLED" if method == "CANCEL" else _FEED_STATUS[booking.status]
    event = _event(booking, status=status, stamp=clock.now(), sequence=sequence)
    event.add("organizer", organizer.address())
    for attendee in attendees:
        event.add(
            "attendee",
            attendee.address(ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="FALSE"),
        )
    calendar = _calendar(method)
    calendar.add_component(event)
    return Attachment(
        filename="annulering.ics" if method == "CANCEL" else "uitnodiging.ics",
        content_type=f"text/calendar; method={method}; charset=UTF-8",
        content=calendar.to_ical(),
    )


def feed(bookings: Sequence[Booking], *, name: str) -> bytes:
    """A subscribable calendar (METHOD PUBLISH) with one event per booking that has a date.

    The bookings need `offering` and `organisation` fetched. Cancelled ones stay in, marked
    cancelled (see the module docstring); bookings without a date are left out.
    """
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))  # a DURATION (PT1H), not '1:00:00'
    stamp = clock.now()
    for booking in bookings:
        if booking.starts_at is None:
            continue
        event = _event(
            booking, status=_FEED_STATUS[booking.status], stamp=stamp, sequence=booking.calendar_sequence
        )
        event.add("last-modified", booking.updated_at.astimezone(UTC))
        calendar.add_component(event)
    return calendar.to_ical()
