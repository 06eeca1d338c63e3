"""Log lines as JSON objects (structlog), one per line on stderr, for the hosting party's collector.

Every line carries `timestamp` (UTC), `level`, `logger` and `event`; a line written while a request
is handled also carries that request's `request_id`, `origin` (the client's address), `route` (the
route template, never the path: paths hold login, calendar and feedback tokens) and, once the
session is known, `user_id` and `role`. Standard-library loggers (the app's own, uvicorn's) go the
same way, so the collector sees one format.

Security and business events (the audit entries, failed logins, refusals) are lines with
`event` "audit" or "security" naming `action`, `object`, `result`, `origin` and `actor`, which is
what the government baseline (BIO 12.4.1) asks of an event log.

What never goes into a line: tokens, codes, passwords, cookies, feedback answers, mail bodies, SQL
parameters. Messages name routes and ids only; `_drop_secrets` blanks fields named like a secret as
a safety net; the ORM and the database drivers log warnings only (their debug lines hold SQL
parameters).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import IO, Any

import structlog
from starlette.types import Scope
from structlog.contextvars import bind_contextvars, bound_contextvars, merge_contextvars

#: Loggers that are quiet below WARNING: their debug and info lines hold SQL and its parameters, or
#: repeat what the request line says (uvicorn's access log and httpx hold the raw URL, with tokens).
QUIET_LOGGERS = (
    "tortoise",
    "aiosqlite",
    "asyncpg",
    "uvicorn.access",
    "httpx",
    "httpcore",
    "weasyprint",
    "fontTools",
    "multipart",
)
#: Field names whose value is a secret or an answer, blanked in every line whatever logged it.
SECRET_FIELDS = frozenset(
    {"token", "code", "password", "secret", "cookie", "authorization", "answer", "answers", "body", "key"}
)
HIDDEN = "[weggelaten]"
#: The route of a request no route matched (a 404).
NO_ROUTE = "<geen route>"

log = structlog.get_logger("weerbaar.events")


def _drop_secrets(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for name in SECRET_FIELDS.intersection(event):
        event[name] = HIDDEN
    return event


def _event_origin(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """An event outside a request (a periodic job, a CLI command) comes from the system itself."""
    if event.get("event") in ("audit", "security"):
        event.setdefault("origin", "systeem")
    return event


def configure_logging(
    log_format: str = "json",
    stream: IO[str] | None = None,
    level: int = logging.INFO,
    *,
    verbose: bool = False,
) -> None:
    """Route structlog and the standard library's loggers to one handler writing `log_format` lines.

    `verbose` (`weerbaar --verbose`, for a developer) lets the quiet loggers speak, SQL included."""
    shared: list[Any] = [
        merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
        _event_origin,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


def route_of(scope: Scope) -> str:
    """The template of the route that matched (`/boekingen/{reference}`), never the raw path."""
    route = scope.get("route")
    return getattr(route, "path", None) or NO_ROUTE


@contextmanager
def request_context(request_id: str, origin: str) -> Iterator[None]:
    """Bind the request's id and origin to every line logged while it is handled."""
    with bound_contextvars(request_id=request_id, origin=origin, user_id=None, role=None):
        yield


def bind_user(user: Any) -> None:
    """Name the signed-in user (id and role, not the name or address) in this request's lines."""
    if user is not None:
        bind_contextvars(user_id=user.id, role=str(user.role))


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None:
        return {"actor": "systeem"}
    return {"actor": f"user:{actor.id}", "actor_role": str(actor.role)}


def audit_event(action: str, object_type: str, object_id: str, actor: Any) -> None:
    """An audit entry as a log line: action, object, result, actor (time, origin from the context)."""
    object_name = f"{object_type}:{object_id}" if object_type else ""
    log.info("audit", action=action, object=object_name, result="success", **_actor_fields(actor))


def security_event(action: str, result: str, *, actor: Any = None, reason: str = "") -> None:
    """A refused or failed security step (a wrong code, an expired link, a forged form)."""
    log.warning("security", action=action, result=result, reason=reason, **_actor_fields(actor), object="")
