"""Which language a request gets, the switch on every page, and the language of a mail's recipient.

A request is answered in the first of: the signed-in user's language (`User.language`), the
`weerbaar_lang` cookie that the switch sets for visitors without an account (a participant on the
feedback form), the browser's `Accept-Language`, and else Dutch. Because the same URL can come back
in either language, every response says so in `Vary`.
"""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.access import public
from server.errors import DomainError
from server.forms import safe_next
from server.i18n import DEFAULT_LANGUAGE, LANGUAGES, lazy_gettext, use_language
from server.models import User
from server.security import read_form

LANGUAGE_COOKIE = "weerbaar_lang"
#: A visitor's choice is kept for a year.
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 60 * 60


def accepted_language(header: str) -> str | None:
    """The first language of an `Accept-Language` header that Weerbaar speaks, by weight (RFC 9110,
    12.5.4): 'en-GB,en;q=0.9,nl;q=0.8' -> 'en'. None when it names none of them."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, parameters = item.strip().partition(";")
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and weight > 0:
            weighted.append((-weight, position, primary))
    return min(weighted)[2] if weighted else None


def request_language(user: User | None, cookie: str, accept_language: str) -> str:
    if user is not None and user.language in LANGUAGES:
        return user.language
    if cookie in LANGUAGES:
        return cookie
    return accepted_language(accept_language) or DEFAULT_LANGUAGE


class LanguageMiddleware:
    """Translates the request (texts, templates, error pages) in its language: inside SessionMiddleware,
    which puts the user and the parsed cookies on the request state. Adds `Vary` and
    `Content-Language` to the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["state"]
        cookies: SimpleCookie = state["cookies"]
        cookie = cookies[LANGUAGE_COOKIE].value if LANGUAGE_COOKIE in cookies else ""
        accept = next((value for name, value in scope["headers"] if name == b"accept-language"), b"")
        language = request_language(state["user"], cookie, accept.decode("latin-1"))

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.add_vary_header("Cookie")
                headers.add_vary_header("Accept-Language")
                headers.setdefault("content-language", language)
            await send(message)

        with use_language(language):
            await self.app(scope, receive, send_with_language)


UNKNOWN_LANGUAGE = lazy_gettext("Deze taal kent Weerbaar niet. Kies Nederlands of English.")


@public
async def switch_language(request: Request) -> Response:
    """`POST /taal`: remember the chosen language (on the account, else in a cookie) and go back to
    the page the switch was on (post/redirect/get)."""
    form = await read_form(request)
    language = str(form.get("taal", ""))
    if language not in LANGUAGES:
        raise DomainError(UNKNOWN_LANGUAGE, field="taal")
    user: User | None = request.state.user
    if user is not None and user.language != language:
        user.language = language
        await user.save(update_fields=["language"])
    response = RedirectResponse(safe_next(str(form.get("terug", "")), "/"), status_code=303)
    settings = request.app.state.settings
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


async def recipient_languages(addresses: Iterable[str]) -> dict[str, str]:
    """The language of each address that belongs to an account, by lower-cased address. An address
    without an account (a contact on the day, an invoice address) is written to in Dutch."""
    wanted = {address.lower() for address in addresses}
    if not wanted:
        return {}
    rows = await User.filter(email__in=sorted(wanted)).order_by().values_list("email", "language")
    return {email.lower(): language for email, language in rows if language != DEFAULT_LANGUAGE}


routes = [Route("/taal", switch_language, methods=["POST"], name="switch_language")]
