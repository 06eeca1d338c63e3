"""Coordinators' booking pages: the bookings board and the catalogue (the tour: outreach_routes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import catalogue, queries
from bookings.models import Audience, BookingStatus, Offering, PriceModel, Stage, TrainerKind, VatTreatment
from server.access import requires
from server.errors import NotFound, ValidationFailed
from server.forms import page_number, values_of
from server.models import Role
from server.organisations import province_choices
from server.security import read_form
from server.templating import render


@requires(Role.COORDINATOR)
async def board(request: Request) -> Response:
    filters = queries.BoardFilters.from_query(dict(request.query_params))
    page = page_number(request)
    bookings, has_next = await queries.board(filters, page)
    return render(
        request,
        "bookings/board.html",
        {
            "bookings": bookings,
            "has_next": has_next,
            "page": page,
            "filters": filters,
            "statuses": list(BookingStatus),
            "stages": list(Stage),
            "provinces": await province_choices(),
            "query": request.url.query,
        },
    )


def _catalogue_choices() -> dict[str, list[str]]:
    return {
        "stages": list(Stage),
        "audiences": list(Audience),
        "price_models": list(PriceModel),
        "vat_treatments": list(VatTreatment),
        "trainer_kinds": list(TrainerKind),
    }


@requires(Role.COORDINATOR)
async def offering_list(request: Request) -> Response:
    stage_order = list(Stage)
    offerings = sorted(
        await Offering.all().prefetch_related("roles"), key=lambda o: (stage_order.index(o.stage), o.name)
    )
    return render(
        request,
        "bookings/offerings.html",
        {
            "offerings": offerings,
            "saved": request.query_params.get("melding") == "opgeslagen",
        },
    )


async def _offering_form(
    request: Request,
    offering: Offering | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "bookings/offering_form.html",
        {
            "offering": offering,
            "values": values,
            "errors": errors,
            **_catalogue_choices(),
        },
        status_code=status_code,
    )


def _offering_field_names() -> tuple[str, ...]:
    roles = tuple(f"role_{kind}_{end}" for kind in TrainerKind for end in ("min", "max"))
    return (*catalogue.OFFERING_FIELDS, *roles)


async def _offering(request: Request) -> Offering | None:
    raw = request.path_params.get("offering_id")
    if raw is None:
        return None
    offering = await Offering.get_or_none(id=int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if offering is None:
        raise NotFound()
    return offering


@requires(Role.COORDINATOR)
async def offering_form(request: Request) -> Response:
    offering = await _offering(request)
    values = await catalogue.offering_values(offering) if offering else {"is_active": "on"}
    return await _offering_form(request, offering, values, {})


@requires(Role.COORDINATOR)
async def save_offering(request: Request) -> Response:
    offering = await _offering(request)
    form = await read_form(request)
    values = values_of(form, *_offering_field_names())
    try:
        await catalogue.save_offering(offering.id if offering else None, values, actor=request.state.user)
    except ValidationFailed as error:
        return await _offering_form(request, offering, values, error.errors, status_code=400)
    return RedirectResponse("/aanbod?melding=opgeslagen", status_code=303)


routes = [
    Route("/boekingen", board, methods=["GET"]),
    Route("/aanbod", offering_list, methods=["GET"]),
    Route("/aanbod/nieuw", offering_form, methods=["GET"]),
    Route("/aanbod/nieuw", save_offering, methods=["POST"]),
    Route("/aanbod/{offering_id}", offering_form, methods=["GET"]),
    Route("/aanbod/{offering_id}", save_offering, methods=["POST"]),
]
