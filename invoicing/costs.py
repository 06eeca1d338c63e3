"""What the free sessions cost the team: trainer hours times day rates, per quarter of a year.

Free offerings are never invoiced; this overview is for the team's own reporting.

- A session counts when its booking is free and was given (delivered or closed), in the quarter of
  its start (Amsterdam time).
- Trainer hours are the durations of the accepted assignments (a trainer who gave the session).
- A day rate covers 8 hours: cost = minutes × day rate / 480, rounded to the cent per assignment, so
  the quarter and trainer totals add up. The rate is the one valid on the session's day (Amsterdam
  time) in the trainer's rate history (`bookings.day_rates`), so a later rate never changes a past
  quarter; hours without a rate count for 0.
- Four queries for a year, whatever its number of sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from babel.numbers import format_decimal

from bookings import day_rates
from bookings.models import Booking, BookingStatus, PriceModel
from bookings.staffing_models import AssignmentRequest, RequestStatus
from server.models import User
from server.templating import AMSTERDAM, LOCALE

GIVEN = (BookingStatus.DELIVERED, BookingStatus.CLOSED)
HOURS_PER_DAY_RATE = 8


@dataclass
class CostLine:
    """The figures of one quarter, one trainer or the whole year."""

    label: str
    trainer_id: int = 0
    sessions: int = 0
    minutes: int = 0
    cost_cents: int = 0
    #: The day rates that counted (a trainer's rate can change within the year).
    day_rates: set[int] = field(default_factory=set)
    minutes_without_rate: int = 0
    session_ids: set[int] = field(default_factory=set, repr=False)

    @property
    def hours_text(self) -> str:
        """The hours with a decimal comma: 150 minutes -> "2,5"."""
        return format_decimal(Decimal(self.minutes) / 60, format="#,##0.##", locale=LOCALE)

    @property
    def day_rate_cents(self) -> int:
        """The one day rate that counted, or 0 when there were several or none."""
        rates = self.day_rates - {0}
        return next(iter(rates)) if len(rates) == 1 else 0

    @property
    def has_several_rates(self) -> bool:
        return len(self.day_rates - {0}) > 1

    def add(self, booking_id: int, minutes: int, cost_cents: int) -> None:
        self.session_ids.add(booking_id)
        self.sessions = len(self.session_ids)
        self.minutes += minutes
        self.cost_cents += cost_cents


@dataclass
class CostOverview:
    year: int
    quarters: list[CostLine]
    trainers: list[CostLine]
    total: CostLine

    @property
    def has_sessions(self) -> bool:
        return self.total.sessions > 0

    @property
    def trainers_without_rate(self) -> int:
        return sum(1 for trainer in self.trainers if trainer.minutes_without_rate)


def assignment_cost_cents(minutes: int, day_rate_cents: int) -> int:
    """minutes × day rate / (8 × 60), rounded half up to the cent."""
    per_day = HOURS_PER_DAY_RATE * 60
    return (minutes * day_rate_cents * 2 + per_day) // (per_day * 2)


def _quarter(moment: datetime) -> int:
    return (moment.astimezone(AMSTERDAM).month - 1) // 3


async def free_session_costs(year: int) -> CostOverview:
    """The free sessions given in `year`: per quarter, per trainer and in total."""
    start = datetime.combine(date(year, 1, 1), time(0), tzinfo=AMSTERDAM)
    end = datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=AMSTERDAM)
    sessions = await Booking.filter(
        price_model=PriceModel.FREE, status__in=GIVEN, starts_at__gte=start, starts_at__lt=end
    ).values_list("id", "starts_at")
    quarter_of = {booking_id: _quarter(starts_at) for booking_id, starts_at in sessions}
    assignments = await AssignmentRequest.filter(
        booking_id__in=list(quarter_of) or [0], status=RequestStatus.ACCEPTED
    ).values_list("booking_id", "trainer_id", "starts_at", "ends_at")
    trainer_ids = sorted({trainer_id for _b, trainer_id, _s, _e in assignments})
    rates = await day_rates.rate_table(trainer_ids)
    names = dict(await User.filter(id__in=trainer_ids or [0]).values_list("id", "name"))

    quarters = [CostLine(f"Q{number}") for number in range(1, 5)]
    total = CostLine(str(year))
    for booking_id, quarter in quarter_of.items():
        quarters[quarter].session_ids.add(booking_id)
        quarters[quarter].sessions = len(quarters[quarter].session_ids)
        total.session_ids.add(booking_id)
    total.sessions = len(total.session_ids)

    trainers: dict[int, CostLine] = {}
    for booking_id, trainer_id, starts_at, ends_at in assignments:
        minutes = max(0, int((ends_at - starts_at).total_seconds() // 60))
        rate = rates.rate_on(trainer_id, starts_at.astimezone(AMSTERDAM).date())
        cost = assignment_cost_cents(minutes, rate)
        trainer = trainers.setdefault(trainer_id, CostLine(names.get(trainer_id, "?"), trainer_id=trainer_id))
        trainer.day_rates.add(rate)
        if not rate:
            trainer.minutes_without_rate += minutes
        trainer.add(booking_id, minutes, cost)
        quarters[quarter_of[booking_id]].add(booking_id, minutes, cost)
        total.add(booking_id, minutes, cost)
    return CostOverview(
        year=year,
        quarters=quarters,
        trainers=sorted(trainers.values(), key=lambda line: (-line.cost_cents, line.label)),
        total=total,
    )
