"""Webhooks: subscriptions, the events the domains record, and one delivery per subscription and event.

An event is written in the transaction of the change it reports (server.webhooks.record_event); its
deliveries are sent after the commit by server.webhook_sender, which logs every attempt.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from server.timestamps import ClockDatetimeField

#: The events a subscription can choose, in the order the pages list them.
EVENT_TYPES = (
    "booking.requested",
    "booking.scheduled",
    "booking.confirmed",
    "booking.rescheduled",
    "booking.cancelled",
    "invoice.issued",
    "feedback.closed",
)


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookSubscription(Model):
    """Where to POST which events: for one organisation (made by its clerks) or for all (coordinators)."""

    id = fields.IntField(primary_key=True)
    #: None: a global subscription of the team, which receives the events of every organisation.
    organisation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.Organisation", related_name="webhook_subscriptions", null=True, on_delete=fields.CASCADE
    )
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="webhook_subscriptions", null=True, on_delete=fields.SET_NULL
    )
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=200, default="")
    event_types = fields.JSONField(default=list)
    #: The HMAC key, kept as is because signing needs it (shown only when made or renewed).
    secret = fields.CharField(max_length=100)
    is_active = fields.BooleanField(default=True)
    disabled_reason = fields.CharField(max_length=300, default="")
    disabled_at = fields.DatetimeField(null=True)
    created_at = ClockDatetimeField(auto_now_add=True)
    updated_at = ClockDatetimeField(auto_now=True)

    class Meta:
        table = "webhook_subscription"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def is_global(self) -> bool:
        return self.organisation_id is None  # type: ignore[attr-defined]


class WebhookEvent(Model):
    """Something that happened, kept as the parts of a CloudEvent (the body is built from them when sent)."""

    id = fields.BigIntField(primary_key=True)
    #: The id of the CloudEvent (a UUID): the same for every delivery and resend, so receivers can dedupe.
    event_id = fields.CharField(max_length=36, unique=True)
    type = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=100)
    organisation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.Organisation", related_name="webhook_events", null=True, on_delete=fields.CASCADE
    )
    data = fields.JSONField()
    #: The page of the subject in Weerbaar, made absolute with the base URL when sent.
    path = fields.CharField(max_length=300, default="")
    occurred_at = fields.DatetimeField()

    class Meta:
        table = "webhook_event"


class WebhookDelivery(Model):
    """One event to one subscription: queued, being sent (under a lease), delivered or failed."""

    id = fields.BigIntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[WebhookSubscription] = fields.ForeignKeyField(
        "core.WebhookSubscription", related_name="deliveries", on_delete=fields.CASCADE
    )
    event: fields.ForeignKeyRelation[WebhookEvent] = fields.ForeignKeyField(
        "core.WebhookEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.QUEUED)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_status_code = fields.IntField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    created_at = ClockDatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_delivery"
        ordering = ["-id"]
        unique_together = (("subscription", "event"),)
        indexes = (Index(fields=("status", "next_attempt_at")),)

    @property
    def can_resend(self) -> bool:
        return self.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


class WebhookAttempt(Model):
    """One POST of a delivery: the status code and the start of the answer, or what went wrong."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "core.WebhookDelivery", related_name="attempt_log", on_delete=fields.CASCADE
    )
    attempted_at = fields.DatetimeField()
    status_code = fields.IntField(null=True)
    response_snippet = fields.CharField(max_length=500, default="")
    error = fields.CharField(max_length=300, default="")

    class Meta:
        table = "webhook_attempt"
        ordering = ["-attempted_at", "-id"]
