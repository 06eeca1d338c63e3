"""The scheduled purge of what has expired: login links, sessions, rate-limit hits, the text of mail
sent more than `MAIL_BODY_RETENTION` ago (address, subject and status stay as proof of sending), and
webhook events older than `WEBHOOK_EVENT_RETENTION` with nothing left to send (with their delivery log).
`clear_audit_details` clears the names and summaries of audit entries older than the setting
`audit_detail_retention_months`: the event (when, what, on which object, by which account id) stays.

Runs as a periodic job in every process that runs jobs; each step is idempotent, so processes
running it at the same time do no harm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server import clock, ratelimit
from server.audit import record
from server.mail import OutboxAttachment, OutboxMessage, OutboxStatus
from server.models import AuditEntry, IdempotentRequest, LoginToken, UserSession
from server.sessions import IDLE_TIMEOUT
from server.webhook_models import DeliveryStatus, WebhookDelivery, WebhookEvent

MAIL_BODY_RETENTION = timedelta(days=30)
WEBHOOK_EVENT_RETENTION = timedelta(days=90)
IDEMPOTENCY_RETENTION = timedelta(days=1)
BATCH = 500
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    login_links: int
    sessions: int
    rate_limit_hits: int
    mail_bodies: int
    webhook_events: int = 0
    idempotency_keys: int = 0

    @property
    def removed_anything(self) -> bool:
        return any(
            (
                self.login_links,
                self.sessions,
                self.rate_limit_hits,
                self.mail_bodies,
                self.webhook_events,
                self.idempotency_keys,
            )
        )


async def _clear_old_mail_bodies(cutoff: datetime) -> int:
    old = OutboxMessage.filter(status=OutboxStatus.SENT, sent_at__lt=cutoff).exclude(
        body_text="", body_html=""
    )
    cleared = 0
    while ids := list(await old.limit(BATCH).values_list("id", flat=True)):
        await OutboxAttachment.filter(message_id__in=ids).delete()
        cleared += await OutboxMessage.filter(id__in=ids).update(body_text="", body_html="")
    return cleared


async def _delete_old_webhook_events(cutoff: datetime) -> int:
    """Old events whose deliveries all arrived or failed go, with their deliveries and attempts."""
    waiting = await WebhookDelivery.filter(
        status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING], event__occurred_at__lt=cutoff
    ).values_list("event_id", flat=True)
    old = WebhookEvent.filter(occurred_at__lt=cutoff).exclude(id__in=list(set(waiting)))
    deleted = 0
    while ids := list(await old.limit(BATCH).values_list("id", flat=True)):
        await WebhookEvent.filter(id__in=ids).delete()  # its count includes the cascaded rows
        deleted += len(ids)
    return deleted


async def purge_expired(now: datetime | None = None) -> PurgeReport:
    """Delete expired login links and sessions, old rate-limit hits, old webhook events and API
    idempotency keys older than a day (a client retries within minutes); clear old mail bodies."""
    now = now or clock.now()
    report = PurgeReport(
        login_links=await LoginToken.filter(expires_at__lt=now).delete(),
        sessions=await UserSession.filter(
            Q(expires_at__lt=now) | Q(last_seen_at__lt=now - IDLE_TIMEOUT)
        ).delete(),
        rate_limit_hits=await ratelimit.prune(now=now),
        mail_bodies=await _clear_old_mail_bodies(now - MAIL_BODY_RETENTION),
        webhook_events=await _delete_old_webhook_events(now - WEBHOOK_EVENT_RETENTION),
        idempotency_keys=await IdempotentRequest.filter(created_at__lt=now - IDEMPOTENCY_RETENTION).delete(),
    )
    if report.removed_anything:
        logger.info("Opgeschoond: %s", report)
    return report


#: What an audit entry's actor label becomes once its details are cleared (the actor id stays).
CLEARED_ACTOR = "(gewist)"
SYSTEM_ACTOR = "systeem"


async def clear_audit_details(retention: timedelta, now: datetime | None = None) -> int:
    """Clear the summary and the actor's name of audit entries older than `retention`; the clearing
    itself is audited with the count (actor None, action "audit_details_cleared")."""
    cutoff = (now or clock.now()) - retention
    old = AuditEntry.filter(created_at__lt=cutoff).filter(
        Q(summary__not="") | ~Q(actor_label__in=(CLEARED_ACTOR, SYSTEM_ACTOR))
    )
    cleared = 0
    async with in_transaction():
        while ids := list(await old.limit(BATCH).values_list("id", flat=True)):
            cleared += await AuditEntry.filter(id__in=ids).update(summary="")
            await (
                AuditEntry.filter(id__in=ids)
                .exclude(actor_label=SYSTEM_ACTOR)
                .update(actor_label=CLEARED_ACTOR)
            )
        if cleared:
            await record(None, "audit_details_cleared", None, f"{cleared} oude auditregels ingekort")
    return cleared
