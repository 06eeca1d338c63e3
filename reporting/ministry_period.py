"""The periods of the ministry's report: calendar quarters and years in Europe/Amsterdam time.

A quarter is written 2026-K3 in addresses and file names (2026-Q3 is read too), a year 2026. The
period runs from its first day 00:00 to the next period's first day 00:00 in Amsterdam, so a session
on 31 March at 23:30 Amsterdam time is in the first quarter.

Errors: `UnknownPeriod` (404) for an address that names no period; `ValidationFailed` (400) for a
form choice of year and quarter that cannot be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from server.errors import NotFound, ValidationFailed
from server.i18n import _
from server.templating import AMSTERDAM, format_local_date

FIRST_YEAR, LAST_YEAR = 2000, 2999
PERIOD_PATTERN = re.compile(r"(\d{4})(?:-[KQ]([1-4]))?", re.IGNORECASE)


class UnknownPeriod(NotFound):
    """The period in the address is not a year (2026) or a quarter (2026-K3)."""

    def __init__(self) -> None:
        super().__init__(
            _("Deze periode bestaat niet. Gebruik een jaar, zoals 2026, of een kwartaal, zoals 2026-K3.")
        )


# ---------- Periods ----------


@dataclass(frozen=True)
class Period:
    """A calendar year, or one quarter (1-4) of it."""

    year: int
    quarter: int | None = None

    @classmethod
    def parse(cls, raw: str) -> Period:
        """2026, 2026-K3 or 2026-Q3. Raises UnknownPeriod."""
        match = PERIOD_PATTERN.fullmatch(raw.strip())
        if match is None or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
            raise UnknownPeriod()
        return cls(int(match[1]), int(match[2]) if match[2] else None)

    @classmethod
    def last_complete_quarter(cls, today: date) -> Period:
        """The latest quarter that has ended before `today` (what a quarterly report is usually for)."""
        index = today.year * 4 + (today.month - 1) // 3 - 1
        return cls(index // 4, index % 4 + 1)

    @property
    def slug(self) -> str:
        """The period in addresses and file names: 2026-K3 or 2026."""
        return str(self.year) if self.quarter is None else f"{self.year}-K{self.quarter}"

    @property
    def label(self) -> str:
        if self.quarter is None:
            return str(self.year)
        return _("%(quarter)se kwartaal %(year)s") % {"quarter": self.quarter, "year": self.year}

    @property
    def first_day(self) -> date:
        return date(self.year, 1 if self.quarter is None else 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> date:
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def range_text(self) -> str:
        """'1 juli t/m 30 september 2026'."""
        return _("%(first)s t/m %(last)s") % {
            "first": format_local_date(self.first_day, "d MMMM"),
            "last": format_local_date(self.last_day),
        }

    @property
    def starts_at(self) -> datetime:
        """Midnight in Amsterdam, as UTC: SQLite compares the stored UTC times as text, so a bound
        with another offset would shift the boundary by an hour or two."""
        return datetime.combine(self.first_day, time(0), tzinfo=AMSTERDAM).astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period (exclusive end), as UTC."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=AMSTERDAM).astimezone(UTC)

    @property
    def previous(self) -> Period:
        if self.quarter is None:
            return Period(self.year - 1)
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)


def period_from_choice(year_raw: str, quarter_raw: str) -> Period:
    """The period chosen in the form: a year and a quarter ('' for the whole year).

    Raises ValidationFailed with a message per field.
    """
    year_raw, quarter_raw = year_raw.strip(), quarter_raw.strip()
    errors: dict[str, str] = {}
    if not (year_raw.isdigit() and len(year_raw) == 4 and FIRST_YEAR <= int(year_raw) <= LAST_YEAR):
        errors["jaar"] = _("Kies een jaar, bijvoorbeeld 2026.")
    if quarter_raw not in ("", "1", "2", "3", "4"):
        errors["kwartaal"] = _("Kies een kwartaal (1 tot en met 4) of het hele jaar.")
    if errors:
        raise ValidationFailed(errors)
    return Period(int(year_raw), int(quarter_raw) if quarter_raw else None)
