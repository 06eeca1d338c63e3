"""The booking rules' numbers: lead times, council terms, the cancellation policy, reminder days.

Read from Settings (environment) once; services take a `BookingPolicy` so tests can set their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bookings.models import Stage
from server.models import OrganisationKind
from server.settings import Settings


@dataclass(frozen=True)
class BookingPolicy:
    lead_days_session: int = 21
    lead_days_intake: int = 7
    reminder_days: tuple[int, ...] = (7, 1)
    municipal_terms: tuple[date, ...] = (date(2018, 3, 29), date(2022, 3, 30), date(2026, 4, 1))
    provincial_terms: tuple[date, ...] = (date(2019, 3, 28), date(2023, 3, 29), date(2027, 3, 25))
    #: (days before the start, percentage due), earliest cut-off first: cancelling at least 14 days
    #: before is free, from 14 days before 50 %, from 2 days before 100 %.
    cancellation_policy: tuple[tuple[int, int], ...] = field(default=((14, 50), (2, 100)))
    #: Time kept free before and after a trainer's session, for travel.
    travel_buffer: timedelta = timedelta(hours=2)
    #: A request to a trainer not answered in this time expires and the next candidate is asked.
    request_expiry: timedelta = timedelta(hours=72)
    #: Within this time before the start, only a coordinator can take a trainer off a session.
    withdraw_notice: timedelta = timedelta(hours=48)

    @classmethod
    def from_settings(cls, settings: Settings) -> BookingPolicy:
        return cls(
            lead_days_session=settings.lead_days_session,
            lead_days_intake=settings.lead_days_intake,
            reminder_days=settings.reminder_days,
            municipal_terms=tuple(date.fromisoformat(d) for d in settings.municipal_terms),
            provincial_terms=tuple(date.fromisoformat(d) for d in settings.provincial_terms),
            cancellation_policy=settings.cancellation_policy,
            travel_buffer=timedelta(hours=settings.travel_buffer_hours),
            request_expiry=timedelta(hours=settings.request_expiry_hours),
        )

    def lead_time(self, stage: Stage) -> timedelta:
        return timedelta(days=self.lead_days_intake if stage is Stage.INTAKE else self.lead_days_session)

    def term_start(self, kind: OrganisationKind, on: date) -> date:
        """The first day of the council term that `on` falls in."""
        terms = self.municipal_terms if kind is OrganisationKind.MUNICIPALITY else self.provincial_terms
        started = [start for start in terms if start <= on]
        return max(started) if started else date.min

    def next_term_start(self, kind: OrganisationKind, on: date) -> date | None:
        terms = self.municipal_terms if kind is OrganisationKind.MUNICIPALITY else self.provincial_terms
        later = [start for start in terms if start > on]
        return min(later) if later else None

    def cancellation_percent(self, starts_at: datetime | None, now: datetime) -> int:
        """Percentage of the price due when cancelling `now`: 0 before the first cut-off or without a date."""
        if starts_at is None:
            return 0
        percent = 0
        for days, due in self.cancellation_policy:
            if now >= starts_at - timedelta(days=days):
                percent = due
        return percent
