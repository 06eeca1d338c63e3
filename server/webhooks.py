"""Webhook events: what the domains call when something happens, and how an event is sent.

A domain service calls `record_event(type, subject, data, organisation_id)` inside the transaction of
the change, so an event exists exactly when the change was committed. It stores the event once and a
delivery for each active subscription that wants it (the organisation's own and the team's global
ones); nothing is stored when nobody subscribed. server.webhook_sender delivers them after the commit.

The body is a CloudEvent 1.0 in structured mode (`application/cloudevents+json`), following the NL GOV
profile for CloudEvents: `type` in reverse-DNS form (`nl.weerbaar.booking.confirmed`), `source` the
base URL of this Weerbaar, `time` in UTC with its zone, `subject` the booking reference or invoice
number, and `data` with references, statuses, times and a link only: no names, addresses or free text.

Signature: `Webhook-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>` with the Unix time
in `Webhook-Timestamp` (docs/webhooks.md shows how to check it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from server import clock
from server.models import Organisation
from server.webhook_models import EVENT_TYPES, WebhookDelivery, WebhookEvent, WebhookSubscription

TYPE_PREFIX = "nl.weerbaar."
CONTENT_TYPE = "application/cloudevents+json"
SIGNATURE_VERSION = "v1"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


async def record_event(
    type: str, subject: str, data: Mapping[str, Any], organisation_id: int | None, *, path: str = ""
) -> WebhookEvent | None:
    """Store the event and its deliveries; call inside the change's transaction. `data` holds plain
    JSON values without personal data; `path` is the subject's page (e.g. /boekingen/WB-ABC123).
    Raises ValueError for a type not in EVENT_TYPES."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    subscriptions = [
        subscription
        for subscription in await WebhookSubscription.filter(is_active=True)
        if type in subscription.event_types and subscription.organisation_id in (None, organisation_id)  # type: ignore[attr-defined]
    ]
    if not subscriptions:
        return None
    full_data = dict(data)
    if organisation_id is not None:
        cbs_code = await Organisation.filter(id=organisation_id).values_list("cbs_code", flat=True)
        full_data["organisation"] = {"cbs_code": cbs_code[0] if cbs_code else None}
    now = clock.now()
    event = await WebhookEvent.create(
        event_id=str(uuid.uuid4()),
        type=type,
        subject=subject,
        organisation_id=organisation_id,
        data=full_data,
        path=path,
        occurred_at=now,
    )
    await WebhookDelivery.bulk_create(
        [WebhookDelivery(subscription=s, event=event, next_attempt_at=now) for s in subscriptions]
    )
    return event


def cloud_event(event: WebhookEvent, base_url: str) -> dict[str, Any]:
    data = dict(event.data)
    if event.path:
        data["url"] = base_url + event.path
    return {
        "specversion": "1.0",
        "id": event.event_id,
        "source": base_url,
        "type": TYPE_PREFIX + event.type,
        "subject": event.subject,
        "time": event.occurred_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": data,
    }


def body_of(event: WebhookEvent, base_url: str) -> bytes:
    """The exact bytes that are POSTed (and signed)."""
    return json.dumps(cloud_event(event, base_url), ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def signed_headers(secret: str, event: WebhookEvent, body: bytes) -> dict[str, str]:
    timestamp = int(clock.now().timestamp())
    return {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": "Weerbaar-Webhooks/1",
        "Webhook-Id": event.event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(secret, timestamp, body),
    }
