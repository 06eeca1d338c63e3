"""Reading bookings: who may see which booking, the coordinators' board, a booking's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Case, Q, Subquery, When

from bookings.models import Booking, BookingStatus, PreferredSlot, Stage
from server import sql
from server.errors import NotFound
from server.models import CBS_CODE_LENGTH, AuditEntry, Organisation, Role, User
from server.templating import AMSTERDAM

PAGE_SIZE = 50
#: Audit actions a clerk sees on their booking's timeline (not the team's internal steps).
PUBLIC_ACTIONS = (
    "booking_requested",
    "booking_request_changed",
    "booking_scheduled",
    "booking_confirmed",
    "booking_rescheduled",
    "booking_cancelled",
    "booking_delivered",
    "booking_closed",
    "purchase_order_updated",
)
#: The board shows first what needs the team's action.
ACTION_ORDER = Case(
    When(status=BookingStatus.REQUESTED, then="1"),
    When(status=BookingStatus.SCHEDULED, then="2"),
    When(status=BookingStatus.DELIVERED, then="3"),
    When(status=BookingStatus.CONFIRMED, then="4"),
    default="9",
)
#: What a row of the board shows, as plain values: sorting 5,000 bookings with all their columns
#: and those of their organisation, province and offering took most of the page's time.
BOARD_COLUMNS = {
    "organisation_name": "organisation__name",
    "province_name": "organisation__province__name",
    "offering_name": "offering__name",
    "offering_stage": "offering__stage",
}


async def booking_for(user: User, reference: str) -> Booking:
    """The booking with its organisation, offering and preferred dates, if this user may see it."""
    booking = (
        await Booking.get_or_none(reference=reference)
        .select_related("organisation__province", "offering", "requested_by", "cancelled_by")
        .prefetch_related("preferred_slots")
    )
    if booking is None:
        raise NotFound()
    if user.role is Role.CLERK and booking.organisation_id != user.organisation_id:  # type: ignore[attr-defined]
        raise NotFound()
    if user.role is Role.TRAINER:
        raise NotFound()
    return booking


#: An organisation's bookings, newest first, with what its bookings page shows: one statement in
#: plain SQL (server/sql.py) instead of every booking's columns with its offering's and a second
#: query for the preferred slots (2.5 ms of CPU for 20 bookings through querysets).
BOOKINGS_OF_SQL = (
    'SELECT b."reference", b."status", b."starts_at", b."created_at", f."name" AS "offering_name", '
    '(SELECT p."starts_at" FROM "preferred_slot" p WHERE p."booking_id" = b."id" '
    'ORDER BY p."position" LIMIT 1) AS "first_preference" '
    'FROM "booking" b JOIN "offering" f ON f."id" = b."offering_id" '
    'WHERE b."organisation_id" = $1 ORDER BY b."created_at" DESC, b."id" DESC'
)


async def bookings_of(organisation: Organisation) -> list[dict[str, Any]]:
    """Each booking's reference, status, starts_at, created_at, offering_name and the first of its
    preferred slots (first_preference, or None)."""
    rows = await sql.fetch(Booking, BOOKINGS_OF_SQL, organisation.id)
    return [
        {
            **sql.converted(Booking, row, "status", "starts_at", "created_at"),
            "first_preference": sql.value(PreferredSlot, "starts_at", row["first_preference"]),
        }
        for row in rows
    ]


async def other_bookings_of_organisation(booking: Booking) -> list[Booking]:
    return (
        await Booking.filter(organisation_id=booking.organisation_id)  # type: ignore[attr-defined]
        .exclude(id=booking.id)
        .select_related("offering")
        .order_by("-created_at")
        .limit(20)
    )


async def timeline(booking: Booking, *, for_staff: bool) -> list[AuditEntry]:
    entries = AuditEntry.filter(object_type="Booking", object_id=str(booking.id))
    if not for_staff:
        entries = entries.filter(action__in=PUBLIC_ACTIONS)
    return await entries.order_by("created_at", "id")


def organisation_search(text: str, prefix: str = "") -> Q:
    """Organisations whose name contains the text, or whose CBS code it is.

    The code is compared only when the text fits in it: Tortoise validates a filter value against the
    field's max_length, and a longer name would otherwise fail the whole search (a 400)."""
    condition = Q(**{f"{prefix}name__icontains": text})
    if len(text) <= CBS_CODE_LENGTH:
        condition |= Q(**{f"{prefix}cbs_code": text.upper()})
    return condition


@dataclass(frozen=True)
class BoardFilters:
    status: str = ""
    stage: str = ""
    province: str = ""
    organisation: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, query: dict[str, str]) -> BoardFilters:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(query.get(name, ""))
            except ValueError:
                return None

        status = query.get("status", "")
        stage = query.get("fase", "")
        return cls(
            status=status if status in BookingStatus.__members__.values() else "",
            stage=stage if stage in Stage.__members__.values() else "",
            province=query.get("provincie", "")[:6],
            organisation=query.get("organisatie", "").strip()[:100],
            date_from=day("van"),
            date_to=day("tot"),
        )


async def board(filters: BoardFilters, page: int) -> tuple[list[dict[str, Any]], bool]:
    """Bookings for the coordinators, what needs action first; and whether there is a next page.

    Each row holds the booking's reference, status, starts_at and created_at and the BOARD_COLUMNS.
    The page's bookings are chosen first (sorted and limited without the joins the rows show, only
    those a filter needs); only those are then joined to their organisation, province and offering."""
    query = Booking.all().annotate(action_order=ACTION_ORDER)
    if filters.status:
        query = query.filter(status=filters.status)
    if filters.stage:
        query = query.filter(offering__stage=filters.stage)
    if filters.province:
        query = query.filter(
            Q(organisation__province__cbs_code=filters.province) | Q(organisation__cbs_code=filters.province)
        )
    if filters.organisation:
        query = query.filter(organisation_search(filters.organisation, "organisation__"))
    if filters.date_from:
        query = query.filter(starts_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=AMSTERDAM))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=AMSTERDAM)
        query = query.filter(starts_at__lt=end)
    order = ("action_order", "starts_at", "created_at", "id")
    chosen = query.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1).values("id")
    rows = (
        await Booking.filter(id__in=Subquery(chosen))
        .annotate(action_order=ACTION_ORDER)
        .order_by(*order)
        .values("reference", "status", "starts_at", "created_at", **BOARD_COLUMNS)
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
