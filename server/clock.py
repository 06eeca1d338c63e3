"""The one clock the application reads.

Code asks `now()` for the current moment (an aware UTC datetime) instead of reading the wall clock
itself, so tests can fix time and move it: `clock.set(moment)`, `clock.advance(delta)`,
`clock.reset()`. In production nothing sets it and `now()` is the real time.

`clock.start_at(moment)` gives a running clock instead: it starts at `moment` and moves on with the
real time that passes. Browser tests need it: their server runs in another process, pages take time,
and sessions and forms expire, yet every date must come out as on a fixed day.

`local_today()` is the calendar day in Amsterdam, which is what "today" means to the people
using Weerbaar.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class FixedTimeError(ValueError):
    """A fixed moment must carry its time zone, or `now()` would mix naive and aware datetimes."""


class Clock:
    """The real time, unless a test has fixed it or started it at a moment of its choosing."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None
        #: A running clock: the moment it started at and the monotonic reading at that time.
        self._started: tuple[datetime, float] | None = None

    def now(self) -> datetime:
        if self._fixed is not None:
            return self._fixed
        if self._started is not None:
            moment, reading = self._started
            return moment + timedelta(seconds=time.monotonic() - reading)
        return datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        """Fix the clock at `moment` (a running clock stops)."""
        self._fixed = _utc(moment)
        self._started = None

    def start_at(self, moment: datetime) -> None:
        """Run the clock from `moment` on, at the pace of real time."""
        self._started = (_utc(moment), time.monotonic())
        self._fixed = None

    def advance(self, delta: timedelta) -> None:
        """Let `delta` pass: a fixed or running clock moves on by it (and keeps running if it ran);
        the real clock is fixed at now + delta."""
        if self._started is not None:
            moment, reading = self._started
            self._started = (moment + delta, reading)
        else:
            self.set(self.now() + delta)

    def reset(self) -> None:
        self._fixed = None
        self._started = None

    @property
    def is_fixed(self) -> bool:
        return self._fixed is not None

    @property
    def is_running(self) -> bool:
        """Started at a chosen moment and moving on with real time (not the real time itself)."""
        return self._started is not None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise FixedTimeError("Het vaste tijdstip heeft een tijdzone nodig.")
    return moment.astimezone(UTC)


clock = Clock()


def start_from_setting(moment: datetime | None) -> None:
    """Run this process's clock from `moment` (WEERBAAR_CLOCK_START) if given. Once per process:
    `weerbaar serve` with one worker builds its app in the process whose command already started it."""
    if moment is not None and not clock.is_running:
        clock.start_at(moment)


def now() -> datetime:
    return clock.now()


def local_today() -> date:
    return now().astimezone(AMSTERDAM).date()
