"""Security headers on every response, and CSRF protection for every state-changing form.

CSRF uses a random per-browser cookie and, in each form, an HMAC under the secret key of that cookie
and of the session key (none before login). A token is only good for the session it was made for: a
token fetched by someone else, even with the same cookie planted in the victim's browser, fails once
the victim is signed in. A POST whose token does not match is refused before the route does anything
(`read_form`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode

import asyncpg
from starlette.datastructures import FormData, Headers, MutableHeaders, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.exceptions import ValidationError

from server.errors import (
    CsrfFailed,
    DomainError,
    error_page,
    exception_chain,
    handle_http_exception,
    handle_server_error,
)
from server.i18n import _
from server.logs import route_of

log = logging.getLogger("weerbaar.security")

CSRF_COOKIE = "weerbaar_csrf"
CSRF_FIELD = "csrf_token"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers.setdefault("Cache-Control", "no-store")
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413, shown as an error page in the layout.

    A body declared too large (Content-Length) is refused before any route runs, whatever the route
    would have answered. A body without a declared length is counted while the route reads it, so
    the error surfaces inside the route and the normal error handler renders it (Starlette's own
    limit answers in plain text).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = await handle_http_exception(Request(scope), HTTPException(413))
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413)
            return message

        await self.app(scope, limited_receive, send)


class FormUnreadable(DomainError):
    def __init__(self) -> None:
        super().__init__(_("Wat u verstuurde kon niet als formulier worden gelezen. Laad de pagina opnieuw."))


def csrf_token_for(cookie_value: str, secret_key: str, session_key: str = "") -> str:
    """The form token for this browser's CSRF cookie and its live session's key ('' before login)."""
    message = f"{cookie_value}|{session_key}" if session_key else cookie_value
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)


#: Control characters no form field needs (tab, line feed and carriage return stay, for text areas).
#: NUL cannot be stored in PostgreSQL text, and none of them should reach a page, a file or a mail.
_CONTROL_CHARACTERS: dict[int, str | None] = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
)
#: In form values, the line breaks of other kinds (Word's soft break U+000B, form feed, NEL, the
#: Unicode line and paragraph separators) become a plain line feed: a line break in a text area, and
#: refused with a message in a single-line field (`server.forms.single_line_errors`).
_FORM_VALUE_CHARACTERS = {
    **_CONTROL_CHARACTERS,
    **dict.fromkeys([0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029], "\n"),
}


class ControlCharactersMiddleware:
    """Remove the control characters of `_CONTROL_CHARACTERS` from the path and the query string, as
    `read_form` does from forms: a NUL in a look-up value would fail on PostgreSQL with a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = dict(scope)
            scope["path"] = scope["path"].translate(_CONTROL_CHARACTERS)
            query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            cleaned = [(k.translate(_CONTROL_CHARACTERS), v.translate(_CONTROL_CHARACTERS)) for k, v in query]
            if cleaned != query:
                scope["query_string"] = urlencode(cleaned).encode()
        await self.app(scope, receive, send)


def _without_control_characters(value: str | UploadFile) -> str | UploadFile:
    return value.translate(_FORM_VALUE_CHARACTERS) if isinstance(value, str) else value


async def read_form(request: Request, **limits: Any) -> FormData:
    """The posted form, after checking its CSRF token; every POST route reads its form through here.

    Control characters (other than tab and line breaks) are removed from names and values; line
    breaks of other kinds become a line feed (`_FORM_VALUE_CHARACTERS`). A body
    that cannot be parsed is refused with a message (`FormUnreadable`, 400).
    """
    try:
        raw = await request.form(
            max_fields=limits.get("max_fields", 200), max_files=limits.get("max_files", 0)
        )
    except HTTPException as exc:
        if exc.status_code != 400:
            raise
        raise FormUnreadable() from exc
    form = FormData(
        [(key.translate(_CONTROL_CHARACTERS), _without_control_characters(v)) for key, v in raw.multi_items()]
    )
    expected = getattr(request.state, "csrf_token", "")
    given = form.get(CSRF_FIELD)
    if (
        not expected
        or not isinstance(given, str)
        or not hmac.compare_digest(given.encode(), expected.encode())
    ):
        raise CsrfFailed()
    return form


def is_value_not_storable(exc: BaseException) -> bool:
    """A typed value the database cannot take (this or a cause of it): longer than its column (which
    Tortoise checks also in a look-up: a too long code in a filter or a URL), or a number out of the
    column's range (PostgreSQL's DataError, SQLite's OverflowError)."""
    return any(
        isinstance(current, ValidationError | OverflowError | asyncpg.DataError)
        for current in exception_chain(exc)
    )


async def handle_value_not_storable(request: Request, exc: Exception) -> Response:
    """Such a value cannot match anything or be stored: the request is refused with a 400 page
    instead of failing with a 500. Other database errors go to the server error page."""
    if not is_value_not_storable(exc):
        return await handle_server_error(request, exc)
    log.info("value refused on %s %s: %s", request.method, route_of(request.scope), type(exc).__name__)
    return error_page(
        request, 400, _("Een van de ingevulde waarden is te lang of ongeldig. Controleer wat u invulde.")
    )
