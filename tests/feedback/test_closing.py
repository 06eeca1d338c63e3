"""`feedback.closed` is recorded once per session when its form closes, whoever runs the job."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from feedback.closing import announce_closed_sessions
from feedback.models import FeedbackForm, SessionFeedback
from server import clock
from server.clock import Clock
from server.models import Role
from server.webhook_models import WebhookEvent
from server.webhook_subscriptions import AddressRules, SubscriptionForm, create_subscription
from tests.bookings.factories import make_booking
from tests.factories import make_user


async def test_a_closed_form_is_announced_once(fixed_clock: Clock) -> None:
    await create_subscription(
        SubscriptionForm("http://127.0.0.1:9/x", "", ("feedback.closed",)),
        actor=await make_user(Role.COORDINATOR),
        rules=AddressRules(allow_private=True, require_https=False),
    )
    booking = await make_booking(starts_at=clock.now())
    form = await FeedbackForm.create(name="Sessie")
    await SessionFeedback.create(
        booking=booking,
        form=form,
        code="ABC123",
        opens_at=clock.now(),
        closes_at=clock.now() + timedelta(days=14),
    )
    assert await announce_closed_sessions() == 0

    fixed_clock.advance(timedelta(days=14))
    assert sum(await asyncio.gather(*(announce_closed_sessions() for _ in range(3)))) == 1
    assert await announce_closed_sessions() == 0

    [event] = await WebhookEvent.all()
    assert event.type == "feedback.closed" and event.subject == booking.reference
    assert set(event.data) == {"booking_reference", "opens_at", "closes_at", "organisation"}
