"""Asking trainers, their answers, withdrawals and expiry; a booking is confirmed once staffed.

Rules:
- Only a scheduled or confirmed booking (it has a date) is staffed, within each role's maximum.
- A request holds the trainer's time until answered: asking a trainer who is busy then (travel
  buffer included) or full that month is refused (TrainerBusy), checked under the trainer's lock.
- The link in the request mail works once and only while the request is pending and not expired.
- A decline, an expiry or a withdrawal asks the next suitable candidate; when there is none, the
  coordinators get a mail.
- When every role has its minimum of accepted trainers, the booking is confirmed (calendar
  invitations to the clerk and the trainers); a trainer who joins a confirmed session gets their own.
- A trainer off a session (withdrawn, taken off, declined or silent after a move) gets a CANCEL
  for their calendar if it holds the session (bookings/invitations.py).
- A trainer withdraws with a reason and not within 48 hours of the start; a coordinator can always
  take a trainer off.
- Coordinators staff intakes themselves: asking a coordinator-kind person accepts at once.

Errors: RequestClosed (410), TrainerBusy (409), IllegalTransition (409), Forbidden, NotFound,
BookingRuleBroken (400).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from bookings import lifecycle, notify, staffing, suggestions
from bookings.errors import BookingRuleBroken, IllegalTransition
from bookings.fit import KIND_LABELS
from bookings.models import Booking, BookingStatus, TrainerKind
from bookings.policy import BookingPolicy
from bookings.staffing_models import HOLDING, AssignmentRequest, RequestStatus
from server import clock
from server.audit import in_dutch, record
from server.errors import DomainError, Forbidden, NotFound
from server.i18n import _
from server.mail import queue_mail
from server.models import Role, User
from server.sessions import hash_secret
from server.settings import Settings

STAFFABLE = (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED)


class RequestClosed(DomainError):
    status_code = 410

    def __init__(self) -> None:
        super().__init__(_("Dit verzoek is al beantwoord, verlopen of ingetrokken. Kijk bij Mijn verzoeken."))


async def _count(booking: Booking, kind: TrainerKind, statuses: tuple[RequestStatus, ...]) -> int:
    return await AssignmentRequest.filter(booking=booking, kind=kind, status__in=statuses).count()


async def _ask(
    booking: Booking,
    trainer: User,
    kind: TrainerKind,
    *,
    actor: User | None,
    settings: Settings,
    now: datetime,
) -> AssignmentRequest:
    """Create the request inside the caller's transaction (booking locked by the caller)."""
    policy = BookingPolicy.from_settings(settings)
    roles = await staffing.offering_roles(booking)
    if kind not in roles:
        raise BookingRuleBroken(_("Dit aanbod heeft geen rol van deze soort."), field="kind")
    if await _count(booking, kind, HOLDING) >= roles[kind].max_count:
        raise BookingRuleBroken(_("Voor deze rol zijn al genoeg mensen gevraagd."), field="kind")
    profile = await staffing.lock_trainer(trainer.id)
    if profile.kind is not kind or not trainer.is_active:
        raise BookingRuleBroken(
            _("%(name)s kan deze rol niet vervullen.") % {"name": trainer.name}, field="kind"
        )
    if await AssignmentRequest.filter(booking=booking, trainer=trainer, status__in=HOLDING).exists():
        raise BookingRuleBroken(_("%(name)s is al gevraagd voor deze sessie.") % {"name": trainer.name})
    assert booking.starts_at and booking.ends_at
    await staffing.check_free(
        trainer, profile, booking.starts_at, booking.ends_at, policy, booking_id=booking.id
    )
    direct = kind is TrainerKind.COORDINATOR
    request = AssignmentRequest(
        booking=booking,
        trainer=trainer,
        kind=kind,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        asked_by=actor,
        status=RequestStatus.ACCEPTED if direct else RequestStatus.PENDING,
        answered_at=now if direct else None,
        expires_at=None if direct else now + policy.request_expiry,
    )
    token = "" if direct else staffing.new_request_token(request)
    await request.save()
    await record(
        actor, "trainer_asked", booking, f"{trainer.name} gevraagd als {in_dutch(KIND_LABELS[kind])}"
    )
    if not direct:
        await staffing.queue_request_mail(request, token, settings, again=False)
    return request


async def _locked_staffable(booking_id: int) -> Booking:
    booking = await Booking.select_for_update().get_or_none(id=booking_id)
    if booking is None:
        raise NotFound()
    if booking.status not in STAFFABLE:
        raise IllegalTransition(_("Leg eerst de datum vast; daarna kunnen trainers gevraagd worden."))
    return booking


async def ask_trainer(
    booking_id: int,
    trainer_id: int,
    kind: TrainerKind,
    *,
    actor: User,
    settings: Settings,
    now: datetime | None = None,
) -> AssignmentRequest:
    """A coordinator asks one trainer for one role."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    now = now or clock.now()
    trainer = await User.get_or_none(id=trainer_id)
    if trainer is None:
        raise NotFound()
    async with in_transaction():
        booking = await _locked_staffable(booking_id)
        was_confirmed = booking.status is BookingStatus.CONFIRMED
        request = await _ask(booking, trainer, kind, actor=actor, settings=settings, now=now)
        await _confirm_if_staffed(booking, settings)
        if was_confirmed and request.is_accepted:
            await notify.invite_trainer(booking, trainer, settings)
    return request


async def auto_assign(
    booking_id: int, *, actor: User, settings: Settings, now: datetime | None = None
) -> list[AssignmentRequest]:
    """Ask the best candidate for every role until each has its minimum asked; alert when one cannot."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    now = now or clock.now()
    async with in_transaction():
        booking = await _locked_staffable(booking_id)
        asked = await _fill_roles(booking, actor=actor, settings=settings, now=now)
        await _confirm_if_staffed(booking, settings)
    return asked


async def _fill_roles(
    booking: Booking, *, actor: User | None, settings: Settings, now: datetime
) -> list[AssignmentRequest]:
    policy = BookingPolicy.from_settings(settings)
    asked: list[AssignmentRequest] = []
    unfilled: list[TrainerKind] = []
    for kind, role in (await staffing.offering_roles(booking)).items():
        while await _count(booking, kind, HOLDING) < role.min_count:
            candidate = await suggestions.best_candidate(booking, kind, policy, now=now)
            if candidate is None:
                unfilled.append(kind)
                break
            asked.append(
                await _ask(booking, candidate.trainer, kind, actor=actor, settings=settings, now=now)
            )
    if unfilled:
        await _alert_coordinators(booking, unfilled, settings)
    return asked


async def _alert_coordinators(booking: Booking, kinds: list[TrainerKind], settings: Settings) -> None:
    await booking.fetch_related("organisation", "offering")
    for coordinator in await User.filter(role=Role.COORDINATOR, is_active=True).order_by("id"):
        await queue_mail(
            coordinator.email,
            "bookings/no_candidate_staff",
            {
                "booking": booking,
                "kinds": kinds,
                "link": f"{settings.base_url}/boekingen/{booking.reference}/trainers",
            },
        )
    await record(None, "no_candidate_left", booking, ", ".join(kinds))


async def _confirm_if_staffed(booking: Booking, settings: Settings) -> None:
    """Confirm a scheduled booking once every role has its minimum of accepted trainers."""
    if booking.status is not BookingStatus.SCHEDULED:
        return
    roles = await staffing.offering_roles(booking)
    accepted = Counter(
        await AssignmentRequest.filter(booking=booking, status=RequestStatus.ACCEPTED).values_list(
            "kind", flat=True
        )
    )
    if any(accepted[kind] < role.min_count for kind, role in roles.items()):
        return
    if roles:
        await lifecycle.confirm_booking(booking.id, actor=None, settings=settings)
        booking.status = BookingStatus.CONFIRMED


async def find_request(token: str) -> AssignmentRequest:
    """The request behind a link, with its booking and trainer (for the page the link opens)."""
    request = await AssignmentRequest.get_or_none(token_hash=hash_secret(token)).select_related(
        "booking__organisation", "booking__offering", "trainer"
    )
    if request is None:
        raise NotFound(_("Deze link is niet (meer) geldig."))
    return request


async def answer_by_token(
    token: str, accept: bool, reason: str, *, settings: Settings, now: datetime | None = None
) -> AssignmentRequest:
    """The trainer answers through the link in the mail (no login needed: the link is the proof)."""
    return await _answer(
        AssignmentRequest.filter(token_hash=hash_secret(token)),
        accept,
        reason,
        settings=settings,
        now=now or clock.now(),
        not_found=NotFound(_("Deze link is niet (meer) geldig.")),
    )


async def answer_by_id(
    request_id: int,
    accept: bool,
    reason: str,
    *,
    trainer: User,
    settings: Settings,
    now: datetime | None = None,
) -> AssignmentRequest:
    """The trainer answers from their portal."""
    return await _answer(
        AssignmentRequest.filter(id=request_id, trainer=trainer),
        accept,
        reason,
        settings=settings,
        now=now or clock.now(),
        not_found=NotFound(),
        trainer=trainer,
    )


async def _answer(
    found: QuerySet[AssignmentRequest],
    accept: bool,
    reason: str,
    *,
    settings: Settings,
    now: datetime,
    not_found: NotFound,
    trainer: User | None = None,
) -> AssignmentRequest:
    """Answer the one request `found` selects (NotFound otherwise); `trainer` is its trainer, when the
    caller already has them."""
    reason = reason.strip()[:2000]
    policy = BookingPolicy.from_settings(settings)
    async with in_transaction():
        request = await found.select_for_update().get_or_none()
        if request is None:
            raise not_found
        if request.status is not RequestStatus.PENDING or (request.expires_at and request.expires_at <= now):
            raise RequestClosed()
        trainer = trainer or await User.get(id=request.trainer_id)  # type: ignore[attr-defined]
        booking = await Booking.select_for_update().get(id=request.booking_id)  # type: ignore[attr-defined]
        if accept:
            profile = await staffing.lock_trainer(trainer.id)
            await staffing.check_free(
                trainer,
                profile,
                request.starts_at,
                request.ends_at,
                policy,
                booking_id=booking.id,
                only_accepted=True,
            )
        request.status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
        request.answered_at = now
        request.reason = reason
        await request.save(update_fields=["status", "answered_at", "reason"])
        await record(
            trainer, "trainer_accepted" if accept else "trainer_declined", booking, reason or trainer.name
        )
        if accept:
            was_confirmed = booking.status is BookingStatus.CONFIRMED
            await _confirm_if_staffed(booking, settings)
            if was_confirmed:  # joins a session that goes ahead: their own invitation
                await notify.invite_trainer(booking, trainer, settings)
        else:
            # After a move, their calendar still holds the session at the new time.
            await notify.release_trainer(booking, trainer, "declined", settings)
            if booking.status in STAFFABLE:
                await _fill_roles(booking, actor=None, settings=settings, now=now)
    return request


async def withdraw(
    request_id: int,
    reason: str,
    *,
    actor: User,
    settings: Settings,
    booking_id: int | None = None,
    now: datetime | None = None,
) -> AssignmentRequest:
    """A trainer (not within 48 hours of the start) or a coordinator takes a trainer off a session;
    the role reopens and the next candidate is asked."""
    now = now or clock.now()
    reason = reason.strip()
    policy = BookingPolicy.from_settings(settings)
    async with in_transaction():
        request = await AssignmentRequest.select_for_update().get_or_none(id=request_id)
        if (
            request is None
            or (actor.role is Role.TRAINER and request.trainer_id != actor.id)  # type: ignore[attr-defined]
            or (booking_id is not None and request.booking_id != booking_id)  # type: ignore[attr-defined]
        ):
            raise NotFound()
        if actor.role not in (Role.TRAINER, Role.COORDINATOR):
            raise Forbidden()
        if request.status not in HOLDING:
            raise RequestClosed()
        if actor.role is Role.TRAINER:
            if not reason:
                raise BookingRuleBroken(_("Vertel het team kort waarom u zich terugtrekt."), field="reason")
            if request.starts_at - now < policy.withdraw_notice:
                raise BookingRuleBroken(
                    _(
                        "Zo kort voor de sessie kunt u zich alleen via het team terugtrekken: "
                        "bel 070 - 37 38 314."
                    ),
                    field="reason",
                )
        booking = await Booking.select_for_update().get(id=request.booking_id)  # type: ignore[attr-defined]
        request.status = RequestStatus.WITHDRAWN
        request.answered_at = now
        request.reason = reason[:2000]
        await request.save(update_fields=["status", "answered_at", "reason"])
        if booking.status is BookingStatus.CONFIRMED:
            booking.status = BookingStatus.SCHEDULED
            await booking.save(update_fields=["status", "updated_at"])
        await record(actor, "trainer_withdrawn", booking, reason or "teruggetrokken")
        trainer = actor if actor.id == request.trainer_id else await User.get(id=request.trainer_id)  # type: ignore[attr-defined]
        await notify.release_trainer(
            booking, trainer, "withdrawn" if trainer is actor else "removed", settings
        )
        if booking.status in STAFFABLE:
            await _fill_roles(booking, actor=None, settings=settings, now=now)
    return request


async def expire_requests(settings: Settings, now: datetime | None = None) -> int:
    """Periodic job: pending requests past their time expire, and the next candidate is asked."""
    now = now or clock.now()
    expired = 0
    for request_id in await AssignmentRequest.filter(
        status=RequestStatus.PENDING, expires_at__lte=now
    ).values_list("id", flat=True):
        async with in_transaction():
            request = await AssignmentRequest.select_for_update().get(id=request_id)
            if request.status is not RequestStatus.PENDING:
                continue
            booking = await Booking.select_for_update().get(id=request.booking_id)  # type: ignore[attr-defined]
            request.status = RequestStatus.EXPIRED
            await request.save(update_fields=["status"])
            await record(None, "request_expired", booking, str(request.trainer_id))  # type: ignore[attr-defined]
            trainer = await User.get(id=request.trainer_id)  # type: ignore[attr-defined]
            await notify.release_trainer(booking, trainer, "expired", settings)
            if booking.status in STAFFABLE:
                await _fill_roles(booking, actor=None, settings=settings, now=now)
            expired += 1
    return expired
