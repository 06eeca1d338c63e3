"""Pages for personal access tokens: each user makes, sees and revokes their own (the token is shown
once, right after it is made); coordinators see and revoke everyone's."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server import api_tokens, clock
from server.access import requires, signed_in
from server.api_tokens import SCOPE_LABELS
from server.errors import ValidationFailed
from server.forms import values_of
from server.i18n import lazy_gettext
from server.models import Role
from server.security import read_form
from server.templating import render

NOTICES = {"ingetrokken": lazy_gettext("Het token is ingetrokken; het werkt vanaf nu niet meer.")}


def _token_id(request: Request) -> int:
    raw = request.path_params["token_id"]
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


async def _own_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    scopes: list[str] | None = None,
    errors: dict[str, str] | None = None,
    secret: str = "",
    status_code: int = 200,
) -> Response:
    default_expiry = (clock.local_today() + timedelta(days=90)).isoformat()
    return render(
        request,
        "account/api_tokens.html",
        {
            "tokens": await api_tokens.tokens_of(request.state.user),
            "values": values or {"name": "", "expires_on": default_expiry},
            "chosen_scopes": scopes or ["read"],
            "scope_labels": SCOPE_LABELS,
            "errors": errors or {},
            "secret": secret,
            "notice": NOTICES.get(request.query_params.get("melding", ""), ""),
            "now": clock.now(),
        },
        status_code=status_code,
    )


@signed_in
async def own_tokens(request: Request) -> Response:
    return await _own_page(request)


@signed_in
async def create_token(request: Request) -> Response:
    form = await read_form(request)
    values = values_of(form, "name", "expires_on")
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)]
    try:
        parsed = api_tokens.parse_token_form(values, scopes, clock.local_today())
    except ValidationFailed as error:
        return await _own_page(request, values=values, scopes=scopes, errors=error.errors, status_code=400)
    _token, secret = await api_tokens.create_token(actor=request.state.user, **parsed)  # type: ignore[arg-type]
    # Shown in this answer only: only its hash is stored, so no later page can show it again.
    response = await _own_page(request, secret=secret, status_code=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@signed_in
async def revoke_own(request: Request) -> Response:
    await read_form(request)
    await api_tokens.revoke_token(_token_id(request), actor=request.state.user)
    return RedirectResponse("/api-tokens?melding=ingetrokken", status_code=303)


@requires(Role.COORDINATOR)
async def all_tokens(request: Request) -> Response:
    return render(
        request,
        "admin/api_tokens.html",
        {
            "tokens": await api_tokens.all_tokens(),
            "scope_labels": SCOPE_LABELS,
            "notice": NOTICES.get(request.query_params.get("melding", ""), ""),
            "now": clock.now(),
        },
    )


@requires(Role.COORDINATOR)
async def revoke_any(request: Request) -> Response:
    await read_form(request)
    await api_tokens.revoke_token(_token_id(request), actor=request.state.user)
    return RedirectResponse("/beheer/api-tokens?melding=ingetrokken", status_code=303)


routes = [
    Route("/api-tokens", own_tokens, methods=["GET"]),
    Route("/api-tokens", create_token, methods=["POST"]),
    Route("/api-tokens/{token_id}/intrekken", revoke_own, methods=["POST"]),
    Route("/beheer/api-tokens", all_tokens, methods=["GET"]),
    Route("/beheer/api-tokens/{token_id}/intrekken", revoke_any, methods=["POST"]),
]
