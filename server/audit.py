"""The audit log: security-relevant and business actions, written in the transaction of the change."""

from __future__ import annotations

from tortoise.models import Model

from server.logs import audit_event
from server.models import AuditEntry, User


async def record(actor: User | None, action: str, obj: Model | None = None, summary: str = "") -> AuditEntry:
    """Write one entry; `actor` None means the system (a CLI command, the sender, a timer).

    The entry is also a log line (server/logs.py) for the hosting party's log collector: action,
    object, actor's id and role, origin, time; not the summary, which may quote names and addresses.
    """
    label = f"{actor.name} <{actor.email}>" if actor else "systeem"
    object_type = type(obj).__name__ if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    entry = await AuditEntry.create(
        actor=actor,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:4000],
    )
    audit_event(action, object_type, object_id, actor)
    return entry
