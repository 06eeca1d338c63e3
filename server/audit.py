"""The audit log: security-relevant and business actions, written in the transaction of the change."""

from __future__ import annotations

from babel.support import LazyProxy
from tortoise.models import Model

from server.i18n import DEFAULT_LANGUAGE, use_language
from server.logs import audit_event
from server.models import AuditEntry, User


def in_dutch(text: str | LazyProxy) -> str:
    """`text` (a lazy label such as `server.users.ROLE_LABELS[role]`) in Dutch, whatever the language
    of the request: a summary is stored once and read as written (docs/developer.md: Readable history)."""
    with use_language(DEFAULT_LANGUAGE):
        return str(text)


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
