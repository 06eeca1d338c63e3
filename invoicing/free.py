"""Free-standing invoices: finance bills what no training or cancellation fee covers (travel costs,
materials, an extra half day) to any organisation, with free lines.

Rules:
- A free-standing invoice starts as a draft with its first line; finance edits its details and lines
  (invoicing.drafts) and issues it like every invoice: the same numbering, frozen content, PDF/A-3
  with the UBL inside, sending and reminders (invoicing.issuing, invoicing.payments).
- It may name a booking of the same organisation it belongs to (`Invoice.linked_booking`); that
  booking's own invoice is not affected, and its purchase-order number and date are the defaults.
- The delivery date (date of supply, which Dutch VAT law asks for) may be left empty: then it is the
  issue date.
- Until it is issued, a free-standing draft can be thrown away (no number was used).

Errors: ValidationFailed (per field), InvoiceLocked (no longer a draft), InvoiceRuleBroken (not a
free-standing invoice), NotFound, Forbidden.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from tortoise.transactions import in_transaction

from bookings.models import Booking
from invoicing.drafts import parse_line
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from invoicing.permissions import require_finance
from invoicing.text import multi_line, single_line
from server import clock
from server.audit import record
from server.errors import NotFound, ValidationFailed
from server.i18n import _
from server.models import Organisation, OrganisationKind, User
from server.templating import local_time

#: The draft's own fields on the form (the first line adds invoicing.drafts.LINE_FIELDS).
DETAIL_FIELDS = ("organisation", "booking", "order_reference", "delivery_date", "note")
NOTE_LENGTH = 300
ORDER_REFERENCE_LENGTH = 100
#: How far from today a delivery date may lie (a typing error in the year, not a real supply).
DELIVERY_YEARS = 5


async def organisation_choices() -> list[tuple[str, str]]:
    """Every organisation for the form's select, by name: (CBS code, "name (kind, CBS code)")."""
    kinds = {OrganisationKind.MUNICIPALITY: _("gemeente"), OrganisationKind.PROVINCE: _("provincie")}
    rows = await Organisation.all().order_by("name", "cbs_code").values_list("cbs_code", "name", "kind")
    return [(code, f"{name} ({kinds.get(kind, kind)}, {code})") for code, name, kind in rows]


def _delivery_date(raw: str, errors: dict[str, str]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else None
    except ValueError:
        day = None
    today = clock.local_today()
    if day is None or abs(day.year - today.year) > DELIVERY_YEARS:
        errors["delivery_date"] = _("Vul een leverdatum in als JJJJ-MM-DD, of laat het veld leeg.")
        return None
    return day


async def _parse_details(values: dict[str, str]) -> dict[str, Any]:
    """The draft's details from the form; raises ValidationFailed naming each wrong field."""
    errors: dict[str, str] = {}
    code = values.get("organisation", "").strip().upper()
    organisation = await Organisation.get_or_none(cbs_code=code) if 0 < len(code) <= 6 else None
    if organisation is None:
        errors["organisation"] = _("Kies de organisatie die de factuur krijgt.")
    reference = values.get("booking", "").strip().upper()
    booking = None
    if reference:
        booking = await Booking.get_or_none(reference=reference) if len(reference) <= 12 else None
        if booking is None or (organisation is not None and booking.organisation_id != organisation.id):  # type: ignore[attr-defined]
            errors["booking"] = _(
                "Er is geen boeking met dit kenmerk van deze organisatie. Laat het veld leeg als de "
                "factuur niet bij een boeking hoort."
            )
    order_reference = single_line(values.get("order_reference", ""))
    if len(order_reference) > ORDER_REFERENCE_LENGTH:
        errors["order_reference"] = _("Een inkoopordernummer heeft hoogstens 100 tekens.")
    note = multi_line(values.get("note", ""))
    if len(note) > NOTE_LENGTH:
        errors["note"] = _("De toelichting mag hoogstens 300 tekens lang zijn.")
    delivery_date = _delivery_date(values.get("delivery_date", ""), errors)
    if errors:
        raise ValidationFailed(errors)
    if booking is not None:
        order_reference = order_reference or single_line(booking.po_number)
        delivery_date = delivery_date or local_time(booking.starts_at).date()
    return {
        "organisation": organisation,
        "linked_booking": booking,
        "order_reference": order_reference,
        "delivery_date": delivery_date,
        "note": note,
    }


async def create_free_draft(values: dict[str, str], *, actor: User | None) -> Invoice:
    """A free-standing draft with its first line (the form's line fields).

    `actor` None: the system (the demo). Raises Forbidden (not finance) and ValidationFailed with the
    messages of the details and the line together, so the form shows every problem at once.
    """
    require_finance(actor)
    errors: dict[str, str] = {}
    details: dict[str, Any] = {}
    line: dict[str, object] = {}
    try:
        details = await _parse_details(values)
    except ValidationFailed as failed:
        errors.update(failed.errors)
    try:
        line = parse_line(values)
    except ValidationFailed as failed:
        errors.update(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        invoice = await Invoice.create(status=InvoiceStatus.DRAFT, **details)
        await InvoiceLine.create(invoice=invoice, position=1, **line)
        await record(actor, "invoice_free_draft_created", invoice, details["organisation"].name)
    return invoice


async def _locked_free_draft(invoice_id: int) -> Invoice:
    invoice = await Invoice.select_for_update().get_or_none(id=invoice_id)
    if invoice is None:
        raise NotFound()
    if not invoice.is_draft:
        raise InvoiceLocked(
            _("Alleen een concept kan nog worden gewijzigd; corrigeer een factuur met een creditnota.")
        )
    if not invoice.is_free_standing:
        raise InvoiceRuleBroken(
            _(
                "Dit concept hoort bij een boeking; van een boekingsfactuur kunnen alleen de regels "
                "worden gewijzigd."
            )
        )
    return invoice


async def change_free_draft(invoice_id: int, values: dict[str, str], *, actor: User) -> Invoice:
    """Finance changes the details (organisation, booking, purchase-order number, delivery date, note)
    of a free-standing draft. Raises ValidationFailed, InvoiceLocked, InvoiceRuleBroken, NotFound."""
    require_finance(actor)
    details = await _parse_details(values)
    async with in_transaction():
        invoice = await _locked_free_draft(invoice_id)
        invoice.update_from_dict(details)
        await invoice.save()
        await record(actor, "invoice_free_draft_changed", invoice, details["organisation"].name)
    return invoice


async def delete_free_draft(invoice_id: int, *, actor: User) -> None:
    """Finance throws a free-standing draft away (its lines go with it; no number was taken).
    Raises InvoiceLocked (issued), InvoiceRuleBroken (a booking's draft), NotFound."""
    require_finance(actor)
    async with in_transaction():
        invoice = await _locked_free_draft(invoice_id)
        await record(actor, "invoice_free_draft_deleted", invoice, f"concept {invoice.id}")
        await InvoiceLine.filter(invoice=invoice).delete()
        await invoice.delete()


def detail_values(invoice: Invoice) -> dict[str, str]:
    """The form's values for a draft's details (organisation and booking prefetched)."""
    return {
        "organisation": invoice.organisation.cbs_code,
        "booking": invoice.linked_booking.reference if invoice.linked_booking else "",
        "order_reference": invoice.order_reference,
        "delivery_date": invoice.delivery_date.isoformat() if invoice.delivery_date else "",
        "note": invoice.note,
    }
