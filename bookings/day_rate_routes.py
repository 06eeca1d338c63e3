"""A trainer's day rates: the history and a new rate from a day, for coordinators and finance."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import day_rates
from server import clock
from server.access import requires
from server.errors import NotFound, ValidationFailed
from server.forms import values_of
from server.i18n import _
from server.models import Role
from server.security import read_form
from server.templating import render

FIELDS = ("day_rate", "day_rate_from")


def _user_id(request: Request) -> int:
    raw = request.path_params["user_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


async def _page(
    request: Request,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    person = await day_rates.rated_person(_user_id(request))
    today = clock.local_today()
    return render(
        request,
        "bookings/trainers/day_rates.html",
        {
            "person": person,
            "rate_history": await day_rates.history_of(person.id),
            "current_cents": await day_rates.rate_on(person.id, today),
            "values": values or {"day_rate": "", "day_rate_from": today.isoformat()},
            "errors": errors or {},
            "notice": _("Het dagtarief is vastgelegd.")
            if request.query_params.get("melding") == "opgeslagen"
            else "",
        },
        status_code=status,
    )


@requires(Role.COORDINATOR, Role.FINANCE)
async def day_rate_page(request: Request) -> Response:
    return await _page(request)


@requires(Role.COORDINATOR, Role.FINANCE)
async def add_day_rate(request: Request) -> Response:
    values = values_of(await read_form(request), *FIELDS)
    try:
        await day_rates.add_rate(
            _user_id(request), values["day_rate"], values["day_rate_from"], actor=request.state.user
        )
    except ValidationFailed as error:
        return await _page(request, values, error.errors, status=400)
    return RedirectResponse(f"/trainers/{_user_id(request)}/dagtarief?melding=opgeslagen", status_code=303)


routes = [
    Route("/trainers/{user_id}/dagtarief", day_rate_page, methods=["GET"]),
    Route("/trainers/{user_id}/dagtarief", add_day_rate, methods=["POST"]),
]
