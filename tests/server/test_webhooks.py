"""Webhooks against a real HTTP receiver on loopback: events recorded in the change's transaction,
CloudEvents signed with HMAC-SHA256, retries on the controlled clock while the receiver is down,
every event delivered once it is back and none twice, switched off after a day or on 410, and no
delivery to a private address unless the setting allows it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from server.clock import Clock
from server.errors import ValidationFailed
from server.mail import OutboxMessage
from server.models import AuditEntry, Role, User
from server.webhook_addresses import AddressRefused
from server.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from server.webhook_sender import MAX_ATTEMPTS, RETRY_DELAYS, SenderConfig, claim_due, deliver_due
from server.webhook_subscriptions import AddressRules, SubscriptionForm, create_subscription
from server.webhooks import record_event
from tests.factories import make_organisation, make_user
from tests.webhook_receiver import Receiver

CONFIG = SenderConfig(base_url="https://weerbaar.example", allow_private=True, require_https=False)
OPEN = AddressRules(allow_private=True, require_https=False)
ALL_EVENTS = ("booking.requested", "booking.scheduled", "booking.cancelled", "invoice.issued")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


async def subscribe(
    url: str, actor: User, events: tuple[str, ...] = ALL_EVENTS
) -> tuple[WebhookSubscription, str]:
    return await create_subscription(
        SubscriptionForm(url, "Vergaderplanner", events), actor=actor, rules=OPEN
    )


async def clerk_subscription(url: str) -> tuple[WebhookSubscription, str, User]:
    clerk = await make_user(Role.CLERK)
    subscription, secret = await subscribe(url, clerk)
    return subscription, secret, clerk


async def booking_event(organisation_id: int, reference: str = "WB-ABC123", kind: str = "requested") -> None:
    await record_event(
        f"booking.{kind}",
        reference,
        {"reference": reference, "status": kind},
        organisation_id,
        path=f"/boekingen/{reference}",
    )


async def test_an_event_goes_to_the_organisations_and_the_global_subscriptions_only(
    receiver: Receiver,
) -> None:
    nobody = await make_organisation()
    assert await record_event("booking.requested", "WB-1", {}, nobody.id) is None
    own, _, clerk = await clerk_subscription(receiver.url)
    other, _, _ = await clerk_subscription(receiver.url)
    team, _ = await subscribe(receiver.url, await make_user(Role.COORDINATOR))
    picky, _ = await subscribe(receiver.url, await make_user(Role.COORDINATOR), ("invoice.issued",))

    await booking_event(clerk.organisation_id)  # type: ignore[attr-defined]

    ids = set(await WebhookDelivery.all().values_list("subscription_id", flat=True))
    assert ids == {own.id, team.id}
    assert other.id not in ids and picky.id not in ids
    with pytest.raises(ValueError, match="unknown"):
        await record_event("booking.eaten", "WB-1", {}, None)


async def test_the_cloudevent_is_signed_and_delivered_once(receiver: Receiver, fixed_clock: Clock) -> None:
    subscription, secret, clerk = await clerk_subscription(receiver.url)
    await booking_event(clerk.organisation_id)  # type: ignore[attr-defined]

    assert await deliver_due(CONFIG) == 1

    [got] = receiver.received
    assert got.headers["content-type"] == "application/cloudevents+json"
    timestamp = got.headers["webhook-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["webhook-signature"], f"v1={expected}")
    assert int(timestamp) == int(fixed_clock.now().timestamp())
    event = json.loads(got.body)
    assert event["specversion"] == "1.0"
    assert event["type"] == "nl.weerbaar.booking.requested"
    assert event["source"] == "https://weerbaar.example"
    assert event["subject"] == "WB-ABC123"
    assert event["time"].endswith("Z")
    assert event["datacontenttype"] == "application/json"
    assert event["data"]["url"] == "https://weerbaar.example/boekingen/WB-ABC123"
    assert event["data"]["organisation"]["cbs_code"]
    assert got.headers["webhook-id"] == event["id"]
    delivery = await WebhookDelivery.get(subscription=subscription)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.last_status_code == 200
    [attempt] = await WebhookAttempt.filter(delivery=delivery)
    assert attempt.status_code == 200 and attempt.response_snippet.startswith("ontvangen")
    assert len(attempt.response_snippet) == 500

    fixed_clock.advance(timedelta(days=2))
    assert await deliver_due(CONFIG) == 0
    assert len(receiver.received) == 1


async def test_retries_while_the_receiver_is_down_then_every_event_arrives_once(
    receiver: Receiver, fixed_clock: Clock
) -> None:
    subscription, _, clerk = await clerk_subscription(receiver.url)
    receiver.stop()
    for number in range(3):
        await booking_event(clerk.organisation_id, f"WB-00000{number}")  # type: ignore[attr-defined]

    assert await deliver_due(CONFIG) == 0
    deliveries = await WebhookDelivery.filter(subscription=subscription)
    assert {(d.status, d.attempts) for d in deliveries} == {(DeliveryStatus.QUEUED, 1)}
    assert {d.next_attempt_at for d in deliveries} == {fixed_clock.now() + RETRY_DELAYS[0]}
    attempts = await WebhookAttempt.all()
    assert len(attempts) == 3 and all(a.status_code is None and a.error for a in attempts)

    fixed_clock.advance(timedelta(seconds=30))
    assert not await claim_due()
    fixed_clock.advance(timedelta(seconds=30))
    assert await deliver_due(CONFIG) == 0
    delivery = await WebhookDelivery.filter(subscription=subscription).first()
    assert delivery is not None and delivery.attempts == 2
    assert delivery.next_attempt_at == fixed_clock.now() + RETRY_DELAYS[1]

    receiver.start()
    fixed_clock.advance(RETRY_DELAYS[1])
    assert await deliver_due(CONFIG) == 3
    fixed_clock.advance(timedelta(days=1))
    assert await deliver_due(CONFIG) == 0
    subjects = Counter(json.loads(r.body)["subject"] for r in receiver.received)
    assert subjects == Counter({"WB-000000": 1, "WB-000001": 1, "WB-000002": 1})
    assert await WebhookDelivery.filter(status=DeliveryStatus.DELIVERED).count() == 3


async def test_switched_off_after_a_day_of_failures_and_the_owner_is_told(
    receiver: Receiver, fixed_clock: Clock
) -> None:
    receiver.status = 500
    subscription, _, clerk = await clerk_subscription(receiver.url)
    await booking_event(clerk.organisation_id)  # type: ignore[attr-defined]

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await deliver_due(CONFIG) == 0
        if attempt < MAX_ATTEMPTS:
            fixed_clock.advance(RETRY_DELAYS[attempt - 1])
    assert sum(RETRY_DELAYS, timedelta()) >= timedelta(days=1)

    delivery = await WebhookDelivery.get(subscription=subscription)
    assert delivery.status is DeliveryStatus.FAILED and delivery.attempts == MAX_ATTEMPTS
    assert len(receiver.received) == MAX_ATTEMPTS
    subscription = await WebhookSubscription.get(id=subscription.id)
    assert not subscription.is_active and "dag" in subscription.disabled_reason
    mail = await OutboxMessage.get(to_address=clerk.email)
    assert "uitgezet" in mail.subject.lower()
    assert await AuditEntry.filter(action="webhook_switched_off").count() == 1

    await booking_event(clerk.organisation_id, "WB-999999")  # type: ignore[attr-defined]
    assert await WebhookDelivery.filter(subscription=subscription).count() == 1


async def test_a_410_switches_the_subscription_off_at_once(receiver: Receiver) -> None:
    receiver.status = 410
    subscription, _, clerk = await clerk_subscription(receiver.url)
    await booking_event(clerk.organisation_id)  # type: ignore[attr-defined]
    await booking_event(clerk.organisation_id, "WB-222222")  # type: ignore[attr-defined]

    assert await deliver_due(CONFIG, limit=1) == 0

    subscription = await WebhookSubscription.get(id=subscription.id)
    assert not subscription.is_active and "410" in subscription.disabled_reason
    assert await WebhookDelivery.filter(status=DeliveryStatus.FAILED).count() == 1
    assert not await claim_due()  # the other one waits: its subscription is off
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.1.10/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://100.64.0.1/x",
    ],
)
async def test_private_addresses_are_refused_unless_the_setting_allows_them(url: str) -> None:
    clerk = await make_user(Role.CLERK)
    form = SubscriptionForm(url, "", ("booking.requested",))
    with pytest.raises(AddressRefused):
        await create_subscription(
            form, actor=clerk, rules=AddressRules(allow_private=False, require_https=False)
        )
    assert not await WebhookSubscription.exists()
    subscription, _ = await create_subscription(form, actor=clerk, rules=OPEN)
    assert subscription.is_active


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "https://user:pw@example.org/x", "nonsense", "http://"]
)
async def test_malformed_addresses_are_refused(url: str) -> None:
    clerk = await make_user(Role.CLERK)
    with pytest.raises(ValidationFailed) as refused:
        await create_subscription(SubscriptionForm(url, "", ("booking.requested",)), actor=clerk, rules=OPEN)
    assert set(refused.value.errors) == {"url"}


async def test_production_wants_https() -> None:
    clerk = await make_user(Role.CLERK)
    form = SubscriptionForm("http://93.184.215.14/x", "", ("booking.requested",))
    with pytest.raises(ValidationFailed, match="https"):
        await create_subscription(
            form, actor=clerk, rules=AddressRules(allow_private=False, require_https=True)
        )


async def test_a_private_address_is_refused_at_delivery_too(receiver: Receiver) -> None:
    """A name may resolve to a private address after it was saved: checked again before each POST."""
    _, _, clerk = await clerk_subscription(receiver.url)
    await booking_event(clerk.organisation_id)  # type: ignore[attr-defined]
    strict = SenderConfig(base_url=CONFIG.base_url, allow_private=False, require_https=False)

    assert await deliver_due(strict) == 0

    assert receiver.received == []
    [attempt] = await WebhookAttempt.all()
    assert attempt.status_code is None and "openbare" in attempt.error


async def test_a_late_outcome_does_not_overwrite_the_sender_that_took_over(
    receiver: Receiver, fixed_clock: Clock
) -> None:
    _, _, clerk = await clerk_subscription(receiver.url)
    await booking_event(clerk.organisation_id)  # type: ignore[attr-defined]
    [first] = await claim_due()
    assert not await claim_due()  # held under the lease
    fixed_clock.advance(timedelta(minutes=3))
    assert await deliver_due(CONFIG) == 1  # the lease ran out: another sender took it over
    from server.webhook_sender import Outcome, _record_attempt

    await _record_attempt(first, Outcome(status_code=500), CONFIG)
    delivery = await WebhookDelivery.get(id=first.id)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 1


async def test_concurrent_senders_deliver_each_event_exactly_once(receiver: Receiver, db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("FOR UPDATE SKIP LOCKED is what is tested; SQLite has one writer anyway")
    _, _, clerk = await clerk_subscription(receiver.url)
    await subscribe(receiver.url, await make_user(Role.COORDINATOR))
    for number in range(30):
        await booking_event(clerk.organisation_id, f"WB-{number:06d}")  # type: ignore[attr-defined]

    async def sender_loop() -> int:
        sent = 0
        while delivered := await deliver_due(CONFIG, limit=5):
            sent += delivered
        return sent

    counts = await asyncio.gather(*(sender_loop() for _ in range(4)))

    assert sum(counts) == 60
    per_delivery = Counter(
        (r.headers["webhook-id"], r.headers["webhook-signature"]) for r in receiver.received
    )
    assert len(receiver.received) == 60 and set(per_delivery.values()) == {1}
    assert await WebhookDelivery.filter(status=DeliveryStatus.DELIVERED).count() == 60


async def test_old_events_go_with_their_log_once_nothing_is_left_to_send(
    receiver: Receiver, fixed_clock: Clock
) -> None:
    from server.retention import WEBHOOK_EVENT_RETENTION, purge_expired

    subscription, _, clerk = await clerk_subscription(receiver.url)
    await booking_event(clerk.organisation_id, "WB-000001")  # type: ignore[attr-defined]
    assert await deliver_due(CONFIG) == 1
    receiver.stop()
    await booking_event(clerk.organisation_id, "WB-000002")  # type: ignore[attr-defined]
    assert await deliver_due(CONFIG) == 0  # queued for a retry

    fixed_clock.advance(WEBHOOK_EVENT_RETENTION + timedelta(days=1))
    report = await purge_expired()

    assert report.webhook_events == 1
    assert await WebhookEvent.all().values_list("subject", flat=True) == ["WB-000002"]
    assert await WebhookAttempt.all().count() == 1
    assert await WebhookSubscription.exists(id=subscription.id)


async def test_a_host_name_is_resolved_and_each_of_its_addresses_tried(receiver: Receiver) -> None:
    """`localhost` may resolve to ::1 first, where nothing listens: the next checked address is tried."""
    subscription, _, clerk = await clerk_subscription(f"http://localhost:{receiver.port}/weerbaar")
    await booking_event(clerk.organisation_id)  # type: ignore[attr-defined]

    assert await deliver_due(CONFIG) == 1

    [got] = receiver.received
    assert got.headers["host"] == f"localhost:{receiver.port}"
    assert (await WebhookDelivery.get(subscription=subscription)).status is DeliveryStatus.DELIVERED
