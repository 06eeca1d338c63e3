"""Demo of the calendar invitations: after `weerbaar demo` the outbox (/dev/mail) holds a confirmed
session's invitations, their update after the session moved, and a cancellation, made by the same
steps a coordinator takes (so the mails are exactly what users receive)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bookings import assignment, lifecycle
from bookings.models import Booking, BookingStatus, Offering, PartOfDay, TrainerKind
from bookings.staffing_models import AssignmentRequest, RequestStatus
from server import clock
from server.models import Organisation, User
from server.settings import Settings
from server.templating import AMSTERDAM

OFFERING = "Persoonlijke weerbaarheid"


def _at(days_ahead: int, hour: int, now: datetime) -> datetime:
    day = (now.astimezone(AMSTERDAM) + timedelta(days=days_ahead)).date()
    return datetime.combine(day, time(hour, 0), tzinfo=AMSTERDAM)


async def _confirmed_session(reference: str, starts_at: datetime, settings: Settings) -> Booking:
    """A scheduled session in Utrecht with the demo trainer accepted, then confirmed by the coordinator."""
    offering = await Offering.get(name=OFFERING)
    trainer = await User.get(email="trainer@weerbaar.example")
    booking = await Booking.create(
        reference=reference,
        organisation=await Organisation.get(cbs_code="GM0344"),
        offering=offering,
        requested_by=await User.get(email="griffier.utrecht@weerbaar.example"),
        status=BookingStatus.SCHEDULED,
        local_situation="Raadsleden willen sterker staan bij bedreigingen op straat.",
        themes=["weerbaarheid"],
        expected_participants=12,
        part_of_day=PartOfDay.EVENING,
        location_address="Stadskantoor, Stadsplateau 1, Utrecht",
        contact_name="Grietje van Dijk",
        contact_phone="+31 30 286 0000",
        contact_email="grietje.vandijk@utrecht.example",
        price_model=offering.price_model,
        unit_price_cents=offering.price_cents,
        vat_treatment=offering.vat_treatment,
        invoice_email="facturen@utrecht.example",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=offering.duration_minutes),
    )
    await AssignmentRequest.create(
        booking=booking,
        trainer=trainer,
        kind=TrainerKind.TRAINER,
        status=RequestStatus.ACCEPTED,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        answered_at=clock.now(),
    )
    coordinator = await User.get(email="coordinator@weerbaar.example")
    return await lifecycle.confirm_booking(booking.id, actor=coordinator, settings=settings)


async def load_invitations_demo(settings: Settings, now: datetime | None = None) -> None:
    """WB-DEMO04: confirmed, moved a week and confirmed again by the trainer; WB-DEMO05: confirmed
    and cancelled. Does nothing when WB-DEMO04 exists."""
    if await Booking.exists(reference="WB-DEMO04"):
        return
    now = now or clock.now()
    coordinator = await User.get(email="coordinator@weerbaar.example")
    trainer = await User.get(email="trainer@weerbaar.example")
    moved = await _confirmed_session("WB-DEMO04", _at(50, 19, now), settings)
    await lifecycle.reschedule_booking(moved.id, _at(57, 19, now), actor=coordinator, settings=settings)
    request = await AssignmentRequest.get(booking_id=moved.id, trainer=trainer)
    await assignment.answer_by_id(request.id, True, "", trainer=trainer, settings=settings)
    cancelled = await _confirmed_session("WB-DEMO05", _at(64, 19, now), settings)
    await lifecycle.cancel_booking(
        cancelled.id, "De raadsvergadering is verplaatst.", actor=coordinator, settings=settings
    )
