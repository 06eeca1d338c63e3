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
from datetime import UTC, date, datetime, time, timedelta

from tortoise.expressions import Q
from tortoise.query_utils import Prefetch

from bookings.availability import availability_key, is_blocked, month_bounds
from bookings.models import Booking, Offering, OfferingRole, TrainerKind
from bookings.policy import BookingPolicy
from bookings.staffing_models import (
    HOLDING,
    AssignmentRequest,
    BlockedPeriod,
    OfferingSpecialty,
    RequestStatus,
    TrainerProfile,
)
from server.i18n import _
from server.models import Organisation, OrganisationKind, Role, User
from server.templating import AMSTERDAM, format_local_date

#: Accepted assignments that started this long before now count against a trainer (fairness).
RECENT_WINDOW = timedelta(days=90)
#: Representative start times (Amsterdam) for the day grid of the booking form.
AFTERNOON_START = time(14, 0)
EVENING_START = time(19, 30)

DAY_PARTS = {
    "mon_afternoon": _("maandagmiddag"),
    "mon_evening": _("maandagavond"),
    "tue_afternoon": _("dinsdagmiddag"),
    "tue_evening": _("dinsdagavond"),
    "wed_afternoon": _("woensdagmiddag"),
    "wed_evening": _("woensdagavond"),
    "thu_afternoon": _("donderdagmiddag"),
    "thu_evening": _("donderdagavond"),
    "fri_afternoon": _("vrijdagmiddag"),
    "fri_evening": _("vrijdagavond"),
    "sat_afternoon": _("zaterdagmiddag"),
    "sat_evening": _("zaterdagavond"),
    "sun_afternoon": _("zondagmiddag"),
    "sun_evening": _("zondagavond"),
}
#: Why a trainer who was asked for this booking before is not suggested again (cancelled requests
#: do not count: the booking was rescheduled or the coordinator took the question back).
ASKED_BEFORE = {
    RequestStatus.PENDING: _("is al gevraagd voor deze boeking"),
    RequestStatus.ACCEPTED: _("is al gevraagd voor deze boeking"),
    RequestStatus.DECLINED: _("heeft deze sessie afgewezen"),
    RequestStatus.EXPIRED: _("reageerde niet op een eerder verzoek"),
    RequestStatus.WITHDRAWN: _("heeft zich teruggetrokken"),
}


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


@dataclass(frozen=True)
class _Fit:
    """The facts about one trainer and one session time."""

    works_in: bool
    is_available: bool
    is_blocked: bool
    has_overlap: bool
    month_sessions: int
    max_sessions: int

    @property
    def is_full(self) -> bool:
        return self.month_sessions >= self.max_sessions

    @property
    def fits(self) -> bool:
        return (
            self.works_in
            and self.is_available
            and not self.is_blocked
            and not self.has_overlap
            and not self.is_full
        )


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
    offering's duration. An offering without roles can be booked every day.
    """
    day_list = [first_day + timedelta(days=offset) for offset in range(days)]
    roles = await _roles(offering)
    if not roles:
        return [DayOption(day=day, afternoon=True, evening=True) for day in day_list]
    if not day_list:
        return []
    duration = timedelta(minutes=offering.duration_minutes)
    buffer = policy.travel_buffer
    first_start = _local(day_list[0], AFTERNOON_START)
    last_end = _local(day_list[-1], EVENING_START) + duration
    profiles = await _load_profiles(
        {role.kind for role in roles}, first_day=day_list[0], last_day=day_list[-1], with_specialties=False
    )
    requests = await _load_holding(
        profiles,
        ranges=[(month_bounds(first_start)[0], month_bounds(_local(day_list[-1], EVENING_START))[1])],
        overlap=(first_start - buffer, last_end + buffer),
    )
    province_id = _province_id(organisation)
    by_kind = _by_kind(profiles)

    def is_staffable(starts_at: datetime) -> bool:
        ends_at = starts_at + duration
        for role in roles:
            free = 0
            for profile in by_kind.get(role.kind, []):
                fit = _assess(profile, requests[profile.user_id], province_id, starts_at, ends_at, buffer)
                free += 1 if fit.fits else 0
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
    now = now or datetime.now(UTC)
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
        profiles,
        ranges=[(month_from, month_until), (now - RECENT_WINDOW, now)],
        overlap=(starts_at - buffer, ends_at + buffer),
        exclude_booking_id=booking.id,
    )
    by_kind = _by_kind(profiles)
    province_id = province.id if province is not None else None
    texts = _Texts(province, starts_at, buffer)
    suggestions = []
    for role in roles:
        ranked: list[tuple[tuple[int, int, int, str, int], Candidate]] = []
        excluded: list[Excluded] = []
        for profile in by_kind.get(role.kind, []):
            trainer_requests = requests[profile.user_id]
            fit = _assess(profile, trainer_requests, province_id, starts_at, ends_at, buffer)
            statuses = asked.get(profile.user_id, set())
            if statuses or not fit.fits:
                reasons = texts.asked_before(statuses) + texts.failing(fit)
                excluded.append(Excluded(trainer=profile.user, profile=profile, reasons=reasons))
                continue
            matching = sorted(
                (specialty for specialty in profile.specialties if specialty.id in wanted),
                key=lambda specialty: specialty.name,
            )
            recent = _recent_sessions(trainer_requests, now)
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
    kinds: Iterable[TrainerKind], *, first_day: date, last_day: date, with_specialties: bool = True
) -> list[TrainerProfile]:
    """Profiles of these kinds of active users with the matching role, with what the rules need."""
    related: list[str | Prefetch] = [
        "provinces",
        Prefetch("blocked_periods", BlockedPeriod.filter(first_day__lte=last_day, last_day__gte=first_day)),
    ]
    if with_specialties:
        related.append("specialties")
    profiles = (
        await TrainerProfile.filter(kind__in=list(kinds), user__is_active=True)
        .select_related("user")
        .prefetch_related(*related)
    )
    return [profile for profile in profiles if profile.user.role is _role_for(profile.kind)]


def _role_for(kind: TrainerKind) -> Role:
    return Role.COORDINATOR if kind is TrainerKind.COORDINATOR else Role.TRAINER


def _by_kind(profiles: Sequence[TrainerProfile]) -> dict[TrainerKind, list[TrainerProfile]]:
    grouped: dict[TrainerKind, list[TrainerProfile]] = defaultdict(list)
    for profile in profiles:
        grouped[profile.kind].append(profile)
    return grouped


async def _load_holding(
    profiles: Sequence[TrainerProfile],
    *,
    ranges: Sequence[tuple[datetime, datetime]],
    overlap: tuple[datetime, datetime],
    exclude_booking_id: int | None = None,
) -> defaultdict[int, list[AssignmentRequest]]:
    """The pending and accepted requests of these trainers that start in one of the ranges or
    overlap the overlap window, per trainer, in one query."""
    by_trainer: defaultdict[int, list[AssignmentRequest]] = defaultdict(list)
    if not profiles:
        return by_trainer
    window = Q(starts_at__lt=overlap[1], ends_at__gt=overlap[0])
    for since, until in ranges:
        window |= Q(starts_at__gte=since, starts_at__lt=until)
    query = AssignmentRequest.filter(
        window, trainer_id__in=[profile.user_id for profile in profiles], status__in=HOLDING
    )
    if exclude_booking_id is not None:
        query = query.exclude(booking_id=exclude_booking_id)
    for request in await query:
        by_trainer[request.trainer_id].append(request)  # type: ignore[attr-defined]
    return by_trainer


def _assess(
    profile: TrainerProfile,
    requests: Sequence[AssignmentRequest],
    province_id: int | None,
    starts_at: datetime,
    ends_at: datetime,
    buffer: timedelta,
) -> _Fit:
    provinces = list(profile.provinces)
    month_from, month_until = month_bounds(starts_at)
    return _Fit(
        works_in=not provinces or any(province.id == province_id for province in provinces),
        is_available=availability_key(starts_at) in profile.weekly_availability,
        is_blocked=is_blocked(list(profile.blocked_periods), starts_at.astimezone(AMSTERDAM).date()),
        has_overlap=any(
            request.starts_at < ends_at + buffer and request.ends_at > starts_at - buffer
            for request in requests
        ),
        month_sessions=sum(month_from <= request.starts_at < month_until for request in requests),
        max_sessions=profile.max_sessions_per_month,
    )


def _recent_sessions(requests: Sequence[AssignmentRequest], now: datetime) -> int:
    return sum(
        request.status is RequestStatus.ACCEPTED and now - RECENT_WINDOW <= request.starts_at < now
        for request in requests
    )


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=AMSTERDAM)


class _Texts:
    """The Dutch reasons for one booking's session time."""

    def __init__(self, province: Organisation | None, starts_at: datetime, buffer: timedelta) -> None:
        self.province = province
        self.day_part = DAY_PARTS[availability_key(starts_at)]
        self.date = format_local_date(starts_at)
        self.month = format_local_date(starts_at, "MMMM y")
        hours, rest = divmod(int(buffer.total_seconds()), 3600)
        self.buffer = (
            _("%(hours)d uur") % {"hours": hours}
            if not rest
            else _("%(minutes)d minuten") % {"minutes": int(buffer.total_seconds()) // 60}
        )

    def asked_before(self, statuses: set[RequestStatus]) -> list[str]:
        reasons = [ASKED_BEFORE[status] for status in RequestStatus if status in statuses]
        return list(dict.fromkeys(reasons))

    def failing(self, fit: _Fit) -> list[str]:
        reasons = []
        if not fit.works_in:
            reasons.append(
                _("werkt niet in %(province)s") % {"province": self.province.name}
                if self.province is not None
                else _("werkt niet in de provincie van deze boeking")
            )
        if not fit.is_available:
            reasons.append(_("niet beschikbaar op %(day_part)s") % {"day_part": self.day_part})
        if fit.is_blocked:
            reasons.append(_("heeft %(date)s geblokkeerd") % {"date": self.date})
        if fit.has_overlap:
            reasons.append(_("heeft dan al een sessie (incl. %(buffer)s reistijd)") % {"buffer": self.buffer})
        if fit.is_full:
            reasons.append(
                _("heeft al %(count)d van max. %(maximum)d sessies in %(month)s")
                % {"count": fit.month_sessions, "maximum": fit.max_sessions, "month": self.month}
            )
        return reasons

    def fitting(self, profile: TrainerProfile, fit: _Fit, specialties: list[str], recent: int) -> list[str]:
        reasons = [_("heeft specialisme %(specialty)s") % {"specialty": name} for name in specialties]
        if list(profile.provinces) and self.province is not None:
            reasons.append(_("werkt in %(province)s") % {"province": self.province.name})
        else:
            reasons.append(_("werkt landelijk"))
        reasons.append(_("beschikbaar op %(day_part)s") % {"day_part": self.day_part})
        reasons.append(_("geen overlap (incl. %(buffer)s reistijd)") % {"buffer": self.buffer})
        reasons.append(
            _("%(count)d van max. %(maximum)d sessies in %(month)s")
            % {"count": fit.month_sessions, "maximum": fit.max_sessions, "month": self.month}
        )
        reasons.append(
            _("1 sessie in de afgelopen %(days)d dagen") % {"days": RECENT_WINDOW.days}
            if recent == 1
            else _("%(count)d sessies in de afgelopen %(days)d dagen")
            % {"count": recent, "days": RECENT_WINDOW.days}
        )
        return reasons
