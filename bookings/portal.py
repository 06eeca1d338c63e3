"""What a trainer sees: their requests and sessions, and a session's details (only their own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from bookings.models import Booking
from bookings.staffing_models import HOLDING, AssignmentRequest, RequestStatus
from server.errors import NotFound
from server.models import User

#: What the portal shows of a request, as plain values (not every column of the booking,
#: organisation and offering as models: a trainer can have fifty requests on the page).
PORTAL_FIELDS = ("id", "kind", "starts_at", "ends_at", "expires_at")
PORTAL_RELATED = {
    "reference": "booking__reference",
    "organisation_name": "booking__organisation__name",
    "offering_name": "booking__offering__name",
}


@dataclass(frozen=True)
class Portal:
    """Each request as a dict of PORTAL_FIELDS and PORTAL_RELATED."""

    pending: list[dict[str, Any]]
    upcoming: list[dict[str, Any]]
    past: list[dict[str, Any]]


async def portal_for(trainer: User, now: datetime) -> Portal:
    """The open requests and the upcoming sessions, soonest first, in one query; the last 20 past sessions."""
    current = (
        await AssignmentRequest.filter(
            Q(status=RequestStatus.PENDING, expires_at__gt=now)
            | Q(status=RequestStatus.ACCEPTED, ends_at__gte=now),
            trainer=trainer,
        )
        .order_by("starts_at", "id")
        .values("status", *PORTAL_FIELDS, **PORTAL_RELATED)
    )
    past = (
        await AssignmentRequest.filter(trainer=trainer, status=RequestStatus.ACCEPTED, ends_at__lt=now)
        .order_by("-starts_at")
        .limit(20)
        .values(*PORTAL_FIELDS, **PORTAL_RELATED)
    )
    pending = [row for row in current if row["status"] is RequestStatus.PENDING]
    upcoming = [row for row in current if row["status"] is RequestStatus.ACCEPTED]
    return Portal(pending, upcoming, past)


@dataclass(frozen=True)
class TrainerSession:
    booking: Booking
    request: AssignmentRequest
    co_trainers: list[AssignmentRequest]


async def session_for(trainer: User, reference: str) -> TrainerSession:
    """A booking the trainer has been asked for or is on; NotFound for any other (no guessing)."""
    booking = (
        await Booking.get_or_none(reference=reference)
        .select_related("organisation__province", "offering")
        .prefetch_related("preferred_slots")
    )
    if booking is None:
        raise NotFound()
    own = (
        await AssignmentRequest.filter(booking=booking, trainer=trainer).order_by("-asked_at", "-id").first()
    )
    if own is None:
        raise NotFound()
    co_trainers = (
        await AssignmentRequest.filter(booking=booking, status__in=HOLDING)
        .exclude(trainer=trainer)
        .select_related("trainer")
    )
    return TrainerSession(booking, own, co_trainers)
