"""The trainer's side: "Mijn verzoeken", answering by link or in the portal, withdrawing, session details."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import assignment, portal
from bookings.forms import PARTS_OF_DAY, THEMES
from server import clock
from server.access import public, requires
from server.errors import DomainError, NotFound
from server.forms import values_of
from server.i18n import _, lazy_gettext
from server.models import Role
from server.security import read_form
from server.templating import render

ANSWERS = {"accept": True, "decline": False}
NOTICES = {
    "geaccepteerd": lazy_gettext(
        "Dank u wel: u staat op deze sessie. De agenda-uitnodiging volgt als de sessie bevestigd is."
    ),
    "afgewezen": lazy_gettext("U heeft het verzoek afgewezen; het team vraagt iemand anders."),
    "teruggetrokken": lazy_gettext("U bent van de sessie af; het team zoekt een vervanger."),
}


def _request_id(request: Request) -> int:
    raw = request.path_params["request_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


async def _portal_page(
    request: Request, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    trainer = request.state.user
    return render(
        request,
        "bookings/trainer/portal.html",
        {
            "portal": await portal.portal_for(trainer, clock.now()),
            "errors": errors or {},
            "notice": NOTICES.get(request.query_params.get("melding", "")),
        },
        status_code=status_code,
    )


@requires(Role.TRAINER)
async def trainer_home(request: Request) -> Response:
    return await _portal_page(request)


@requires(Role.TRAINER)
async def answer(request: Request) -> Response:
    form = await read_form(request)
    values = values_of(form, "action", "reason")
    if values["action"] not in ANSWERS:
        return await _portal_page(
            request, errors={"answer": _("Kies accepteren of afwijzen.")}, status_code=400
        )
    accept = ANSWERS[values["action"]]
    try:
        await assignment.answer_by_id(
            _request_id(request),
            accept,
            values["reason"],
            trainer=request.state.user,
            settings=request.app.state.settings,
        )
    except DomainError as error:
        if error.status_code == 404:
            raise
        return await _portal_page(request, errors={"answer": error.message}, status_code=error.status_code)
    return RedirectResponse(f"/trainer?melding={'geaccepteerd' if accept else 'afgewezen'}", status_code=303)


@requires(Role.TRAINER)
async def withdraw(request: Request) -> Response:
    form = await read_form(request)
    reason = values_of(form, "reason")["reason"]
    try:
        await assignment.withdraw(
            _request_id(request), reason, actor=request.state.user, settings=request.app.state.settings
        )
    except DomainError as error:
        if error.status_code == 404:
            raise
        return await _portal_page(request, errors={"withdraw": error.message}, status_code=error.status_code)
    return RedirectResponse("/trainer?melding=teruggetrokken", status_code=303)


@requires(Role.TRAINER)
async def session_page(request: Request) -> Response:
    session = await portal.session_for(request.state.user, request.path_params["reference"])
    return render(
        request,
        "bookings/trainer/session.html",
        {"session": session, "theme_labels": dict(THEMES), "part_of_day_labels": dict(PARTS_OF_DAY)},
    )


async def _link_page(
    request: Request, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    found = await assignment.find_request(request.path_params["token"])
    is_open = found.is_pending and (found.expires_at is None or found.expires_at > clock.now())
    return render(
        request,
        "bookings/trainer/request_link.html",
        {
            "request_": found,
            "is_open": is_open,
            "choice": request.query_params.get("antwoord", ""),
            "errors": errors or {},
            "values": {"reason": ""},
        },
        status_code=status_code,
    )


@public
async def request_link(request: Request) -> Response:
    """Opening the link only shows the request and the buttons; the POST decides (mail scanners)."""
    return await _link_page(request)


@public
async def answer_link(request: Request) -> Response:
    form = await read_form(request)
    values = values_of(form, "action", "reason")
    if values["action"] not in ANSWERS:
        return await _link_page(
            request, errors={"answer": _("Kies accepteren of afwijzen.")}, status_code=400
        )
    accept = ANSWERS[values["action"]]
    try:
        await assignment.answer_by_token(
            request.path_params["token"], accept, values["reason"], settings=request.app.state.settings
        )
    except DomainError as error:
        if error.status_code == 404:
            raise
        return await _link_page(request, errors={"answer": error.message}, status_code=error.status_code)
    return render(request, "bookings/trainer/request_answered.html", {"accepted": accept})


routes = [
    Route("/trainer", trainer_home, methods=["GET"]),
    Route("/trainer/verzoeken/{request_id}", answer, methods=["POST"]),
    Route("/trainer/verzoeken/{request_id}/terugtrekken", withdraw, methods=["POST"]),
    Route("/trainer/sessies/{reference}", session_page, methods=["GET"]),
    Route("/verzoeken/{token}", request_link, methods=["GET"]),
    Route("/verzoeken/{token}", answer_link, methods=["POST"]),
]
