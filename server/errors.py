"""Named errors with a Dutch message for the user and an HTTP status; one handler renders them.

DomainError            base: a rule was broken; `field` ties the message to a form field
├── Forbidden          403: the role may not do this
├── NotFound           404: no such object, or not one this user may see
├── CsrfFailed         403: the form's CSRF token is missing or wrong
├── RateLimited        429: too many attempts; try again later
└── ValidationFailed   400: the form has errors, one message per field
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.i18n import _
from server.templating import render

log = logging.getLogger("weerbaar")


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
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


class ValidationFailed(DomainError):
    """Several field errors at once: {'email': 'Vul een geldig e-mailadres in.'}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


ERROR_TITLES = {
    400: _("Er ging iets mis met uw verzoek"),
    403: _("Geen toegang"),
    404: _("Pagina niet gevonden"),
    405: _("Dit kan hier niet"),
    413: _("Het verzoek is te groot"),
    429: _("Te veel pogingen"),
    500: _("Er ging iets mis bij ons"),
    503: _("Tijdelijk niet beschikbaar"),
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
    return error_page(request, exc.status_code, exc.message)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = ""
    if exc.status_code == 413:
        message = _("Wat u verstuurde is groter dan wij aannemen. Maak het kleiner en probeer het opnieuw.")
    return error_page(request, exc.status_code, message)


async def handle_server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500, _("Probeer het later nog eens. Lukt het dan niet, bel ons."))
