"""The personal data of the core models: accounts, their logins, the audit log and the mail outbox."""

from __future__ import annotations

import re

from tortoise.expressions import Q

from server.auth import rate_limit_keys_of
from server.i18n import lazy_gettext
from server.mail import OutboxAttachment, OutboxMessage
from server.models import (
    ApiToken,
    AuditEntry,
    IdempotentRequest,
    LoginToken,
    Organisation,
    RateLimitHit,
    RecoveryCode,
    User,
    UserSession,
    erased_email,
)
from server.privacy import ERASED_NAME, Entry, NoPersonalData, PersonalData, Rows
from server.scheduler import JobRun
from server.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

#: What an erased e-mail address of someone without an account becomes in the audit log.
ERASED_ADDRESS = "(gewist adres)"


async def _account(user: User) -> Rows:
    return await User.filter(id=user.id).values(
        "name",
        "email",
        "role",
        "organisation__cbs_code",
        "organisation__name",
        "is_active",
        "created_at",
        "last_login_at",
        "totp_confirmed_at",
    )


async def _anonymise_account(user: User) -> int:
    return await User.filter(id=user.id).update(
        name=ERASED_NAME,
        email=erased_email(user.id),
        is_active=False,
        totp_secret=None,
        totp_confirmed_at=None,
        totp_last_step=None,
        totp_failures=0,
        totp_locked_at=None,
        last_login_at=None,
    )


async def _login_links(user: User) -> Rows:
    return await LoginToken.filter(user=user).values("created_at", "expires_at", "used_at", "next_path")


async def _delete_login_links(user: User) -> int:
    return await LoginToken.filter(user=user).delete()


async def _api_tokens(user: User) -> Rows:
    return await ApiToken.filter(user=user).values(
        "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"
    )


async def _delete_api_tokens(user: User) -> int:
    return await ApiToken.filter(user=user).delete()


async def _sessions(user: User) -> Rows:
    return await UserSession.filter(user=user).values(
        "created_at", "last_seen_at", "expires_at", "second_factor_at"
    )


async def _delete_sessions(user: User) -> int:
    return await UserSession.filter(user=user).delete()


async def _recovery_codes(user: User) -> Rows:
    return await RecoveryCode.filter(user=user).values("used_at")


async def _delete_recovery_codes(user: User) -> int:
    return await RecoveryCode.filter(user=user).delete()


def _names(user: User) -> list[str]:
    """What identifies the user in a summary: the address, and the name when it is a full name (a
    single word could be part of other words)."""
    return [user.email, user.name] if " " in user.name.strip() else [user.email]


def _about(user: User) -> Q:
    """Audit entries by the user, about their account, or naming them."""
    found = Q(actor_id=user.id) | Q(object_type="User", object_id=str(user.id))
    for name in _names(user):
        found |= Q(summary__contains=name)
    return found


async def _audit_entries(user: User) -> Rows:
    return await AuditEntry.filter(_about(user)).values(
        "created_at", "actor_label", "action", "object_type", "object_id", "summary"
    )


async def _anonymise_audit_entries(user: User) -> int:
    label = f"{ERASED_NAME} #{user.id}"
    changed = 0
    for entry in await AuditEntry.filter(_about(user)):
        summary = entry.summary.replace(user.email, erased_email(user.id))
        if user.name in _names(user):
            summary = summary.replace(user.name, label)
        actor_label = label if entry.actor_id == user.id else entry.actor_label  # type: ignore[attr-defined]
        if (summary, actor_label) != (entry.summary, entry.actor_label):
            changed += await AuditEntry.filter(id=entry.id).update(summary=summary, actor_label=actor_label)
    return changed


async def _rate_limit_hits(user: User) -> Rows:
    return await RateLimitHit.filter(key__in=rate_limit_keys_of(user)).values("key", "created_at")


async def _delete_rate_limit_hits(user: User) -> int:
    return await RateLimitHit.filter(key__in=rate_limit_keys_of(user)).delete()


async def _mails(user: User) -> Rows:
    return await OutboxMessage.filter(to_address__iexact=user.email).values(
        "created_at", "sent_at", "status", "to_address", "subject", "body_text"
    )


async def _delete_mails(user: User) -> int:
    """Sent and unsent: nothing more goes to an erased person."""
    return await OutboxMessage.filter(to_address__iexact=user.email).delete()


async def _attachments(user: User) -> Rows:
    return await OutboxAttachment.filter(message__to_address__iexact=user.email).values(
        "message__subject", "filename", "content_type"
    )


async def _delete_attachments(user: User) -> int:
    ids = await OutboxMessage.filter(to_address__iexact=user.email).values_list("id", flat=True)
    return await OutboxAttachment.filter(message_id__in=list(ids)).delete()


async def _audit_entries_naming(address: str) -> Rows:
    return await AuditEntry.filter(summary__icontains=address).values("created_at", "action", "summary")


async def _erase_address_from_audit(address: str) -> int:
    changed = 0
    for entry in await AuditEntry.filter(summary__icontains=address):
        summary = re.sub(re.escape(address), ERASED_ADDRESS, entry.summary, flags=re.IGNORECASE)
        changed += await AuditEntry.filter(id=entry.id).update(summary=summary)
    return changed


async def _mails_to(address: str) -> Rows:
    return await OutboxMessage.filter(to_address__iexact=address).values(
        "created_at", "sent_at", "status", "to_address", "subject", "body_text"
    )


async def _delete_mails_to(address: str) -> int:
    return await OutboxMessage.filter(to_address__iexact=address).delete()


async def _attachments_to(address: str) -> Rows:
    return await OutboxAttachment.filter(message__to_address__iexact=address).values(
        "message__subject", "filename", "content_type"
    )


async def _delete_attachments_to(address: str) -> int:
    ids = await OutboxMessage.filter(to_address__iexact=address).values_list("id", flat=True)
    return await OutboxAttachment.filter(message_id__in=list(ids)).delete()


async def _webhooks(user: User) -> Rows:
    return await WebhookSubscription.filter(created_by=user).values("url", "description", "created_at")


async def _forget_webhook_maker(user: User) -> int:
    return await WebhookSubscription.filter(created_by=user).update(created_by_id=None)


ENTRIES: list[Entry] = [
    PersonalData(
        WebhookSubscription,
        "webhooks",
        ("created_by",),
        _webhooks,
        _forget_webhook_maker,
        lazy_gettext(
            "Wie een webhook aanmaakte, zolang die bestaat; bij wissen blijft de webhook van de "
            "organisatie zonder naam van de maker."
        ),
        reviewed=("url", "description"),
    ),
    NoPersonalData(
        WebhookEvent,
        lazy_gettext(
            "Gebeurtenissen voor webhooks: kenmerken, statussen en tijden, geen namen of vrije tekst."
        ),
    ),
    NoPersonalData(WebhookDelivery, lazy_gettext("Of en wanneer een webhookbericht aankwam.")),
    NoPersonalData(
        WebhookAttempt,
        lazy_gettext("Statuscode en het begin van het antwoord van de ontvangende server."),
        reviewed=("response_snippet",),
    ),
    NoPersonalData(
        JobRun, lazy_gettext("Wanneer een periodieke taak liep, op welke server, en met welke uitkomst.")
    ),
    NoPersonalData(
        Organisation,
        lazy_gettext("Gemeenten en provincies; het factuuradres is dat van de organisatie."),
        reviewed=("name", "invoice_street", "invoice_postcode", "invoice_city", "invoice_email"),
    ),
    PersonalData(
        User,
        "account",
        (
            "name",
            "email",
            "totp_secret",
            "totp_confirmed_at",
            "totp_last_step",
            "totp_failures",
            "totp_locked_at",
            "last_login_at",
        ),
        _account,
        _anonymise_account,
        lazy_gettext(
            "Zolang iemand een rol heeft bij het team of zijn organisatie. Bij wissen worden naam en "
            "e-mailadres vervangen en het account gedeactiveerd; de rol blijft voor de geschiedenis."
        ),
    ),
    PersonalData(
        LoginToken,
        "inloglinks",
        ("user", "next_path"),
        _login_links,
        _delete_login_links,
        lazy_gettext("Tot de link verloopt (15 minuten, een uitnodiging 7 dagen); daarna verwijderd."),
    ),
    PersonalData(
        ApiToken,
        "api-tokens",
        ("user", "name"),
        _api_tokens,
        _delete_api_tokens,
        lazy_gettext(
            "Tot het account gewist wordt; een ingetrokken of verlopen token blijft zichtbaar in de lijst."
        ),
    ),
    NoPersonalData(
        IdempotentRequest,
        lazy_gettext(
            "Het antwoord op een API-verzoek met een Idempotency-Key, zodat een herhaling niets dubbel "
            "maakt; na een dag verwijderd."
        ),
        reviewed=("body",),
    ),
    PersonalData(
        UserSession,
        "sessies",
        ("user",),
        _sessions,
        _delete_sessions,
        lazy_gettext(
            "Tot de sessie afloopt (na 30 minuten zonder activiteit, uiterlijk na 12 uur); daarna verwijderd."
        ),
    ),
    PersonalData(
        RecoveryCode,
        "herstelcodes",
        ("user",),
        _recovery_codes,
        _delete_recovery_codes,
        lazy_gettext("Zolang de tweede stap is ingesteld."),
    ),
    PersonalData(
        AuditEntry,
        "auditlog",
        ("actor", "actor_label", "summary"),
        _audit_entries,
        _anonymise_audit_entries,
        lazy_gettext(
            "Bewaard als verantwoording van wie wat deed; namen en toelichtingen 24 maanden na de "
            "gebeurtenis gewist (WEERBAAR_AUDIT_DETAIL_RETENTION_MONTHS). Bij wissen worden naam en "
            "e-mailadres in het log vervangen."
        ),
        export_address=_audit_entries_naming,
        erase_address=_erase_address_from_audit,
    ),
    PersonalData(
        RateLimitHit,
        "inlogpogingen",
        ("key",),
        _rate_limit_hits,
        _delete_rate_limit_hits,
        lazy_gettext("Een dag; daarna verwijderd."),
    ),
    PersonalData(
        OutboxAttachment,
        "e-mailbijlagen",
        ("content",),
        _attachments,
        _delete_attachments,
        lazy_gettext("Verwijderd 30 dagen na verzending van de e-mail."),
        reviewed=("filename",),
        export_address=_attachments_to,
        erase_address=_delete_attachments_to,
    ),
    PersonalData(
        OutboxMessage,
        "e-mails",
        ("to_address", "subject", "body_text", "body_html"),
        _mails,
        _delete_mails,
        lazy_gettext(
            "De tekst van een verzonden e-mail 30 dagen na verzending; adres, onderwerp en status "
            "blijven als verzendbewijs."
        ),
        export_address=_mails_to,
        erase_address=_delete_mails_to,
    ),
]
