"""The header navigation per role."""

from __future__ import annotations

from server.i18n import _
from server.models import Role, User, UserSession

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


def navigation_for(user: User | None, session: UserSession | None) -> list[tuple[str, str]]:
    """The role's menu, once the login is complete (no menu while the second factor is pending)."""
    if user is None or session is None:
        return []
    if user.role.needs_second_factor and session.second_factor_at is None:
        return []
    return NAVIGATION[user.role]
