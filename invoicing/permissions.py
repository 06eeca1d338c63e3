"""Who may act on invoices: finance, or the system itself (actor None: periodic jobs, the CLI, demo data)."""

from __future__ import annotations

from server.errors import Forbidden
from server.models import Role, User


def require_finance(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.FINANCE:
        raise Forbidden()
