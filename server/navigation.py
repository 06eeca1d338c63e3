"""The header navigation per role."""

from __future__ import annotations

from server.i18n import _
from server.models import Role, User

NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    Role.COORDINATOR: [
        ("/coordinatie", _("Overzicht")),
        ("/organisaties", _("Organisaties")),
        ("/beheer/gebruikers", _("Gebruikers")),
        ("/beheer/mail", _("Mail")),
        ("/beheer/audit", _("Auditlog")),
    ],
    Role.CLERK: [("/organisatie", _("Mijn organisatie"))],
    Role.TRAINER: [("/trainer", _("Mijn verzoeken"))],
    Role.FINANCE: [("/financien", _("Financiën")), ("/organisaties", _("Organisaties"))],
}


def navigation_for(user: User | None) -> list[tuple[str, str]]:
    return NAVIGATION[user.role] if user else []
