"""The life of a booking after it was made.

requested -> scheduled (a coordinator fixed the date) -> confirmed (the trainers accepted)
-> delivered -> closed; requested, scheduled and confirmed can be cancelled. Each step is a named
function that refuses an illegal move (IllegalTransition), runs in one transaction, writes the audit
entry that the booking's timeline shows, and queues its mails (bookings/notify.py).

Rules enforced here:
- cancelling a paid training costs what the cancellation policy says at that moment;
- an edit made from a page that is out of date is refused (EditConflict): `expected_version` is the
  booking's `updated_at` when the form was shown, and every change of a booking moves it on. Two
  people editing one booking: the first one wins, the second sees the booking as it is now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from bookings import invitations, staffing
from bookings.errors import BookingRuleBroken, IllegalTransition
from bookings.events import announce
from bookings.models import (
    Booking,
    BookingStatus,
    Stage,
)
from bookings.notify import notify
from bookings.permissions import require_coordinator, require_own_organisation
from bookings.policy import BookingPolicy
from bookings.pricing import booking_price
from bookings.public_holidays import holiday_at
from server import clock
from server.audit import record
from server.errors import EditConflict, NotFound, ValidationFailed
from server.forms import parse_email, single_line_errors
from server.i18n import _
from server.models import Role, User
from server.settings import Settings
from server.templating import format_local_datetime


async def locked_booking(booking_id: int, expected_version: datetime | None = None) -> Booking:
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


async def _set_date(booking: Booking, starts_at: datetime) -> None:
    """Set the start and, from the offering's duration, the end (the offering stays loaded)."""
    await booking.fetch_related("offering")
    booking.starts_at = starts_at
    booking.ends_at = starts_at + timedelta(minutes=booking.offering.duration_minutes)


def _check_holiday(starts_at: datetime, actor: User, allow_holiday: bool) -> None:
    """Refuse a public holiday, unless a coordinator ticked "Toch op deze feestdag"."""
    name = holiday_at(starts_at)
    if not name or (allow_holiday and actor.role is Role.COORDINATOR):
        return
    values = {"day": format_local_datetime(starts_at, "EEEE d MMMM yyyy"), "holiday": name}
    if actor.role is Role.COORDINATOR:
        message = _(
            "%(day)s is een feestdag (%(holiday)s). Kies een andere dag, of vink ‘Toch op deze feestdag’ aan."
        )
    else:
        message = _("%(day)s is een feestdag (%(holiday)s). Kies een andere dag.")
    raise BookingRuleBroken(message % values, field="date")


async def schedule_booking(
    booking_id: int,
    starts_at: datetime,
    *,
    actor: User,
    settings: Settings,
    now: datetime | None = None,
    expected_version: datetime | None = None,
    allow_holiday: bool = False,
) -> Booking:
    """A coordinator fixes the date of a requested booking; the trainers are asked next
    (bookings/scheduling.py).

    Raises Forbidden, BookingRuleBroken (a moment in the past, a public holiday without
    `allow_holiday`), EditConflict, IllegalTransition.
    """
    require_coordinator(actor)
    if starts_at <= (now or clock.now()):
        raise BookingRuleBroken(_("Kies een moment in de toekomst."), field="date")
    _check_holiday(starts_at, actor, allow_holiday)
    async with in_transaction():
        booking = await locked_booking(booking_id, expected_version)
        if booking.status is not BookingStatus.REQUESTED:
            raise IllegalTransition(_("Deze boeking heeft al een datum; verzet hem in plaats daarvan."))
        await _set_date(booking, starts_at)
        booking.status = BookingStatus.SCHEDULED
        await booking.save(update_fields=["starts_at", "ends_at", "status", "updated_at"])
        await record(actor, "booking_scheduled", booking, f"gepland op {format_local_datetime(starts_at)}")
        await announce(booking, "scheduled")
        await notify(booking, "scheduled", settings)
    return booking


async def confirm_booking(booking_id: int, *, actor: User | None, settings: Settings) -> Booking:
    """Scheduled -> confirmed, when the trainers are in place; everyone gets the calendar invitation.

    `actor` None: the system (all required trainers accepted).
    """
    if actor is not None:
        require_coordinator(actor)
    async with in_transaction():
        booking = await locked_booking(booking_id)
        if not booking.can_confirm:
            raise IllegalTransition()
        booking.status = BookingStatus.CONFIRMED
        await booking.save(update_fields=["status", "updated_at"])
        await record(actor, "booking_confirmed", booking, "bevestigd")
        await announce(booking, "confirmed")
        await notify(
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
    allow_holiday: bool = False,
) -> Booking:
    """A clerk or coordinator moves a scheduled or confirmed booking; it needs the trainers' confirmation
    again, and the clerks, the contact on the day and every trainer whose calendar holds the session
    get the same event with a higher sequence number (a trainer's comes with the new request).

    A clerk keeps to the lead time; a coordinator may move a session at shorter notice. Nobody moves
    it onto a public holiday, except a coordinator with `allow_holiday`.
    Raises NotFound, EditConflict, IllegalTransition, BookingRuleBroken.
    """
    now = now or clock.now()
    policy = BookingPolicy.from_settings(settings)
    async with in_transaction():
        booking = await locked_booking(booking_id, expected_version)
        await booking.fetch_related("organisation", "offering")
        require_own_organisation(actor, booking.organisation)
        _check_holiday(starts_at, actor, allow_holiday)
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
        moved = await staffing.move_requests(booking, settings, now)
        await record(
            actor,
            "booking_rescheduled",
            booking,
            f"verzet van {previous.isoformat() if previous else '-'} naar {starts_at.isoformat()}",
        )
        await announce(booking, "rescheduled")
        in_calendar = await invitations.holders(booking)
        parts = await notify(
            booking,
            "rescheduled",
            settings,
            method="REQUEST",
            also_in_calendar=[
                r.trainer.email for r, _token in moved if r.trainer.email.lower() in in_calendar
            ],
            previous_start=previous,
        )
        for request, token in moved:
            part = parts.get(request.trainer.email.lower())
            await staffing.queue_request_mail(
                request, token, settings, again=True, attachments=[part] if part else []
            )
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
    now = now or clock.now()
    reason = reason.strip()
    if actor.role is Role.CLERK and not reason:
        raise BookingRuleBroken(_("Vertel ons kort waarom u annuleert."), field="reason")
    if len(reason) > 2000:
        raise BookingRuleBroken(_("Dit is te lang (maximaal 2000 tekens)."), field="reason")
    async with in_transaction():
        booking = await locked_booking(booking_id, expected_version)
        await booking.fetch_related("organisation")
        require_own_organisation(actor, booking.organisation)
        if not booking.can_cancel:
            raise IllegalTransition()
        percent, fee = cancellation_terms(booking, BookingPolicy.from_settings(settings), now)
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by = actor
        booking.cancellation_reason = reason
        booking.cancellation_fee_cents = fee
        had_date = booking.starts_at is not None
        trainers = await staffing.release_requests(booking, await invitations.holders(booking))
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
        await announce(booking, "cancelled")
        await notify(
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
    require_coordinator(actor)
    async with in_transaction():
        booking = await locked_booking(booking_id, expected_version)
        if not booking.can_deliver:
            raise IllegalTransition()
        if booking.starts_at is None or booking.starts_at > (now or clock.now()):
            raise IllegalTransition(_("De sessie is nog niet begonnen."))
        if participants < 1 or participants > 10_000:
            raise BookingRuleBroken(_("Vul het aantal deelnemers in."), field="participants")
        booking.status = BookingStatus.DELIVERED
        booking.delivered_at = now or clock.now()
        booking.participants_count = participants
        await booking.save(update_fields=["status", "delivered_at", "participants_count", "updated_at"])
        await record(actor, "booking_delivered", booking, f"gegeven met {participants} deelnemers")
    return booking


async def close_booking(booking_id: int, *, actor: User) -> Booking:
    """A coordinator closes a delivered booking (feedback and invoicing done)."""
    require_coordinator(actor)
    async with in_transaction():
        booking = await locked_booking(booking_id)
        if not booking.can_close:
            raise IllegalTransition()
        booking.status = BookingStatus.CLOSED
        booking.closed_at = clock.now()
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
    require_coordinator(actor)
    async with in_transaction():
        booking = await locked_booking(booking_id, expected_version)
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
    errors = single_line_errors({"po_number": po_number}, "po_number")
    po_number, parsed_email = po_number.strip(), parse_email(invoice_email)
    if len(po_number) > 100:
        errors["po_number"] = _("Dit is te lang (maximaal 100 tekens).")
    if parsed_email is None:
        errors["invoice_email"] = _("Vul het e-mailadres in waar de factuur heen moet (één adres).")
    invoice_email = parsed_email or ""
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        booking = await locked_booking(booking_id, expected_version)
        await booking.fetch_related("organisation")
        if actor.role is not Role.FINANCE:
            require_own_organisation(actor, booking.organisation)
        if not booking.can_change_po_number:
            raise IllegalTransition()
        booking.po_number, booking.invoice_email = po_number, invoice_email
        await booking.save(update_fields=["po_number", "invoice_email", "updated_at"])
        await record(actor, "purchase_order_updated", booking, po_number or "(leeg)")
    return booking
