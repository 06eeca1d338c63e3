"""The header navigation per role, with the item for the current page marked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel.support import LazyProxy

from server.i18n import lazy_gettext
from server.models import Role, User, UserSession


@dataclass(frozen=True)
class NavItem:
    href: str
    label: LazyProxy
    #: The paths this item stands for (the item is marked as the current page on them).
    pattern: re.Pattern[str]


def _item(href: str, label: LazyProxy, pattern: str | None = None) -> NavItem:
    return NavItem(href, label, re.compile(pattern or f"^{re.escape(href)}(/|$)"))


NAVIGATION: dict[Role, list[NavItem]] = {
    Role.COORDINATOR: [
        _item("/coordinatie", lazy_gettext("Overzicht"), r"^/coordinatie(/(organisaties|doel)|/?$)"),
        _item("/boekingen", lazy_gettext("Boekingen")),
        _item("/tour", lazy_gettext("Tour")),
        _item("/aanbod", lazy_gettext("Aanbod")),
        _item("/trainers", lazy_gettext("Trainers")),
        _item("/declaraties", lazy_gettext("Declaraties")),
        _item("/feedback", lazy_gettext("Feedback")),
        _item("/feedbackformulieren", lazy_gettext("Formulieren")),
        _item("/organisaties", lazy_gettext("Organisaties")),
        _item("/coordinatie/rapportage", lazy_gettext("Rapportage")),
        _item("/beheer/gebruikers", lazy_gettext("Gebruikers")),
        _item("/beheer/mail", lazy_gettext("Mail")),
        _item("/beheer/webhooks", lazy_gettext("Webhooks"), r"^/(beheer/)?webhooks(/|$)"),
        _item("/beheer/audit", lazy_gettext("Auditlog")),
        _item("/beheer/api-tokens", lazy_gettext("API-tokens"), r"^/(beheer/)?api-tokens"),
        _item("/agenda", lazy_gettext("Agenda")),
    ],
    Role.CLERK: [
        _item(
            "/organisatie/boekingen",
            lazy_gettext("Boekingen"),
            r"^/(organisatie/boekingen|boekingen/|organisaties/[^/]+/boek)",
        ),
        _item(
            "/organisatie", lazy_gettext("Mijn organisatie"), r"^/organisaties?(/(?!webhooks/?$)[^/]+)?/?$"
        ),
        _item("/organisatie/facturen", lazy_gettext("Facturen"), r"^/organisaties?(/[^/]+)?/facturen"),
        _item("/organisatie/webhooks", lazy_gettext("Webhooks"), r"^/(organisatie/)?webhooks(/|$)"),
        _item("/agenda", lazy_gettext("Agenda")),
        _item("/api-tokens", lazy_gettext("API-tokens")),
    ],
    Role.TRAINER: [
        _item("/trainer", lazy_gettext("Mijn verzoeken"), r"^/trainer(/(verzoeken|sessies)/|/?$)"),
        _item("/trainer/beschikbaarheid", lazy_gettext("Mijn beschikbaarheid")),
        _item("/declaraties", lazy_gettext("Mijn declaraties")),
        _item("/agenda", lazy_gettext("Agenda")),
        _item("/api-tokens", lazy_gettext("API-tokens")),
    ],
    Role.FINANCE: [
        _item("/financien", lazy_gettext("Facturen"), r"^/financien(/facturen|/?$)"),
        _item("/financien/instellingen", lazy_gettext("Gegevens van het team")),
        _item("/declaraties", lazy_gettext("Declaraties")),
        _item("/organisaties", lazy_gettext("Organisaties")),
        _item("/coordinatie/rapportage", lazy_gettext("Rapportage")),
        _item("/api-tokens", lazy_gettext("API-tokens")),
    ],
}


def navigation_for(user: User | None, session: UserSession | None, path: str) -> list[tuple[str, str, bool]]:
    """(href, label, is_current) of the role's menu, once the login is complete (no menu while the
    second factor is pending)."""
    if user is None or session is None:
        return []
    if user.role.needs_second_factor and session.second_factor_at is None:
        return []
    return [(item.href, str(item.label), bool(item.pattern.match(path))) for item in NAVIGATION[user.role]]
