"""The coordinators' board pages through the bookings in action order, whichever page is asked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookings import queries
from bookings.models import BookingStatus
from server import clock
from server.models import Organisation
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation


async def test_the_pages_together_are_the_whole_board_in_action_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    province = await Organisation.create(kind="province", cbs_code="PV27", name="Utrecht")
    zeist = await make_organisation(name="Zeist", province=province)
    delft = await make_organisation(name="Delft")
    offering = await make_offering()
    now = clock.now()
    statuses = [
        BookingStatus.CLOSED,
        BookingStatus.CONFIRMED,
        BookingStatus.REQUESTED,
        BookingStatus.DELIVERED,
        BookingStatus.SCHEDULED,
        BookingStatus.CANCELLED,
        BookingStatus.REQUESTED,
        BookingStatus.SCHEDULED,
    ]
    order = ["requested", "scheduled", "delivered", "confirmed"]
    made = []
    for number, status in enumerate(statuses):
        booking = await make_booking(
            organisation=zeist if number % 2 else delft,
            offering=offering,
            status=status,
            starts_at=now + timedelta(days=10 - number),
        )
        rank = order.index(status) if status in order else len(order)
        made.append((rank, booking.starts_at, booking.reference, number % 2 == 1))

    async def all_pages(filters: queries.BoardFilters) -> list[str]:
        references: list[str] = []
        page, has_next = 1, True
        while has_next:
            found, has_next = await queries.board(filters, page)
            assert len(found) == 3 or not has_next
            references += [row["reference"] for row in found]
            page += 1
        return references

    made.sort()
    assert await all_pages(queries.BoardFilters()) == [reference for *_key, reference, _zeist in made]
    in_utrecht = await all_pages(queries.BoardFilters(province="PV27"))
    assert in_utrecht == [reference for *_key, reference, in_zeist in made if in_zeist]
    assert await queries.board(queries.BoardFilters(), 4) == ([], False)
