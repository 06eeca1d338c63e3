"""Login by e-mail link, the second factor, and logout."""

from __future__ import annotations

import segno
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server import auth
from server.access import home_path, public
from server.errors import DomainError
from server.forms import client_address, safe_next, values_of
from server.security import read_form
from server.sessions import SESSION_COOKIE, clear_session_cookie, end_session, set_session_cookie
from server.templating import render


@public
async def login_form(request: Request) -> Response:
    volgende = safe_next(request.query_params.get("volgende"), "")
    return render(request, "auth/login.html", {"values": {"email": "", "volgende": volgende}, "errors": {}})


@public
async def request_link(request: Request) -> Response:
    form = await read_form(request)
    values = values_of(form, "email", "volgende")
    try:
        await auth.request_login_link(
            values["email"],
            client=client_address(request),
            base_url=request.app.state.settings.base_url,
            next_path=safe_next(values["volgende"], ""),
        )
    except DomainError as error:
        return render(
            request,
            "auth/login.html",
            {"values": values, "errors": {error.field or "email": error.message}},
            status_code=error.status_code,
        )
    return render(request, "auth/link_sent.html", {"email": auth.normalise_email(values["email"])})


@public
async def confirm_link(request: Request) -> Response:
    token = request.path_params["token"]
    if await auth.find_valid_token(token) is None:
        return render(
            request,
            "auth/login.html",
            {"values": {"email": "", "volgende": ""}, "errors": {"email": auth.LinkInvalid().message}},
            status_code=400,
        )
    return render(request, "auth/confirm_link.html", {"token": token})


@public
async def use_link(request: Request) -> Response:
    await read_form(request)
    settings = request.app.state.settings
    old_key = request.cookies.get(SESSION_COOKIE)
    if old_key:
        await end_session(old_key)
    try:
        login_token, key = await auth.log_in_with_token(request.path_params["token"])
    except auth.LinkInvalid as error:
        return render(
            request,
            "auth/login.html",
            {"values": {"email": "", "volgende": ""}, "errors": {"email": error.message}},
            status_code=400,
        )
    user = login_token.user
    target = safe_next(login_token.next_path, home_path(user))
    if user.role.needs_second_factor:
        target = "/inloggen/tweede-factor"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, key, settings)
    return response


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, title="QR-code voor de authenticator-app")


async def _second_factor_page(
    request: Request, errors: dict[str, str], status_code: int = 200, *, fresh: bool = True
) -> Response:
    user = request.state.user
    if user.is_second_factor_locked and not errors:
        errors = {"code": auth.SecondFactorLocked().message}
    if user.has_second_factor or user.is_second_factor_locked:
        return render(request, "auth/second_factor.html", {"errors": errors}, status_code=status_code)
    enrolment = await auth.start_enrolment(user, fresh=fresh)
    return render(
        request,
        "auth/enrol.html",
        {"errors": errors, "secret": enrolment.secret, "qr_svg": _qr_svg(enrolment.uri)},
        status_code=status_code,
    )


@public
async def second_factor_form(request: Request) -> Response:
    if request.state.user is None:
        return RedirectResponse("/inloggen", status_code=303)
    if request.state.session.second_factor_at is not None or not request.state.user.role.needs_second_factor:
        return RedirectResponse(home_path(request.state.user), status_code=303)
    return await _second_factor_page(request, {})


@public
async def second_factor_submit(request: Request) -> Response:
    form = await read_form(request)
    user, session = request.state.user, request.state.session
    if user is None:
        return RedirectResponse("/inloggen", status_code=303)
    code = values_of(form, "code")["code"]
    try:
        if user.has_second_factor:
            await auth.verify_second_factor(user, session, code)
        else:
            codes = await auth.confirm_enrolment(user, session, code)
            return render(request, "auth/recovery_codes.html", {"codes": codes, "next": home_path(user)})
    except DomainError as error:
        return await _second_factor_page(
            request, {"code": error.message}, status_code=error.status_code, fresh=False
        )
    return RedirectResponse(home_path(user), status_code=303)


@public
async def logout(request: Request) -> Response:
    await read_form(request)
    key = request.cookies.get(SESSION_COOKIE)
    if key:
        await end_session(key)
    response = RedirectResponse("/?melding=uitgelogd", status_code=303)
    clear_session_cookie(response, request.app.state.settings)
    return response


routes = [
    Route("/inloggen", login_form, methods=["GET"]),
    Route("/inloggen", request_link, methods=["POST"]),
    Route("/inloggen/link/{token}", confirm_link, methods=["GET"]),
    Route("/inloggen/link/{token}", use_link, methods=["POST"]),
    Route("/inloggen/tweede-factor", second_factor_form, methods=["GET"]),
    Route("/inloggen/tweede-factor", second_factor_submit, methods=["POST"]),
    Route("/uitloggen", logout, methods=["POST"]),
]
