"""Reusing the dashboard's figures while the tour's data has not changed.

Working out every organisation's stage reads all bookings; most requests for the dashboard come
when nothing changed since the last one. Each app process keeps its last result with a fingerprint
of the data it came from: counts and latest change times of the tables the dashboard reads, taken in
one cheap query, plus the current minute (the lists depend on the clock: "in the next 14 days",
"past the due date"). A change anywhere, in any process, changes the fingerprint, so what a
coordinator just did shows at once; a change the fingerprint cannot see (an offering's roles, a
request's status set without an answer time) shows within the minute.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime
from typing import TypeVar

from tortoise import Tortoise

T = TypeVar("T")

FINGERPRINT_SQL = """
SELECT
    (SELECT COUNT(*) FROM organisation) AS organisations,
    (SELECT MAX(updated_at) FROM organisation) AS organisations_changed,
    (SELECT COUNT(*) FROM booking) AS bookings,
    (SELECT MAX(updated_at) FROM booking) AS bookings_changed,
    (SELECT COUNT(*) FROM tour_invitation) AS invitations,
    (SELECT MAX(invited_at) FROM tour_invitation) AS invited,
    (SELECT MAX(updated_at) FROM tour_target) AS target_changed,
    (SELECT COUNT(*) FROM assignment_request) AS requests,
    (SELECT MAX(answered_at) FROM assignment_request) AS answered,
    (SELECT COUNT(*) FROM session_feedback) AS feedback_sessions,
    (SELECT MAX(id) FROM feedback_response) AS last_response,
    (SELECT COUNT(*) FROM invoice) AS invoices,
    (SELECT MAX(issued_at) FROM invoice) AS issued,
    (SELECT MAX(sent_at) FROM invoice) AS sent,
    (SELECT MAX(paid_on) FROM invoice) AS paid
"""


async def tour_fingerprint(now: datetime) -> tuple[object, ...]:
    """What the dashboard's figures depend on, in one query."""
    rows = await Tortoise.get_connection("default").execute_query_dict(FINGERPRINT_SQL)
    return (now.replace(second=0, microsecond=0), *rows[0].values())


class FigureCache:
    """The last value computed per key, with the fingerprint it was computed at."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[tuple[object, ...], object]] = {}

    async def get(
        self, key: Hashable, fingerprint: tuple[object, ...], compute: Callable[[], Awaitable[T]]
    ) -> T:
        entry = self._entries.get(key)
        if entry is not None and entry[0] == fingerprint:
            return entry[1]  # type: ignore[return-value]
        value = await compute()
        self._entries[key] = (fingerprint, value)
        return value
