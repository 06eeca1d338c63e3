"""The one clock the application reads.

Code asks `now()` for the current moment (an aware UTC datetime) instead of reading the wall clock
itself, so tests can fix time and move it: `clock.set(moment)`, `clock.advance(delta)`,
`clock.reset()`. In production nothing sets it and `now()` is the real time.

`local_today()` is the calendar day in Amsterdam, which is what "today" means to the people
using Weerbaar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class FixedTimeError(ValueError):
    """A fixed moment must carry its time zone, or `now()` would mix naive and aware datetimes."""


class Clock:
    """The real time, unless a test has fixed it."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        return datetime.now(UTC) if self._fixed is None else self._fixed

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise FixedTimeError("Het vaste tijdstip heeft een tijdzone nodig.")
        self._fixed = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Let `delta` pass on a fixed clock (and fix it at now + delta if it was running)."""
        self.set(self.now() + delta)

    def reset(self) -> None:
        self._fixed = None

    @property
    def is_fixed(self) -> bool:
        return self._fixed is not None


clock = Clock()


def now() -> datetime:
    return clock.now()


def local_today() -> date:
    return now().astimezone(AMSTERDAM).date()
