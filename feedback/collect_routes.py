"""The participants' side: the feedback form behind a short code, without an account."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from feedback import codes, collect
from feedback.policy import FeedbackPolicy
from server import clock
from server.access import public
from server.errors import ValidationFailed
from server.forms import client_address
from server.security import read_form
from server.templating import render

COOKIE_PREFIX = "weerbaar_fb_"


def _cookie_name(code: str) -> str:
    return COOKIE_PREFIX + codes.normalise(code)


def _policy(request: Request) -> FeedbackPolicy:
    return FeedbackPolicy.from_settings(request.app.state.settings)


async def _form_page(
    request: Request,
    *,
    values: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    code = request.path_params["code"]
    opened = await collect.form_for_code(code, client=client_address(request), policy=_policy(request))
    token = request.cookies.get(_cookie_name(code))
    previous = await collect.previous_answers(opened.session, token)
    return render(
        request,
        "feedback/form.html",
        {
            "opened": opened,
            "values": values if values is not None else previous,
            "is_change": bool(previous),
            "errors": errors or {},
        },
        status_code=status_code if opened.state == "open" else 200,
    )


@public
async def enter_code(request: Request) -> Response:
    typed = request.query_params.get("code", "").strip()
    code = codes.normalise(typed)
    if code and len(code) <= codes.CODE_LENGTH and all(ch.isalnum() or ch in " -" for ch in typed):
        return RedirectResponse(f"/f/{code}", status_code=303)
    code = typed
    return render(request, "feedback/enter_code.html", {"code": code})


@public
async def feedback_form(request: Request) -> Response:
    return await _form_page(request)


@public
async def submit_feedback(request: Request) -> Response:
    code = request.path_params["code"]
    form = await read_form(request, max_fields=100)
    values = {
        key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form if key != "csrf_token"
    }
    try:
        submitted = await collect.submit(
            code,
            request.cookies.get(_cookie_name(code)),
            values,
            settings=request.app.state.settings,
            client=client_address(request),
            viewer=request.state.user,
        )
    except ValidationFailed as error:
        return await _form_page(request, values=values, errors=error.errors, status_code=400)
    response = RedirectResponse(f"/f/{code.upper()}/bedankt", status_code=303)
    # Max-Age, not an absolute Expires: the browser counts it on its own clock, so the cookie lives
    # until the form closes even when the server's clock is set to another day (browser tests).
    response.set_cookie(
        _cookie_name(code),
        submitted.token,
        max_age=max(0, int((submitted.closes_at - clock.now()).total_seconds())),
        path=f"/f/{code.upper()}",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


@public
async def thanks(request: Request) -> Response:
    opened = await collect.form_for_code(
        request.path_params["code"], client=client_address(request), policy=_policy(request)
    )
    code = codes.normalise(request.path_params["code"])
    return render(request, "feedback/thanks.html", {"opened": opened, "code": code})


routes = [
    Route("/f", enter_code, methods=["GET"]),
    Route("/f/{code}", feedback_form, methods=["GET"]),
    Route("/f/{code}", submit_feedback, methods=["POST"]),
    Route("/f/{code}/bedankt", thanks, methods=["GET"]),
]
