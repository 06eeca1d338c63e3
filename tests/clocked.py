"""The moment every test runs at, and running the `weerbaar` command on it.

Tests run on a fixed clock at `TEST_MOMENT` (tests/conftest.py), browser tests on a clock started there
(tests/e2e/conftest.py), so no outcome depends on the day, the minute or the speed of the machine.
A Wednesday in November: a working week around it, no public holiday near, well inside a council term.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime

from server.clock import AMSTERDAM
from tests.cli import weerbaar

TEST_MOMENT = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
#: The day of TEST_MOMENT in Amsterdam, which is what "today" means in the application.
TEST_DAY: date = TEST_MOMENT.astimezone(AMSTERDAM).date()


def clock_environment(moment: datetime = TEST_MOMENT) -> dict[str, str]:
    """Environment variables that start another process's clock at `moment`."""
    return {"WEERBAAR_CLOCK_START": moment.isoformat()}


def clocked_command(url: str, *args: str, at: datetime = TEST_MOMENT) -> subprocess.CompletedProcess[str]:
    """`weerbaar ARGS` against `url` with its clock started at `at` (TEST_MOMENT by default): a
    command runs a second or so, so its "today" is the test's day however slow the machine is."""
    return weerbaar(url, *args, extra_env=clock_environment(at))
