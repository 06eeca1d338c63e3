"""The audit log: security-relevant and business actions, written in the transaction of the change."""

from __future__ import annotations

from tortoise.models import Model

from server.models import AuditEntry, User


async def record(actor: User | None, action: str, obj: Model | None = None, summary: str = "") -> AuditEntry:
    """Write one entry; `actor` None means the system (a CLI command, the sender, a timer)."""
    label = f"{actor.name} <{actor.email}>" if actor else "systeem"
    return await AuditEntry.create(
        actor=actor,
        actor_label=label,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:4000],
    )
