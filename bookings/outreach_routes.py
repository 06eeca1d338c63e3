"""The tour outreach: the coordinators' invitation page, and the link an invited person follows."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import outreach
from bookings.contacts_models import ContactFunction, function_options
from server.access import public, requires
from server.errors import DomainError, ValidationFailed
from server.forms import values_of
from server.models import Role
from server.organisations import province_choices
from server.security import read_form
from server.sessions import SESSION_COOKIE, end_session, set_session_cookie
from server.templating import render


def _function(raw: str) -> ContactFunction:
    try:
        return ContactFunction(raw)
    except ValueError:
        return ContactFunction.GRIFFIER


async def _tour_page(
    request: Request,
    province: str,
    function: ContactFunction,
    report: outreach.InviteReport | None,
    errors: dict[str, str],
) -> Response:
    return render(
        request,
        "bookings/tour.html",
        {
            "rows": await outreach.outreach_overview(province, function),
            "province": province,
            "provinces": await province_choices(),
            "function": function,
            "function_options": function_options(),
            "report": report,
            "errors": errors,
        },
        status_code=400 if errors else 200,
    )


@requires(Role.COORDINATOR)
async def tour(request: Request) -> Response:
    province = request.query_params.get("provincie", "")[:6]
    function = _function(request.query_params.get("functie", ""))
    return await _tour_page(request, province, function, None, {})


@requires(Role.COORDINATOR)
async def invite(request: Request) -> Response:
    form = await read_form(request, max_fields=1000)
    codes = [c for c in form.getlist("organisations") if isinstance(c, str)]
    values = values_of(form, "province", "provincie", "functie")
    function = _function(values["functie"])
    errors: dict[str, str] = {}
    report = None
    try:
        report = await outreach.invite_organisations(
            codes,
            values["province"],
            actor=request.state.user,
            settings=request.app.state.settings,
            function=function,
        )
    except ValidationFailed as error:
        errors = error.errors
    return await _tour_page(request, values["provincie"] or values["province"], function, report, errors)


def _link_refused(request: Request, message: str) -> Response:
    return render(
        request, "bookings/tour_link.html", {"recipient": None, "message": message}, status_code=400
    )


@public
async def link_page(request: Request) -> Response:
    """Only a button: the POST uses the link, so a mail scanner opening it does not use it up."""
    recipient = await outreach.find_recipient(request.path_params["token"])
    if recipient is None:
        return _link_refused(request, outreach.OutreachLinkInvalid().message)
    return render(
        request,
        "bookings/tour_link.html",
        {"recipient": recipient, "token": request.path_params["token"], "message": ""},
    )


@public
async def use_link(request: Request) -> Response:
    await read_form(request)
    old_key = request.cookies.get(SESSION_COOKIE)
    if old_key:
        await end_session(old_key)
    try:
        _user, key, organisation = await outreach.accept_invitation(request.path_params["token"])
    except DomainError as error:
        return _link_refused(request, error.message)
    response = RedirectResponse(await outreach.intake_path(organisation), status_code=303)
    set_session_cookie(response, key, request.app.state.settings)
    return response


routes = [
    Route("/tour", tour, methods=["GET"]),
    Route("/tour/uitnodigen", invite, methods=["POST"]),
    Route("/tour/link/{token}", link_page, methods=["GET"]),
    Route("/tour/link/{token}", use_link, methods=["POST"]),
]
