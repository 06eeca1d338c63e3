"""Credit notes and invoicing again.

Rules:
- A credit note corrects an issued invoice that still has an amount open (invoicing.balances): per
  chosen line its whole remainder, a number of its units (participants, say) or an amount excl.
  VAT, never more than is left of the line after earlier credit notes. Choosing nothing is an error,
  never "everything"; the whole invoice is credited only when asked for (`parts=None`).
- Every credit note has a reason, printed on its PDF and written as the note of its UBL file.
- A credit note's total incl. VAT is at most the open amount (only a credit of everything left may
  exceed it by the rounding of VAT, a cent per VAT rate). It is numbered from the same sequence as
  invoices, in a transaction that holds the invoice row locked, so two credits at once never credit
  more than was open. The invoice stays open while an amount is open, else it is credited or paid.
- `preview_credit` computes exactly that credit note without writing anything: the confirmation page
  shows it before `credit_invoice` makes it.
- After a credit note finance may invoice again: one new draft per credit note, following it
  (`Invoice.after_credit_note`), with the credited invoice lines copied for editing.

Errors: InvoiceRuleBroken (400), InvoiceLocked (409), NotFound, Forbidden.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bookings.models import Booking
from invoicing import balances, documents
from invoicing.document import Buyer, DocumentKind, InvoiceDocument, Line
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.events import announce_issued
from invoicing.issuing import buyer_of, store_issued
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from invoicing.numbering import numbering_turn, take_numbers
from invoicing.permissions import require_finance
from invoicing.seller import seller_of, seller_settings
from server import clock
from server.audit import record
from server.errors import NotFound
from server.i18n import _
from server.models import Organisation, User
from server.templating import format_money

REASON_MAX = 300


@dataclass(frozen=True)
class CreditPart:
    """What to credit of one invoice line: a number of units, an amount excl. VAT, or (neither) all
    that is left of it."""

    line_id: int
    quantity: int | None = None
    amount_cents: int | None = None


@dataclass(frozen=True)
class CreditableLine:
    line: InvoiceLine
    #: What earlier credit notes left of the line, excl. VAT.
    remaining_cents: int

    @property
    def remaining_quantity(self) -> int:
        unit = self.line.unit_price_cents
        return self.remaining_cents // unit if unit > 0 else 0


@dataclass(frozen=True)
class CreditPlan:
    """A credit note as it will be made; its number is taken only when it is."""

    invoice: Invoice
    document: InvoiceDocument
    credited_lines: tuple[InvoiceLine, ...]
    open_before_cents: int

    @property
    def open_after_cents(self) -> int:
        return max(0, self.open_before_cents - self.document.gross_cents)


async def creditable_lines(invoice: Invoice) -> list[CreditableLine]:
    """The invoice's lines with what is left to credit of each (two queries)."""
    lines = await InvoiceLine.filter(invoice_id=invoice.id).order_by("position")
    credited: dict[int, int] = {}
    for line_id, quantity, unit in await (
        InvoiceLine.filter(credited_line_id__in=[line.id for line in lines] or [0])
        .exclude(invoice__status=InvoiceStatus.DRAFT)
        .values_list("credited_line_id", "quantity", "unit_price_cents")
    ):
        credited[line_id] = credited.get(line_id, 0) + quantity * unit
    return [
        CreditableLine(line, line.quantity * line.unit_price_cents - credited.get(line.id, 0))
        for line in lines
    ]


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason or len(reason) > REASON_MAX:
        raise InvoiceRuleBroken(
            _("Vul de reden van de creditering in (maximaal 300 tekens); die komt op de creditnota.")
        )
    return reason


def _line(line: InvoiceLine, description: str, quantity: int, unit_cents: int) -> Line:
    return Line(description[:300], quantity, unit_cents, line.vat_category, line.vat_percent)


def _credit_line(creditable: CreditableLine, part: CreditPart) -> Line:
    line, left = creditable.line, creditable.remaining_cents
    names = {"line": line.description, "amount": format_money(max(left, 0))}
    if left <= 0:
        raise InvoiceRuleBroken(_("Regel '%(line)s' is al helemaal gecrediteerd.") % names)
    if part.quantity is not None:
        if not 1 <= part.quantity <= creditable.remaining_quantity:
            raise InvoiceRuleBroken(
                _("Van regel '%(line)s' kunt u 1 tot %(count)s stuks crediteren.")
                % {**names, "count": creditable.remaining_quantity}
            )
        return _line(line, line.description, part.quantity, line.unit_price_cents)
    if part.amount_cents is not None:
        if not 1 <= part.amount_cents <= left:
            raise InvoiceRuleBroken(
                _("Van regel '%(line)s' kunt u hoogstens %(amount)s (excl. btw) crediteren.") % names
            )
        return _line(line, _("%(line)s (gedeeltelijk)") % names, 1, part.amount_cents)
    if left == line.quantity * line.unit_price_cents:
        return _line(line, line.description, line.quantity, line.unit_price_cents)
    if left % line.unit_price_cents == 0:
        return _line(line, line.description, left // line.unit_price_cents, line.unit_price_cents)
    return _line(line, _("%(line)s (rest)") % names, 1, left)


def _chosen(
    creditable: list[CreditableLine], parts: list[CreditPart] | None
) -> list[tuple[InvoiceLine, Line]]:
    if parts is None:  # the whole invoice: what is left of every line
        parts = [CreditPart(c.line.id) for c in creditable if c.remaining_cents > 0]
    by_id = {c.line.id: c for c in creditable}
    if len({part.line_id for part in parts}) != len(parts) or not all(p.line_id in by_id for p in parts):
        raise InvoiceRuleBroken(_("Kies elke regel van deze factuur hoogstens één keer."))
    if not parts:
        raise InvoiceRuleBroken(_("Kies ten minste één regel, of een deel ervan, om te crediteren."))
    return [(by_id[part.line_id].line, _credit_line(by_id[part.line_id], part)) for part in parts]


async def _plan(invoice: Invoice, parts: list[CreditPart] | None, reason: str, today: date) -> CreditPlan:
    if invoice.kind is not DocumentKind.INVOICE:
        raise NotFound()
    if invoice.status not in balances.OPEN:
        raise InvoiceLocked(
            _(
                "Op deze factuur staat niets meer open; alleen een uitgegeven factuur met een open "
                "bedrag kan worden gecrediteerd."
            )
        )
    reason = _clean_reason(reason)
    creditable = await creditable_lines(invoice)
    chosen = _chosen(creditable, parts)
    settings = await seller_settings()
    frozen = invoice.content or {}
    organisation = await Organisation.get(id=invoice.organisation_id)  # type: ignore[attr-defined]
    document = InvoiceDocument(
        kind=DocumentKind.CREDIT_NOTE,
        number="",
        issue_date=today,
        due_date=today + timedelta(days=settings.payment_term_days),
        delivery_date=invoice.delivery_date or today,
        seller=seller_of(settings),
        buyer=Buyer(**frozen["buyer"]) if frozen.get("buyer") else buyer_of(organisation),
        lines=tuple(line for _, line in chosen),
        order_reference=invoice.order_reference,
        note=reason,
        credited_invoice_number=invoice.number or "",
    )
    balance = await balances.balance_of(invoice)
    left_after = sum(c.remaining_cents for c in creditable) - document.net_cents
    rounding = len(document.breakdown) if left_after == 0 else 0
    if document.gross_cents > balance.open_cents + rounding:
        raise InvoiceRuleBroken(
            _("Deze creditnota (%(credit)s) is meer dan er op de factuur open staat (%(open)s).")
            % {"credit": format_money(document.gross_cents), "open": format_money(balance.open_cents)}
        )
    return CreditPlan(invoice, document, tuple(line for line, _ in chosen), balance.open_cents)


async def preview_credit(
    invoice_id: int,
    parts: list[CreditPart] | None,
    reason: str,
    *,
    actor: User | None,
    today: date | None = None,
) -> CreditPlan:
    """The credit note `credit_invoice` would make now, for the confirmation page (writes nothing)."""
    require_finance(actor)
    invoice = await Invoice.get_or_none(id=invoice_id)
    if invoice is None:
        raise NotFound()
    return await _plan(invoice, parts, reason, today or clock.local_today())


async def credit_invoice(
    invoice_id: int,
    parts: list[CreditPart] | None,
    *,
    reason: str,
    actor: User | None,
    today: date | None = None,
) -> Invoice:
    """Make and number the credit note of `parts` of an open invoice (None: all that is left of it).

    Raises NotFound, Forbidden (not finance), InvoiceLocked (nothing open) and InvoiceRuleBroken (no
    reason, nothing chosen, more than is left of a line or open on the invoice).
    """
    require_finance(actor)
    today = today or clock.local_today()
    async with numbering_turn(), in_transaction():
        original = await Invoice.select_for_update().get_or_none(id=invoice_id)
        if original is None:
            raise NotFound()
        plan = await _plan(original, parts, reason, today)
        credit = await Invoice.create(
            kind=DocumentKind.CREDIT_NOTE,
            organisation_id=original.organisation_id,  # type: ignore[attr-defined]
            credited_invoice=original,
            order_reference=original.order_reference,
            delivery_date=original.delivery_date,
            note=plan.document.note,
        )
        for position, (credited, line) in enumerate(
            zip(plan.credited_lines, plan.document.lines, strict=True), 1
        ):
            await InvoiceLine.create(
                invoice=credit,
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                vat_category=line.vat_category,
                vat_percent=line.vat_percent,
                credited_line=credited,
            )
        settings = await seller_settings()
        [number] = await take_numbers(today.year, settings.number_format, 1)
        store_issued(credit, dataclasses.replace(plan.document, number=number), actor)
        await credit.save()
        await announce_issued(credit)
        await record(
            actor,
            "invoice_credited",
            original,
            f"creditnota {number}: {plan.document.gross_cents} cent; {plan.document.note}",
        )
        await balances.settle(original, actor=actor)
    documents.wake([credit.id])
    return credit


async def invoice_again(credit_note_id: int, *, actor: User | None) -> Invoice:
    """The draft that invoices again what a credit note credited (made once; asked again, the same).

    Its lines are the credited invoice lines, to be corrected before issuing; its note names the
    invoice and the credit note it follows. Raises NotFound (no issued document), InvoiceRuleBroken
    (not a credit note) and Forbidden.
    """
    require_finance(actor)
    note = await Invoice.get_or_none(id=credit_note_id)
    if note is None or note.status is InvoiceStatus.DRAFT:
        raise NotFound()
    if note.kind is not DocumentKind.CREDIT_NOTE or note.credited_invoice_id is None:  # type: ignore[attr-defined]
        raise InvoiceRuleBroken(
            _("Opnieuw factureren kan alleen na een creditnota; maak eerst de creditnota.")
        )
    existing = await Invoice.get_or_none(after_credit_note_id=note.id)
    if existing is not None:
        return existing
    original = await Invoice.get(id=note.credited_invoice_id)  # type: ignore[attr-defined]
    booking = await Booking.get_or_none(id=original.booking_id) if original.booking_id else None  # type: ignore[attr-defined]
    credited_ids = await InvoiceLine.filter(invoice_id=note.id).values_list("credited_line_id", flat=True)
    lines = await InvoiceLine.filter(id__in=[i for i in credited_ids if i] or [0]).order_by("position")
    try:
        async with in_transaction():
            draft = await Invoice.create(
                organisation_id=original.organisation_id,  # type: ignore[attr-defined]
                after_credit_note=note,
                order_reference=(booking.po_number if booking else "") or original.order_reference,
                delivery_date=original.delivery_date,
                note=_(
                    "Deze factuur vervangt factuur %(invoice)s, gecrediteerd met creditnota %(credit_note)s."
                )
                % {"invoice": original.number, "credit_note": note.number},
            )
            for position, line in enumerate(lines, start=1):
                await InvoiceLine.create(
                    invoice=draft,
                    position=position,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                    vat_category=line.vat_category,
                    vat_percent=line.vat_percent,
                )
            await record(
                actor, "invoice_reinvoiced", draft, f"na creditnota {note.number} bij {original.number}"
            )
    except IntegrityError:  # made a moment ago by another request
        return await Invoice.get(after_credit_note_id=note.id)
    return draft


async def reinvoice_of(credit_note: Invoice) -> Invoice | None:
    """The draft or invoice made after `credit_note` (`invoice_again`), if any."""
    return await Invoice.get_or_none(after_credit_note_id=credit_note.id).only("id", "number", "status")
