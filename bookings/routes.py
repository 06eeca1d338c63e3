"""Booking pages: clerks book for their organisation and follow their bookings; the booking page
with the steps each role may take."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise import timezone

from bookings import assignment, lifecycle, pricing, queries, service, suggestions
from bookings.forms import (
    BOOKING_FIELDS,
    PARTS_OF_DAY,
    THEMES,
    parse_booking_form,
    parse_start,
    preferred_slots,
)
from bookings.models import Booking, Offering, Stage
from bookings.policy import BookingPolicy
from bookings.pricing import price_of
from bookings.quote import quote_filename, quote_number, quote_pdf
from server.access import requires
from server.errors import DomainError, EditConflict, NotFound, ValidationFailed
from server.forms import values_of
from server.i18n import _
from server.models import Organisation, Role
from server.organisations import organisation_for
from server.page_cache import cached_page
from server.security import read_form
from server.templating import local_time, render

NOTICES = {
    "aangevraagd": _(
        "Uw aanvraag is ontvangen. U krijgt een bevestiging per e-mail; het team neemt contact op."
    ),
    "gepland": _("De datum is vastgelegd. De trainers worden gevraagd."),
    "bevestigd": _("De boeking is bevestigd; iedereen krijgt een agenda-uitnodiging."),
    "verzet": _("De nieuwe datum is doorgegeven; de trainers bevestigen opnieuw."),
    "geannuleerd": _("De boeking is geannuleerd."),
    "gegeven": _("De sessie is als gegeven vastgelegd."),
    "afgesloten": _("De boeking is afgesloten."),
    "verslag": _("Het intakeverslag is opgeslagen."),
    "inkooporder": _("De factuurgegevens van deze boeking zijn opgeslagen."),
    "uitzondering": _(
        "De uitzondering is vastgelegd: deze organisatie kan nog een gratis raadsbrede sessie boeken."
    ),
}
CLERK_STAFF = (Role.CLERK, Role.COORDINATOR)
ANY_STAFF = (Role.CLERK, Role.COORDINATOR, Role.FINANCE)


def _offering_id(request: Request) -> int:
    raw = request.path_params["offering_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


async def _own_organisation(request: Request) -> Organisation:
    organisation = await organisation_for(request.state.user, request.path_params["code"])
    if request.state.user.role is Role.FINANCE and request.method != "GET":
        raise NotFound()
    return organisation


@requires(Role.CLERK)
async def own_bookings(request: Request) -> Response:
    organisation = await Organisation.get(id=request.state.user.organisation_id)
    return RedirectResponse(f"/organisaties/{organisation.cbs_code}/boekingen", status_code=303)


async def _organisation_page(
    request: Request,
    organisation: Organisation,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "bookings/organisation_bookings.html",
        {
            "organisation": organisation,
            "bookings": await queries.bookings_of(organisation),
            "errors": errors or {},
            "values": values or {"reason": ""},
            "notice": NOTICES.get(request.query_params.get("melding", "")),
        },
        status_code=status_code,
    )


@requires(*ANY_STAFF)
async def organisation_bookings(request: Request) -> Response:
    return await _organisation_page(request, await _own_organisation(request))


@requires(Role.COORDINATOR)
async def grant_exception(request: Request) -> Response:
    """A second free council-wide session in this term, with the reason in the audit log."""
    organisation = await _own_organisation(request)
    form = await read_form(request)
    values = values_of(form, "reason")
    try:
        await service.grant_free_session_exception(
            organisation, values["reason"], actor=request.state.user, settings=request.app.state.settings
        )
    except DomainError as error:
        if error.status_code != 400:
            raise
        return await _organisation_page(
            request, organisation, errors={"reason": error.message}, values=values, status_code=400
        )
    return RedirectResponse(
        f"/organisaties/{organisation.cbs_code}/boekingen?melding=uitzondering", status_code=303
    )


@requires(*CLERK_STAFF)
async def catalogue(request: Request) -> Response:
    organisation = await _own_organisation(request)
    offerings = await Offering.filter(is_active=True).order_by("stage", "name")
    return render(
        request,
        "bookings/catalogue.html",
        {
            "organisation": organisation,
            "stages": [(stage, [o for o in offerings if o.stage is stage]) for stage in Stage],
            "prices": {o.id: price_of(o.price_model, o.price_cents, o.vat_treatment, 1) for o in offerings},
        },
    )


async def _booking_form(
    request: Request,
    organisation: Organisation,
    offering: Offering,
    *,
    values: dict[str, str],
    themes: list[str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    policy = BookingPolicy.from_settings(request.app.state.settings)
    participants = values.get("expected_participants", "")
    price = price_of(
        offering.price_model,
        offering.price_cents,
        offering.vat_treatment,
        int(participants) if participants.isdigit() and len(participants) < 5 else 1,
    )
    earliest = (timezone.now() + policy.lead_time(offering.stage)).date()
    days = await suggestions.open_days(offering, organisation, policy, first_day=earliest, days=56)
    open_weeks = [(days[i].day, days[i : i + 7]) for i in range(0, len(days), 7)]
    return render(
        request,
        "bookings/booking_form.html",
        {
            "organisation": organisation,
            "offering": offering,
            "price": price,
            "policy": policy,
            "values": values,
            "chosen_themes": themes,
            "errors": errors,
            "themes": THEMES,
            "parts_of_day": PARTS_OF_DAY,
            "earliest": earliest.isoformat(),
            "open_weeks": open_weeks,
        },
        status_code=status_code,
    )


async def _bookable(request: Request) -> tuple[Organisation, Offering]:
    organisation = await _own_organisation(request)
    offering = await Offering.get_or_none(id=_offering_id(request), is_active=True)
    if offering is None:
        raise NotFound()
    return organisation, offering


@requires(*CLERK_STAFF)
@cached_page
async def booking_form(request: Request) -> Response:
    organisation, offering = await _bookable(request)
    values = dict.fromkeys(BOOKING_FIELDS, "")
    values.update(
        offering=str(offering.id),
        invoice_email=organisation.invoice_email,
        expected_participants=request.query_params.get("deelnemers", "")[:4],
    )
    return await _booking_form(request, organisation, offering, values=values, themes=[], errors={})


@requires(*CLERK_STAFF)
async def submit_booking(request: Request) -> Response:
    organisation, offering = await _bookable(request)
    form = await read_form(request)
    values = values_of(form, *BOOKING_FIELDS)
    values["offering"] = str(offering.id)
    themes = [t for t in form.getlist("themes") if isinstance(t, str)]
    draft, errors = parse_booking_form(values, themes)
    if draft is None:
        slots, _slot_errors = preferred_slots(values)
        policy = BookingPolicy.from_settings(request.app.state.settings)
        errors = {**service.check_preferred(offering, slots, policy, timezone.now()), **errors}
        return await _booking_form(
            request, organisation, offering, values=values, themes=themes, errors=errors, status_code=400
        )
    try:
        booking = await service.create_booking(
            organisation,
            draft,
            actor=request.state.user,
            settings=request.app.state.settings,
            offering=offering,
        )
    except ValidationFailed as error:
        return await _booking_form(
            request,
            organisation,
            offering,
            values=values,
            themes=themes,
            errors=error.errors,
            status_code=400,
        )
    except DomainError as error:
        if error.status_code != 400:
            raise
        return await _booking_form(
            request,
            organisation,
            offering,
            values=values,
            themes=themes,
            errors={error.field or "offering": error.message},
            status_code=400,
        )
    return RedirectResponse(f"/boekingen/{booking.reference}?melding=aangevraagd", status_code=303)


@requires(*CLERK_STAFF)
async def quote(request: Request) -> Response:
    """The quote PDF; QuoteRefused (400) for a free offering or a count the offering does not take."""
    organisation, offering = await _bookable(request)
    raw = request.query_params.get("deelnemers", "1")
    participants = int(raw) if raw.isdigit() and len(raw) < 6 else 1
    issued_on = local_time(timezone.now()).date()
    pdf = await quote_pdf(
        organisation,
        offering,
        participants,
        issued_on=issued_on,
        policy=BookingPolicy.from_settings(request.app.state.settings),
    )
    filename = quote_filename(quote_number(organisation, offering, participants, issued_on))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


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
    percent, fee = lifecycle.cancellation_terms(booking, policy, timezone.now())
    context: dict[str, Any] = {
        "booking": booking,
        "price": pricing.booking_price(booking),
        "policy": policy,
        "is_staff": is_staff,
        "may_reschedule": user.role in CLERK_STAFF and booking.status in ("scheduled", "confirmed"),
        "may_cancel": user.role in CLERK_STAFF and booking.can_cancel,
        "may_edit_po": user.role in ANY_STAFF and booking.can_change_po_number,
        "cancellation_percent": percent,
        "cancellation_fee_cents": fee,
        "timeline": await queries.timeline(booking, for_staff=is_staff),
        "staffing": await assignment.staffing_of(booking),
        "other_bookings": await queries.other_bookings_of_organisation(booking) if is_staff else [],
        "theme_labels": dict(THEMES),
        "part_of_day_labels": dict(PARTS_OF_DAY),
        "errors": errors or {},
        "values": values or {},
        "notice": NOTICES.get(request.query_params.get("melding", "")),
    }
    return render(request, "bookings/booking.html", context, status_code=status_code)


@requires(*ANY_STAFF)
async def show_booking(request: Request) -> Response:
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    return await booking_page(request, booking)


def _version(values: dict[str, str]) -> datetime | None:
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
    was typed. After an EditConflict the page shows the booking as it is now (409)."""
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    form = await read_form(request)
    values = values_of(form, "version", *fields)
    try:
        await action(booking, values)
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
    async def action(booking: Booking, values: dict[str, str]) -> None:
        await lifecycle.schedule_booking(
            booking.id,
            _start(values),
            actor=request.state.user,
            settings=request.app.state.settings,
            expected_version=_version(values),
        )

    return await _step(request, ("date", "time"), "gepland", action)


@requires(*CLERK_STAFF)
async def reschedule(request: Request) -> Response:
    async def action(booking: Booking, values: dict[str, str]) -> None:
        await lifecycle.reschedule_booking(
            booking.id,
            _start(values),
            actor=request.state.user,
            settings=request.app.state.settings,
            expected_version=_version(values),
        )

    return await _step(request, ("date", "time"), "verzet", action)


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
            expected_version=_version(values),
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
            expected_version=_version(values),
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
            expected_version=_version(values),
        )

    return await _step(request, ("po_number", "invoice_email"), "inkooporder", action)


@requires(*CLERK_STAFF)
async def cancel_form(request: Request) -> Response:
    booking = await queries.booking_for(request.state.user, request.path_params["reference"])
    policy = BookingPolicy.from_settings(request.app.state.settings)
    percent, fee = lifecycle.cancellation_terms(booking, policy, timezone.now())
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
            expected_version=_version(values),
        )
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        booking = await queries.booking_for(request.state.user, booking.reference)
        field = "conflict" if isinstance(error, EditConflict) else error.field or "reason"
        percent, fee = lifecycle.cancellation_terms(booking, policy, timezone.now())
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
    Route("/organisatie/boekingen", own_bookings, methods=["GET"]),
    Route("/organisaties/{code}/boekingen", organisation_bookings, methods=["GET"]),
    Route("/organisaties/{code}/uitzondering", grant_exception, methods=["POST"]),
    Route("/organisaties/{code}/boeken", catalogue, methods=["GET"]),
    Route("/organisaties/{code}/boeken/{offering_id}", booking_form, methods=["GET"]),
    Route("/organisaties/{code}/boeken/{offering_id}", submit_booking, methods=["POST"]),
    Route("/organisaties/{code}/boeken/{offering_id}/offerte.pdf", quote, methods=["GET"]),
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
