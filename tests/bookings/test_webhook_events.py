"""Each step of a booking records its webhook event in the step's transaction (server.webhooks)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookings import lifecycle
from bookings.errors import IllegalTransition
from bookings.models import BookingStatus, Stage
from server import clock
from server.models import Role
from server.settings import Settings
from server.webhook_models import WebhookDelivery, WebhookEvent
from server.webhook_subscriptions import AddressRules, SubscriptionForm, create_subscription
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation, make_user, not_on_a_holiday

EVENTS = ("booking.scheduled", "booking.cancelled", "booking.confirmed")


async def test_steps_of_a_booking_record_their_events_without_free_text(settings: Settings) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    await create_subscription(
        SubscriptionForm("http://127.0.0.1:9/x", "", EVENTS),
        actor=coordinator,
        rules=AddressRules(allow_private=True, require_https=False),
    )
    booking = await make_booking()
    starts = not_on_a_holiday(clock.now() + timedelta(days=60))

    await lifecycle.schedule_booking(booking.id, starts, actor=coordinator, settings=settings)
    with pytest.raises(IllegalTransition):  # refused: no event either
        await lifecycle.schedule_booking(booking.id, starts, actor=coordinator, settings=settings)
    await lifecycle.cancel_booking(booking.id, "Geheime reden", actor=coordinator, settings=settings)

    events = await WebhookEvent.all().order_by("id")
    assert [e.type for e in events] == ["booking.scheduled", "booking.cancelled"]
    scheduled, cancelled = events
    assert scheduled.subject == booking.reference and scheduled.path == f"/boekingen/{booking.reference}"
    assert scheduled.data["status"] == BookingStatus.SCHEDULED
    assert scheduled.data["starts_at"] == starts.isoformat()
    assert cancelled.data["status"] == BookingStatus.CANCELLED
    assert "Geheime reden" not in str(cancelled.data) and "Petra" not in str(cancelled.data)
    assert await WebhookDelivery.all().count() == 2


async def test_a_booking_request_is_announced_to_its_organisations_webhook(settings: Settings) -> None:
    from tests.bookings.test_service import book

    clerk = await make_user(Role.CLERK, organisation=await make_organisation(name="Zeist"))
    await make_user(Role.COORDINATOR)
    await create_subscription(
        SubscriptionForm("http://127.0.0.1:9/x", "", ("booking.requested",)),
        actor=clerk,
        rules=AddressRules(allow_private=True, require_https=False),
    )
    offering = await make_offering(stage=Stage.FOLLOW_UP)
    booking = await book(clerk, settings, offering.id, 30)

    [event] = await WebhookEvent.all()
    assert (event.type, event.subject, event.data["status"]) == (
        "booking.requested",
        booking.reference,
        "requested",
    )
    assert event.data["offering_id"] == offering.id and event.data["starts_at"] is None
