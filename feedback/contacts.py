"""Participants who asked to be contacted: the coordinators follow up and mark it done.

The address is stored apart from the answers; once marked done the retention job deletes it.
Errors: Forbidden (not a coordinator), NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from feedback.models import ContactRequest
from server import clock
from server.audit import record
from server.errors import Forbidden, NotFound
from server.models import Role, User


@dataclass(frozen=True)
class OpenContact:
    id: int
    email: str
    created_at: datetime
    reference: str
    organisation: str
    offering: str


async def open_contact_requests() -> list[OpenContact]:
    """Plain values: a nested select_related over two branches is not reliable in Tortoise 1.1."""
    rows = (
        await ContactRequest.filter(done_at__isnull=True)
        .order_by("created_at", "id")
        .values(
            "id",
            "email",
            "created_at",
            "session__booking__reference",
            "session__booking__organisation__name",
            "session__booking__offering__name",
        )
    )
    return [
        OpenContact(
            row["id"],
            row["email"],
            row["created_at"],
            row["session__booking__reference"],
            row["session__booking__organisation__name"],
            row["session__booking__offering__name"],
        )
        for row in rows
    ]


async def mark_done(request_id: int, *, actor: User) -> ContactRequest:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    async with in_transaction():
        contact = await ContactRequest.select_for_update().get_or_none(id=request_id, done_at__isnull=True)
        if contact is None:
            raise NotFound()
        contact.done_at = clock.now()
        await contact.save(update_fields=["done_at"])
        await record(actor, "feedback_contact_done", contact, "contactverzoek afgehandeld")
    return contact
