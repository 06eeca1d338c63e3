"""The application reads time from one clock, which tests fix and move."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from server import clock
from server.clock import Clock, FixedTimeError
from server.settings import PROJECT_DIR

#: Reading the wall clock anywhere but server/clock.py.
WALL_CLOCK = re.compile(r"timezone\.now\(\)|datetime\.now\(|date\.today\(\)|time\.time\(\)|utcnow\(")
APPLICATION = ("server", "bookings", "feedback", "invoicing", "reporting")


def test_a_test_runs_on_a_fixed_clock_that_it_can_move(fixed_clock: Clock) -> None:
    start = clock.now()
    assert clock.now() == start and start.tzinfo is not None
    fixed_clock.advance(timedelta(minutes=1))
    assert clock.now() == start + timedelta(minutes=1)
    fixed_clock.set(datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam")))
    assert clock.now() == datetime(2026, 3, 1, 11, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)


def test_without_a_fixed_moment_the_clock_is_the_real_time() -> None:
    free = Clock()
    before = datetime.now(UTC)
    assert before <= free.now() <= datetime.now(UTC)
    free.set(before)
    free.reset()
    assert not free.is_fixed and free.now() >= before


def test_a_running_clock_starts_at_a_moment_and_moves_with_real_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seconds = [100.0]  # the process's monotonic clock, moved by hand
    monkeypatch.setattr(clock, "time", SimpleNamespace(monotonic=lambda: seconds[0]))
    running = Clock()
    start = datetime(2026, 11, 18, 9, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    running.start_at(start)
    assert running.is_running and not running.is_fixed
    assert running.now() == start and running.now().tzinfo == UTC
    seconds[0] += 2.5
    assert running.now() == start + timedelta(seconds=2.5)
    running.advance(timedelta(hours=1))  # moves it on; it keeps running
    assert running.is_running and running.now() == start + timedelta(hours=1, seconds=2.5)
    running.set(start)
    assert running.is_fixed and not running.is_running
    running.start_at(start)
    running.reset()
    assert not running.is_running and not running.is_fixed
    with pytest.raises(FixedTimeError):
        running.start_at(datetime(2026, 11, 18, 9, 30))


def test_a_process_starts_its_clock_from_the_setting_once(monkeypatch: pytest.MonkeyPatch) -> None:
    process_clock = Clock()
    monkeypatch.setattr(clock, "clock", process_clock)
    clock.start_from_setting(None)
    assert not process_clock.is_running
    start = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    clock.start_from_setting(start)
    process_clock.advance(timedelta(minutes=5))
    clock.start_from_setting(start)  # the app of `weerbaar serve`, built in the same process
    assert process_clock.now() >= start + timedelta(minutes=5)


def test_a_fixed_moment_needs_a_time_zone(fixed_clock: Clock) -> None:
    with pytest.raises(FixedTimeError):
        fixed_clock.set(datetime(2026, 3, 1, 12))


@pytest.mark.parametrize(
    ("moment", "today"),
    [
        (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), date(2026, 12, 31)),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), date(2027, 1, 1)),  # midnight in Amsterdam (CET)
        (datetime(2026, 6, 30, 22, 0, tzinfo=UTC), date(2026, 7, 1)),  # midnight in Amsterdam (CEST)
    ],
)
def test_today_is_the_day_in_amsterdam(fixed_clock: Clock, moment: datetime, today: date) -> None:
    fixed_clock.set(moment)
    assert clock.local_today() == today


def test_the_application_reads_time_only_from_the_clock() -> None:
    readers = {
        path.relative_to(PROJECT_DIR).as_posix()
        for folder in APPLICATION
        for path in (PROJECT_DIR / folder).rglob("*.py")
        if "migrations" not in path.parts and WALL_CLOCK.search(path.read_text(encoding="utf-8"))
    }
    stray = sorted(readers - {"server/clock.py"})
    assert not stray, f"read the time with server.clock (now(), local_today()) instead: {stray}"
