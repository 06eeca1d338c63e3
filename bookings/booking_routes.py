"""The booking page with the steps each role may take on it: plan, reschedule, confirm, deliver, close,
the intake report, the purchase order and cancelling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import lifecycle, pricing, queries, scheduling
from bookings.forms import PARTS_OF_DAY, THEMES, parse_start
from bookings.models import Booking
from bookings.permissions import ANY_STAFF, CLERK_STAFF
from bookings.policy import BookingPolicy
from bookings.staffing import staffing_of
from server import clock
from server.access import requires
from server.errors import DomainError, EditConflict, ValidationFailed
from server.forms import values_of
from server.i18n import lazy_gettext
from server.models import Role
from server.security import read_form
from server.templating import render

NOTICES = {
    "aangevraagd": lazy_gettext(
        "Uw aanvraag is ontvangen. U krijgt een bevestiging per e-mail; het team neemt contact op."
    ),
    "gepland": lazy_gettext("De datum is vastgelegd. Vraag de trainers via Trainers."),
    "bevestigd": lazy_gettext("De boeking is bevestigd; iedereen krijgt een agenda-uitnodiging."),
    "verzet": lazy_gettext("De nieuwe datum is doorgegeven; de trainers bevestigen opnieuw."),
    "geannuleerd": lazy_gettext("De boeking is geannuleerd."),
    "gegeven": lazy_gettext("De sessie is als gegeven vastgelegd."),
    "afgesloten": lazy_gettext("De boeking is afgesloten."),
    "verslag": lazy_gettext("Het intakeverslag is opgeslagen."),
    "inkooporder": lazy_gettext("De factuurgegevens van deze boeking zijn opgeslagen."),
    "gewijzigd": lazy_gettext(
        "De aanvraag is gewijzigd. Het team ziet de wijziging op de tijdlijn van de boeking."
    ),
}


async def booking_page(
    request: Request,
    booking: Booking,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user = request.state.user
    is_staff = user.role is Role.COORDINATOR
    policy = BookingPolicy.from_settings(request.app.state.settings)
    percent, fee = lifecycle.cancellation_terms(booking, policy, clock.now())
    staffing = await staffing_of(booking)
    notice_key = request.query_params.get("melding", "")
    context: dict[str, Any] = {
        "booking": booking,
        "price": pricing.booking_price(booking),
        "policy": policy,
        "is_staff": is_staff,
        "may_reschedule": user.role in CLERK_STAFF and booking.status in ("scheduled", "confirmed"),
        "may_cancel": user.role in CLERK_STAFF and booking.can_cancel,
        "may_change_request": user.role in CLERK_STAFF and booking.status == "requested",
        "may_edit_po": user.role in ANY_STAFF and booking.can_change_po_number,
        "cancellation_percent": percent,
        "cancellation_fee_cents": fee,
        "timeline": await queries.timeline(booking, for_staff=is_staff),
        "staffing": staffing,
        "auto_assign": request.app.state.settings.auto_assign_on_schedule,
        "other_bookings": await queries.other_bookings_of_organisation(booking) if is_staff else [],
        "theme_labels": dict(THEMES),
        "part_of_day_labels": dict(PARTS_OF_DAY),
        "errors": errors or {},
        "values": values or {},
        "notice": scheduling.staffing_notice(staffing)
        if notice_key == "gepland-gevraagd" and is_staff
        else NOTICES.get(notice_key),
    }
    return render(request, "bookings/booking.html", context, status_code=status_code)


@requires(*ANY_STAFF)
async def show_booking(request: Request) -> Response:
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    return await booking_page(request, booking)


def form_version(values: dict[str, str]) -> datetime | None:
    """The booking's version the form was shown with; None for a form without one. Anything else
    that is not a version matches no booking, so it is refused as out of date."""
    raw = values.get("version", "")
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


async def _step(request: Request, fields: tuple[str, ...], notice: str, action: Any) -> Response:
    """Run one booking step from a form on the booking page; errors go back to that page, with what
    was typed. An action may return the notice to show instead of `notice`. After an EditConflict
    the page shows the booking as it is now (409)."""
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    form = await read_form(request)
    values = values_of(form, "version", *fields)
    try:
        notice = await action(booking, values) or notice
    except ValidationFailed as error:
        return await booking_page(request, booking, errors=error.errors, values=values, status_code=400)
    except EditConflict as error:
        refreshed = await queries.booking_for(request.state.user, booking.reference)
        return await booking_page(
            request, refreshed, errors={"conflict": error.message}, values=values, status_code=409
        )
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        refreshed = await queries.booking_for(request.state.user, booking.reference)
        return await booking_page(
            request,
            refreshed,
            errors={error.field or "step": error.message},
            values=values,
            status_code=error.status_code,
        )
    return RedirectResponse(f"/boekingen/{booking.reference}?melding={notice}", status_code=303)


def _start(values: dict[str, str]) -> Any:
    starts_at, errors = parse_start(values["date"], values["time"])
    if starts_at is None:
        raise ValidationFailed(errors)
    return starts_at


@requires(Role.COORDINATOR)
async def schedule(request: Request) -> Response:
    async def action(booking: Booking, values: dict[str, str]) -> str:
        asked = await scheduling.schedule_and_ask(
            booking.id,
            _start(values),
            actor=request.state.user,
            settings=request.app.state.settings,
            expected_version=form_version(values),
            allow_holiday=bool(values["allow_holiday"]),
        )
        return "gepland-gevraagd" if asked else "gepland"

    return await _step(request, ("date", "time", "allow_holiday"), "gepland", action)


@requires(*CLERK_STAFF)
async def reschedule(request: Request) -> Response:
    async def action(booking: Booking, values: dict[str, str]) -> None:
        await lifecycle.reschedule_booking(
            booking.id,
            _start(values),
            actor=request.state.user,
            settings=request.app.state.settings,
            expected_version=form_version(values),
            allow_holiday=bool(values["allow_holiday"]),
        )

    return await _step(request, ("date", "time", "allow_holiday"), "verzet", action)


@requires(Role.COORDINATOR)
async def confirm(request: Request) -> Response:
    async def action(booking: Booking, values: dict[str, str]) -> None:
        await lifecycle.confirm_booking(
            booking.id, actor=request.state.user, settings=request.app.state.settings
        )

    return await _step(request, (), "bevestigd", action)


@requires(Role.COORDINATOR)
async def deliver(request: Request) -> Response:
    async def action(booking: Booking, values: dict[str, str]) -> None:
        raw = values["participants"].strip()
        await lifecycle.mark_delivered(
            booking.id,
            int(raw) if raw.isdigit() and len(raw) < 6 else 0,
            actor=request.state.user,
            expected_version=form_version(values),
        )

    return await _step(request, ("participants",), "gegeven", action)


@requires(Role.COORDINATOR)
async def close(request: Request) -> Response:
    async def action(booking: Booking, values: dict[str, str]) -> None:
        await lifecycle.close_booking(booking.id, actor=request.state.user)

    return await _step(request, (), "afgesloten", action)


@requires(Role.COORDINATOR)
async def intake_outcome(request: Request) -> Response:
    async def action(booking: Booking, values: dict[str, str]) -> None:
        await lifecycle.record_intake_outcome(
            booking.id,
            values["notes"],
            values["next_step"],
            actor=request.state.user,
            expected_version=form_version(values),
        )

    return await _step(request, ("notes", "next_step"), "verslag", action)


@requires(*ANY_STAFF)
async def purchase_order(request: Request) -> Response:
    async def action(booking: Booking, values: dict[str, str]) -> None:
        await lifecycle.update_purchase_order(
            booking.id,
            values["po_number"],
            values["invoice_email"],
            actor=request.state.user,
            expected_version=form_version(values),
        )

    return await _step(request, ("po_number", "invoice_email"), "inkooporder", action)


@requires(*CLERK_STAFF)
async def cancel_form(request: Request) -> Response:
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    policy = BookingPolicy.from_settings(request.app.state.settings)
    percent, fee = lifecycle.cancellation_terms(booking, policy, clock.now())
    return render(
        request,
        "bookings/cancel.html",
        {
            "booking": booking,
            "percent": percent,
            "fee_cents": fee,
            "policy": policy,
            "values": {"reason": ""},
            "errors": {},
        },
    )


@requires(*CLERK_STAFF)
async def cancel(request: Request) -> Response:
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    form = await read_form(request)
    values = values_of(form, "reason", "version")
    policy = BookingPolicy.from_settings(request.app.state.settings)
    try:
        await lifecycle.cancel_booking(
            booking.id,
            values["reason"],
            actor=request.state.user,
            settings=request.app.state.settings,
            expected_version=form_version(values),
        )
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        booking = await queries.booking_for(request.state.user, booking.reference)
        field = "conflict" if isinstance(error, EditConflict) else error.field or "reason"
        percent, fee = lifecycle.cancellation_terms(booking, policy, clock.now())
        return render(
            request,
            "bookings/cancel.html",
            {
                "booking": booking,
                "percent": percent,
                "fee_cents": fee,
                "policy": policy,
                "values": values,
                "errors": {field: error.message},
            },
            status_code=error.status_code,
        )
    return RedirectResponse(f"/boekingen/{booking.reference}?melding=geannuleerd", status_code=303)


routes = [
    Route("/boekingen/{reference}", show_booking, methods=["GET"]),
    Route("/boekingen/{reference}/plannen", schedule, methods=["POST"]),
    Route("/boekingen/{reference}/verzetten", reschedule, methods=["POST"]),
    Route("/boekingen/{reference}/bevestigen", confirm, methods=["POST"]),
    Route("/boekingen/{reference}/gegeven", deliver, methods=["POST"]),
    Route("/boekingen/{reference}/afsluiten", close, methods=["POST"]),
    Route("/boekingen/{reference}/intakeverslag", intake_outcome, methods=["POST"]),
    Route("/boekingen/{reference}/inkooporder", purchase_order, methods=["POST"]),
    Route("/boekingen/{reference}/annuleren", cancel_form, methods=["GET"]),
    Route("/boekingen/{reference}/annuleren", cancel, methods=["POST"]),
]
