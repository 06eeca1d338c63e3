"""What a municipal merger leaves for the coordinators (see server.mergers): the open bookings of
merged organisations for a day from the merger on (or still without a date), to be moved to their
successor or cancelled."""

from __future__ import annotations

from bookings.models import Booking, BookingStatus
from reporting.actions import LIST_SIZE, ActionItem, ActionList
from reporting.stages import local_day
from server.i18n import _

OPEN = (BookingStatus.REQUESTED, BookingStatus.SCHEDULED, BookingStatus.CONFIRMED)


async def bookings_to_move() -> ActionList:
    """The open bookings of merged organisations that are not surely before the merger, earliest
    session first (requests without a date last). One query."""
    rows = await Booking.filter(organisation__ended_on__isnull=False, status__in=OPEN).values(
        "reference",
        "starts_at",
        "created_at",
        "offering__name",
        "organisation__name",
        "organisation__ended_on",
        "organisation__successor__name",
    )
    rows = [
        row
        for row in rows
        if row["starts_at"] is None or local_day(row["starts_at"]) >= row["organisation__ended_on"]
    ]
    rows.sort(key=lambda row: (row["starts_at"] is None, row["starts_at"] or row["created_at"]))
    items = tuple(
        ActionItem(
            f"{row['organisation__name']}: {row['offering__name']}",
            _("Opgegaan in {successor}: verplaats de boeking of annuleer haar").format(
                successor=row["organisation__successor__name"] or _("een andere organisatie")
            ),
            f"/boekingen/{row['reference']}",
            row["starts_at"],
        )
        for row in rows[:LIST_SIZE]
    )
    return ActionList(
        "herindeling",
        _("Boekingen van opgeheven organisaties"),
        _("Open boekingen van gemeenten die door een herindeling zijn opgegaan in een andere."),
        items,
        len(rows),
    )
