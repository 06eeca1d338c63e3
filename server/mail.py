"""Mail outbox: every mail is first a row, written in the transaction of the change that causes it.

`queue_mail` (or `compose_mails` then `store_mails`) renders a mail from its templates and stores it;
the sender (server.mail_sender) delivers due rows afterwards. A coordinator may `resend` a failed or
sent mail.

No header carries a control character or a line or paragraph separator: subjects and attachment names
(which quote names typed by users) are made one plain line, and an address holding one is refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from server import clock
from server.audit import record
from server.errors import NotFound
from server.i18n import DEFAULT_LANGUAGE, use_language
from server.languages import recipient_languages
from server.models import User
from server.templating import render_text
from server.timestamps import ClockDatetimeField


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
    created_at = ClockDatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    message_id = fields.CharField(max_length=200, unique=True)

    class Meta:
        table = "outbox_message"
        ordering = ["-created_at", "-id"]
        indexes = (("status", "next_attempt_at"),)

    @property
    def has_body(self) -> bool:
        """False once the retention purge removed the text of a sent mail."""
        return bool(self.body_text or self.body_html)

    @property
    def can_resend(self) -> bool:
        return self.status in (OutboxStatus.FAILED, OutboxStatus.SENT) and self.has_body


class OutboxAttachment(Model):
    id = fields.BigIntField(primary_key=True)
    message: fields.ForeignKeyRelation[OutboxMessage] = fields.ForeignKeyField(
        "core.OutboxMessage", related_name="attachments", on_delete=fields.CASCADE
    )
    filename = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=100)
    content = fields.BinaryField()

    class Meta:
        table = "outbox_attachment"


@dataclass(frozen=True)
class Attachment:
    """A file to send along: `content_type` may carry parameters, e.g. 'text/calendar; method=REQUEST'."""

    filename: str
    content_type: str
    content: bytes


#: Unicode categories that end or hide a header line: controls (CR, LF, NUL, NEL, ...), line and
#: paragraph separators, and invisible format characters (zero-width space, direction overrides).
_NOT_IN_HEADERS = frozenset({"Cc", "Cf", "Zl", "Zp"})


def header_text(value: str) -> str:
    """`value` as one plain line for a header: each forbidden character becomes a space, runs of
    spaces one space."""
    spaced = "".join(" " if unicodedata.category(c) in _NOT_IN_HEADERS else c for c in value)
    return " ".join(spaced.split())


def checked_address(address: str) -> str:
    """Raises ValueError for an address with whitespace or a forbidden character (header injection)."""
    if not address or any(c.isspace() or unicodedata.category(c) in _NOT_IN_HEADERS for c in address):
        raise ValueError(f"address not fit for a mail header: {address!r}")
    return address


def _rendered(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text body and HTML body of `templates/emails/<template>.{txt,html}`.

    The subject is the first line of the text template, after 'Onderwerp: ', as one plain line.
    """
    text = render_text(f"emails/{template}.txt", context)
    first_line, _, body = text.partition("\n")
    subject = header_text(first_line.removeprefix("Onderwerp:"))[:300]
    html = render_text(f"emails/{template}.html", {**context, "subject": subject})
    return subject, body.lstrip("\n"), html


async def queue_mail(
    to_address: str, template: str, context: dict[str, Any], attachments: Sequence[Attachment] = ()
) -> OutboxMessage:
    """Render `templates/emails/<template>.{txt,html}` in the recipient's language and queue it; call
    inside the change's transaction."""
    (message,) = await compose_mails([to_address], template, context)
    await message.save()
    await _store_attachments(message, attachments)
    return message


async def compose_mails(
    to_addresses: Sequence[str],
    template: str,
    context: dict[str, Any],
    languages: Mapping[str, str] | None = None,
) -> list[OutboxMessage]:
    """The same mail to each address, rendered once per language: one unsaved outbox row each, for
    `store_mails`. Each recipient with an account reads it in their language: `languages`
    (server.languages.recipient_languages) when the caller looked them up for several mails at once."""
    if not to_addresses:
        return []
    if languages is None:
        languages = await recipient_languages(to_addresses)
    rendered: dict[str, tuple[str, str, str]] = {}
    messages = []
    for address in to_addresses:
        language = languages.get(address.lower(), DEFAULT_LANGUAGE)
        if language not in rendered:
            with use_language(language):
                rendered[language] = _rendered(template, context)
        messages.append(_outbox_row(address, *rendered[language]))
    return messages


async def store_mails(messages: Sequence[OutboxMessage], attachments: Sequence[Attachment] = ()) -> None:
    """Queue composed mails, each with `attachments`; call inside the change's transaction. Without
    attachments the rows go in with one statement."""
    if not attachments:
        if messages:
            await OutboxMessage.bulk_create(messages)
        return
    for message in messages:
        await message.save()
        await _store_attachments(message, attachments)


def _outbox_row(to_address: str, subject: str, body_text: str, body_html: str) -> OutboxMessage:
    return OutboxMessage(
        to_address=to_address,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        next_attempt_at=clock.now(),
        message_id=make_msgid(domain="weerbaar"),
    )


async def _store_attachments(message: OutboxMessage, attachments: Sequence[Attachment]) -> None:
    for attachment in attachments:
        await OutboxAttachment.create(
            message=message,
            filename=attachment.filename,
            content_type=attachment.content_type,
            content=attachment.content,
        )


async def resend(message_id: int, *, actor: User) -> OutboxMessage:
    """Queue a failed or sent mail once more (a coordinator's decision, in the audit log).

    It goes out with a new Message-ID: providers drop a message whose Message-ID they already have.
    Mail still queued or being sent is left alone (a double click, a page that was out of date), so
    that it is not sent twice. Raises NotFound.
    """
    async with in_transaction():
        message = await OutboxMessage.select_for_update().get_or_none(id=message_id)
        if message is None:
            raise NotFound()
        if not message.can_resend:
            return message
        message.status = OutboxStatus.QUEUED
        message.next_attempt_at = clock.now()
        message.attempts = 0
        message.sent_at = None
        message.message_id = make_msgid(domain="weerbaar")
        await message.save(update_fields=["status", "next_attempt_at", "attempts", "sent_at", "message_id"])
        await record(actor, "mail_resent", message, message.to_address)
    return message
