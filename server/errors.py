"""Named errors with a Dutch message for the user and an HTTP status; one handler renders them.

DomainError            base: a rule was broken; `field` ties the message to a form field
├── Forbidden          403: the role may not do this
├── NotFound           404: no such object, or not one this user may see
├── CsrfFailed         403: the form's CSRF token is missing or wrong
├── RateLimited        429: too many attempts; try again later
├── EditConflict       409: someone else changed it since the form was loaded; nothing was saved
└── ValidationFailed   400: the form has errors, one message per field

An unreachable database (refused or dropped connections, a restarting server, SQLite still locked
after its busy timeout) is not a bug: DatabaseUnavailableMiddleware answers the 503 page with
Retry-After instead of the 500 page, and logs one line instead of a traceback.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping

import asyncpg
from babel.support import LazyProxy
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.exceptions import BaseORMException, DBConnectionError

from server.form_addresses import page_above
from server.i18n import _, lazy_gettext
from server.logs import route_of, security_event
from server.metrics import count_database_error
from server.templating import render

log = logging.getLogger("weerbaar")


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str | LazyProxy, *, field: str | None = None) -> None:
        # A lazy label (server.forms.EMAIL_MESSAGE) becomes text here, in the language of the request
        # that broke the rule: the message also goes into JSON (problem+json), which takes only str.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.field = field


class Forbidden(DomainError):
    status_code = 403

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("U heeft geen toegang tot deze pagina."))


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Deze pagina bestaat niet (meer)."))


class CsrfFailed(DomainError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            _("Het formulier is verlopen of niet vanaf deze website verstuurd. Laad de pagina opnieuw.")
        )


class RateLimited(DomainError):
    status_code = 429


class EditConflict(DomainError):
    """The form was based on an older version of the object: saving it would undo another person's change."""

    status_code = 409


class ValidationFailed(DomainError):
    """Several field errors at once: {'email': 'Vul een geldig e-mailadres in.'}."""

    def __init__(self, errors: Mapping[str, str | LazyProxy]) -> None:
        self.errors = {name: str(message) for name, message in errors.items()}
        super().__init__(next(iter(self.errors.values())))


ERROR_TITLES = {
    400: lazy_gettext("Er ging iets mis met uw verzoek"),
    403: lazy_gettext("Geen toegang"),
    404: lazy_gettext("Pagina niet gevonden"),
    405: lazy_gettext("Dit kan hier niet"),
    413: lazy_gettext("Het verzoek is te groot"),
    429: lazy_gettext("Te veel pogingen"),
    500: lazy_gettext("Er ging iets mis bij ons"),
    503: lazy_gettext("Tijdelijk niet beschikbaar"),
}


def error_page(request: Request, status_code: int, message: str = "") -> Response:
    return render(
        request,
        "errors/error.html",
        {
            "status_code": status_code,
            "title": ERROR_TITLES.get(status_code, ERROR_TITLES[400]),
            "message": message,
        },
        status_code=status_code,
    )


async def handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, (Forbidden, CsrfFailed)):
        security_event(
            "access", "denied", actor=getattr(request.state, "user", None), reason=type(exc).__name__
        )
    return error_page(request, exc.status_code, exc.message)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405 and request.method in ("GET", "HEAD") and (page := page_above(request)):
        return RedirectResponse(page, status_code=303)
    message = ""
    if exc.status_code == 413:
        message = _("Wat u verstuurde is groter dan wij aannemen. Maak het kleiner en probeer het opnieuw.")
    return error_page(request, exc.status_code, message)


#: Seconds a client is asked to wait after a 503: about what a database restart takes.
RETRY_AFTER_SECONDS = 30
_DATABASE_DOWN = (
    asyncpg.PostgresConnectionError,  # the connection broke or could not be made
    asyncpg.exceptions.OperatorInterventionError,  # terminated, shutting down, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.exceptions.InternalClientError,  # a pooled connection the server ended before we noticed
    DBConnectionError,
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,  # connecting, or waiting for a pooled connection
)
_SQLITE_DOWN = ("database is locked", "unable to open database", "disk i/o error")


def exception_chain(exc: BaseException, *, with_args: bool = False) -> Iterator[BaseException]:
    """`exc` and what caused it (`__cause__`, else `__context__`; with `with_args`, else an exception
    among its arguments, as some drivers wrap them), each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        nested = [arg for arg in current.args if isinstance(arg, BaseException)] if with_args else []
        current = current.__cause__ or current.__context__ or (nested[0] if nested else None)


def _means_unavailable(current: BaseException) -> bool:
    if isinstance(current, _DATABASE_DOWN) or type(current) is OSError:
        return True
    if isinstance(current, sqlite3.OperationalError) and str(current).lower().startswith(_SQLITE_DOWN):
        return True
    if isinstance(current, asyncpg.ObjectNotInPrerequisiteStateError) and str(current).endswith(
        "is not currently accepting connections"
    ):
        return True  # ALTER DATABASE … ALLOW_CONNECTIONS false, for maintenance
    return isinstance(current, asyncpg.InterfaceError) and (
        "connection is closed" in str(current) or "released back to the pool" in str(current)
    )  # the server ended the connection in the middle of a transaction


def is_database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached right now (this or a cause of it): retrying later will do.

    A plain OSError is what asyncpg raises when every address of the host refused the connection.
    """
    return any(_means_unavailable(current) for current in exception_chain(exc, with_args=True))


def unavailable_page(request: Request) -> Response:
    response = error_page(
        request,
        503,
        _(
            "Weerbaar is even niet bereikbaar. Probeer het over een minuut opnieuw. Verstuurde u net "
            "een formulier? Kijk dan eerst of het is opgeslagen voordat u het opnieuw verstuurt."
        ),
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


#: Errors of a statement the database refused (a bug or a broken constraint), for the metrics.
_DATABASE_ERRORS = (BaseORMException, asyncpg.PostgresError, sqlite3.Error)


def log_unavailable(request: Request, exc: BaseException) -> None:
    """One line, no traceback; the route's template, never the path (which may hold a token)."""
    count_database_error(unavailable=True)
    log.warning(
        "database unavailable on %s %s: %s", request.method, route_of(request.scope), type(exc).__name__
    )


class DatabaseUnavailableMiddleware:
    """The 503 page when the database cannot be reached, if the response has not started yet.

    Handled here rather than by the 500 handler, which re-raises: uvicorn then closes the
    connection, and a client sending its next request on it sees the connection drop instead of
    an answer. An outage is expected, so the log gets one line, not a traceback.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            if started or not is_database_unavailable(exc):
                raise
            request = Request(scope)
            log_unavailable(request, exc)
            await unavailable_page(request)(scope, receive, send)


async def handle_server_error(request: Request, exc: Exception) -> Response:
    """The 500 page; the 503 page for an outage that reached it (an error raised outside
    DatabaseUnavailableMiddleware, or passed on by another handler)."""
    if is_database_unavailable(exc):
        log_unavailable(request, exc)
        return unavailable_page(request)
    if any(isinstance(cause, _DATABASE_ERRORS) for cause in exception_chain(exc)):
        count_database_error(unavailable=False)
    log.exception("unhandled error on %s %s", request.method, route_of(request.scope), exc_info=exc)
    return error_page(request, 500, _("Probeer het later nog eens. Lukt het dan niet, bel ons."))
