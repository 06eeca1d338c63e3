"""Staffing suggestions: which trainers fit a booking's roles, best first, and why the others do not;
and the grid of days on which an offering can be staffed at all (the clerk's booking form).

Advisory only: the assignment service checks again, under a lock, when a trainer is asked. The rules
(see `suggest`) run in Python over what a few fixed queries load, so the number of queries does not
grow with the number of trainers or days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tortoise.expressions import Q
from tortoise.query_utils import Prefetch

from bookings.availability import Held, month_bounds
from bookings.fit import RECENT_WINDOW, Busy, Reasons, Slot, Staffer, assess, is_free, recent_sessions
from bookings.models import Booking, Offering, OfferingRole, TrainerKind
from bookings.policy import BookingPolicy
from bookings.public_holidays import holiday_at, holiday_name
from bookings.staffing_models import (
    HOLDING,
    AssignmentRequest,
    BlockedPeriod,
    OfferingSpecialty,
    RequestStatus,
    TrainerProfile,
)
from server import clock
from server.models import Organisation, OrganisationKind, Role, User
from server.templating import AMSTERDAM

#: Representative start times (Amsterdam) for the day grid of the booking form.
AFTERNOON_START = time(14, 0)
EVENING_START = time(19, 30)


@dataclass(frozen=True)
class Candidate:
    trainer: User
    profile: TrainerProfile
    reasons: list[str]
    #: Accepted assignments that started in the RECENT_WINDOW before now.
    recent_sessions: int
    matching_specialties: int


@dataclass(frozen=True)
class Excluded:
    trainer: User
    profile: TrainerProfile
    reasons: list[str]


@dataclass(frozen=True)
class RoleSuggestions:
    kind: TrainerKind
    min_count: int
    max_count: int
    candidates: list[Candidate]
    excluded: list[Excluded]


@dataclass(frozen=True)
class DayOption:
    day: date
    afternoon: bool
    evening: bool


async def suggest(
    booking: Booking, policy: BookingPolicy, *, starts_at: datetime | None = None, now: datetime | None = None
) -> list[RoleSuggestions]:
    """Candidates and excluded trainers for each role of the booking's offering, in TrainerKind order.

    A trainer (an active user with a profile of the role's kind; the coordinator kind only for users
    with the coordinator role) is a candidate when they were not asked for this booking before (other
    than a cancelled request), work in the booking's province (or nationwide: no provinces), are
    available that weekday and part of the day, have not blocked the date, have no pending or
    accepted request within the travel buffer of the session, and are under their monthly maximum.
    Candidates come best first: most matching specialties, fewest recent sessions, fewest sessions
    that month, name. `starts_at` defaults to the booking's; ValueError when neither is set.
    """
    offering = await booking.offering
    starts_at, ends_at = _session_time(booking, offering, starts_at)
    return await _suggest(booking, offering, await _roles(offering), policy, starts_at, ends_at, now)


async def best_candidate(
    booking: Booking, kind: TrainerKind, policy: BookingPolicy, *, now: datetime | None = None
) -> Candidate | None:
    """The top candidate for the booking's role of this kind; None when there is none (or no such role)."""
    offering = await booking.offering
    starts_at, ends_at = _session_time(booking, offering, None)
    roles = [role for role in await _roles(offering) if role.kind is kind]
    if not roles:
        return None
    [suggestions] = await _suggest(booking, offering, roles, policy, starts_at, ends_at, now)
    return suggestions.candidates[0] if suggestions.candidates else None


async def open_days(
    offering: Offering, organisation: Organisation, policy: BookingPolicy, *, first_day: date, days: int = 56
) -> list[DayOption]:
    """Per day and part of the day: can every role get its minimum of suitable, free trainers?

    Suitable and free as in `suggest`, for a session at 14:00 or 19:30 (Amsterdam) lasting the
    offering's duration. An offering without roles can be booked every day. A public holiday is never
    open (both parts False; the day stays in the list, which the form shows in weeks of seven).
    """
    day_list = [first_day + timedelta(days=offset) for offset in range(days)]
    roles = await _roles(offering)
    if not roles:
        return [
            DayOption(day=day, afternoon=not holiday_name(day), evening=not holiday_name(day))
            for day in day_list
        ]
    if not day_list:
        return []
    duration = timedelta(minutes=offering.duration_minutes)
    buffer = policy.travel_buffer
    first_start = _local(day_list[0], AFTERNOON_START)
    last_end = _local(day_list[-1], EVENING_START) + duration
    province_id = _province_id(organisation)
    staffers = await _load_staffers(
        {role.kind for role in roles}, province_id, first_day=day_list[0], last_day=day_list[-1]
    )
    held = await _load_holding(
        [staffer.user_id for staffer in staffers],
        ranges=[(month_bounds(first_start)[0], month_bounds(_local(day_list[-1], EVENING_START))[1])],
        overlap=(first_start - buffer, last_end + buffer),
    )
    busy = {staffer.user_id: Busy(held[staffer.user_id]) for staffer in staffers}
    by_kind: dict[TrainerKind, list[Staffer]] = defaultdict(list)
    for staffer in staffers:
        by_kind[staffer.kind].append(staffer)

    def is_staffable(starts_at: datetime) -> bool:
        if holiday_at(starts_at):
            return False
        slot = Slot.at(starts_at, starts_at + duration)
        for role in roles:
            free = 0
            for staffer in by_kind.get(role.kind, []):
                free += is_free(staffer, busy[staffer.user_id], province_id, slot, buffer)
                if free >= role.min_count:
                    break
            if free < role.min_count:
                return False
        return True

    return [
        DayOption(
            day=day,
            afternoon=is_staffable(_local(day, AFTERNOON_START)),
            evening=is_staffable(_local(day, EVENING_START)),
        )
        for day in day_list
    ]


async def _suggest(
    booking: Booking,
    offering: Offering,
    roles: list[OfferingRole],
    policy: BookingPolicy,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime | None,
) -> list[RoleSuggestions]:
    now = now or clock.now()
    buffer = policy.travel_buffer
    day = starts_at.astimezone(AMSTERDAM).date()
    province = await _province_of(await booking.organisation)
    wanted = set(
        await OfferingSpecialty.filter(offering_id=offering.id).values_list("specialty_id", flat=True)
    )
    asked = await _asked_before(booking)
    profiles = await _load_profiles({role.kind for role in roles}, first_day=day, last_day=day)
    month_from, month_until = month_bounds(starts_at)
    requests = await _load_holding(
        [profile.user_id for profile in profiles],  # type: ignore[attr-defined]
        ranges=[(month_from, month_until), (now - RECENT_WINDOW, now)],
        overlap=(starts_at - buffer, ends_at + buffer),
        exclude_booking_id=booking.id,
    )
    by_kind = _by_kind(profiles)
    province_id = province.id if province is not None else None
    texts = Reasons(province, starts_at, buffer)
    suggestions = []
    for role in roles:
        ranked: list[tuple[tuple[int, int, int, str, int], Candidate]] = []
        excluded: list[Excluded] = []
        for profile in by_kind.get(role.kind, []):
            trainer_requests = requests[profile.user_id]
            fit = assess(profile, Busy(trainer_requests), province_id, starts_at, ends_at, buffer)
            statuses = asked.get(profile.user_id, set())
            if statuses or not fit.fits:
                reasons = texts.asked_before(statuses) + texts.failing(fit)
                excluded.append(Excluded(trainer=profile.user, profile=profile, reasons=reasons))
                continue
            matching = sorted(
                (specialty for specialty in profile.specialties if specialty.id in wanted),
                key=lambda specialty: specialty.name,
            )
            recent = recent_sessions(trainer_requests, now)
            candidate = Candidate(
                trainer=profile.user,
                profile=profile,
                reasons=texts.fitting(profile, fit, [specialty.name for specialty in matching], recent),
                recent_sessions=recent,
                matching_specialties=len(matching),
            )
            key = (-len(matching), recent, fit.month_sessions, profile.user.name.casefold(), profile.user_id)
            ranked.append((key, candidate))
        ranked.sort(key=lambda pair: pair[0])
        excluded.sort(key=lambda item: (item.trainer.name.casefold(), item.trainer.id))
        suggestions.append(
            RoleSuggestions(
                kind=role.kind,
                min_count=role.min_count,
                max_count=role.max_count,
                candidates=[candidate for _key, candidate in ranked],
                excluded=excluded,
            )
        )
    return suggestions


def _session_time(
    booking: Booking, offering: Offering, starts_at: datetime | None
) -> tuple[datetime, datetime]:
    duration = timedelta(minutes=offering.duration_minutes)
    if starts_at is not None:
        return starts_at, starts_at + duration
    if booking.starts_at is None:
        raise ValueError(f"booking {booking.reference} has no start time")
    # What an assignment request would copy: the booking's own end when it has one.
    return booking.starts_at, booking.ends_at or booking.starts_at + duration


async def _roles(offering: Offering) -> list[OfferingRole]:
    order = list(TrainerKind)
    roles = await OfferingRole.filter(offering_id=offering.id)
    return sorted(roles, key=lambda role: order.index(role.kind))


async def _province_of(organisation: Organisation) -> Organisation | None:
    if organisation.kind is OrganisationKind.PROVINCE:
        return organisation
    return await organisation.province


def _province_id(organisation: Organisation) -> int | None:
    if organisation.kind is OrganisationKind.PROVINCE:
        return organisation.id
    return organisation.province_id  # type: ignore[attr-defined]


async def _asked_before(booking: Booking) -> dict[int, set[RequestStatus]]:
    """The statuses of the requests (cancelled ones left out) of this booking, per trainer."""
    rows = (
        await AssignmentRequest.filter(booking_id=booking.id)
        .exclude(status=RequestStatus.CANCELLED)
        .values_list("trainer_id", "status")
    )
    statuses: dict[int, set[RequestStatus]] = defaultdict(set)
    for trainer_id, status in rows:
        statuses[trainer_id].add(RequestStatus(status))
    return statuses


async def _load_profiles(
    kinds: Iterable[TrainerKind], *, first_day: date, last_day: date
) -> list[TrainerProfile]:
    """Profiles of these kinds of active users with the matching role, with what the rules need."""
    profiles = (
        await TrainerProfile.filter(kind__in=list(kinds), user__is_active=True)
        .select_related("user")
        .prefetch_related(
            "provinces",
            "specialties",
            Prefetch(
                "blocked_periods", BlockedPeriod.filter(first_day__lte=last_day, last_day__gte=first_day)
            ),
        )
    )
    return [profile for profile in profiles if profile.user.role is _role_for(profile.kind)]


async def _load_staffers(
    kinds: Iterable[TrainerKind], province_id: int | None, *, first_day: date, last_day: date
) -> list[Staffer]:
    """As `_load_profiles`, as plain values and without specialties, and only those who work in the
    province (or nationwide): the others never fit, so their blocked days and requests are not read.
    The profiles with their user's role and provinces in one query (a row per province), the blocked
    days in a second."""
    rows = await TrainerProfile.filter(kind__in=list(kinds), user__is_active=True).values_list(
        "id",
        "user_id",
        "kind",
        "weekly_availability",
        "max_sessions_per_month",
        "user__role",
        "provinces__id",
    )
    profiles: dict[int, tuple[int, TrainerKind, list[str], int]] = {}
    provinces: defaultdict[int, set[int]] = defaultdict(set)
    for profile_id, user_id, kind, availability, maximum, role, works_in in rows:
        if role is not _role_for(kind):
            continue
        profiles[profile_id] = (user_id, kind, availability, maximum)
        if works_in is not None:
            provinces[profile_id].add(works_in)
    profiles = {
        profile_id: profile
        for profile_id, profile in profiles.items()
        if not provinces[profile_id] or province_id in provinces[profile_id]
    }
    blocked: defaultdict[int, list[tuple[date, date]]] = defaultdict(list)
    if profiles:
        periods = await BlockedPeriod.filter(
            profile_id__in=list(profiles), first_day__lte=last_day, last_day__gte=first_day
        ).values_list("profile_id", "first_day", "last_day")
        for profile_id, first, last in periods:
            blocked[profile_id].append((first, last))
    return [
        Staffer(
            user_id=user_id,
            kind=kind,
            availability=frozenset(availability),
            province_ids=frozenset(provinces[profile_id]),
            blocked=tuple(blocked[profile_id]),
            max_sessions_per_month=maximum,
        )
        for profile_id, (user_id, kind, availability, maximum) in profiles.items()
    ]


def _role_for(kind: TrainerKind) -> Role:
    return Role.COORDINATOR if kind is TrainerKind.COORDINATOR else Role.TRAINER


def _by_kind(profiles: Sequence[TrainerProfile]) -> dict[TrainerKind, list[TrainerProfile]]:
    grouped: dict[TrainerKind, list[TrainerProfile]] = defaultdict(list)
    for profile in profiles:
        grouped[profile.kind].append(profile)
    return grouped


async def _load_holding(
    trainer_ids: Sequence[int],
    *,
    ranges: Sequence[tuple[datetime, datetime]],
    overlap: tuple[datetime, datetime],
    exclude_booking_id: int | None = None,
) -> defaultdict[int, list[Held]]:
    """The pending and accepted requests of these trainers that start in one of the ranges or
    overlap the overlap window, per trainer, in one query."""
    by_trainer: defaultdict[int, list[Held]] = defaultdict(list)
    if not trainer_ids:
        return by_trainer
    window = Q(starts_at__lt=overlap[1], ends_at__gt=overlap[0])
    for since, until in ranges:
        window |= Q(starts_at__gte=since, starts_at__lt=until)
    query = AssignmentRequest.filter(window, trainer_id__in=list(trainer_ids), status__in=HOLDING)
    if exclude_booking_id is not None:
        query = query.exclude(booking_id=exclude_booking_id)
    rows = await query.values_list("trainer_id", "starts_at", "ends_at", "status")
    for trainer_id, starts_at, ends_at, status in rows:
        by_trainer[trainer_id].append(Held(starts_at, ends_at, status))
    return by_trainer


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=AMSTERDAM)
