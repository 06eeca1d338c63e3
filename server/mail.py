"""Mail outbox: every mail is first a row, written in the transaction of the change that causes it.

A sender delivers due rows afterwards with aiosmtplib, in-process or as `weerbaar worker` processes.
Rows are claimed in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the
transaction's write lock does the same), marked `sending` with a lease, delivered outside any
transaction, then marked sent. A claim whose lease ran out (the sender died) is claimed again.

Temporary failures (connection refused, time-out, a 4xx reply) are retried with growing delays;
a permanent refusal (5xx) marks the row failed, for coordinators to see and resend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
from tortoise import fields, timezone
from tortoise.models import Model
from tortoise.transactions import in_transaction

from server.audit import record
from server.errors import NotFound
from server.models import User
from server.templating import render_text

log = logging.getLogger("weerbaar.mail")

MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=5)
SMTP_TIMEOUT_SECONDS = 20
POLL_SECONDS = 2.0


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Model):
    id = fields.BigIntField(primary_key=True)
    to_address = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    body_text = fields.TextField()
    body_html = fields.TextField()
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.QUEUED)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    message_id = fields.CharField(max_length=200, unique=True)

    class Meta:
        table = "outbox_message"
        ordering = ["-created_at", "-id"]
        indexes = (("status", "next_attempt_at"),)

    @property
    def can_resend(self) -> bool:
        return self.status in (OutboxStatus.FAILED, OutboxStatus.SENT)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour: about 8 hours of retries before giving up."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


async def queue_mail(to_address: str, template: str, context: dict[str, Any]) -> OutboxMessage:
    """Render `templates/emails/<template>.{txt,html}` and queue it; call inside the change's transaction.

    The subject is the first line of the text template, after 'Onderwerp: '.
    """
    text = render_text(f"emails/{template}.txt", context)
    first_line, _, body = text.partition("\n")
    subject = first_line.removeprefix("Onderwerp:").strip()
    html = render_text(f"emails/{template}.html", {**context, "subject": subject})
    return await OutboxMessage.create(
        to_address=to_address,
        subject=subject,
        body_text=body.lstrip("\n"),
        body_html=html,
        next_attempt_at=timezone.now(),
        message_id=make_msgid(domain="weerbaar"),
    )


@dataclass(frozen=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        """smtp://host:25 (STARTTLS when offered), smtp+starttls://… (required), smtps://host:465."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps"):
            raise ValueError(f"WEERBAAR_SMTP_URL: onbekend schema {parts.scheme!r}")
        default_port = 465 if parts.scheme == "smtps" else 25
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or default_port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=parts.scheme == "smtp+starttls",
        )


def build_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = formataddr(("", message.to_address))
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    return email


async def claim_due(limit: int = 20) -> list[OutboxMessage]:
    now = timezone.now()
    async with in_transaction():
        due = (
            await OutboxMessage.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )
        stale = (
            await OutboxMessage.filter(status=OutboxStatus.SENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )
        claimed = [*due, *stale][:limit]
        if claimed:
            await OutboxMessage.filter(id__in=[m.id for m in claimed]).update(
                status=OutboxStatus.SENDING, next_attempt_at=now + LEASE
            )
    return claimed


def _is_permanent(exc: Exception) -> bool:
    code = getattr(exc, "code", None)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [getattr(e, "code", 0) for e in exc.recipients]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    return isinstance(code, int) and 500 <= code < 600


async def _record_outcome(message: OutboxMessage, error: Exception | None) -> None:
    now = timezone.now()
    attempts = message.attempts + 1
    if error is None:
        update: dict[str, Any] = {"status": OutboxStatus.SENT, "sent_at": now, "last_error": ""}
    elif _is_permanent(error) or attempts >= MAX_ATTEMPTS:
        update = {"status": OutboxStatus.FAILED, "last_error": str(error)[:2000]}
    else:
        update = {
            "status": OutboxStatus.QUEUED,
            "next_attempt_at": now + retry_delay(attempts),
            "last_error": str(error)[:2000],
        }
    await OutboxMessage.filter(id=message.id, status=OutboxStatus.SENDING).update(attempts=attempts, **update)


async def deliver_due(smtp_url: str, mail_from: str, limit: int = 20) -> int:
    """Send what is due over one SMTP connection; return how many were sent."""
    claimed = await claim_due(limit)
    if not claimed:
        return 0
    target = SmtpTarget.from_url(smtp_url)
    sent = 0
    client = aiosmtplib.SMTP(
        hostname=target.hostname,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.use_tls,
        start_tls=True if target.start_tls else None,
        timeout=SMTP_TIMEOUT_SECONDS,
    )
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("SMTP not reachable: %s", exc)
        for message in claimed:
            await _record_outcome(message, exc)
        return 0
    try:
        for message in claimed:
            try:
                await client.send_message(build_email(message, mail_from))
            except (aiosmtplib.SMTPException, OSError) as exc:
                log.warning("mail %s not delivered: %s", message.id, exc)
                await _record_outcome(message, exc)
                if not client.is_connected:
                    break
            else:
                await _record_outcome(message, None)
                sent += 1
        # Rows claimed but not attempted because the connection dropped: back to the queue now.
        await OutboxMessage.filter(id__in=[m.id for m in claimed], status=OutboxStatus.SENDING).update(
            status=OutboxStatus.QUEUED, next_attempt_at=timezone.now()
        )
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()
    return sent


async def resend(message_id: int, *, actor: User) -> OutboxMessage:
    """Queue a failed or sent mail once more (a coordinator's decision, in the audit log)."""
    async with in_transaction():
        message = await OutboxMessage.get_or_none(id=message_id)
        if message is None:
            raise NotFound()
        message.status = OutboxStatus.QUEUED
        message.next_attempt_at = timezone.now()
        message.attempts = 0
        await message.save(update_fields=["status", "next_attempt_at", "attempts"])
        await record(actor, "mail_resent", message, message.to_address)
    return message


async def run_sender(smtp_url: str, mail_from: str, stop: asyncio.Event) -> None:
    """Deliver due mail until `stop` is set; database or SMTP trouble is logged, never fatal."""
    while not stop.is_set():
        try:
            while await deliver_due(smtp_url, mail_from):
                pass
        except Exception:
            log.exception("mail sender round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
