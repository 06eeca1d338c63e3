"""Drafts: one made for each delivered paid training or cancellation fee, then reviewed by finance,
who may add, change or remove lines before issuing.

Rules:
- A delivered paid training, or a cancellation with a fee, gets one draft invoice for its
  organisation (one line per training, per participant for per-participant prices).

Errors: ValidationFailed (per field), InvoiceRuleBroken (not invoiceable), InvoiceLocked (not a
draft any more), NotFound, Forbidden.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bookings.models import Booking, BookingStatus, PriceModel, VatTreatment
from bookings.pricing import parse_euros
from invoicing.document import DocumentKind, VatCategory
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.models import Invoice, InvoiceLine
from invoicing.permissions import require_finance
from invoicing.text import single_line
from server.audit import record
from server.errors import NotFound, ValidationFailed
from server.forms import single_line_errors
from server.i18n import _
from server.models import User
from server.templating import format_local_date, local_time

INVOICEABLE = (BookingStatus.DELIVERED, BookingStatus.CLOSED)


def _vat(treatment: VatTreatment) -> tuple[VatCategory, int]:
    if treatment is VatTreatment.STANDARD:
        return VatCategory.STANDARD, 21
    return VatCategory.EXEMPT, 0


def _draft_lines(booking: Booking) -> list[tuple[str, int, int]]:
    """(description, quantity, unit price) for a booking's draft."""
    offering = booking.offering
    if booking.status is BookingStatus.CANCELLED:
        text = _("Annuleringskosten %(offering)s (%(reference)s)") % {
            "offering": offering.name,
            "reference": booking.reference,
        }
        return [(text, 1, booking.cancellation_fee_cents)]
    day = format_local_date(booking.starts_at)
    if booking.price_model is PriceModel.PER_PARTICIPANT:
        text = _("%(offering)s op %(day)s, per deelnemer") % {"offering": offering.name, "day": day}
        return [(text, booking.participants_count or booking.expected_participants, booking.unit_price_cents)]
    return [
        (_("%(offering)s op %(day)s") % {"offering": offering.name, "day": day}, 1, booking.unit_price_cents)
    ]


def _is_invoiceable(booking: Booking) -> bool:
    if booking.price_model is PriceModel.FREE:
        return False
    if booking.status is BookingStatus.CANCELLED:
        return booking.cancellation_fee_cents > 0
    return booking.status in INVOICEABLE


async def create_draft_for_booking(booking_id: int, *, actor: User | None = None) -> Invoice:
    """The draft for a delivered paid training or a cancellation fee (one per booking)."""
    require_finance(actor)
    booking = await Booking.get_or_none(id=booking_id).select_related("offering", "organisation")
    if booking is None:
        raise NotFound()
    if not _is_invoiceable(booking):
        raise InvoiceRuleBroken(_("Deze boeking wordt niet gefactureerd (gratis, of nog niet gegeven)."))
    existing = await Invoice.get_or_none(booking=booking, kind=DocumentKind.INVOICE)
    if existing:
        return existing
    category, percent = _vat(booking.vat_treatment)
    try:
        async with in_transaction():
            invoice = await Invoice.create(
                organisation=booking.organisation,
                booking=booking,
                order_reference=booking.po_number,
                delivery_date=local_time(booking.cancelled_at or booking.starts_at).date(),  # type: ignore[arg-type]
            )
            for position, (description, quantity, unit_cents) in enumerate(_draft_lines(booking), start=1):
                await InvoiceLine.create(
                    invoice=invoice,
                    position=position,
                    description=description[:300],
                    quantity=quantity,
                    unit_price_cents=unit_cents,
                    vat_category=category,
                    vat_percent=percent,
                )
            await record(actor, "invoice_draft_created", invoice, booking.reference)
    except IntegrityError:  # another process made it a moment ago
        return await Invoice.get(booking=booking, kind=DocumentKind.INVOICE)
    return invoice


async def create_missing_drafts() -> int:
    """Periodic job: drafts for every invoiceable booking that has none yet."""
    invoiced = set(await Invoice.filter(booking_id__isnull=False).values_list("booking_id", flat=True))
    candidates = (
        await Booking.filter(
            price_model__in=(PriceModel.PER_SESSION, PriceModel.PER_PARTICIPANT),
            status__in=(*INVOICEABLE, BookingStatus.CANCELLED),
        )
        .exclude(id__in=list(invoiced) or [0])
        .select_related("offering")
    )
    made = 0
    for booking in candidates:
        if _is_invoiceable(booking):
            await create_draft_for_booking(booking.id)
            made += 1
    return made


LINE_FIELDS = ("description", "quantity", "unit_price", "vat")
VAT_CHOICES = {"S21": (VatCategory.STANDARD, 21), "E0": (VatCategory.EXEMPT, 0)}


def parse_line(values: dict[str, str]) -> dict[str, object]:
    errors: dict[str, str] = {}
    description = single_line(values.get("description", ""))
    if not description or len(description) > 300:
        errors["description"] = _("Vul een omschrijving in (maximaal 300 tekens).")
    errors.update(single_line_errors(values, "description"))
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
    parsed = parse_line(values)
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
    parsed = parse_line(values)
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
