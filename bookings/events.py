"""The webhook events of a booking's life (server.webhooks): recorded in the transaction of each step.

Only references, the status and the times travel: no names, addresses or free text (the reason of a
cancellation stays in Weerbaar).
"""

from __future__ import annotations

from bookings.models import Booking
from server.webhooks import record_event


def _moment(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


async def announce(booking: Booking, kind: str) -> None:
    """Record `booking.<kind>` (requested, scheduled, confirmed, rescheduled, cancelled)."""
    await record_event(
        f"booking.{kind}",
        booking.reference,
        {
            "reference": booking.reference,
            "status": str(booking.status),
            "offering_id": booking.offering_id,  # type: ignore[attr-defined]
            "starts_at": _moment(booking.starts_at),
            "ends_at": _moment(booking.ends_at),
        },
        booking.organisation_id,  # type: ignore[attr-defined]
        path=f"/boekingen/{booking.reference}",
    )
