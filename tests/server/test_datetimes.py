"""Date-times compare as moments on both databases, whatever offset they were given in."""

from __future__ import annotations

from datetime import UTC, datetime

from bookings.models import Booking
from server.templating import AMSTERDAM
from tests.bookings.factories import make_booking


async def test_bounds_in_amsterdam_time_find_moments_stored_in_any_offset() -> None:
    # 23:30 UTC on New Year's Eve is already 00:30 on 1 January in Amsterdam.
    late = await make_booking(starts_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    early = await make_booking(starts_at=datetime(2026, 12, 31, 23, 45, tzinfo=AMSTERDAM))
    new_year = datetime(2027, 1, 1, tzinfo=AMSTERDAM)

    assert await Booking.filter(starts_at__gte=new_year).values_list("id", flat=True) == [late.id]
    assert await Booking.filter(starts_at__lt=new_year).values_list("id", flat=True) == [early.id]
    stored = await Booking.get(id=early.id)
    assert stored.starts_at == datetime(2026, 12, 31, 22, 45, tzinfo=UTC)
