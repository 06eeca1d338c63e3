"""Who may act on bookings: shared by making a booking and by the steps of its life."""

from __future__ import annotations

from server.errors import Forbidden, NotFound
from server.models import Organisation, Role, User

CLERK_STAFF = (Role.CLERK, Role.COORDINATOR)
ANY_STAFF = (Role.CLERK, Role.COORDINATOR, Role.FINANCE)


def require_own_organisation(actor: User, organisation: Organisation) -> None:
    if actor.role is Role.CLERK and actor.organisation_id != organisation.id:  # type: ignore[attr-defined]
        raise NotFound()
    if actor.role not in (Role.CLERK, Role.COORDINATOR):
        raise Forbidden()


def require_coordinator(actor: User) -> None:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
