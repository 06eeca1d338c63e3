"""The header navigation per role, with the item for the current page marked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.i18n import _
from server.models import Role, User, UserSession


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    #: The paths this item stands for (the item is marked as the current page on them).
    pattern: re.Pattern[str]


def _item(href: str, label: str, pattern: str | None = None) -> NavItem:
    return NavItem(href, label, re.compile(pattern or f"^{re.escape(href)}(/|$)"))


NAVIGATION: dict[Role, list[NavItem]] = {
    Role.COORDINATOR: [
        _item("/coordinatie", _("Overzicht"), r"^/coordinatie(/(organisaties|doel)|/?$)"),
        _item("/boekingen", _("Boekingen")),
        _item("/tour", _("Tour")),
        _item("/aanbod", _("Aanbod")),
        _item("/trainers", _("Trainers")),
        _item("/declaraties", _("Declaraties")),
        _item("/feedback", _("Feedback")),
        _item("/feedbackformulieren", _("Formulieren")),
        _item("/organisaties", _("Organisaties")),
        _item("/coordinatie/rapportage", _("Rapportage")),
        _item("/beheer/gebruikers", _("Gebruikers")),
        _item("/beheer/mail", _("Mail")),
        _item("/beheer/webhooks", _("Webhooks"), r"^/(beheer/)?webhooks(/|$)"),
        _item("/beheer/audit", _("Auditlog")),
        _item("/beheer/api-tokens", _("API-tokens"), r"^/(beheer/)?api-tokens"),
        _item("/agenda", _("Agenda")),
    ],
    Role.CLERK: [
        _item(
            "/organisatie/boekingen",
            _("Boekingen"),
            r"^/(organisatie/boekingen|boekingen/|organisaties/[^/]+/boek)",
        ),
        _item("/organisatie", _("Mijn organisatie"), r"^/organisaties?(/(?!webhooks/?$)[^/]+)?/?$"),
        _item("/organisatie/facturen", _("Facturen"), r"^/organisaties?(/[^/]+)?/facturen"),
        _item("/organisatie/webhooks", _("Webhooks"), r"^/(organisatie/)?webhooks(/|$)"),
        _item("/agenda", _("Agenda")),
        _item("/api-tokens", _("API-tokens")),
    ],
    Role.TRAINER: [
        _item("/trainer", _("Mijn verzoeken"), r"^/trainer(/(verzoeken|sessies)/|/?$)"),
        _item("/trainer/beschikbaarheid", _("Mijn beschikbaarheid")),
        _item("/declaraties", _("Mijn declaraties")),
        _item("/agenda", _("Agenda")),
        _item("/api-tokens", _("API-tokens")),
    ],
    Role.FINANCE: [
        _item("/financien", _("Facturen"), r"^/financien(/facturen|/?$)"),
        _item("/financien/instellingen", _("Gegevens van het team")),
        _item("/declaraties", _("Declaraties")),
        _item("/organisaties", _("Organisaties")),
        _item("/coordinatie/rapportage", _("Rapportage")),
        _item("/api-tokens", _("API-tokens")),
    ],
}


def navigation_for(user: User | None, session: UserSession | None, path: str) -> list[tuple[str, str, bool]]:
    """(href, label, is_current) of the role's menu, once the login is complete (no menu while the
    second factor is pending)."""
    if user is None or session is None:
        return []
    if user.role.needs_second_factor and session.second_factor_at is None:
        return []
    return [(item.href, item.label, bool(item.pattern.match(path))) for item in NAVIGATION[user.role]]
