"""Dutch public holidays (the `holidays` package): no session is offered or planned on one,
unless a coordinator says so on the scheduling form ("Toch op deze feestdag")."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from server.clock import AMSTERDAM


@lru_cache(maxsize=32)
def _of_year(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("NL", years=year, language="nl").items())


def holiday_name(day: date) -> str | None:
    """The Dutch name of the public holiday on `day`, None on an ordinary day."""
    return _of_year(day.year).get(day)


def first_day_without_holiday(day: date) -> date:
    """`day` itself, or the first later day that is no public holiday."""
    while holiday_name(day):
        day += timedelta(days=1)
    return day


def holiday_at(moment: datetime) -> str | None:
    """The public holiday on the Amsterdam day of `moment`, if any."""
    return holiday_name(moment.astimezone(AMSTERDAM).date())


def holidays_between(first: date, last: date) -> list[tuple[date, str]]:
    """The public holidays from `first` to `last` (both included), in date order, with their names."""
    found: list[tuple[date, str]] = []
    for year in range(first.year, last.year + 1):
        found += [(day, name) for day, name in _of_year(year).items() if first <= day <= last]
    return sorted(found)
