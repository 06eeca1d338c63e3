"""The mail sender: delivers the outbox's due rows with aiosmtplib, in-process or as `weerbaar worker`
processes.

Rows are claimed in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the
transaction's write lock does the same), marked `sending` with a lease, delivered outside any
transaction, then marked sent. A claim whose lease ran out (the sender died) is claimed again. The lease
is also the claim's token: a sender that lost its claim cannot overwrite the outcome of the new owner.
Delivery is at least once: a sender that dies between the server's OK and marking the row sent, sends
that mail again after the lease.

Temporary failures (connection refused, time-out, a 4xx reply, a server refusing the connection or the
login) are retried with growing delays; a permanent refusal of the mail (5xx), or a mail no server can
take (a control character or line break in the address, a non-ASCII address without SMTPUTF8), marks
the row failed, for coordinators to see and resend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

from server import clock, outbox
from server.mail import OutboxAttachment, OutboxMessage, OutboxStatus, checked_address, header_text

log = logging.getLogger("weerbaar.mail")

MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=5)
SMTP_TIMEOUT_SECONDS = 20
POLL_SECONDS = 2.0


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour: with MAX_ATTEMPTS 12, about 5 hours of retries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


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


def _content_type(attachment: OutboxAttachment) -> tuple[str, str, dict[str, str]]:
    """Main type, subtype and parameters of 'text/calendar; method=REQUEST; charset=UTF-8'."""
    mime_type, *parameters = (part.strip() for part in attachment.content_type.split(";"))
    maintype, _, subtype = mime_type.lower().partition("/")
    params = dict(p.partition("=")[::2] for p in parameters if p)
    return maintype, subtype, {name.strip().lower(): value.strip() for name, value in params.items()}


def _add_calendar(email: EmailMessage, attachment: OutboxAttachment) -> None:
    """A calendar part (iMIP, RFC 6047) as Outlook and Gmail send it: inline as the last alternative,
    `text/calendar; method=...; charset=UTF-8`, then a copy attached as `application/ics` for
    programs that only open files. An attached text/calendar part is not a meeting request to
    Outlook: no accept bar, and updates and cancellations are not applied."""
    method = _content_type(attachment)[2].get("method", "").strip('"').upper()
    if not method.isalpha():
        raise ValueError(f"calendar part without a method: {attachment.content_type!r}")
    content = bytes(attachment.content)
    # Bytes in base64 keep the CRLF line ends iCalendar requires (text would be re-wrapped with LF).
    email.add_alternative(content, maintype="text", subtype="calendar", cte="base64")
    email.get_payload()[-1].replace_header("Content-Type", f"text/calendar; method={method}; charset=UTF-8")
    email.add_attachment(
        content, maintype="application", subtype="ics", filename=header_text(attachment.filename)
    )


def build_email(
    message: OutboxMessage, mail_from: str, attachments: Sequence[OutboxAttachment] = ()
) -> EmailMessage:
    """Raises ValueError for an address no server can take (a line break in it: header injection).

    Date is required by RFC 5322, and spam filters count it against a mail that has none. The text
    and HTML bodies are alternatives, followed by a calendar part when there is one (`_add_calendar`);
    other attachments follow.
    """
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = checked_address(message.to_address)
    email["Subject"] = header_text(message.subject)
    email["Date"] = format_datetime(clock.now())
    email["Message-ID"] = message.message_id
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    calendars = [a for a in attachments if _content_type(a)[:2] == ("text", "calendar")]
    if calendars:
        _add_calendar(email, calendars[0])
    for attachment in attachments:
        if calendars and attachment is calendars[0]:
            continue
        maintype, subtype, params = _content_type(attachment)
        email.add_attachment(
            bytes(attachment.content),
            maintype=maintype,
            subtype=subtype,
            filename=header_text(attachment.filename),
            params=params,
        )
    return email


async def claim_due(limit: int = 20) -> list[OutboxMessage]:
    """Take up to `limit` due rows, longest due first: queued ones and claims whose lease ran out.

    The rows become `sending` until the lease ends. The returned instances carry that lease, which
    `_record_outcome` checks, so that only the current owner of a row writes how its attempt went.
    """
    return await outbox.claim_due(
        OutboxMessage, queued=OutboxStatus.QUEUED, sending=OutboxStatus.SENDING, lease=LEASE, limit=limit
    )


def _is_permanent(exc: Exception) -> bool:
    """The server refused this mail for good (5xx), or no server can take it: retrying will not help."""
    if isinstance(exc, ValueError | aiosmtplib.SMTPNotSupported):
        return True
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= e.code < 600 for e in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= exc.code < 600


def _describe(error: Exception) -> str:
    """For coordinators: the server's reply, or at least the kind of failure when it says nothing."""
    return (str(error) or type(error).__name__)[:2000]


async def _record_outcome(
    message: OutboxMessage, error: Exception | None, *, permanent: bool = False
) -> None:
    """Write how the attempt on a claimed row went, as long as the claim is still ours.

    After our lease ran out another sender may have claimed the row (it then carries that sender's
    lease); a late outcome from us must not overwrite its result.
    """
    now = clock.now()
    attempts = message.attempts + 1
    if error is None:
        update: dict[str, Any] = {"status": OutboxStatus.SENT, "sent_at": now, "last_error": ""}
    elif permanent or attempts >= MAX_ATTEMPTS:
        update = {"status": OutboxStatus.FAILED, "last_error": _describe(error)}
    else:
        update = {
            "status": OutboxStatus.QUEUED,
            "next_attempt_at": now + retry_delay(attempts),
            "last_error": _describe(error),
        }
    await outbox.update_if_claimed(message, OutboxStatus.SENDING, attempts=attempts, **update)


async def _release_untried(claimed: list[OutboxMessage]) -> None:
    """Claimed rows that were not tried (the connection dropped, the round broke off) are due again at
    once, without counting an attempt, instead of waiting for the lease to run out."""
    await outbox.release_untried(
        OutboxMessage, claimed, queued=OutboxStatus.QUEUED, sending=OutboxStatus.SENDING
    )


def _client_for(target: SmtpTarget) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=target.hostname,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.use_tls,
        start_tls=True if target.start_tls else None,
        timeout=SMTP_TIMEOUT_SECONDS,
    )


async def _send_one(
    client: aiosmtplib.SMTP, message: OutboxMessage, mail_from: str, attachments: Sequence[OutboxAttachment]
) -> Exception | None:
    """None when the server took the mail, else why not (a ValueError: the mail cannot be built)."""
    try:
        await client.send_message(build_email(message, mail_from, attachments))
    except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
        log.warning("mail %s not delivered: %s", message.id, _describe(exc))
        return exc
    return None


async def _close(client: aiosmtplib.SMTP) -> None:
    """QUIT politely; a server that has gone away must not turn a delivered round into an error."""
    if client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
    client.close()


async def _attachments_of(messages: list[OutboxMessage]) -> dict[int, list[OutboxAttachment]]:
    by_message: dict[int, list[OutboxAttachment]] = {}
    for attachment in await OutboxAttachment.filter(message_id__in=[m.id for m in messages]).order_by("id"):
        by_message.setdefault(attachment.message_id, []).append(attachment)  # type: ignore[attr-defined]
    return by_message


async def deliver_due(smtp_url: str, mail_from: str, limit: int = 20) -> int:
    """Send what is due over one SMTP connection; return how many were sent.

    The URL is read before anything is claimed: a bad setting raises ValueError and leaves the rows as
    they are. A server that cannot be reached, or refuses the connection or our login (even with a
    5xx), is an outage: it says nothing about the mail, so every claimed mail is retried later.
    """
    target = SmtpTarget.from_url(smtp_url)
    claimed = await claim_due(limit)
    if not claimed:
        return 0
    client = _client_for(target)
    try:
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("SMTP not reachable: %s", _describe(exc))
            for message in claimed:
                await _record_outcome(message, exc)
            return 0
        attachments = await _attachments_of(claimed)
        sent = 0
        for message in claimed:
            if not client.is_connected:
                break
            error = await _send_one(client, message, mail_from, attachments.get(message.id, []))
            await _record_outcome(message, error, permanent=error is not None and _is_permanent(error))
            sent += error is None
        return sent
    finally:
        await _release_untried(claimed)
        await _close(client)


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
