"""What a trainer sees: their requests and sessions, and a session's details (only their own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bookings.models import Booking
from bookings.staffing_models import HOLDING, AssignmentRequest, RequestStatus
from server import sql
from server.errors import NotFound
from server.models import User

#: What the portal shows of a request, in plain SQL (server/sql.py): a trainer can have fifty
#: requests on the page, and as querysets with their joins the two reads cost 1.7 ms of CPU.
PORTAL_SQL = (
    'SELECT r."id", r."status", r."kind", r."starts_at", r."ends_at", r."expires_at", b."reference", '
    'o."name" AS "organisation_name", f."name" AS "offering_name" '
    'FROM "assignment_request" r JOIN "booking" b ON b."id" = r."booking_id" '
    'JOIN "organisation" o ON o."id" = b."organisation_id" JOIN "offering" f ON f."id" = b."offering_id" '
    'WHERE r."trainer_id" = $1 AND {where}'
)
#: The open requests and the sessions not yet ended, soonest first.
CURRENT_SQL = PORTAL_SQL.format(
    where='((r."status" = $2 AND r."expires_at" > $4) OR (r."status" = $3 AND r."ends_at" >= $4)) '
    'ORDER BY r."starts_at", r."id"'
)
#: The last twenty sessions that ended.
PAST_SQL = PORTAL_SQL.format(
    where='r."status" = $2 AND r."ends_at" < $3 ORDER BY r."starts_at" DESC, r."id" DESC LIMIT 20'
)
CONVERTED = ("status", "kind", "starts_at", "ends_at", "expires_at")


@dataclass(frozen=True)
class Portal:
    """Each request as a dict of the columns of PORTAL_SQL."""

    pending: list[dict[str, Any]]
    upcoming: list[dict[str, Any]]
    past: list[dict[str, Any]]


async def portal_for(trainer: User, now: datetime) -> Portal:
    """The open requests and the upcoming sessions, soonest first, in one query; the last 20 past sessions."""
    pending, accepted = RequestStatus.PENDING.value, RequestStatus.ACCEPTED.value
    current = [
        sql.converted(AssignmentRequest, row, *CONVERTED)
        for row in await sql.fetch(AssignmentRequest, CURRENT_SQL, trainer.id, pending, accepted, now)
    ]
    past = [
        sql.converted(AssignmentRequest, row, *CONVERTED)
        for row in await sql.fetch(AssignmentRequest, PAST_SQL, trainer.id, accepted, now)
    ]
    return Portal(
        [row for row in current if row["status"] is RequestStatus.PENDING],
        [row for row in current if row["status"] is RequestStatus.ACCEPTED],
        past,
    )


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
