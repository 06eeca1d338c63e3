"""Whether a trainer fits one session time, and the Dutch reasons shown to coordinators.

Pure functions over what `bookings.suggestions` loaded: no queries here.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bookings.availability import Held, availability_key, is_blocked
from bookings.models import TrainerKind
from bookings.staffing_models import RequestStatus, TrainerProfile
from server.i18n import _, lazy_gettext
from server.models import Organisation
from server.templating import AMSTERDAM, format_local_date

#: Accepted assignments that started this long before now count against a trainer (fairness).
RECENT_WINDOW = timedelta(days=90)

#: The trainer kinds in Dutch words, for texts written in Python (audit summaries); the templates
#: have the same in templates/bookings/_labels.html.
KIND_LABELS = {
    TrainerKind.COORDINATOR: lazy_gettext("coördinator"),
    TrainerKind.MODERATOR: lazy_gettext("moderator"),
    TrainerKind.TRAINER: lazy_gettext("trainer"),
    TrainerKind.EXPERT: lazy_gettext("expert"),
    TrainerKind.PEER: lazy_gettext("ervaringsdeskundige"),
}

DAY_PARTS = {
    "mon_afternoon": lazy_gettext("maandagmiddag"),
    "mon_evening": lazy_gettext("maandagavond"),
    "tue_afternoon": lazy_gettext("dinsdagmiddag"),
    "tue_evening": lazy_gettext("dinsdagavond"),
    "wed_afternoon": lazy_gettext("woensdagmiddag"),
    "wed_evening": lazy_gettext("woensdagavond"),
    "thu_afternoon": lazy_gettext("donderdagmiddag"),
    "thu_evening": lazy_gettext("donderdagavond"),
    "fri_afternoon": lazy_gettext("vrijdagmiddag"),
    "fri_evening": lazy_gettext("vrijdagavond"),
    "sat_afternoon": lazy_gettext("zaterdagmiddag"),
    "sat_evening": lazy_gettext("zaterdagavond"),
    "sun_afternoon": lazy_gettext("zondagmiddag"),
    "sun_evening": lazy_gettext("zondagavond"),
}
#: Why a trainer who was asked for this booking before is not suggested again (cancelled requests
#: do not count: the booking was rescheduled or the coordinator took the question back).
ASKED_BEFORE = {
    RequestStatus.PENDING: lazy_gettext("is al gevraagd voor deze boeking"),
    RequestStatus.ACCEPTED: lazy_gettext("is al gevraagd voor deze boeking"),
    RequestStatus.DECLINED: lazy_gettext("heeft deze sessie afgewezen"),
    RequestStatus.EXPIRED: lazy_gettext("reageerde niet op een eerder verzoek"),
    RequestStatus.WITHDRAWN: lazy_gettext("heeft zich teruggetrokken"),
}


@dataclass(frozen=True)
class Fit:
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


@dataclass(frozen=True, slots=True)
class Slot:
    """One session time with what every trainer is checked against, worked out once per time."""

    starts_at: datetime
    ends_at: datetime
    #: starts_at and ends_at as POSIX timestamps (see Busy).
    start_time: float
    end_time: float
    availability_key: str
    day: date
    month: tuple[int, int]

    @classmethod
    def at(cls, starts_at: datetime, ends_at: datetime) -> Slot:
        return cls(
            starts_at=starts_at,
            ends_at=ends_at,
            start_time=starts_at.timestamp(),
            end_time=ends_at.timestamp(),
            availability_key=availability_key(starts_at),
            day=starts_at.astimezone(AMSTERDAM).date(),
            month=_month_of(starts_at),
        )


@dataclass(frozen=True, slots=True)
class Staffer:
    """What the day grid needs of one trainer's profile, as plain values."""

    user_id: int
    kind: TrainerKind
    availability: frozenset[str]
    province_ids: frozenset[int]
    blocked: tuple[tuple[date, date], ...]
    max_sessions_per_month: int


class Busy:
    """One trainer's holding requests, indexed for many questions about session times (the booking
    form asks about every afternoon and evening of eight weeks).

    Times are kept as POSIX timestamps: comparing aware datetimes of different time zones (the
    database's UTC, the grid's Amsterdam) looks up the offset at every comparison."""

    #: No session lasts longer: requests that started earlier cannot reach a later session.
    LONGEST_SESSION = timedelta(days=1)

    def __init__(self, requests: Sequence[Held]) -> None:
        self.requests = sorted(requests, key=lambda request: request.starts_at)
        self._starts = [request.starts_at.timestamp() for request in self.requests]
        self._ends = [request.ends_at.timestamp() for request in self.requests]
        self._per_month = Counter(_month_of(request.starts_at) for request in self.requests)

    def overlaps(self, starts_at: datetime, ends_at: datetime, buffer: timedelta) -> bool:
        """Whether a request comes closer than `buffer` to a session from starts_at to ends_at."""
        return self.reaches((starts_at - buffer).timestamp(), (ends_at + buffer).timestamp())

    def reaches(self, earliest: float, latest: float) -> bool:
        """Whether a request runs into the time from `earliest` to `latest` (POSIX timestamps)."""
        index = bisect_left(self._starts, latest)
        started_too_early = earliest - self.LONGEST_SESSION.total_seconds()
        for position in range(index - 1, -1, -1):
            if self._ends[position] > earliest:
                return True
            if self._starts[position] < started_too_early:
                return False
        return False

    def in_month_of(self, starts_at: datetime) -> int:
        """Requests starting in the calendar month (Amsterdam) of `starts_at`."""
        return self._per_month[_month_of(starts_at)]

    def in_month(self, month: tuple[int, int]) -> int:
        """Requests starting in this calendar month (year, month; Amsterdam), as in `Slot.month`."""
        return self._per_month[month]


def _month_of(starts_at: datetime) -> tuple[int, int]:
    """The calendar month (Amsterdam) of a start time as (year, month): what `month_bounds` spans."""
    local = starts_at.astimezone(AMSTERDAM)
    return local.year, local.month


def _works_in(profile: TrainerProfile, province_id: int | None) -> bool:
    provinces = list(profile.provinces)
    return not provinces or any(province.id == province_id for province in provinces)


def _has_blocked(profile: TrainerProfile, starts_at: datetime) -> bool:
    return is_blocked(list(profile.blocked_periods), starts_at.astimezone(AMSTERDAM).date())


def assess(
    profile: TrainerProfile,
    busy: Busy,
    province_id: int | None,
    starts_at: datetime,
    ends_at: datetime,
    buffer: timedelta,
) -> Fit:
    return Fit(
        works_in=_works_in(profile, province_id),
        is_available=availability_key(starts_at) in profile.weekly_availability,
        is_blocked=_has_blocked(profile, starts_at),
        has_overlap=busy.overlaps(starts_at, ends_at, buffer),
        month_sessions=busy.in_month_of(starts_at),
        max_sessions=profile.max_sessions_per_month,
    )


def is_free(staffer: Staffer, busy: Busy, province_id: int | None, slot: Slot, buffer: timedelta) -> bool:
    """`assess(...).fits` for a Staffer and a Slot, with the cheapest checks first and stopping at the
    first that fails."""
    return (
        slot.availability_key in staffer.availability
        and (not staffer.province_ids or province_id in staffer.province_ids)
        and not any(first <= slot.day <= last for first, last in staffer.blocked)
        and busy.in_month(slot.month) < staffer.max_sessions_per_month
        and not busy.reaches(slot.start_time - buffer.total_seconds(), slot.end_time + buffer.total_seconds())
    )


def recent_sessions(requests: Sequence[Held], now: datetime) -> int:
    return sum(
        request.status is RequestStatus.ACCEPTED and now - RECENT_WINDOW <= request.starts_at < now
        for request in requests
    )


class Reasons:
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
        reasons = [str(ASKED_BEFORE[status]) for status in RequestStatus if status in statuses]
        return list(dict.fromkeys(reasons))

    def failing(self, fit: Fit) -> list[str]:
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

    def fitting(self, profile: TrainerProfile, fit: Fit, specialties: list[str], recent: int) -> list[str]:
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
