"""Issuing and crediting.

Rules:
- Issuing takes the next number of the year (invoicing.numbering) in the same transaction as the
  status change.
- An organisation that requires a purchase-order number is not invoiced without one.
- At issue the content is frozen; the UBL and PDF are rendered from it once, right after the commit
  (invoicing.documents), and stored.
- An issued invoice is corrected by credit notes (invoicing.credits).

Errors: InvoiceRuleBroken (400), InvoiceLocked (409), NotFound, Forbidden.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from tortoise.transactions import in_transaction

from bookings.models import Booking
from invoicing import documents
from invoicing.document import Buyer, DocumentKind, InvoiceDocument, Line, Seller
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.events import announce_issued
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus, SellerSettings
from invoicing.numbering import numbering_turn, take_numbers
from invoicing.permissions import require_finance
from invoicing.seller import seller_of, seller_settings
from invoicing.text import single_line
from server import clock
from server.audit import record
from server.errors import NotFound
from server.i18n import _
from server.models import Organisation, User
from server.templating import format_money


def buyer_of(organisation: Organisation) -> Buyer:
    """The organisation as buyer; raises InvoiceRuleBroken naming what is missing, also what is left
    empty once cleaned (invoicing.text: an address of only a line break counts as missing)."""
    prefix = _("Gemeente") if organisation.is_municipality else _("Provincie")
    buyer = Buyer(
        name=f"{prefix} {organisation.name}",
        street=organisation.invoice_street,
        postcode=organisation.invoice_postcode,
        city=organisation.invoice_city,
        email=organisation.invoice_email,
        oin=organisation.oin,
    )
    missing = [
        label
        for label, value in (
            (_("factuuradres"), buyer.street),
            (_("postcode"), buyer.postcode),
            (_("plaats"), buyer.city),
            (_("OIN"), buyer.oin),
        )
        if not value
    ]
    if missing:
        raise InvoiceRuleBroken(
            _("De factuurgegevens van %(name)s zijn niet compleet: %(missing)s.")
            % {"name": organisation.name, "missing": ", ".join(missing)}
        )
    return buyer


def document_json(document: InvoiceDocument) -> dict[str, object]:
    data = dataclasses.asdict(document)
    for key in ("issue_date", "due_date", "delivery_date"):
        data[key] = data[key].isoformat()
    return data


def store_issued(invoice: Invoice, document: InvoiceDocument, actor: User | None) -> None:
    """Put the frozen content and the number on `invoice` (saved by the caller, in the transaction
    that took the number); its files are rendered from that content after the commit."""
    invoice.content = document_json(document)
    invoice.net_cents, invoice.vat_cents, invoice.gross_cents = (
        document.net_cents,
        document.vat_cents,
        document.gross_cents,
    )
    invoice.number = document.number
    invoice.issue_date, invoice.due_date = document.issue_date, document.due_date
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_at = clock.now()
    invoice.issued_by = actor


def _lines(lines: list[InvoiceLine]) -> tuple[Line, ...]:
    return tuple(
        Line(line.description, line.quantity, line.unit_price_cents, line.vat_category, line.vat_percent)
        for line in lines
    )


@dataclasses.dataclass(frozen=True)
class Issuable:
    """A locked draft that passed the rules, with what its document needs."""

    invoice: Invoice
    buyer: Buyer
    lines: tuple[Line, ...]


async def prepare_drafts(drafts: Sequence[Invoice]) -> list[Issuable | InvoiceRuleBroken]:
    """Per locked draft: what issuing it needs, or the rule it breaks (three queries for any number).

    A draft without a purchase-order number takes its booking's, which the clerk may have added since.
    """
    for draft in drafts:  # the number as it will be printed (invoicing.text), so an invisible one is none
        draft.order_reference = single_line(draft.order_reference)
    ids = [draft.id for draft in drafts]
    organisations = {
        o.id: o
        for o in await Organisation.filter(id__in={d.organisation_id for d in drafts})  # type: ignore[attr-defined]
    }
    booking_ids = [d.booking_id for d in drafts if not d.order_reference and d.booking_id]  # type: ignore[attr-defined]
    po_numbers = (
        dict(await Booking.filter(id__in=booking_ids).values_list("id", "po_number")) if booking_ids else {}
    )
    lines_of: dict[int, list[InvoiceLine]] = defaultdict(list)
    for line in await InvoiceLine.filter(invoice_id__in=ids).order_by("invoice_id", "position"):
        lines_of[line.invoice_id].append(line)  # type: ignore[attr-defined]
    prepared: list[Issuable | InvoiceRuleBroken] = []
    for draft in drafts:
        organisation = organisations[draft.organisation_id]  # type: ignore[attr-defined]
        if not draft.order_reference and draft.booking_id:  # type: ignore[attr-defined]
            draft.order_reference = single_line(po_numbers.get(draft.booking_id, ""))  # type: ignore[attr-defined]
        try:
            prepared.append(Issuable(draft, *_check_issuable(draft, organisation, lines_of[draft.id])))
        except InvoiceRuleBroken as broken:
            prepared.append(broken)
    return prepared


def _check_issuable(
    draft: Invoice, organisation: Organisation, lines: list[InvoiceLine]
) -> tuple[Buyer, tuple[Line, ...]]:
    if organisation.requires_po_number and not draft.order_reference:
        raise InvoiceRuleBroken(
            _(
                "%(name)s vraagt om een inkoopordernummer op elke factuur. Vraag de griffie om het "
                "nummer; zij kan het op de boekingspagina invullen."
            )
            % {"name": organisation.name}
        )
    if not lines:
        raise InvoiceRuleBroken(_("Een factuur zonder regels kan niet worden uitgegeven."))
    document_lines = _lines(lines)
    for position, line in enumerate(document_lines, start=1):
        if not line.description:
            raise InvoiceRuleBroken(
                _(
                    "Regel %(position)s heeft geen omschrijving meer zonder onzichtbare tekens (zoals "
                    "regeleinden en stuurtekens). Vul een omschrijving in en geef de factuur dan uit."
                )
                % {"position": position}
            )
    return buyer_of(organisation), document_lines


def issued_document(
    issuable: Issuable, number: str, today: date, settings: SellerSettings, seller: Seller
) -> InvoiceDocument:
    draft = issuable.invoice
    return InvoiceDocument(
        kind=DocumentKind.INVOICE,
        number=number,
        issue_date=today,
        due_date=today + timedelta(days=settings.payment_term_days),
        delivery_date=draft.delivery_date or today,
        seller=seller,
        buyer=issuable.buyer,
        lines=issuable.lines,
        order_reference=draft.order_reference,
        note=draft.note,
    )


async def issue_invoice(invoice_id: int, *, actor: User | None, today: date | None = None) -> Invoice:
    """Number and freeze a draft in one transaction; its files are rendered after the commit.

    Raises NotFound, InvoiceLocked (already issued) and InvoiceRuleBroken (a purchase-order number
    required but missing, no lines, incomplete details of the buyer or the team). The draft row is
    locked before the counter, the same order as a batch (invoicing.batch), so they never deadlock.
    """
    require_finance(actor)
    today = today or clock.local_today()
    async with numbering_turn(), in_transaction():
        invoice = await Invoice.select_for_update().get_or_none(id=invoice_id)
        if invoice is None:
            raise NotFound()
        if not invoice.is_draft:
            raise InvoiceLocked(
                _("Deze factuur is al uitgegeven en verandert niet meer; corrigeer met een creditnota.")
            )
        [issuable] = await prepare_drafts([invoice])
        if isinstance(issuable, InvoiceRuleBroken):
            raise issuable
        settings = await seller_settings()
        seller = seller_of(settings)
        [number] = await take_numbers(today.year, settings.number_format, 1)
        document = issued_document(issuable, number, today, settings, seller)
        store_issued(invoice, document, actor)
        await invoice.save()
        summary = f"{document.number}: {format_money(document.gross_cents)}"
        await record(actor, "invoice_issued", invoice, summary)
        await announce_issued(invoice)
    documents.wake([invoice.id])
    return invoice
