"""Calendar invitations by mail (iMIP, RFC 6047): which calendars hold a session, and what each is sent.

Rules:
- Every party on a confirmed booking gets a REQUEST: the clerk(s), the contact on the day when an
  address was given for them, each accepted trainer. A change of time or place sends an updated
  REQUEST to every calendar that holds the session; a cancellation sends a CANCEL to each of them,
  and a trainer taken off the session (withdrawn, declined or not answering after a move) gets a
  CANCEL of their own.
- One event per session: the UID stays (bookings.calendar.booking_uid).
- Each message to an address carries a SEQUENCE above the last one sent there and never below the
  booking's `calendar_sequence` (CalendarInvitation keeps the last one per address), so every
  calendar program applies it as the newest version, whoever joined or left in between.
- A CANCEL goes only to an address whose calendar holds the session: a cancellation of something
  never received would only confuse.
- The recipient is always among the ATTENDEEs (Outlook acts only on its own attendee); the
  ORGANIZER is the team's sending address.

Call these inside the transaction of the change, with the booking locked: the records and the mails
commit (or not) together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from email.utils import parseaddr

from bookings import calendar
from bookings.calendar import Party
from bookings.models import Booking, CalendarInvitation
from server import clock
from server.i18n import use_language
from server.mail import Attachment
from server.models import User
from server.settings import Settings

TEAM_NAME = "Ondersteuningsteam Weerbaar Bestuur"


def organizer(settings: Settings) -> Party:
    name, address = parseaddr(settings.mail_from)
    return Party(address, name or TEAM_NAME)


def contact_address(booking: Booking) -> str | None:
    """The contact on the day's address, when the clerk gave one (they then want the invitation)."""
    return booking.contact_email.strip().lower() or None


async def holders(booking: Booking) -> set[str]:
    """The addresses whose calendar holds the session (invited and not cancelled since)."""
    return set(
        await CalendarInvitation.filter(booking_id=booking.id, is_cancelled=False).values_list(
            "address", flat=True
        )
    )


async def _people(booking: Booking, addresses: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The name and the language of each address, by address: an account's own, the contact on the
    day's as the clerk gave it (their invitation is in Dutch, as is every mail without an account)."""
    names: dict[str, str] = {}
    languages: dict[str, str] = {}
    rows = await User.filter(email__in=list(addresses)).values_list("email", "name", "language")
    for email, name, language in rows:
        names[email.lower()] = name
        languages[email.lower()] = language
    contact = contact_address(booking)
    if contact and contact not in names:
        names[contact] = booking.contact_name
    return names, languages


def _unique(addresses: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(address.lower() for address in addresses if address))


async def _record(booking: Booking, addresses: Sequence[str], *, is_cancelled: bool) -> dict[str, int]:
    """Raise each address's SEQUENCE (see the module docstring) and store it; the new one per address."""
    known = {
        row.address: row
        for row in await CalendarInvitation.filter(booking_id=booking.id, address__in=list(addresses))
    }
    now = clock.now()
    sequences: dict[str, int] = {}
    for address in addresses:
        row = known.get(address)
        if row is None:
            row = CalendarInvitation(
                booking_id=booking.id, address=address, sequence=booking.calendar_sequence
            )
        else:
            row.sequence = max(booking.calendar_sequence, row.sequence + 1)
        row.is_cancelled = is_cancelled
        row.sent_at = now
        await row.save()
        sequences[address] = row.sequence
    return sequences


async def request_parts(
    booking: Booking, recipients: Iterable[str], settings: Settings
) -> dict[str, Attachment]:
    """A REQUEST (new or updated) for each recipient, by address; all of them are attendees, with
    whoever else holds the session. `booking` needs `offering` and `organisation` fetched."""
    addresses = _unique(recipients)
    if not addresses:
        return {}
    attendees = _unique([*addresses, *sorted(await holders(booking))])
    names, languages = await _people(booking, attendees)
    parties = [Party(address, names.get(address, "")) for address in attendees]
    sequences = await _record(booking, addresses, is_cancelled=False)
    parts = {}
    for address in addresses:
        with use_language(languages.get(address)):
            parts[address] = calendar.booking_event(
                booking,
                method="REQUEST",
                sequence=sequences[address],
                organizer=organizer(settings),
                attendees=parties,
            )
    return parts


async def cancel_parts(
    booking: Booking, recipients: Iterable[str], settings: Settings, *, whole_session: bool
) -> dict[str, Attachment]:
    """A CANCEL for each recipient whose calendar holds the session, by address.

    `whole_session`: the session is cancelled and the CANCEL names everyone it goes to; otherwise
    the recipients are taken off a session that goes on, and each CANCEL names only its recipient
    (RFC 5546, 3.2.5). `booking` needs `offering` and `organisation` fetched.
    """
    held = await holders(booking)
    addresses = [address for address in _unique(recipients) if address in held]
    if not addresses:
        return {}
    names, languages = await _people(booking, addresses)
    sequences = await _record(booking, addresses, is_cancelled=True)
    everyone = [Party(address, names.get(address, "")) for address in addresses]
    parts = {}
    for party in everyone:
        with use_language(languages.get(party.email)):
            parts[party.email] = calendar.booking_event(
                booking,
                method="CANCEL",
                sequence=sequences[party.email],
                organizer=organizer(settings),
                attendees=everyone if whole_session else [party],
            )
    return parts
