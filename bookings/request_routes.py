"""Booking pages of an organisation: its bookings, the catalogue, the booking form and its quote."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import queries, request_rules, service, suggestions
from bookings.forms import BOOKING_FIELDS, PARTS_OF_DAY, THEMES
from bookings.models import Booking, Offering, Stage
from bookings.permissions import ANY_STAFF, CLERK_STAFF
from bookings.policy import BookingPolicy
from bookings.pricing import price_of
from bookings.quote import quote_filename, quote_number, quote_pdf
from server import clock
from server.access import requires
from server.errors import DomainError, NotFound, ValidationFailed
from server.forms import values_of
from server.i18n import lazy_gettext
from server.models import Organisation, Role
from server.organisations import organisation_for
from server.security import read_form
from server.templating import render

NOTICES = {
    "uitzondering": lazy_gettext(
        "De uitzondering is vastgelegd: deze organisatie kan nog een gratis raadsbrede sessie boeken."
    ),
}


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


async def request_form_context(
    organisation: Organisation,
    offering: Offering,
    policy: BookingPolicy,
    *,
    booking: Booking | None = None,
) -> dict[str, Any]:
    """What the request form shows besides the answers, for booking and for changing a request: the
    rules known in advance (bookings/request_rules.py) and the days the trainers are free."""
    now = clock.now()
    facts = await request_rules.request_facts(organisation, offering, policy, now, booking=booking)
    days = await suggestions.open_days(offering, organisation, policy, first_day=facts.first.day, days=56)
    return {
        "organisation": organisation,
        "offering": offering,
        "policy": policy,
        "facts": facts,
        "lead_days": policy.lead_time(offering.stage).days,
        "themes": THEMES,
        "parts_of_day": PARTS_OF_DAY,
        "open_weeks": [(days[i].day, days[i : i + 7]) for i in range(0, len(days), 7)],
    }


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
    return render(
        request,
        "bookings/booking_form.html",
        {
            **await request_form_context(organisation, offering, policy),
            "price": price,
            "values": values,
            "chosen_themes": themes,
            "errors": errors,
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
    draft, errors = await request_rules.review_request(
        organisation,
        offering,
        values,
        themes,
        policy=BookingPolicy.from_settings(request.app.state.settings),
        now=clock.now(),
    )
    if draft is None:
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
    issued_on = clock.local_today()
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


routes = [
    Route("/organisatie/boekingen", own_bookings, methods=["GET"]),
    Route("/organisaties/{code}/boekingen", organisation_bookings, methods=["GET"]),
    Route("/organisaties/{code}/uitzondering", grant_exception, methods=["POST"]),
    Route("/organisaties/{code}/boeken", catalogue, methods=["GET"]),
    Route("/organisaties/{code}/boeken/{offering_id}", booking_form, methods=["GET"]),
    Route("/organisaties/{code}/boeken/{offering_id}", submit_booking, methods=["POST"]),
    Route("/organisaties/{code}/boeken/{offering_id}/offerte.pdf", quote, methods=["GET"]),
]
