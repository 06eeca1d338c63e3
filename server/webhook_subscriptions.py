"""Managing webhook subscriptions: a clerk those of their own organisation, a coordinator all of them
and the team's global ones. Each change is one transaction with an audit entry.

Raises NotFound for a subscription the user may not see (another organisation's: its existence is not
revealed), ValidationFailed for a form with mistakes (at the field) and AddressRefused (server.
webhook_addresses) for an address that is not public or not https where that is required.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from server import clock
from server.audit import record
from server.errors import Forbidden, NotFound, ValidationFailed
from server.i18n import _
from server.models import Role, User
from server.webhook_addresses import AddressRefused, parse_url, resolve
from server.webhook_models import (
    EVENT_TYPES,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from server.webhooks import new_secret

LOG_SIZE = 50


@dataclass(frozen=True)
class AddressRules:
    allow_private: bool
    require_https: bool


@dataclass(frozen=True)
class SubscriptionForm:
    url: str
    description: str
    event_types: tuple[str, ...]


def _check(form: SubscriptionForm, rules: AddressRules) -> None:
    """Every mistake of the form at once; the address is resolved only once the form is right."""
    errors = {}
    try:
        parse_url(form.url, require_https=rules.require_https)
    except AddressRefused as refused:
        errors["url"] = refused.message
    if not form.event_types or any(t not in EVENT_TYPES for t in form.event_types):
        errors["events"] = _("Kies minstens één gebeurtenis.")
    if len(form.description) > 200 or "\n" in form.description:
        errors["description"] = _("Vul een korte omschrijving op één regel in (maximaal 200 tekens).")
    if errors:
        raise ValidationFailed(errors)


def _may_manage(user: User) -> None:
    if user.role not in (Role.CLERK, Role.COORDINATOR) or (
        user.role is Role.CLERK and not user.organisation_id
    ):  # type: ignore[attr-defined]
        raise Forbidden()


async def subscription_for(subscription_id: int, user: User) -> WebhookSubscription:
    """The subscription if `user` may manage it: coordinators all, clerks their organisation's."""
    _may_manage(user)
    subscription = await WebhookSubscription.get_or_none(id=subscription_id).select_related(
        "organisation", "created_by"
    )
    if subscription is None:
        raise NotFound()
    if user.role is Role.CLERK and subscription.organisation_id != user.organisation_id:  # type: ignore[attr-defined]
        raise NotFound()
    return subscription


async def subscriptions_for(user: User) -> list[WebhookSubscription]:
    _may_manage(user)
    listed = WebhookSubscription.all().select_related("organisation")
    if user.role is Role.CLERK:
        listed = listed.filter(organisation_id=user.organisation_id)  # type: ignore[attr-defined]
    return await listed.order_by("organisation_id", "id")


async def create_subscription(
    form: SubscriptionForm, *, actor: User, rules: AddressRules
) -> tuple[WebhookSubscription, str]:
    """A clerk's subscription is for their organisation, a coordinator's is global. Returns it with its
    secret, which is shown this once."""
    _may_manage(actor)
    _check(form, rules)
    target = await resolve(form.url, allow_private=rules.allow_private, require_https=rules.require_https)
    secret = new_secret()
    async with in_transaction():
        subscription = await WebhookSubscription.create(
            organisation_id=actor.organisation_id if actor.role is Role.CLERK else None,  # type: ignore[attr-defined]
            created_by=actor,
            url=target.url,
            description=form.description.strip(),
            event_types=list(form.event_types),
            secret=secret,
        )
        await record(actor, "webhook_created", subscription, f"{target.url}: {', '.join(form.event_types)}")
    return subscription, secret


async def update_subscription(
    subscription_id: int, form: SubscriptionForm, *, actor: User, rules: AddressRules
) -> WebhookSubscription:
    _check(form, rules)
    target = await resolve(form.url, allow_private=rules.allow_private, require_https=rules.require_https)
    async with in_transaction():
        subscription = await subscription_for(subscription_id, actor)
        subscription.url = target.url
        subscription.description = form.description.strip()
        subscription.event_types = list(form.event_types)
        await subscription.save(update_fields=["url", "description", "event_types", "updated_at"])
        await record(actor, "webhook_changed", subscription, f"{target.url}: {', '.join(form.event_types)}")
    return subscription


async def set_active(subscription_id: int, active: bool, *, actor: User) -> WebhookSubscription:
    """Switch on or off by hand. Switched on again, deliveries still queued go out."""
    async with in_transaction():
        subscription = await subscription_for(subscription_id, actor)
        subscription.is_active = active
        subscription.disabled_reason = "" if active else _("Uitgezet door %(name)s.") % {"name": actor.name}
        subscription.disabled_at = None if active else clock.now()
        await subscription.save(update_fields=["is_active", "disabled_reason", "disabled_at", "updated_at"])
        await record(
            actor, "webhook_enabled" if active else "webhook_disabled", subscription, subscription.url
        )
    return subscription


async def rotate_secret(subscription_id: int, *, actor: User) -> tuple[WebhookSubscription, str]:
    """A new secret; the old one signs nothing from now on."""
    secret = new_secret()
    async with in_transaction():
        subscription = await subscription_for(subscription_id, actor)
        subscription.secret = secret
        await subscription.save(update_fields=["secret", "updated_at"])
        await record(actor, "webhook_secret_rotated", subscription, subscription.url)
    return subscription, secret


async def delete_subscription(subscription_id: int, *, actor: User) -> None:
    """Deleted with its deliveries and their log; the audit entry stays."""
    async with in_transaction():
        subscription = await subscription_for(subscription_id, actor)
        await record(actor, "webhook_deleted", subscription, subscription.url)
        await subscription.delete()


async def resend_delivery(subscription_id: int, delivery_id: int, *, actor: User) -> WebhookDelivery:
    """Queue a delivered or failed delivery once more, with the same event id (receivers dedupe)."""
    async with in_transaction():
        subscription = await subscription_for(subscription_id, actor)
        delivery = await WebhookDelivery.select_for_update().get_or_none(
            id=delivery_id, subscription=subscription
        )
        if delivery is None:
            raise NotFound()
        if not delivery.can_resend:
            raise ValidationFailed({"delivery": _("Dit bericht staat al in de wachtrij.")})
        delivery.status = DeliveryStatus.QUEUED
        delivery.attempts = 0
        delivery.next_attempt_at = clock.now()
        await delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        await record(actor, "webhook_resent", subscription, f"bericht {delivery.id}")
    return delivery


async def delivery_log(
    subscription: WebhookSubscription,
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The last deliveries with their event and attempts, newest first (for the owner's page)."""
    deliveries = (
        await WebhookDelivery.filter(subscription=subscription).select_related("event").limit(LOG_SIZE)
    )
    attempts: dict[int, list[WebhookAttempt]] = {}
    for attempt in await WebhookAttempt.filter(delivery_id__in=[d.id for d in deliveries]):
        attempts.setdefault(attempt.delivery_id, []).append(attempt)  # type: ignore[attr-defined]
    return [(delivery, attempts.get(delivery.id, [])) for delivery in deliveries]
