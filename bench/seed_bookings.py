"""Seeding, the bookings part: bookings over 2025-2027 in every status with their preferred slots,
the trainers' requests for them, the tour invitations and the audit trail.

Called by `bench.seed.seed` inside its transaction, after the organisations, users and catalogue exist.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bench.seed_rows import Ids, insert, local, reference, token_hash
from bookings.models import (
    Booking,
    BookingStatus,
    Offering,
    OfferingRole,
    PartOfDay,
    PreferredSlot,
    Stage,
    TourInvitation,
    TrainerKind,
)
from bookings.policy import BookingPolicy
from bookings.staffing_models import AssignmentRequest, RequestStatus
from server.models import AuditEntry, Organisation, User
from server.templating import AMSTERDAM

if TYPE_CHECKING:
    from bench.seed import Volume

FIRST_DAY = date(2025, 1, 6)
LAST_DAY = date(2027, 12, 17)


def _status_for(starts_at: datetime, now: datetime, rng: random.Random) -> BookingStatus:
    roll = rng.random()
    if starts_at < now - timedelta(days=14):
        return (
            BookingStatus.CANCELLED
            if roll < 0.08
            else BookingStatus.CLOSED
            if roll < 0.7
            else BookingStatus.DELIVERED
        )
    if starts_at < now:
        return BookingStatus.DELIVERED
    if starts_at < now + timedelta(days=60):
        return (
            BookingStatus.CANCELLED
            if roll < 0.05
            else BookingStatus.SCHEDULED
            if roll < 0.3
            else BookingStatus.CONFIRMED
        )
    return (
        BookingStatus.CANCELLED
        if roll < 0.05
        else BookingStatus.SCHEDULED
        if roll < 0.35
        else BookingStatus.REQUESTED
    )


@dataclass
class Plan:
    """One booking to make: who, what, when."""

    organisation: Organisation
    offering: Offering
    starts_at: datetime


def make_plans(
    volume: Volume, organisations: list[Organisation], offerings: list[Offering], now: datetime
) -> list[Plan]:
    """Intakes first (one per organisation), then a council-wide session for most, the rest follow-ups."""
    rng = random.Random(7)
    intake = next(o for o in offerings if o.stage is Stage.INTAKE)
    council = next(o for o in offerings if o.stage is Stage.COUNCIL_SESSION)
    follow_ups = [o for o in offerings if o.stage is Stage.FOLLOW_UP]
    intakes = min(len(organisations), volume.bookings // 14)
    councils = min(len(organisations), volume.bookings // 16)
    span = (LAST_DAY - FIRST_DAY).days
    plans = []
    for n in range(volume.bookings):
        if n < intakes:
            organisation, offering = organisations[n], intake
        elif n < intakes + councils:
            organisation, offering = organisations[n - intakes], council
        else:
            organisation, offering = rng.choice(organisations), follow_ups[n % len(follow_ups)]
        if volume.bookings - volume.open_feedback_sessions <= n:
            day = (now - timedelta(days=2 + n % 11)).astimezone(AMSTERDAM).date()
        else:
            day = FIRST_DAY + timedelta(days=rng.randrange(span))
            while day.weekday() > 4:
                day += timedelta(days=1)
        hour, minute = (14, 0) if rng.random() < 0.4 else (19, 30)
        plans.append(Plan(organisation, offering, local(day, hour, minute)))
    return plans


async def insert_bookings(
    volume: Volume, plans: list[Plan], users: dict[str, list[User]], ids: Ids, now: datetime
) -> list[Booking]:
    await ids.start(Booking)
    await ids.start(PreferredSlot)
    rng = random.Random(11)
    clerk_of = {user.organisation_id: user for user in users["clerk"]}  # type: ignore[attr-defined]
    policy = BookingPolicy()
    bookings, slots = [], []
    for plan in plans:
        offering, organisation = plan.offering, plan.organisation
        status = _status_for(plan.starts_at, now, rng)
        participants = rng.randint(3, offering.max_participants or 40)
        dated = status is not BookingStatus.REQUESTED
        ends_at = plan.starts_at + timedelta(minutes=offering.duration_minutes)
        created_at = plan.starts_at - timedelta(days=rng.randint(25, 90))
        free_session = offering.stage is Stage.COUNCIL_SESSION
        booking_id = ids.take(Booking)
        booking = Booking(
            id=booking_id,
            reference=reference(booking_id * 7919 + 104729),
            organisation_id=organisation.id,
            offering_id=offering.id,
            status=status,
            requested_by_id=clerk_of[organisation.id].id,
            created_at=min(created_at, now),
            updated_at=min(created_at, now),
            local_situation="Raadsleden krijgen bedreigende berichten na een besluit over opvang.",
            themes=["bedreiging", "online"],
            expected_participants=participants,
            part_of_day=PartOfDay.AFTERNOON if plan.starts_at.hour < 17 else PartOfDay.EVENING,
            location_address=f"Raadhuis, {organisation.invoice_street}, {organisation.name}",
            contact_name=f"Griffier {organisation.name}",
            contact_phone="070 123 4567",
            price_model=offering.price_model,
            unit_price_cents=offering.price_cents,
            vat_treatment=offering.vat_treatment,
            po_number=f"PO-{organisation.cbs_code}-{booking_id}" if not offering.is_free else "",
            invoice_email=organisation.invoice_email if not offering.is_free else "",
            starts_at=plan.starts_at if dated else None,
            ends_at=ends_at if dated else None,
            council_term_start=policy.term_start(organisation.kind, plan.starts_at.date())
            if free_session
            else None,
            participants_count=participants
            if status in (BookingStatus.DELIVERED, BookingStatus.CLOSED)
            else None,
            delivered_at=ends_at if status in (BookingStatus.DELIVERED, BookingStatus.CLOSED) else None,
            closed_at=ends_at + timedelta(days=10) if status is BookingStatus.CLOSED else None,
            cancelled_at=plan.starts_at - timedelta(days=20) if status is BookingStatus.CANCELLED else None,
            cancellation_reason="De raadsvergadering is verplaatst."
            if status is BookingStatus.CANCELLED
            else "",
        )
        bookings.append(booking)
        for position in range(1, rng.randint(1, 3) + 1):
            slots.append(
                PreferredSlot(
                    id=ids.take(PreferredSlot),
                    booking_id=booking.id,
                    position=position,
                    starts_at=plan.starts_at + timedelta(days=7 * (position - 1)),
                )
            )
    await insert(bookings)
    await insert(slots)
    return bookings


async def insert_staffing(
    bookings: list[Booking],
    offerings: list[Offering],
    pools: dict[TrainerKind, list[User]],
    coordinator: User,
    ids: Ids,
    now: datetime,
) -> list[AssignmentRequest]:
    """Accepted requests for dated bookings, pending ones (open for a few days) for some scheduled ones."""
    await ids.start(AssignmentRequest)
    roles: dict[int, list[OfferingRole]] = {}
    for role in await OfferingRole.all():
        roles.setdefault(role.offering_id, []).append(role)  # type: ignore[attr-defined]
    turn = {kind: 0 for kind in TrainerKind}
    requests = []
    for booking in sorted(bookings, key=lambda b: b.starts_at or now):
        if booking.starts_at is None or booking.status is BookingStatus.CANCELLED:
            continue
        for role in roles[booking.offering_id]:  # type: ignore[attr-defined]
            pool = pools[role.kind]
            for _n in range(role.min_count):
                trainer = pool[turn[role.kind] % len(pool)]
                turn[role.kind] += 1
                pending = booking.status is BookingStatus.SCHEDULED and booking.id % 2 == 0
                request_id = ids.take(AssignmentRequest)
                requests.append(
                    AssignmentRequest(
                        id=request_id,
                        booking_id=booking.id,
                        trainer_id=trainer.id,
                        kind=role.kind,
                        status=RequestStatus.PENDING if pending else RequestStatus.ACCEPTED,
                        starts_at=booking.starts_at,
                        ends_at=booking.ends_at,
                        token_hash=token_hash(f"request-{request_id}") if pending else None,
                        asked_at=min(booking.created_at + timedelta(days=2), now),
                        expires_at=now + timedelta(hours=48) if pending else None,
                        answered_at=None if pending else min(booking.created_at + timedelta(days=3), now),
                        asked_by_id=coordinator.id,
                    )
                )
    await insert(requests)
    return requests


async def insert_tour_and_audit(
    bookings: list[Booking], organisations: list[Organisation], coordinator: User, ids: Ids
) -> None:
    first_booking: dict[int, Booking] = {}
    for booking in sorted(bookings, key=lambda b: b.created_at):
        first_booking.setdefault(booking.organisation_id, booking)  # type: ignore[attr-defined]
    await ids.start(TourInvitation)
    invitations = []
    for organisation in organisations:
        booked = first_booking.get(organisation.id)
        invitations.append(
            TourInvitation(
                id=ids.take(TourInvitation),
                organisation_id=organisation.id,
                invited_at=local(date(2024, 11, 4), 10),
                invited_by_id=coordinator.id,
                recipients=1,
                booked_at=booked.created_at if booked else None,
                booking_id=booked.id if booked else None,
            )
        )
    await insert(invitations)
    await ids.start(AuditEntry)
    steps = {
        BookingStatus.REQUESTED: ["booking_requested"],
        BookingStatus.SCHEDULED: ["booking_requested", "booking_scheduled"],
        BookingStatus.CONFIRMED: ["booking_requested", "booking_scheduled", "booking_confirmed"],
        BookingStatus.DELIVERED: [
            "booking_requested",
            "booking_scheduled",
            "booking_confirmed",
            "booking_delivered",
        ],
        BookingStatus.CLOSED: [
            "booking_requested",
            "booking_scheduled",
            "booking_confirmed",
            "booking_closed",
        ],
        BookingStatus.CANCELLED: ["booking_requested", "booking_cancelled"],
    }
    entries = []
    for booking in bookings:
        for n, action in enumerate(steps[booking.status]):
            entries.append(
                AuditEntry(
                    id=ids.take(AuditEntry),
                    created_at=booking.created_at + timedelta(days=n),
                    actor_id=None if n == 0 else coordinator.id,
                    actor_label="" if n == 0 else coordinator.name,
                    action=action,
                    object_type="booking",
                    object_id=str(booking.id),
                    summary=booking.reference,
                )
            )
    await insert(entries)
