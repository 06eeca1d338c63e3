"""Changing a request while it is requested (aangevraagd): the answers, the preferred dates, the
contact on the day and, for a paid training, the invoice details.

Rules enforced here:
- only the clerks of the booking's organisation and coordinators (NotFound for another organisation,
  Forbidden for other roles), as for making a booking;
- only while the booking is requested: once the team fixed a date, a change of date goes through
  rescheduling (bookings/lifecycle.py) and this refuses with IllegalTransition (409);
- the same checks as a new request (bookings/request_rules.py); the offering stays what was booked;
  a free council-wide session whose first preferred date moves into another council term is checked
  against that term's free session, under a lock of the organisation as when booking;
- an edit from a page that is out of date is refused (EditConflict, as in lifecycle.py);
- one transaction; the audit entry `booking_request_changed` names what changed and is shown on the
  booking's timeline, and the coordinators (but the one who made the change) get a mail with the
  preferred dates as they are now. Nothing changed: nothing is written.
"""

from __future__ import annotations

from datetime import date, datetime

from tortoise.transactions import in_transaction

from bookings import request_rules
from bookings.errors import BookingRuleBroken, IllegalTransition
from bookings.forms import BOOKING_FIELDS, BookingDraft
from bookings.lifecycle import locked_booking
from bookings.models import Booking, BookingStatus, PreferredSlot
from bookings.notify import coordinator_addresses
from bookings.permissions import require_own_organisation
from bookings.policy import BookingPolicy
from bookings.service import check_draft
from server import clock
from server.audit import record
from server.errors import ValidationFailed
from server.i18n import _, lazy_gettext
from server.mail import compose_mails, store_mails
from server.mergers import ensure_open
from server.models import Organisation, User
from server.settings import Settings
from server.templating import format_local_datetime

TOO_LATE = lazy_gettext(
    "Het team heeft de datum van deze boeking al vastgelegd; de aanvraag kan niet meer gewijzigd "
    "worden. Een andere datum geeft u door met Verzetten op de pagina van de boeking; voor iets anders "
    "neemt u contact op met het team."
)

#: The booking's fields a change may touch, with the words the audit entry uses for them.
CHANGEABLE: dict[str, str] = {
    "local_situation": "wat er speelt",
    "themes": "thema's",
    "expected_participants": "aantal deelnemers",
    "part_of_day": "dagdeel",
    "location_address": "locatie",
    "special_needs": "toegankelijkheid en veiligheid",
    "contact_name": "contactpersoon op de dag",
    "contact_phone": "telefoonnummer van de contactpersoon",
    "contact_email": "e-mailadres van de contactpersoon",
    "po_number": "inkoopordernummer",
    "invoice_email": "e-mailadres voor de factuur",
}
PREFERRED = "voorkeursdata"


def form_values(booking: Booking) -> dict[str, str]:
    """The request's current answers as the form shows them (preferred dates in Amsterdam time).
    Needs the booking's preferred slots fetched."""
    values = dict.fromkeys(BOOKING_FIELDS, "")
    values.update(
        {name: str(getattr(booking, name) or "") for name in CHANGEABLE if name != "themes"},
        offering=str(booking.offering_id),  # type: ignore[attr-defined]
        part_of_day=str(booking.part_of_day),
    )
    for slot in sorted(booking.preferred_slots, key=lambda s: s.position):
        values[f"date_{slot.position}"] = format_local_datetime(slot.starts_at, "yyyy-MM-dd")
        values[f"time_{slot.position}"] = format_local_datetime(slot.starts_at, "HH:mm")
    return values


def ensure_changeable(booking: Booking) -> None:
    """IllegalTransition (409) unless the booking is still a request."""
    if booking.status is not BookingStatus.REQUESTED:
        raise IllegalTransition(TOO_LATE)


async def change_request(
    booking_id: int,
    draft: BookingDraft,
    *,
    actor: User,
    settings: Settings,
    now: datetime | None = None,
    expected_version: datetime | None = None,
) -> Booking:
    """The clerk (or a coordinator) changes a requested booking's answers; see the module's rules.

    Raises NotFound, Forbidden, IllegalTransition, EditConflict, ValidationFailed, BookingRuleBroken
    (the free session of the new term is taken), OrganisationEnded."""
    policy = BookingPolicy.from_settings(settings)
    now = now or clock.now()
    async with in_transaction():
        booking = await locked_booking(booking_id, expected_version)
        await booking.fetch_related("organisation", "offering", "preferred_slots")
        organisation: Organisation = booking.organisation
        require_own_organisation(actor, organisation)
        ensure_changeable(booking)
        if draft.offering_id != booking.offering.id:
            raise ValidationFailed({"offering": _("Het aanbod van een aanvraag verandert niet.")})
        check_draft(draft, booking.offering, policy, now)
        await ensure_open(organisation, max([now, *draft.preferred.values()]))
        term_start = request_rules.free_session_term(organisation, booking.offering, draft.preferred, policy)
        if term_start is not None and term_start != booking.council_term_start:
            await Organisation.select_for_update().get(id=organisation.id)
            if await request_rules.free_session_taken(organisation, term_start, other_than=booking.id):
                raise BookingRuleBroken(request_rules.FREE_SESSION_TAKEN, field="offering")
        changed = await _apply(booking, draft, term_start)
        if changed:
            await record(actor, "booking_request_changed", booking, "gewijzigd: " + ", ".join(changed))
            await _tell_coordinators(booking, draft, actor, settings)
    return booking


async def _tell_coordinators(booking: Booking, draft: BookingDraft, actor: User, settings: Settings) -> None:
    """The other coordinators hear of the change: they may be about to fix a date from the old wishes."""
    addresses = [a for a in await coordinator_addresses() if a.lower() != actor.email.lower()]
    values = {
        "booking": booking,
        "actor_name": actor.name,
        "preferred_starts": [draft.preferred[key] for key in sorted(draft.preferred)],
        "link": f"{settings.base_url}/boekingen/{booking.reference}",
    }
    await store_mails(await compose_mails(addresses, "bookings/request_changed_staff", values))


async def _apply(booking: Booking, draft: BookingDraft, term_start: date | None) -> list[str]:
    """Write the draft onto the booking and its preferred dates; the words for what changed."""
    new = {name: getattr(draft, name) for name in CHANGEABLE}
    if booking.offering.is_free:
        new["invoice_email"] = ""
    changed = [words for name, words in CHANGEABLE.items() if getattr(booking, name) != new[name]]
    old_starts = [slot.starts_at for slot in sorted(booking.preferred_slots, key=lambda s: s.position)]
    new_starts = [draft.preferred[key] for key in sorted(draft.preferred)]
    if old_starts != new_starts:
        changed.append(PREFERRED)
        await PreferredSlot.filter(booking_id=booking.id).delete()
        await PreferredSlot.bulk_create(
            [
                PreferredSlot(booking=booking, position=position, starts_at=starts_at)
                for position, starts_at in enumerate(new_starts, start=1)
            ]
        )
    if not changed:
        return []
    for name, value in new.items():
        setattr(booking, name, value)
    booking.council_term_start = term_start
    await booking.save(update_fields=[*CHANGEABLE, "council_term_start", "updated_at"])
    return changed
