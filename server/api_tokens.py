"""Personal access tokens for the API: made, shown once, recognised by their hash, revoked.

Errors: `NotFound` (a token that is not the actor's, unless the actor is a coordinator),
`ValidationFailed` (a token without a name, scopes or a valid expiry).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from tortoise.transactions import in_transaction

from server import clock
from server.audit import record
from server.errors import NotFound, ValidationFailed
from server.i18n import _, lazy_gettext
from server.models import ApiScope, ApiToken, Role, User
from server.sessions import hash_secret
from server.templating import AMSTERDAM

#: Every token starts so, for secret scanners and for telling a token from other strings.
TOKEN_START = "wb_"  # noqa: S105 (a marker, not a secret)
PREFIX_LENGTH = 10
MAX_LIFETIME = timedelta(days=366)
#: What each scope allows, as the token pages show it.
SCOPE_LABELS = {
    ApiScope.READ.value: lazy_gettext("Lezen (organisaties, aanbod, boekingen, verzoeken)"),
    ApiScope.BOOK.value: lazy_gettext("Boeken, verzetten en annuleren"),
    ApiScope.ANSWER_REQUESTS.value: lazy_gettext("Verzoeken beantwoorden (trainers)"),
    ApiScope.INVOICES.value: lazy_gettext("Facturen lezen en downloaden"),
}
#: last_used_at is written at most this often, so reading through the API is not a write per call.
TOUCH_INTERVAL = timedelta(seconds=60)


def parse_token_form(values: dict[str, str], scopes: list[str], today: date) -> dict[str, object]:
    """Name, scopes and expiry from the token form; a Dutch message per field when something is off."""
    errors: dict[str, str] = {}
    name = values.get("name", "").strip()
    if not name:
        errors["name"] = _("Geef het token een naam, zodat u het later herkent.")
    elif len(name) > 100:
        errors["name"] = _("Gebruik hoogstens 100 tekens.")
    chosen = [s for s in ApiScope if s.value in scopes]
    if not chosen or len(chosen) != len(set(scopes)):
        errors["scopes"] = _("Kies wat het token mag.")
    expires_on = None
    try:
        expires_on = date.fromisoformat(values.get("expires_on", "").strip())
    except ValueError:
        errors["expires_on"] = _("Vul een datum in als 2026-12-31.")
    if expires_on is not None and not today < expires_on <= today + MAX_LIFETIME:
        errors["expires_on"] = _("Kies een datum na vandaag en binnen een jaar.")
    if errors:
        raise ValidationFailed(errors)
    assert expires_on is not None
    return {
        "name": name,
        "scopes": [s.value for s in chosen],
        "expires_at": datetime.combine(expires_on, time(23, 59, 59), AMSTERDAM),
    }


async def create_token(
    *, actor: User, name: str, scopes: list[str], expires_at: datetime
) -> tuple[ApiToken, str]:
    """A new token for `actor`; returns the row and the token itself, which is shown only now."""
    secret = TOKEN_START + secrets.token_urlsafe(32)
    async with in_transaction():
        token = await ApiToken.create(
            user=actor,
            name=name,
            prefix=secret[:PREFIX_LENGTH],
            token_hash=hash_secret(secret),
            scopes=scopes,
            expires_at=expires_at,
        )
        await record(actor, "api_token_created", token, f"{name}: {', '.join(scopes)}")
    return token, secret


async def authenticate(secret: str) -> ApiToken | None:
    """The live token (not revoked, not expired, its owner active) with its user, or None."""
    if not secret.startswith(TOKEN_START):
        return None
    token = await ApiToken.get_or_none(token_hash=hash_secret(secret)).select_related("user")
    now = clock.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        token.last_used_at = now
        await ApiToken.filter(id=token.id).update(last_used_at=now)
    return token


async def tokens_of(user: User) -> list[ApiToken]:
    return await ApiToken.filter(user=user)


async def all_tokens() -> list[ApiToken]:
    """For coordinators: every token with its owner."""
    return await ApiToken.all().select_related("user")


async def revoke_token(token_id: int, *, actor: User) -> ApiToken:
    """Revoke a token of the actor's own, or any token when the actor is a coordinator. Revoking
    twice changes nothing."""
    async with in_transaction():
        token = await ApiToken.get_or_none(id=token_id).select_for_update()
        if token is None or (token.user_id != actor.id and actor.role is not Role.COORDINATOR):  # type: ignore[attr-defined]
            raise NotFound()
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            await token.save(update_fields=["revoked_at"])
            await record(actor, "api_token_revoked", token, token.name)
    return token
