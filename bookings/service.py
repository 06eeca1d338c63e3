"""Making a booking: the rules a clerk's request must meet.

Rules enforced here:
- a clerk books only for their own organisation (NotFound otherwise);
- the rules of bookings/request_rules.py (lead time, public holidays, number of participants, the
  invoice address of a paid training, one free council-wide session per term unless a coordinator
  granted an exception with a reason), checked again in the transaction, the free session under a
  lock of the organisation; the purchase-order number may follow later.

What happens to a booking afterwards is in bookings/lifecycle.py.
"""

from __future__ import annotations

from datetime import date, datetime

from tortoise.transactions import in_transaction

from bookings import request_rules
from bookings.errors import BookingRuleBroken
from bookings.events import announce
from bookings.forms import BookingDraft
from bookings.models import (
    Booking,
    FreeSessionException,
    Offering,
    PreferredSlot,
    TourInvitation,
)
from bookings.notify import notify
from bookings.permissions import require_coordinator, require_own_organisation
from bookings.policy import BookingPolicy
from server import clock
from server.audit import record
from server.errors import ValidationFailed
from server.i18n import _
from server.mergers import ensure_open
from server.models import Organisation, User
from server.settings import Settings
from server.unique_codes import new_code, with_free_code


def _new_reference() -> str:
    return "WB-" + new_code()


async def _free_session_exception(
    organisation: Organisation, term_start: date
) -> FreeSessionException | None:
    """The granted exception this booking uses, if it needs one; BookingRuleBroken when the term's
    free session is taken (bookings/request_rules.py)."""
    if not await request_rules.free_sessions_in_term(organisation, term_start):
        return None
    if await request_rules.free_session_taken(organisation, term_start):
        raise BookingRuleBroken(request_rules.FREE_SESSION_TAKEN, field="offering")
    return await FreeSessionException.filter(
        organisation=organisation, term_start=term_start, used_by_id__isnull=True
    ).first()


def check_draft(draft: BookingDraft, offering: Offering, policy: BookingPolicy, now: datetime) -> None:
    """Every rule of bookings/request_rules.py that needs no database; ValidationFailed names each field."""
    errors = request_rules.check_answers(
        offering, draft.preferred, draft.expected_participants, draft.invoice_email, policy, now
    )
    if errors:
        raise ValidationFailed(errors)


async def create_booking(
    organisation: Organisation,
    draft: BookingDraft,
    *,
    actor: User,
    settings: Settings,
    now: datetime | None = None,
    offering: Offering | None = None,
) -> Booking:
    """A clerk (or a coordinator on their behalf) books an offering; raises ValidationFailed,
    BookingRuleBroken, NotFound, Forbidden, OrganisationEnded (merged into another by a preferred date).

    `offering` is the draft's offering when the caller has just read it (active): then it is not
    read again."""
    require_own_organisation(actor, organisation)
    policy = BookingPolicy.from_settings(settings)
    now = now or clock.now()
    await ensure_open(organisation, max([now, *draft.preferred.values()]))
    if offering is None or offering.id != draft.offering_id or not offering.is_active:
        offering = await Offering.get_or_none(id=draft.offering_id, is_active=True)
    if offering is None:
        raise ValidationFailed({"offering": _("Kies wat u wilt boeken.")})
    check_draft(draft, offering, policy, now)
    term_start = request_rules.free_session_term(organisation, offering, draft.preferred, policy)

    async def book() -> Booking:
        async with in_transaction():
            exception = None
            if term_start is not None:
                # Lock the organisation so two clerks booking a free session at once are checked one
                # after the other.
                await Organisation.select_for_update().get(id=organisation.id)
                exception = await _free_session_exception(organisation, term_start)
            booking = await Booking.create(
                reference=_new_reference(),
                organisation=organisation,
                offering=offering,
                requested_by=actor,
                local_situation=draft.local_situation,
                themes=draft.themes,
                expected_participants=draft.expected_participants,
                part_of_day=draft.part_of_day,
                location_address=draft.location_address,
                special_needs=draft.special_needs,
                contact_name=draft.contact_name,
                contact_phone=draft.contact_phone,
                contact_email=draft.contact_email,
                price_model=offering.price_model,
                unit_price_cents=offering.price_cents,
                vat_treatment=offering.vat_treatment,
                po_number=draft.po_number,
                invoice_email=draft.invoice_email if not offering.is_free else "",
                council_term_start=term_start,
            )
            preferred_starts = [draft.preferred[key] for key in sorted(draft.preferred)]
            await PreferredSlot.bulk_create(
                [
                    PreferredSlot(booking=booking, position=position, starts_at=starts_at)
                    for position, starts_at in enumerate(preferred_starts, start=1)
                ]
            )
            if exception:
                exception.used_by = booking
                await exception.save(update_fields=["used_by_id"])
            # The organisation's open tour invitation is answered by its first booking.
            await TourInvitation.filter(organisation_id=organisation.id, booked_at__isnull=True).update(
                booked_at=now, booking_id=booking.id
            )
            await record(actor, "booking_requested", booking, f"{offering.name} aangevraagd")
            await announce(booking, "requested")
            await notify(
                booking,
                "requested",
                settings,
                extra_staff=True,
                requester=actor,
                preferred_starts=preferred_starts,
            )
            return booking

    return await with_free_code(book, "booking", "reference")


async def grant_free_session_exception(
    organisation: Organisation, reason: str, *, actor: User, settings: Settings, now: datetime | None = None
) -> FreeSessionException:
    """A coordinator allows one more free council-wide session in the current term, with a reason."""
    require_coordinator(actor)
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise BookingRuleBroken(_("Geef een reden voor de uitzondering."), field="reason")
    term_start = BookingPolicy.from_settings(settings).term_start(
        organisation.kind, (now or clock.now()).date()
    )
    async with in_transaction():
        exception = await FreeSessionException.create(
            organisation=organisation, term_start=term_start, reason=reason, granted_by=actor
        )
        await record(actor, "free_session_exception_granted", organisation, reason)
    return exception
