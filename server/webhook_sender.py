"""Sending webhook deliveries after the commit, through the outbox pattern the mail uses
(server.outbox): claimed under a lease with FOR UPDATE SKIP LOCKED, so no two senders POST the same
delivery, and a delivered one is never sent again unless its owner asks (server.webhook_subscriptions).

Each attempt re-checks the address after resolving it and connects to the checked address (for https
with the host name for SNI and the certificate), with a short timeout and no redirects. A 2xx answer
delivers; anything else is retried after RETRY_DELAYS (1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 6 h, 8 h:
about a day), after which the delivery fails and the subscription is switched off. A 410 Gone switches
it off at once. The owner gets a mail when that happens; every attempt is logged for the owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
from tortoise.transactions import in_transaction

from server import clock, outbox
from server.audit import record
from server.i18n import _
from server.mail import queue_mail
from server.models import Role, User
from server.webhook_addresses import AddressRefused, Target, resolve
from server.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from server.webhooks import body_of, signed_headers

log = logging.getLogger("weerbaar.webhooks")

RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 3 * 60, 6 * 60, 6 * 60, 8 * 60))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
LEASE = timedelta(minutes=2)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SNIPPET_BYTES = 500
POLL_SECONDS = 2.0


@dataclass(frozen=True)
class SenderConfig:
    base_url: str
    allow_private: bool
    require_https: bool


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    snippet: str = ""
    error: str = ""
    #: No connection could be made (the next address of the host may do).
    unreachable: bool = False

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def claim_due(limit: int = 10) -> list[WebhookDelivery]:
    """Due deliveries of active subscriptions, claimed under a lease (server.outbox)."""
    active = await WebhookSubscription.filter(is_active=True).values_list("id", flat=True)
    if not active:
        return []
    return await outbox.claim_due(
        WebhookDelivery,
        queued=DeliveryStatus.QUEUED,
        sending=DeliveryStatus.SENDING,
        lease=LEASE,
        limit=limit,
        subscription_id__in=list(active),
    )


async def _read_snippet(response: httpx.Response) -> str:
    collected = b""
    async for chunk in response.aiter_bytes():
        collected += chunk
        if len(collected) >= SNIPPET_BYTES:
            break
    return collected[:SNIPPET_BYTES].decode("utf-8", "replace")


async def post(url: str, body: bytes, headers: dict[str, str], config: SenderConfig) -> Outcome:
    """POST to the address `url` resolves to, once it passed the checks; never raises."""
    try:
        target = await resolve(url, allow_private=config.allow_private, require_https=config.require_https)
    except AddressRefused as refused:
        return Outcome(error=refused.message[:300])
    port = httpx.URL(target.url).port
    host_header = target.host if port is None else f"{target.host}:{port}"
    outcome = Outcome(error="")
    for address in target.addresses:  # the next one only when this one cannot be reached
        outcome = await _post_to(address, target, body, {**headers, "Host": host_header})
        if not outcome.unreachable:
            break
    return outcome


async def _post_to(address: str, target: Target, body: bytes, headers: dict[str, str]) -> Outcome:
    pinned = httpx.URL(target.url).copy_with(host=address)
    extensions = {"sni_hostname": target.host} if pinned.scheme == "https" else {}
    try:
        async with (
            httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client,
            client.stream("POST", pinned, content=body, headers=headers, extensions=extensions) as response,
        ):
            return Outcome(status_code=response.status_code, snippet=await _read_snippet(response))
    except httpx.ConnectError as exc:
        return Outcome(error=(str(exc) or type(exc).__name__)[:300], unreachable=True)
    except httpx.HTTPError as exc:
        return Outcome(error=(str(exc) or type(exc).__name__)[:300])


async def _owners(subscription: WebhookSubscription) -> list[str]:
    """Who hears that a subscription was switched off: its maker, or else the organisation's clerks
    (a global one: the coordinators)."""
    if subscription.created_by_id is not None:  # type: ignore[attr-defined]
        maker = await User.get_or_none(id=subscription.created_by_id, is_active=True)  # type: ignore[attr-defined]
        if maker is not None and not maker.is_erased:
            return [maker.email]
    if subscription.organisation_id is not None:  # type: ignore[attr-defined]
        users = User.filter(organisation_id=subscription.organisation_id, role=Role.CLERK)  # type: ignore[attr-defined]
    else:
        users = User.filter(role=Role.COORDINATOR)
    return list(await users.filter(is_active=True).values_list("email", flat=True))


async def switch_off(subscription_id: int, reason: str, base_url: str) -> bool:
    """Switch an active subscription off (inside the caller's transaction) and tell its owners."""
    now = clock.now()
    changed = await WebhookSubscription.filter(id=subscription_id, is_active=True).update(
        is_active=False, disabled_reason=reason[:300], disabled_at=now
    )
    if not changed:
        return False
    subscription = await WebhookSubscription.get(id=subscription_id)
    await record(None, "webhook_switched_off", subscription, reason)
    for address in await _owners(subscription):
        await queue_mail(
            address,
            "webhooks/switched_off",
            {
                "subscription": subscription,
                "reason": reason,
                "link": f"{base_url}/webhooks/{subscription.id}",
            },
        )
    return True


async def _record_attempt(delivery: WebhookDelivery, outcome: Outcome, config: SenderConfig) -> None:
    now = clock.now()
    attempts = delivery.attempts + 1
    off_reason = ""
    if outcome.is_success:
        update: dict[str, object] = {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
    elif outcome.status_code == 410:
        update = {"status": DeliveryStatus.FAILED}
        off_reason = _("Het adres antwoordde 410 (Gone): de ontvanger wil deze webhook niet meer.")
    elif attempts >= MAX_ATTEMPTS:
        update = {"status": DeliveryStatus.FAILED}
        off_reason = _("Een bericht kwam na een dag proberen niet aan.")
    else:
        update = {"status": DeliveryStatus.QUEUED, "next_attempt_at": now + RETRY_DELAYS[attempts - 1]}
    async with in_transaction():
        if not await outbox.update_if_claimed(
            delivery,
            DeliveryStatus.SENDING,
            attempts=attempts,
            last_status_code=outcome.status_code,
            **update,
        ):
            return  # our lease ran out and another sender took the delivery over
        await WebhookAttempt.create(
            delivery_id=delivery.id,
            attempted_at=now,
            status_code=outcome.status_code,
            response_snippet=outcome.snippet,
            error=outcome.error,
        )
        if off_reason:
            await switch_off(delivery.subscription_id, off_reason, config.base_url)  # type: ignore[attr-defined]


async def _attempt(delivery: WebhookDelivery, config: SenderConfig) -> bool:
    subscription, event = delivery.subscription, delivery.event
    body = body_of(event, config.base_url)
    outcome = await post(subscription.url, body, signed_headers(subscription.secret, event, body), config)
    if not outcome.is_success:
        log.warning("webhook delivery %s not delivered: %s", delivery.id, outcome.status_code or "error")
    await _record_attempt(delivery, outcome, config)
    return outcome.is_success


async def deliver_due(config: SenderConfig, limit: int = 10) -> int:
    """Send what is due, the claimed deliveries side by side; return how many were delivered."""
    claimed = await claim_due(limit)
    if not claimed:
        return 0
    try:
        await WebhookDelivery.fetch_for_list(claimed, "subscription", "event")
        results = await asyncio.gather(*(_attempt(delivery, config) for delivery in claimed))
    finally:
        await outbox.release_untried(
            WebhookDelivery, claimed, queued=DeliveryStatus.QUEUED, sending=DeliveryStatus.SENDING
        )
    return sum(results)


async def run_sender(config: SenderConfig, stop: asyncio.Event) -> None:
    """Deliver due webhooks until `stop` is set; trouble is logged, never fatal."""
    while not stop.is_set():
        try:
            while await deliver_due(config):
                pass
        except Exception:
            log.exception("webhook sender round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
