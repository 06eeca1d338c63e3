"""Editing a draft's lines: finance reviews drafts and may add, change or remove lines before issuing.

Errors: ValidationFailed (per field), InvoiceLocked (not a draft any more), NotFound, Forbidden.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from bookings.pricing import parse_euros
from invoicing.document import VatCategory
from invoicing.models import Invoice, InvoiceLine
from invoicing.service import InvoiceLocked, require_finance
from server.audit import record
from server.errors import NotFound, ValidationFailed
from server.i18n import _
from server.models import User

LINE_FIELDS = ("description", "quantity", "unit_price", "vat")
VAT_CHOICES = {"S21": (VatCategory.STANDARD, 21), "E0": (VatCategory.EXEMPT, 0)}


def _parse_line(values: dict[str, str]) -> dict[str, object]:
    errors: dict[str, str] = {}
    description = values.get("description", "").strip()
    if not description or len(description) > 300:
        errors["description"] = _("Vul een omschrijving in (maximaal 300 tekens).")
    quantity = values.get("quantity", "").strip()
    if not quantity.isdigit() or not 1 <= int(quantity) <= 10_000:
        errors["quantity"] = _("Vul een aantal in van 1 tot 10.000.")
    price = parse_euros(values.get("unit_price", ""), maximum_cents=10_000_000)
    if price is None or price == 0:
        errors["unit_price"] = _("Vul een prijs in euro's in, bijvoorbeeld 45,00.")
    vat = VAT_CHOICES.get(values.get("vat", ""))
    if vat is None:
        errors["vat"] = _("Kies het btw-tarief.")
    if errors:
        raise ValidationFailed(errors)
    assert vat is not None
    return {
        "description": description,
        "quantity": int(quantity),
        "unit_price_cents": price,
        "vat_category": vat[0],
        "vat_percent": vat[1],
    }


async def _locked_draft(invoice_id: int) -> Invoice:
    invoice = await Invoice.select_for_update().get_or_none(id=invoice_id)
    if invoice is None:
        raise NotFound()
    if not invoice.is_draft:
        raise InvoiceLocked(
            _("Alleen een concept kan nog worden gewijzigd; corrigeer een factuur met een creditnota.")
        )
    return invoice


async def add_draft_line(invoice_id: int, values: dict[str, str], *, actor: User) -> InvoiceLine:
    """Finance adds a line (e.g. travel costs) to a draft."""
    require_finance(actor)
    parsed = _parse_line(values)
    async with in_transaction():
        invoice = await _locked_draft(invoice_id)
        last = await InvoiceLine.filter(invoice=invoice).order_by("-position").first()
        line = await InvoiceLine.create(
            invoice=invoice, position=(last.position + 1) if last else 1, **parsed
        )
        await record(actor, "invoice_line_added", invoice, str(parsed["description"]))
    return line


async def change_draft_line(
    invoice_id: int, line_id: int, values: dict[str, str], *, actor: User
) -> InvoiceLine:
    """Finance changes a line of a draft."""
    require_finance(actor)
    parsed = _parse_line(values)
    async with in_transaction():
        invoice = await _locked_draft(invoice_id)
        line = await InvoiceLine.get_or_none(id=line_id, invoice=invoice)
        if line is None:
            raise NotFound()
        line.update_from_dict(parsed)
        await line.save()
        await record(actor, "invoice_line_changed", invoice, str(parsed["description"]))
    return line


async def remove_draft_line(invoice_id: int, line_id: int, *, actor: User) -> None:
    """Finance removes a line of a draft; the remaining lines keep their order."""
    require_finance(actor)
    async with in_transaction():
        invoice = await _locked_draft(invoice_id)
        line = await InvoiceLine.get_or_none(id=line_id, invoice=invoice)
        if line is None:
            raise NotFound()
        await line.delete()
        await record(actor, "invoice_line_removed", invoice, line.description)
