"""Finance's pages (list, one invoice, issuing, crediting, downloads, the team's details) and the
clerks' read-only list of their organisation's invoices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from invoicing import (
    batch,
    costs,
    documents,
    drafts,
    exports,
    issuing,
    money_routes,
    payments,
    queries,
    seller,
)
from invoicing.models import InvoiceStatus, SellerSettings
from invoicing.numbering import file_name
from server import clock
from server.access import requires
from server.downloads import download
from server.errors import DomainError, NotFound, ValidationFailed
from server.forms import page_number, values_of
from server.i18n import _, lazy_gettext
from server.models import Organisation, Role
from server.organisations import organisation_for, province_choices
from server.security import read_form
from server.templating import local_time, render

NOTICES = {
    "uitgegeven": lazy_gettext(
        "De factuur is uitgegeven. Het nummer, de pdf en de e-factuur liggen nu vast."
    ),
    "gecrediteerd": lazy_gettext(
        "De creditnota is gemaakt. Het nummer, de pdf en de e-factuur liggen nu vast."
    ),
    "opnieuw": lazy_gettext(
        "Dit concept factureert opnieuw wat de creditnota crediteerde. Pas de regels aan en geef het uit."
    ),
    "concepten": lazy_gettext(
        "Conceptfacturen zijn aangemaakt voor alle gegeven betaalde trainingen en annuleringskosten."
    ),
    "instellingen": lazy_gettext("De gegevens van het team zijn opgeslagen."),
    "verstuurd": lazy_gettext("De mail met de pdf en de e-factuur staat klaar om te worden verstuurd."),
    "betaald": lazy_gettext("De betaling is vastgelegd."),
    "inkooporder": lazy_gettext("De griffie is per e-mail gevraagd om het inkoopordernummer."),
    "uitreiken": lazy_gettext("De concepten worden uitgereikt. Hieronder ziet u hoever het is."),
    "losse-factuur": lazy_gettext(
        "Het concept is gemaakt. Voeg zo nodig regels toe en geef de factuur dan uit."
    ),
    "gegevens": lazy_gettext("De gegevens van het concept zijn opgeslagen."),
    "verwijderd": lazy_gettext("Het concept is verwijderd."),
}
READERS = (Role.FINANCE, Role.COORDINATOR)


def _invoice_id(request: Request) -> int:
    raw = request.path_params["invoice_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


@requires(*READERS)
async def invoice_list(request: Request) -> Response:
    filters = queries.InvoiceFilters.from_query(dict(request.query_params))
    page = page_number(request)
    listing = await queries.invoice_list(filters, page, clock.local_today())
    return render(
        request,
        "invoicing/list.html",
        {
            "listing": listing,
            "filters": filters,
            "page": page,
            "statuses": queries.FILTER_STATUSES,
            "provinces": await province_choices(),
            "notice": NOTICES.get(request.query_params.get("melding", "")),
            "may_edit": request.state.user.role is Role.FINANCE,
            "issuing": await batch.latest_batch(),
        },
    )


async def _detail(
    request: Request,
    *,
    error: str = "",
    status_code: int = 200,
    details: dict[str, str] | None = None,
    detail_errors: dict[str, str] | None = None,
) -> Response:
    return await money_routes.detail_page(
        request, NOTICES, error=error, status_code=status_code, details=details, detail_errors=detail_errors
    )


@requires(*READERS, Role.CLERK)
async def invoice_detail(request: Request) -> Response:
    return await _detail(request)


@requires(Role.FINANCE)
async def issue(request: Request) -> Response:
    await read_form(request)
    try:
        await issuing.issue_invoice(_invoice_id(request), actor=request.state.user)
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        return await _detail(request, error=error.message, status_code=error.status_code)
    return RedirectResponse(f"/financien/facturen/{_invoice_id(request)}?melding=uitgegeven", status_code=303)


async def _download(request: Request, kind: str) -> Response:
    invoice = await queries.invoice_for(request.state.user, _invoice_id(request), with_documents=True)
    if invoice.status is InvoiceStatus.DRAFT:
        raise NotFound(_("Een concept heeft nog geen documenten."))
    invoice = await documents.with_documents(invoice)
    content, media_type = (
        (invoice.pdf, "application/pdf") if kind == "pdf" else (invoice.ubl, "application/xml")
    )
    return download(bytes(content), media_type, file_name(invoice.number or "", kind))


@requires(*READERS, Role.CLERK)
async def download_pdf(request: Request) -> Response:
    return await _download(request, "pdf")


@requires(*READERS, Role.CLERK)
async def download_ubl(request: Request) -> Response:
    return await _download(request, "xml")


@requires(Role.FINANCE)
async def make_drafts(request: Request) -> Response:
    await read_form(request)
    await drafts.create_missing_drafts()
    return RedirectResponse("/financien?melding=concepten", status_code=303)


@requires(Role.FINANCE)
async def issue_drafts_form(request: Request) -> Response:
    running = await batch.latest_batch()
    return render(
        request,
        "invoicing/issue_drafts.html",
        {
            "count": len(await batch.draft_ids()),
            "running": running if running is not None and running.is_running else None,
        },
    )


@requires(Role.FINANCE)
async def issue_drafts(request: Request) -> Response:
    await read_form(request)
    lease = timedelta(seconds=request.app.state.settings.lease_seconds)
    await batch.start_issuing_drafts(actor=request.state.user, lease=lease)
    return RedirectResponse("/financien?melding=uitreiken", status_code=303)


async def _settings_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "invoicing/settings.html",
        {"values": values, "errors": errors, "notice": NOTICES.get(request.query_params.get("melding", ""))},
        status_code=status_code,
    )


@requires(Role.FINANCE)
async def settings_form(request: Request) -> Response:
    current = await SellerSettings.get_or_none(id=1)
    values = {name: str(getattr(current, name)) if current else "" for name in seller.SELLER_FIELDS}
    if not values["payment_term_days"]:
        values["payment_term_days"] = "30"
    if not values["number_format"]:
        values["number_format"] = "{year}-{number:04d}"
    return await _settings_page(request, values, {})


@requires(Role.FINANCE)
async def save_settings(request: Request) -> Response:
    form = await read_form(request)
    values = values_of(form, *seller.SELLER_FIELDS)
    try:
        await seller.save_seller_settings(values, actor=request.state.user)
    except ValidationFailed as error:
        return await _settings_page(request, values, error.errors, status_code=400)
    return RedirectResponse("/financien/instellingen?melding=instellingen", status_code=303)


@requires(Role.CLERK)
async def own_invoices(request: Request) -> Response:
    organisation = await Organisation.get(id=request.state.user.organisation_id)
    return RedirectResponse(f"/organisaties/{organisation.cbs_code}/facturen", status_code=303)


@requires(Role.CLERK, *READERS)
async def organisation_invoices(request: Request) -> Response:
    organisation = await organisation_for(request.state.user, request.path_params["code"])
    return render(
        request,
        "invoicing/organisation.html",
        {"organisation": organisation, "invoices": await queries.invoices_of(organisation)},
    )


@requires(Role.FINANCE)
async def send(request: Request) -> Response:
    await read_form(request)
    try:
        await payments.send_invoice(
            _invoice_id(request), actor=request.state.user, base_url=request.app.state.settings.base_url
        )
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        return await _detail(request, error=error.message, status_code=error.status_code)
    return RedirectResponse(f"/financien/facturen/{_invoice_id(request)}?melding=verstuurd", status_code=303)


@requires(Role.FINANCE)
async def period_zip(request: Request) -> Response:
    first, last = exports.parse_period(
        request.query_params.get("van", ""), request.query_params.get("tot", "")
    )
    content = await run_in_threadpool(exports.zip_bytes, await exports.period_documents(first, last))
    return download(content, "application/zip", exports.period_name(first, last, "zip"))


@requires(Role.FINANCE)
async def period_journal(request: Request) -> Response:
    first, last = exports.parse_period(
        request.query_params.get("van", ""), request.query_params.get("tot", "")
    )
    content = exports.journal_csv(await exports.period_documents(first, last))
    return download(content, "text/csv; charset=utf-8", exports.period_name(first, last, "csv"))


@requires(*READERS)
async def free_session_costs(request: Request) -> Response:
    this_year = local_time(clock.now()).year
    raw = request.query_params.get("jaar", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2999 else this_year
    return render(
        request,
        "invoicing/costs.html",
        {"overview": await costs.free_session_costs(year), "hours_per_day": costs.HOURS_PER_DAY_RATE},
    )


def _line_id(request: Request) -> int:
    raw = request.path_params["line_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


async def _edit_draft(request: Request, change: Callable[[dict[str, str]], Awaitable[object]]) -> Response:
    form = await read_form(request)
    values = values_of(form, *drafts.LINE_FIELDS)
    try:
        await change(values)
    except ValidationFailed as error:
        return await _detail(request, error=" ".join(error.errors.values()), status_code=400)
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        return await _detail(request, error=error.message, status_code=error.status_code)
    return RedirectResponse(f"/financien/facturen/{_invoice_id(request)}#regels", status_code=303)


@requires(Role.FINANCE)
async def add_line(request: Request) -> Response:
    actor = request.state.user
    return await _edit_draft(request, lambda v: drafts.add_draft_line(_invoice_id(request), v, actor=actor))


@requires(Role.FINANCE)
async def change_line(request: Request) -> Response:
    actor = request.state.user
    return await _edit_draft(
        request, lambda v: drafts.change_draft_line(_invoice_id(request), _line_id(request), v, actor=actor)
    )


@requires(Role.FINANCE)
async def remove_line(request: Request) -> Response:
    actor = request.state.user
    return await _edit_draft(
        request, lambda v: drafts.remove_draft_line(_invoice_id(request), _line_id(request), actor=actor)
    )


@requires(Role.FINANCE)
async def ask_purchase_order(request: Request) -> Response:
    await read_form(request)
    try:
        await payments.ask_for_purchase_order(
            _invoice_id(request), actor=request.state.user, base_url=request.app.state.settings.base_url
        )
    except DomainError as error:
        if error.status_code != 400:
            raise
        return await _detail(request, error=error.message, status_code=400)
    return RedirectResponse(
        f"/financien/facturen/{_invoice_id(request)}?melding=inkooporder", status_code=303
    )


routes = [
    Route("/financien", invoice_list, methods=["GET"]),
    Route("/financien/concepten", make_drafts, methods=["POST"]),
    Route("/financien/concepten/uitreiken", issue_drafts_form, methods=["GET"]),
    Route("/financien/concepten/uitreiken", issue_drafts, methods=["POST"]),
    Route("/financien/instellingen", settings_form, methods=["GET"]),
    Route("/financien/instellingen", save_settings, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}", invoice_detail, methods=["GET"]),
    Route("/financien/facturen/{invoice_id}/uitgeven", issue, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}/factuur.pdf", download_pdf, methods=["GET"]),
    Route("/financien/facturen/{invoice_id}/e-factuur.xml", download_ubl, methods=["GET"]),
    Route("/organisatie/facturen", own_invoices, methods=["GET"]),
    Route("/organisaties/{code}/facturen", organisation_invoices, methods=["GET"]),
    Route("/financien/facturen/{invoice_id}/versturen", send, methods=["POST"]),
    Route("/financien/export.zip", period_zip, methods=["GET"]),
    Route("/financien/journaal.csv", period_journal, methods=["GET"]),
    Route("/financien/kosten", free_session_costs, methods=["GET"]),
    Route("/financien/facturen/{invoice_id}/inkooporder-vragen", ask_purchase_order, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}/regels", add_line, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}/regels/{line_id}", change_line, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}/regels/{line_id}/verwijderen", remove_line, methods=["POST"]),
    *money_routes.routes,
]
