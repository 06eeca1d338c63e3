"""The coordinators' staffing page of a booking: who is asked, suggestions with reasons, asking,
auto-assigning, and taking a trainer off."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import assignment, queries, suggestions
from bookings.errors import BookingRuleBroken
from bookings.models import TrainerKind
from bookings.policy import BookingPolicy
from bookings.staffing import staffing_of
from server.access import requires
from server.errors import DomainError
from server.forms import values_of
from server.i18n import _, lazy_gettext
from server.models import Role
from server.security import read_form
from server.templating import render

NOTICES = {
    "gevraagd": lazy_gettext("De trainer is gevraagd en krijgt een mail met het verzoek."),
    "automatisch": lazy_gettext("Voor elke open rol is de beste kandidaat gevraagd."),
    "ingetrokken": lazy_gettext(
        "De trainer is van de sessie gehaald. Is de rol daardoor open, dan is de volgende geschikte "
        "kandidaat gevraagd, of krijgen de coördinatoren bericht dat er niemand meer is."
    ),
}


async def _staffing_page(
    request: Request, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    policy = BookingPolicy.from_settings(request.app.state.settings)
    roles = await suggestions.suggest(booking, policy) if booking.starts_at else []
    return render(
        request,
        "bookings/staffing.html",
        {
            "booking": booking,
            "staffing": await staffing_of(booking),
            "suggestions": roles,
            "is_staffable": booking.status in assignment.STAFFABLE,
            "errors": errors or {},
            "notice": NOTICES.get(request.query_params.get("melding", "")),
        },
        status_code=status_code,
    )


@requires(Role.COORDINATOR)
async def staffing_page(request: Request) -> Response:
    return await _staffing_page(request)


async def _act(request: Request, notice: str, action) -> Response:  # type: ignore[no-untyped-def]
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    form = await read_form(request)
    try:
        await action(booking, form)
    except DomainError as error:
        if error.status_code == 404:
            raise
        return await _staffing_page(
            request, errors={"staffing": error.message}, status_code=error.status_code
        )
    return RedirectResponse(f"/boekingen/{booking.reference}/trainers?melding={notice}", status_code=303)


@requires(Role.COORDINATOR)
async def ask(request: Request) -> Response:
    async def action(booking, form) -> None:  # type: ignore[no-untyped-def]
        values = values_of(form, "trainer_id", "kind")
        if not values["trainer_id"].isdigit() or values["kind"] not in TrainerKind.__members__.values():
            raise BookingRuleBroken(_("Kies een trainer en een rol."))
        await assignment.ask_trainer(
            booking.id,
            int(values["trainer_id"]),
            TrainerKind(values["kind"]),
            actor=request.state.user,
            settings=request.app.state.settings,
        )

    return await _act(request, "gevraagd", action)


@requires(Role.COORDINATOR)
async def auto_assign(request: Request) -> Response:
    async def action(booking, form) -> None:  # type: ignore[no-untyped-def]
        await assignment.auto_assign(
            booking.id, actor=request.state.user, settings=request.app.state.settings
        )

    return await _act(request, "automatisch", action)


@requires(Role.COORDINATOR)
async def take_off(request: Request) -> Response:
    async def action(booking, form) -> None:  # type: ignore[no-untyped-def]
        values = values_of(form, "request_id", "reason")
        if not values["request_id"].isdigit():
            raise BookingRuleBroken(_("Kies wie van de sessie af moet."))
        await assignment.withdraw(
            int(values["request_id"]),
            values["reason"],
            actor=request.state.user,
            settings=request.app.state.settings,
            booking_id=booking.id,
        )

    return await _act(request, "ingetrokken", action)


routes = [
    Route("/boekingen/{reference}/trainers", staffing_page, methods=["GET"]),
    Route("/boekingen/{reference}/trainers/vragen", ask, methods=["POST"]),
    Route("/boekingen/{reference}/trainers/automatisch", auto_assign, methods=["POST"]),
    Route("/boekingen/{reference}/trainers/intrekken", take_off, methods=["POST"]),
]
