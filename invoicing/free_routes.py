"""Finance's pages for free-standing invoices: the form for a new one, and changing or throwing away
its details while it is a draft. Its lines and issuing are the invoice page's (invoicing.routes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from invoicing import drafts, free
from invoicing.routes import _detail, _invoice_id
from server.access import requires
from server.errors import DomainError, ValidationFailed
from server.forms import values_of
from server.models import Role
from server.security import read_form
from server.templating import render

FORM_FIELDS = (*free.DETAIL_FIELDS, *drafts.LINE_FIELDS)


async def _new_form(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "invoicing/new.html",
        {"values": values, "errors": errors, "organisations": await free.organisation_choices()},
        status_code=status_code,
    )


@requires(Role.FINANCE)
async def new_invoice_form(request: Request) -> Response:
    values = dict.fromkeys(FORM_FIELDS, "")
    values.update(quantity="1", vat="S21")
    return await _new_form(request, values, {})


@requires(Role.FINANCE)
async def create_invoice(request: Request) -> Response:
    values = values_of(await read_form(request), *FORM_FIELDS)
    try:
        invoice = await free.create_free_draft(values, actor=request.state.user)
    except ValidationFailed as error:
        return await _new_form(request, values, error.errors, status_code=400)
    return RedirectResponse(f"/financien/facturen/{invoice.id}?melding=losse-factuur", status_code=303)


@requires(Role.FINANCE)
async def change_details(request: Request) -> Response:
    values = values_of(await read_form(request), *free.DETAIL_FIELDS)
    try:
        await free.change_free_draft(_invoice_id(request), values, actor=request.state.user)
    except ValidationFailed as error:
        return await _detail(request, details=values, detail_errors=error.errors, status_code=400)
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        return await _detail(request, error=error.message, status_code=error.status_code)
    return RedirectResponse(f"/financien/facturen/{_invoice_id(request)}?melding=gegevens", status_code=303)


@requires(Role.FINANCE)
async def delete_draft(request: Request) -> Response:
    await read_form(request)
    try:
        await free.delete_free_draft(_invoice_id(request), actor=request.state.user)
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        return await _detail(request, error=error.message, status_code=error.status_code)
    return RedirectResponse("/financien?melding=verwijderd", status_code=303)


routes = [
    Route("/financien/nieuwe-factuur", new_invoice_form, methods=["GET"]),
    Route("/financien/nieuwe-factuur", create_invoice, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}/gegevens", change_details, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}/verwijderen", delete_draft, methods=["POST"]),
]
