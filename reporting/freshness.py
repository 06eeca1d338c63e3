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
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from tortoise import Tortoise

from server.change_mark import Kept

T = TypeVar("T")

#: One scan per table (a table's count and latest change together), and the outbox's failed and
#: queued mail counted through its status index. Scalar subqueries per column scanned each table
#: once per column: about twice the database time.
FINGERPRINT_SQL = """
SELECT * FROM
    (SELECT COUNT(*) AS organisations, MAX(updated_at) AS organisations_changed FROM organisation) o,
    (SELECT COUNT(*) AS bookings, MAX(updated_at) AS bookings_changed FROM booking) b,
    (SELECT COUNT(*) AS invitations, MAX(invited_at) AS invited FROM tour_invitation) t,
    (SELECT MAX(updated_at) AS target_changed FROM tour_target) g,
    (SELECT COUNT(*) AS requests, MAX(answered_at) AS answered FROM assignment_request) r,
    (SELECT COUNT(*) AS feedback_sessions FROM session_feedback) s,
    (SELECT MAX(id) AS last_response FROM feedback_response) f,
    (SELECT COUNT(*) AS leads, MAX(updated_at) AS leads_changed FROM feedback_lead) l,
    (
        SELECT COUNT(*) AS invoices, MAX(issued_at) AS issued, MAX(sent_at) AS sent, MAX(paid_on) AS paid
        FROM invoice
    ) i,
    (SELECT COUNT(*) AS mail_failed FROM outbox_message WHERE status = 'failed') mf,
    (SELECT COUNT(*) AS mail_queued FROM outbox_message WHERE status = 'queued') mq
"""
#: Read with the fingerprint, but not part of it: mail comes and goes without changing the figures.
MAIL_COLUMNS = ("mail_failed", "mail_queued")


@dataclass(frozen=True)
class TourState:
    """The fingerprint of the dashboard's figures, and the outbox's failed and queued mail."""

    fingerprint: tuple[object, ...]
    mail_failed: int
    mail_queued: int


async def tour_state(now: datetime) -> TourState:
    """What the dashboard's figures depend on, and the mail counts it shows, in one query."""
    rows = await Tortoise.get_connection("default").execute_query_dict(FINGERPRINT_SQL)
    row = rows[0]
    figures = [value for column, value in row.items() if column not in MAIL_COLUMNS]
    return TourState(
        fingerprint=(now.replace(second=0, microsecond=0), *figures),
        mail_failed=int(row["mail_failed"]),
        mail_queued=int(row["mail_queued"]),
    )


async def tour_fingerprint(now: datetime) -> tuple[object, ...]:
    """What the dashboard's figures depend on, in one query."""
    return (await tour_state(now)).fingerprint


class FigureCache:
    """The last value computed per key, with the fingerprint it was computed at."""

    #: More than the keys the dashboard uses (the progress, and the overview per follow-up weeks).
    ENTRIES = 64

    def __init__(self) -> None:
        self._kept: Kept[object] = Kept(self.ENTRIES)

    async def get(
        self, key: Hashable, fingerprint: tuple[object, ...], compute: Callable[[], Awaitable[T]]
    ) -> T:
        value = self._kept.get(key, fingerprint)
        if value is None:
            value = await compute()
            self._kept.put(key, fingerprint, value)
        return value  # type: ignore[return-value]
