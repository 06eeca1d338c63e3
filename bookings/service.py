"""The booking rules and the life of a booking.

requested -> scheduled (a coordinator fixed the date) -> confirmed (the trainers accepted)
-> delivered -> closed; requested, scheduled and confirmed can be cancelled. Each step is a named
function that refuses an illegal move (IllegalTransition), runs in one transaction, writes the audit
entry that the booking's timeline shows, and queues its mails (with an iCalendar file where the
calendar changes).

Rules enforced here:
- a clerk books only for their own organisation (NotFound otherwise);
- preferred dates lie at least the lead time ahead (3 weeks for sessions, 1 week for an intake);
- one free council-wide session per organisation per council term, unless a coordinator granted an
  exception (with a reason);
- paid trainings need an invoice e-mail address; the purchase-order number may follow later;
- cancelling a paid training costs what the cancellation policy says at that moment;
- an edit made from a page that is out of date is refused (EditConflict): `expected_version` is the
  booking's `updated_at` when the form was shown, and every change of a booking moves it on. Two
  people editing one booking: the first one wins, the second sees the booking as it is now.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from tortoise import timezone
from tortoise.transactions import in_transaction

from bookings import calendar, staffing
from bookings.errors import BookingRuleBroken, IllegalTransition
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
from bookings.policy import BookingPolicy
from bookings.pricing import Price, price_of
from server.audit import record
from server.errors import EditConflict, Forbidden, NotFound, ValidationFailed
from server.i18n import _
from server.mail import queue_mail
from server.models import Organisation, Role, User
from server.settings import Settings
from server.templating import format_local_datetime

REFERENCE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"


def _new_reference() -> str:
    return "WB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def booking_price(booking: Booking) -> Price:
    return price_of(
        booking.price_model,
        booking.unit_price_cents,
        booking.vat_treatment,
        booking.participants_count or booking.expected_participants,
    )


def _require_own_organisation(actor: User, organisation: Organisation) -> None:
    if actor.role is Role.CLERK and actor.organisation_id != organisation.id:  # type: ignore[attr-defined]
        raise NotFound()
    if actor.role not in (Role.CLERK, Role.COORDINATOR):
        raise Forbidden()


async def clerk_addresses(booking: Booking) -> list[str]:
    """Who hears about a booking: the clerk who made it, or else the organisation's active clerks."""
    if booking.requested_by_id:  # type: ignore[attr-defined]
        requester = await User.get_or_none(
            id=booking.requested_by_id,
            is_active=True,
            role=Role.CLERK,  # type: ignore[attr-defined]
            organisation_id=booking.organisation_id,  # type: ignore[attr-defined]
        )
        if requester:
            return [requester.email]
    return list(
        await User.filter(organisation_id=booking.organisation_id, role=Role.CLERK, is_active=True)  # type: ignore[attr-defined]
        .order_by("id")
        .values_list("email", flat=True)
    )


async def _coordinator_addresses() -> list[str]:
    return list(
        await User.filter(role=Role.COORDINATOR, is_active=True)
        .order_by("id")
        .values_list("email", flat=True)
    )


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
    """The lead-time rule for each preferred date, keyed by its form field."""
    errors: dict[str, str] = {}
    earliest = now + policy.lead_time(offering.stage)
    for position, starts_at in preferred.items():
        if starts_at < earliest:
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
    if offering.price_model is not PriceModel.FREE:
        email = draft.invoice_email
        if not email or "@" not in email or "." not in email.partition("@")[2]:
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
) -> Booking:
    """A clerk (or a coordinator on their behalf) books an offering; raises ValidationFailed,
    BookingRuleBroken, NotFound, Forbidden."""
    _require_own_organisation(actor, organisation)
    policy = BookingPolicy.from_settings(settings)
    now = now or timezone.now()
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
    async with in_transaction():
        # Lock the organisation so two clerks booking at once are checked one after the other.
        await Organisation.select_for_update().get(id=organisation.id)
        exception = (
            await _check_free_session_allowed(organisation, term_start) if term_start is not None else None
        )
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
            price_model=offering.price_model,
            unit_price_cents=offering.price_cents,
            vat_treatment=offering.vat_treatment,
            po_number=draft.po_number,
            invoice_email=draft.invoice_email if not offering.is_free else "",
            council_term_start=term_start,
        )
        for position, starts_at in enumerate(
            (draft.preferred[key] for key in sorted(draft.preferred)), start=1
        ):
            await PreferredSlot.create(booking=booking, position=position, starts_at=starts_at)
        if exception:
            exception.used_by = booking
            await exception.save(update_fields=["used_by_id"])
        await TourInvitation.filter(organisation=organisation, booked_at__isnull=True).update(
            booked_at=now, booking_id=booking.id
        )
        await record(actor, "booking_requested", booking, f"{offering.name} aangevraagd")
        await _notify(booking, "requested", settings, extra_staff=True)
    return booking


async def _notify(
    booking: Booking,
    event: str,
    settings: Settings,
    *,
    method: str | None = None,
    extra_staff: bool = False,
    trainers: Sequence[User] = (),
    **context: object,
) -> None:
    """Queue the mails for `event`: to the clerks, to `trainers` (template `<event>_trainer`), and with
    extra_staff to the coordinators. With `method`, the clerks and trainers get an iCalendar file."""
    await booking.fetch_related("organisation", "offering", "preferred_slots")
    clerks = await clerk_addresses(booking)
    page = f"{settings.base_url}/boekingen/{booking.reference}"
    attachments = []
    if method:
        attendees = [*clerks, *(trainer.email for trainer in trainers)]
        organizer = parseaddr(settings.mail_from)[1]
        attachments = [
            calendar.booking_event(booking, method=method, organizer_email=organizer, attendees=attendees)
        ]
    values = {"booking": booking, "price": booking_price(booking), "link": page, **context}
    for address in clerks:
        await queue_mail(address, f"bookings/{event}", values, attachments)
    for trainer in trainers:
        trainer_values = {
            **values,
            "trainer": trainer,
            "link": f"{settings.base_url}/trainer/sessies/{booking.reference}",
        }
        await queue_mail(trainer.email, f"bookings/{event}_trainer", trainer_values, attachments)
    if extra_staff:
        for address in await _coordinator_addresses():
            await queue_mail(address, f"bookings/{event}_staff", values)


async def _locked_booking(booking_id: int, expected_version: datetime | None = None) -> Booking:
    """The booking, locked until the transaction ends; EditConflict when it changed since
    `expected_version` (None: the caller does not say what it saw, e.g. the system)."""
    booking = await Booking.select_for_update().get_or_none(id=booking_id)
    if booking is None:
        raise NotFound()
    if expected_version is not None and booking.updated_at != expected_version:
        raise EditConflict(
            _(
                "Iemand anders heeft deze boeking gewijzigd (%(time)s) nadat u de pagina opende. Er is "
                "niets opgeslagen. Hieronder ziet u de boeking zoals die nu is; wat u invulde staat nog "
                "in het formulier. Verstuur het opnieuw als het nog klopt."
            )
            % {"time": format_local_datetime(booking.updated_at, "d MMMM 'om' HH:mm:ss")}
        )
    return booking


def _require_coordinator(actor: User) -> None:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()


async def _set_date(booking: Booking, starts_at: datetime) -> None:
    offering = await Offering.get(id=booking.offering_id)  # type: ignore[attr-defined]
    booking.starts_at = starts_at
    booking.ends_at = starts_at + timedelta(minutes=offering.duration_minutes)


async def schedule_booking(
    booking_id: int,
    starts_at: datetime,
    *,
    actor: User,
    settings: Settings,
    now: datetime | None = None,
    expected_version: datetime | None = None,
) -> Booking:
    """A coordinator fixes the date of a requested booking; the trainers are asked next.

    Raises Forbidden, BookingRuleBroken (a moment in the past), EditConflict, IllegalTransition.
    """
    _require_coordinator(actor)
    if starts_at <= (now or timezone.now()):
        raise BookingRuleBroken(_("Kies een moment in de toekomst."), field="date")
    async with in_transaction():
        booking = await _locked_booking(booking_id, expected_version)
        if booking.status is not BookingStatus.REQUESTED:
            raise IllegalTransition(_("Deze boeking heeft al een datum; verzet hem in plaats daarvan."))
        await _set_date(booking, starts_at)
        booking.status = BookingStatus.SCHEDULED
        await booking.save(update_fields=["starts_at", "ends_at", "status", "updated_at"])
        await record(actor, "booking_scheduled", booking, f"gepland op {starts_at.isoformat()}")
        await _notify(booking, "scheduled", settings)
    return booking


async def confirm_booking(booking_id: int, *, actor: User | None, settings: Settings) -> Booking:
    """Scheduled -> confirmed, when the trainers are in place; everyone gets the calendar invitation.

    `actor` None: the system (all required trainers accepted).
    """
    if actor is not None:
        _require_coordinator(actor)
    async with in_transaction():
        booking = await _locked_booking(booking_id)
        if not booking.can_confirm:
            raise IllegalTransition()
        booking.status = BookingStatus.CONFIRMED
        await booking.save(update_fields=["status", "updated_at"])
        await record(actor, "booking_confirmed", booking, "bevestigd")
        await _notify(
            booking,
            "confirmed",
            settings,
            method="REQUEST",
            trainers=await staffing.accepted_trainers(booking),
        )
    return booking


async def reschedule_booking(
    booking_id: int,
    starts_at: datetime,
    *,
    actor: User,
    settings: Settings,
    now: datetime | None = None,
    expected_version: datetime | None = None,
) -> Booking:
    """A clerk or coordinator moves a scheduled or confirmed booking; it needs the trainers' confirmation
    again, and every calendar gets the same event with a higher sequence number.

    A clerk keeps to the lead time; a coordinator may move a session at shorter notice.
    Raises NotFound, EditConflict, IllegalTransition, BookingRuleBroken.
    """
    now = now or timezone.now()
    policy = BookingPolicy.from_settings(settings)
    async with in_transaction():
        booking = await _locked_booking(booking_id, expected_version)
        await booking.fetch_related("organisation", "offering")
        _require_own_organisation(actor, booking.organisation)
        if booking.status not in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED):
            raise IllegalTransition()
        earliest = now + policy.lead_time(booking.offering.stage) if actor.role is Role.CLERK else now
        if starts_at <= earliest:
            raise BookingRuleBroken(
                _("Kies een datum die minstens %(days)s dagen vooruit ligt, of bel het team.")
                % {"days": policy.lead_time(booking.offering.stage).days}
                if actor.role is Role.CLERK
                else _("Kies een moment in de toekomst."),
                field="date",
            )
        previous = booking.starts_at
        await _set_date(booking, starts_at)
        booking.status = BookingStatus.SCHEDULED
        booking.calendar_sequence += 1
        await booking.save(
            update_fields=["starts_at", "ends_at", "status", "calendar_sequence", "updated_at"]
        )
        await staffing.move_requests(booking, settings, now)
        await record(
            actor,
            "booking_rescheduled",
            booking,
            f"verzet van {previous.isoformat() if previous else '-'} naar {starts_at.isoformat()}",
        )
        await _notify(booking, "rescheduled", settings, method="REQUEST", previous_start=previous)
    return booking


def cancellation_terms(booking: Booking, policy: BookingPolicy, now: datetime) -> tuple[int, int]:
    """(percentage, fee in cents excluding VAT) if the booking were cancelled now; free sessions cost 0."""
    if not booking.is_paid:
        return 0, 0
    percent = policy.cancellation_percent(booking.starts_at, now)
    return percent, booking_price(booking).net_cents * percent // 100


async def cancel_booking(
    booking_id: int,
    reason: str,
    *,
    actor: User,
    settings: Settings,
    now: datetime | None = None,
    expected_version: datetime | None = None,
) -> Booking:
    """A clerk (with a reason) or a coordinator cancels; a paid training records the fee due.

    A stale page (EditConflict) may have shown another fee, e.g. before the session was moved.
    """
    now = now or timezone.now()
    reason = reason.strip()
    if actor.role is Role.CLERK and not reason:
        raise BookingRuleBroken(_("Vertel ons kort waarom u annuleert."), field="reason")
    if len(reason) > 2000:
        raise BookingRuleBroken(_("Dit is te lang (maximaal 2000 tekens)."), field="reason")
    async with in_transaction():
        booking = await _locked_booking(booking_id, expected_version)
        await booking.fetch_related("organisation")
        _require_own_organisation(actor, booking.organisation)
        if not booking.can_cancel:
            raise IllegalTransition()
        percent, fee = cancellation_terms(booking, BookingPolicy.from_settings(settings), now)
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by = actor
        booking.cancellation_reason = reason
        booking.cancellation_fee_cents = fee
        had_date = booking.starts_at is not None
        trainers = await staffing.release_requests(booking)
        if had_date:
            booking.calendar_sequence += 1
        await booking.save(
            update_fields=[
                "status",
                "cancelled_at",
                "cancelled_by_id",
                "cancellation_reason",
                "cancellation_fee_cents",
                "calendar_sequence",
                "updated_at",
            ]
        )
        await record(actor, "booking_cancelled", booking, f"geannuleerd ({percent} % kosten): {reason}")
        await _notify(
            booking,
            "cancelled",
            settings,
            method="CANCEL" if had_date else None,
            trainers=trainers,
            fee_percent=percent,
        )
    return booking


async def mark_delivered(
    booking_id: int,
    participants: int,
    *,
    actor: User,
    now: datetime | None = None,
    expected_version: datetime | None = None,
) -> Booking:
    """A coordinator records that the session took place, with the number of participants."""
    _require_coordinator(actor)
    async with in_transaction():
        booking = await _locked_booking(booking_id, expected_version)
        if not booking.can_deliver:
            raise IllegalTransition()
        if booking.starts_at is None or booking.starts_at > (now or timezone.now()):
            raise IllegalTransition(_("De sessie is nog niet begonnen."))
        if participants < 1 or participants > 10_000:
            raise BookingRuleBroken(_("Vul het aantal deelnemers in."), field="participants")
        booking.status = BookingStatus.DELIVERED
        booking.delivered_at = now or timezone.now()
        booking.participants_count = participants
        await booking.save(update_fields=["status", "delivered_at", "participants_count", "updated_at"])
        await record(actor, "booking_delivered", booking, f"gegeven met {participants} deelnemers")
    return booking


async def close_booking(booking_id: int, *, actor: User) -> Booking:
    """A coordinator closes a delivered booking (feedback and invoicing done)."""
    _require_coordinator(actor)
    async with in_transaction():
        booking = await _locked_booking(booking_id)
        if not booking.can_close:
            raise IllegalTransition()
        booking.status = BookingStatus.CLOSED
        booking.closed_at = timezone.now()
        await booking.save(update_fields=["status", "closed_at", "updated_at"])
        await record(actor, "booking_closed", booking, "afgesloten")
    return booking


async def record_intake_outcome(
    booking_id: int,
    notes: str,
    next_step: str,
    *,
    actor: User,
    expected_version: datetime | None = None,
) -> Booking:
    """Confidential notes and the agreed next step of an intake; coordinators only.

    EditConflict when a colleague saved the notes since this form was shown: no overwriting unseen.
    """
    _require_coordinator(actor)
    async with in_transaction():
        booking = await _locked_booking(booking_id, expected_version)
        await booking.fetch_related("offering")
        if booking.offering.stage is not Stage.INTAKE:
            raise IllegalTransition(_("Een verslag hoort bij een intake."))
        if len(notes) > 20_000 or len(next_step) > 2000:
            raise BookingRuleBroken(_("Dit is te lang."), field="notes")
        booking.outcome_notes = notes.strip()
        booking.next_step = next_step.strip()
        await booking.save(update_fields=["outcome_notes", "next_step", "updated_at"])
        await record(actor, "intake_outcome_recorded", booking, "intakeverslag vastgelegd")
    return booking


async def update_purchase_order(
    booking_id: int,
    po_number: str,
    invoice_email: str,
    *,
    actor: User,
    expected_version: datetime | None = None,
) -> Booking:
    """The purchase-order number and invoice address of a paid training may be added or changed later.

    Raises ValidationFailed, NotFound, EditConflict, IllegalTransition.
    """
    po_number, invoice_email = po_number.strip(), invoice_email.strip().lower()
    errors = {}
    if len(po_number) > 100:
        errors["po_number"] = _("Dit is te lang (maximaal 100 tekens).")
    if not invoice_email or "@" not in invoice_email or "." not in invoice_email.partition("@")[2]:
        errors["invoice_email"] = _("Vul het e-mailadres in waar de factuur heen moet.")
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        booking = await _locked_booking(booking_id, expected_version)
        await booking.fetch_related("organisation")
        if actor.role is not Role.FINANCE:
            _require_own_organisation(actor, booking.organisation)
        if not booking.can_change_po_number:
            raise IllegalTransition()
        booking.po_number, booking.invoice_email = po_number, invoice_email
        await booking.save(update_fields=["po_number", "invoice_email", "updated_at"])
        await record(actor, "purchase_order_updated", booking, po_number or "(leeg)")
    return booking


async def grant_free_session_exception(
    organisation: Organisation, reason: str, *, actor: User, settings: Settings, now: datetime | None = None
) -> FreeSessionException:
    """A coordinator allows one more free council-wide session in the current term, with a reason."""
    _require_coordinator(actor)
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise BookingRuleBroken(_("Geef een reden voor de uitzondering."), field="reason")
    term_start = BookingPolicy.from_settings(settings).term_start(
        organisation.kind, (now or timezone.now()).date()
    )
    async with in_transaction():
        exception = await FreeSessionException.create(
            organisation=organisation, term_start=term_start, reason=reason, granted_by=actor
        )
        await record(actor, "free_session_exception_granted", organisation, reason)
    return exception
