"""The invoice page with its balance and history, and finance's pages for payments, credit notes
(choose, confirm, make) and invoicing again after a credit note."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings.pricing import parse_euros
from invoicing import balances, credits, free, payments, queries
from invoicing.credits import CreditPart
from invoicing.document import DocumentKind
from server import clock
from server.access import requires
from server.errors import DomainError, NotFound
from server.i18n import _
from server.models import Role
from server.security import read_form
from server.templating import render

MAXIMUM_CENTS = 100_000_000


def invoice_id_of(request: Request) -> int:
    raw = request.path_params["invoice_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


async def detail_page(
    request: Request,
    notices: dict[str, str],
    *,
    error: str = "",
    status_code: int = 200,
    details: dict[str, str] | None = None,
    detail_errors: dict[str, str] | None = None,
) -> Response:
    """The page of one invoice or credit note, with its balance, history and (finance) actions;
    `details` and `detail_errors`: the details form of a free-standing draft as sent."""
    invoice = await queries.invoice_for(request.state.user, invoice_id_of(request))
    today = clock.local_today()
    is_invoice = invoice.kind is DocumentKind.INVOICE
    may_edit = request.state.user.role is Role.FINANCE
    edits_details = may_edit and invoice.is_draft and invoice.is_free_standing
    return render(
        request,
        "invoicing/detail.html",
        {
            "invoice": invoice,
            "lines": await queries.lines_of(invoice),
            "may_edit": may_edit,
            "error": error,
            "notice": notices.get(request.query_params.get("melding", "")),
            "balance": await balances.balance_of(invoice) if is_invoice else None,
            "is_overdue": balances.is_overdue(invoice, today),
            "history": await balances.history_of(invoice),
            "creditable": await credits.creditable_lines(invoice) if is_invoice else [],
            "reinvoice": await credits.reinvoice_of(invoice) if not is_invoice else None,
            "today": today.isoformat(),
            "edits_details": edits_details,
            "details": details or (free.detail_values(invoice) if edits_details else {}),
            "detail_errors": detail_errors or {},
            "organisations": await free.organisation_choices() if edits_details else [],
        },
        status_code=status_code,
    )


async def _or_page(
    request: Request, notices: dict[str, str], action: Callable[[], Awaitable[Response]]
) -> Response:
    """The action's response, or the invoice page with the rule it broke."""
    try:
        return await action()
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        return await detail_page(request, notices, error=error.message, status_code=error.status_code)


def _date(raw: str) -> date | None:
    """YYYY-MM-DD (what a date field sends); empty is today; anything else None."""
    raw = raw.strip()
    if not raw:
        return clock.local_today()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


class FormRefused(DomainError):
    status_code = 400


def credit_parts(form: FormData) -> list[CreditPart] | None:
    """The chosen parts (`part-<line>`: line, quantity or amount); None when the whole invoice is asked."""
    if _text(form, "whole") == "ja":
        return None
    parts = []
    for name in form:
        match = re.fullmatch(r"part-(\d{1,9})", name)
        choice = _text(form, name)
        if match is None or not choice:
            continue
        line_id = int(match[1])
        if choice == "line":
            parts.append(CreditPart(line_id))
        elif choice == "quantity":
            raw = _text(form, f"quantity-{line_id}").strip()
            if not raw.isdigit() or len(raw) > 6:
                raise FormRefused(_("Vul bij 'aantal' een heel getal in."))
            parts.append(CreditPart(line_id, quantity=int(raw)))
        elif choice == "amount":
            cents = parse_euros(_text(form, f"amount-{line_id}"), maximum_cents=MAXIMUM_CENTS)
            if not cents:
                raise FormRefused(_("Vul bij 'bedrag' een bedrag in euro's in, bijvoorbeeld 150,00."))
            parts.append(CreditPart(line_id, amount_cents=cents))
    return parts


def _hidden_fields(form: FormData) -> list[tuple[str, str]]:
    """What the confirmation page posts again: the same choice and reason."""
    keep = re.compile(r"(part|quantity|amount)-\d{1,9}|whole|reason")
    return [(name, _text(form, name)) for name in form if keep.fullmatch(name) and _text(form, name)]


async def _confirmation(request: Request, form: FormData) -> Response:
    """Shows exactly the credit note that would be made; nothing is written."""
    invoice_id = invoice_id_of(request)

    async def show() -> Response:
        plan = await credits.preview_credit(
            invoice_id, credit_parts(form), _text(form, "reason"), actor=request.state.user
        )
        return render(
            request,
            "invoicing/credit_confirm.html",
            {"plan": plan, "document": plan.document, "fields": _hidden_fields(form)},
        )

    return await _or_page(request, {}, show)


@requires(Role.FINANCE)
async def confirm_credit(request: Request) -> Response:
    return await _confirmation(request, await read_form(request))


@requires(Role.FINANCE)
async def make_credit(request: Request) -> Response:
    form = await read_form(request)
    if _text(form, "confirmed") != "ja":  # never one click: first the confirmation page
        return await _confirmation(request, form)
    invoice_id = invoice_id_of(request)

    async def make() -> Response:
        note = await credits.credit_invoice(
            invoice_id, credit_parts(form), reason=_text(form, "reason"), actor=request.state.user
        )
        return RedirectResponse(f"/financien/facturen/{note.id}?melding=gecrediteerd", status_code=303)

    return await _or_page(request, {}, make)


@requires(Role.FINANCE)
async def record_payment(request: Request) -> Response:
    form = await read_form(request)
    invoice_id = invoice_id_of(request)
    notices: dict[str, str] = {}
    paid_on = _date(_text(form, "paid_on"))
    raw_amount = _text(form, "amount")
    amount = parse_euros(raw_amount, maximum_cents=MAXIMUM_CENTS) if raw_amount.strip() else None
    if paid_on is None:
        return await detail_page(
            request, notices, error=_("Vul een geldige betaaldatum in."), status_code=400
        )
    if raw_amount.strip() and not amount:
        return await detail_page(
            request,
            notices,
            error=_("Vul het ontvangen bedrag in euro's in, bijvoorbeeld 250,00."),
            status_code=400,
        )

    async def pay() -> Response:
        await payments.record_payment(
            invoice_id, amount, paid_on, _text(form, "reference"), actor=request.state.user
        )
        return RedirectResponse(f"/financien/facturen/{invoice_id}?melding=betaald", status_code=303)

    return await _or_page(request, notices, pay)


@requires(Role.FINANCE)
async def invoice_again(request: Request) -> Response:
    await read_form(request)

    async def again() -> Response:
        draft = await credits.invoice_again(invoice_id_of(request), actor=request.state.user)
        return RedirectResponse(f"/financien/facturen/{draft.id}?melding=opnieuw", status_code=303)

    return await _or_page(request, {}, again)


routes = [
    Route("/financien/facturen/{invoice_id}/crediteren/controleren", confirm_credit, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}/crediteren", make_credit, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}/betaald", record_payment, methods=["POST"]),
    Route("/financien/facturen/{invoice_id}/opnieuw-factureren", invoice_again, methods=["POST"]),
]
