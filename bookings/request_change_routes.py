"""Changing a request (aangevraagd): the request form, filled in with the current answers, on its own
page; the rules are bookings/request_changes.py and bookings/request_rules.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import queries, request_changes, request_rules
from bookings.booking_routes import form_version
from bookings.forms import BOOKING_FIELDS
from bookings.models import Booking
from bookings.permissions import CLERK_STAFF
from bookings.policy import BookingPolicy
from bookings.request_routes import request_form_context
from server import clock
from server.access import requires
from server.errors import DomainError, EditConflict, ValidationFailed
from server.forms import values_of
from server.security import read_form
from server.templating import render


async def _change_page(
    request: Request,
    booking: Booking,
    *,
    values: dict[str, str],
    themes: list[str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    policy = BookingPolicy.from_settings(request.app.state.settings)
    context = await request_form_context(booking.organisation, booking.offering, policy, booking=booking)
    return render(
        request,
        "bookings/request_change.html",
        {**context, "booking": booking, "values": values, "chosen_themes": themes, "errors": errors},
        status_code=status_code,
    )


async def _changeable(request: Request) -> Booking:
    """The request, if this user may see it (NotFound otherwise) and it is still a request (409)."""
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    request_changes.ensure_changeable(booking)
    return booking


@requires(*CLERK_STAFF)
async def change_form(request: Request) -> Response:
    booking = await _changeable(request)
    return await _change_page(
        request, booking, values=request_changes.form_values(booking), themes=list(booking.themes), errors={}
    )


@requires(*CLERK_STAFF)
async def change(request: Request) -> Response:
    booking = await _changeable(request)
    form = await read_form(request)
    values = values_of(form, "version", *BOOKING_FIELDS)
    values["offering"] = str(booking.offering.id)
    themes = [t for t in form.getlist("themes") if isinstance(t, str)]
    settings = request.app.state.settings
    draft, errors = await request_rules.review_request(
        booking.organisation,
        booking.offering,
        values,
        themes,
        policy=BookingPolicy.from_settings(settings),
        now=clock.now(),
        booking=booking,
    )
    try:
        if draft is None:
            raise ValidationFailed(errors)
        await request_changes.change_request(
            booking.id,
            draft,
            actor=request.state.user,
            settings=settings,
            expected_version=form_version(values),
        )
    except ValidationFailed as error:
        return await _change_page(
            request, booking, values=values, themes=themes, errors=error.errors, status_code=400
        )
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        # Shown with the booking as it is now: a conflict's newer version, or a state it moved into.
        booking = await queries.booking_for(request.state.user, booking.reference)
        field = "conflict" if isinstance(error, EditConflict) else error.field or "offering"
        request_changes.ensure_changeable(booking)
        return await _change_page(
            request,
            booking,
            values=values,
            themes=themes,
            errors={field: error.message},
            status_code=error.status_code,
        )
    return RedirectResponse(f"/boekingen/{booking.reference}?melding=gewijzigd", status_code=303)


routes = [
    Route("/boekingen/{reference}/wijzigen", change_form, methods=["GET"]),
    Route("/boekingen/{reference}/wijzigen", change, methods=["POST"]),
]
