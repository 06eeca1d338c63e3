"""Making a booking: the rules a clerk's request must meet.

Rules enforced here:
- a clerk books only for their own organisation (NotFound otherwise);
- preferred dates lie at least the lead time ahead (3 weeks for sessions, 1 week for an intake);
- one free council-wide session per organisation per council term, unless a coordinator granted an
  exception (with a reason);
- paid trainings need an invoice e-mail address; the purchase-order number may follow later.

What happens to a booking afterwards is in bookings/lifecycle.py.
"""

from __future__ import annotations

from datetime import date, datetime

from tortoise.transactions import in_transaction

from bookings.errors import BookingRuleBroken
from bookings.events import announce
from bookings.forms import BookingDraft
from bookings.models import (
    Booking,
    BookingStatus,
    FreeSessionException,
    Offering,
    PreferredSlot,
    PriceModel,
    Stage,
    TourInvitation,
)
from bookings.notify import notify
from bookings.permissions import require_coordinator, require_own_organisation
from bookings.policy import BookingPolicy
from bookings.public_holidays import holiday_at
from server import clock
from server.audit import record
from server.errors import ValidationFailed
from server.i18n import _
from server.mergers import ensure_open
from server.models import Organisation, User
from server.settings import Settings
from server.templating import format_local_datetime
from server.unique_codes import new_code, with_free_code


def _new_reference() -> str:
    return "WB-" + new_code()


async def _check_free_session_allowed(
    organisation: Organisation, term_start: date
) -> FreeSessionException | None:
    """One free council-wide session per term, plus one for each exception a coordinator granted.

    Returns the exception this booking uses, if it needs one.
    """
    taken = (
        await Booking.filter(
            organisation=organisation,
            offering__stage=Stage.COUNCIL_SESSION,
            price_model=PriceModel.FREE,
            council_term_start=term_start,
        )
        .exclude(status=BookingStatus.CANCELLED)
        .count()
    )
    if taken == 0:
        return None
    exceptions = await FreeSessionException.filter(organisation=organisation, term_start=term_start).count()
    if taken >= 1 + exceptions:
        raise BookingRuleBroken(
            _(
                "Uw organisatie heeft in deze raadsperiode al een gratis raadsbrede sessie. "
                "Wilt u er nog een? Neem contact op met het team; een vervolgtraining kan altijd."
            ),
            field="offering",
        )
    return await FreeSessionException.filter(
        organisation=organisation, term_start=term_start, used_by_id__isnull=True
    ).first()


def check_preferred(
    offering: Offering, preferred: dict[int, datetime], policy: BookingPolicy, now: datetime
) -> dict[str, str]:
    """The lead-time and public-holiday rules for each preferred date, keyed by its form field."""
    errors: dict[str, str] = {}
    earliest = now + policy.lead_time(offering.stage)
    for position, starts_at in preferred.items():
        holiday = holiday_at(starts_at)
        if holiday:
            errors[f"date_{position}"] = _(
                "Op %(day)s is het een feestdag (%(holiday)s); dan geven wij geen sessies. Kies een "
                "andere datum."
            ) % {"day": format_local_datetime(starts_at, "d MMMM yyyy"), "holiday": holiday}
        elif starts_at < earliest:
            days = policy.lead_time(offering.stage).days
            errors[f"date_{position}"] = _(
                "Kies een datum die minstens %(days)s dagen vooruit ligt; wij hebben die tijd nodig "
                "om trainers te vinden en de sessie voor te bereiden."
            ) % {"days": days}
    return errors


def _check_draft(draft: BookingDraft, offering: Offering, policy: BookingPolicy, now: datetime) -> None:
    errors = check_preferred(offering, draft.preferred, policy, now)
    if offering.max_participants and draft.expected_participants > offering.max_participants:
        errors["expected_participants"] = _("Dit aanbod is voor hoogstens %(max)s deelnemers.") % {
            "max": offering.max_participants
        }
    if offering.price_model is not PriceModel.FREE and not draft.invoice_email:  # shape: bookings.forms
        errors["invoice_email"] = _("Vul het e-mailadres in waar de factuur heen moet.")
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
    _check_draft(draft, offering, policy, now)
    is_free_session = offering.stage is Stage.COUNCIL_SESSION and offering.is_free
    term_start = (
        policy.term_start(organisation.kind, draft.preferred[min(draft.preferred)].date())
        if is_free_session
        else None
    )

    async def book() -> Booking:
        async with in_transaction():
            exception = None
            if term_start is not None:
                # Lock the organisation so two clerks booking a free session at once are checked one
                # after the other.
                await Organisation.select_for_update().get(id=organisation.id)
                exception = await _check_free_session_allowed(organisation, term_start)
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
