"""The template filters write dates and amounts exactly as Babel does for Dutch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

from server.templating import (
    AMSTERDAM,
    DUTCH,
    _fast_pattern,
    format_local_date,
    format_local_datetime,
    format_money,
)

#: A moment in every month and weekday, on both sides of both clock changes, before and after noon.
MOMENTS = [
    datetime(2026, 1, 1, 0, 5, tzinfo=UTC) + timedelta(days=day, hours=day * 7) for day in range(0, 400, 3)
] + [
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 59, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    datetime(987, 6, 5, 4, 3, tzinfo=UTC),
]
PATTERNS = [
    "d MMMM y 'om' HH:mm",
    "EEEE d MMMM y 'om' HH:mm",
    "EEEE d MMMM y, HH:mm",
    "d MMMM y",
    "HH:mm",
    "yyyy-MM-dd",
    "d-M-y",
    "d MMM y HH:mm",
    "MMMM y",
    "EEEE d MMMM",
    "'100%' d",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_date_times_read_as_babel_writes_them(pattern: str) -> None:
    for moment in MOMENTS:
        expected = format_datetime(moment.astimezone(AMSTERDAM), pattern, locale=DUTCH)
        assert format_local_datetime(moment, pattern) == expected, moment


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if "H" not in p])
def test_dates_read_as_babel_writes_them(pattern: str) -> None:
    for moment in MOMENTS:
        day = moment.astimezone(AMSTERDAM).date()
        expected = format_date(day, pattern, locale=DUTCH)
        assert format_local_date(day, pattern) == expected, day
        assert format_local_date(moment, pattern) == expected, moment


def test_the_filters_defaults_read_in_full() -> None:
    moment = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)
    assert format_local_datetime(moment) == "2 maart 2026 om 09:05"
    assert format_local_date(date(2026, 3, 2)) == "2 maart 2026"
    assert format_local_datetime(None) == format_local_date(None) == ""


def test_the_patterns_in_the_templates_are_written_directly() -> None:
    """The patterns the pages use take the quick way (a pattern with another field goes through Babel)."""
    assert _fast_pattern("EEEE d MMMM y 'om' HH:mm", with_time=True) is not None
    assert _fast_pattern("d MMMM y", with_time=False) is not None
    assert _fast_pattern("d MMM y HH:mm", with_time=True) is not None  # the dashboard's lists
    assert _fast_pattern("HH:mm", with_time=False) is None
    assert _fast_pattern("d MMM y G", with_time=False) is None


@pytest.mark.parametrize("cents", [0, 1, 99, 100, 123450, -123450, 10**12, -5])
def test_amounts_read_as_babel_writes_them(cents: int) -> None:
    assert format_money(cents) == format_currency(Decimal(cents) / 100, "EUR", locale=DUTCH)
