"""Staffing primitives shared by the booking steps and the trainer requests.

The double-booking rule lives here. Every change that gives a trainer time in a session (asking,
accepting, moving a session) first locks that trainer's profile row (`FOR UPDATE` on PostgreSQL;
on SQLite the write transaction itself serialises), then checks for overlap inside the same
transaction, so two people acting at once cannot both pass the check.

Errors: TrainerBusy (409).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bookings.availability import trainer_load
from bookings.models import Booking, BookingStatus, OfferingRole, TrainerKind
from bookings.policy import BookingPolicy
from bookings.staffing_models import HOLDING, AssignmentRequest, RequestStatus, TrainerProfile
from server.errors import DomainError, NotFound
from server.i18n import _
from server.mail import Attachment, queue_mail
from server.models import User
from server.sessions import hash_secret
from server.settings import Settings
from server.templating import AMSTERDAM, format_local_datetime


class TrainerBusy(DomainError):
    status_code = 409


async def lock_trainer(trainer_id: int) -> TrainerProfile:
    """Lock the trainer's profile for the rest of the transaction (one staffing change at a time)."""
    profile = await TrainerProfile.select_for_update().get_or_none(user_id=trainer_id)
    if profile is None:
        raise NotFound(_("Deze persoon heeft geen trainersprofiel."))
    return profile


async def check_free(
    trainer: User,
    profile: TrainerProfile,
    starts_at: datetime,
    ends_at: datetime,
    policy: BookingPolicy,
    *,
    booking_id: int,
    only_accepted: bool = False,
) -> None:
    """Refuse (TrainerBusy) when the trainer has another session within the travel buffer, or is full
    for that month. Call after lock_trainer, in the same transaction."""
    load = await trainer_load(
        trainer.id, starts_at, ends_at, policy.travel_buffer, exclude_booking_id=booking_id
    )
    conflicts = load.conflicts
    if only_accepted:
        conflicts = [c for c in conflicts if c.status is RequestStatus.ACCEPTED]
    if conflicts:
        hours = int(policy.travel_buffer.total_seconds() // 3600)
        raise TrainerBusy(
            _(
                "%(name)s heeft dan al een andere sessie (om %(when)s); met %(hours)s uur reistijd ervoor "
                "en erna past dit niet."
            )
            % {"name": trainer.name, "when": format_local_datetime(conflicts[0].starts_at), "hours": hours}
        )
    if load.in_month >= profile.max_sessions_per_month:
        raise TrainerBusy(
            _("%(name)s zit die maand al aan het maximum van %(max)s sessies.")
            % {"name": trainer.name, "max": profile.max_sessions_per_month}
        )


def new_request_token(request: AssignmentRequest) -> str:
    """A fresh single-use link token for the request; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    request.token_hash = hash_secret(token)
    return token


def request_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/verzoeken/{token}"


async def queue_request_mail(
    request: AssignmentRequest,
    token: str,
    settings: Settings,
    *,
    again: bool,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Mail the trainer the request with its accept/decline link (again: the session moved; then
    `attachments` carries the updated invitation for a calendar that holds the session)."""
    booking = await Booking.get(id=request.booking_id).select_related("organisation", "offering")  # type: ignore[attr-defined]
    trainer = await User.get(id=request.trainer_id)  # type: ignore[attr-defined]
    await queue_mail(
        trainer.email,
        "bookings/assignment_request",
        {
            "request": request,
            "booking": booking,
            "trainer": trainer,
            "link": request_link(settings, token),
            "again": again,
            "has_calendar": bool(attachments),
        },
        attachments,
    )


async def holding_requests(booking: Booking) -> list[AssignmentRequest]:
    return await AssignmentRequest.filter(booking=booking, status__in=HOLDING).select_related("trainer")


async def accepted_trainers(booking: Booking) -> list[User]:
    return [r.trainer for r in await holding_requests(booking) if r.status is RequestStatus.ACCEPTED]


async def move_requests(
    booking: Booking, settings: Settings, now: datetime
) -> list[tuple[AssignmentRequest, str]]:
    """The session moved: each trainer on it must be free at the new time (or the move is refused),
    and confirms again through a new link. Returns each moved request with its new link's token, for
    the caller to mail (queue_request_mail with again=True)."""
    policy = BookingPolicy.from_settings(settings)
    assert booking.starts_at and booking.ends_at
    moved = []
    for request in await holding_requests(booking):
        profile = await lock_trainer(request.trainer.id)
        await check_free(
            request.trainer, profile, booking.starts_at, booking.ends_at, policy, booking_id=booking.id
        )
        request.starts_at, request.ends_at = booking.starts_at, booking.ends_at
        request.status = RequestStatus.PENDING
        request.answered_at = None
        request.expires_at = now + policy.request_expiry
        token = new_request_token(request)
        await request.save(
            update_fields=["starts_at", "ends_at", "status", "answered_at", "expires_at", "token_hash"]
        )
        moved.append((request, token))
    return moved


async def release_requests(booking: Booking, in_calendar: Collection[str] = ()) -> list[User]:
    """The booking is cancelled: every request on it ends. Returns the trainers who had accepted or
    whose calendar (an address in `in_calendar`) holds the session: they hear of the cancellation."""
    told = [
        request.trainer
        for request in await holding_requests(booking)
        if request.status is RequestStatus.ACCEPTED or request.trainer.email.lower() in in_calendar
    ]
    await AssignmentRequest.filter(booking=booking, status__in=HOLDING).update(status=RequestStatus.CANCELLED)
    return told


async def sessions_between(trainer: User, first_day: date, last_day: date) -> list[Booking]:
    """The planned sessions (scheduled or confirmed) the trainer is asked for or accepted that touch
    these Amsterdam days (inclusive), earliest first, with their organisation."""
    start = datetime.combine(first_day, time(), AMSTERDAM)
    end = datetime.combine(last_day + timedelta(days=1), time(), AMSTERDAM)
    requests = (
        await AssignmentRequest.filter(
            trainer_id=trainer.id,
            status__in=HOLDING,
            starts_at__lt=end,
            ends_at__gt=start,
            booking__status__in=(BookingStatus.SCHEDULED, BookingStatus.CONFIRMED),
        )
        .select_related("booking__organisation")
        .order_by("starts_at", "id")
    )
    return [request.booking for request in requests]


async def offering_roles(booking: Booking) -> dict[TrainerKind, OfferingRole]:
    """The trainer roles of the booking's offering, by kind."""
    return {role.kind: role for role in await OfferingRole.filter(offering_id=booking.offering_id)}  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RoleStaffing:
    kind: TrainerKind
    min_count: int
    max_count: int
    requests: list[AssignmentRequest]

    @property
    def accepted(self) -> int:
        return sum(r.status is RequestStatus.ACCEPTED for r in self.requests)

    @property
    def is_filled(self) -> bool:
        return self.accepted >= self.min_count


async def staffing_of(booking: Booking) -> list[RoleStaffing]:
    """Per role of the offering: the requests so far (all statuses), for the booking page."""
    requests = (
        await AssignmentRequest.filter(booking=booking).select_related("trainer").order_by("asked_at", "id")
    )
    return [
        RoleStaffing(kind, role.min_count, role.max_count, [r for r in requests if r.kind is kind])
        for kind, role in (await offering_roles(booking)).items()
    ]
