"""An invoice's balance and its history.

The open amount of an invoice is its total minus its credit notes minus its payments. An invoice
stays issued or sent (and so overdue after its due date, and reminded) while an amount is open; it
becomes paid when payments bring the open amount to zero, credited when credit notes alone do.

Whoever changes the balance (a payment, a credit note) holds the invoice row locked
(`select_for_update`) while reading and settling it, so two changes at once never take the open
amount below zero. A credit note's VAT is rounded on its own lines, so crediting an invoice in
several parts may credit a cent more than was open; the open amount never shows less than zero.

The history lists what happened to an invoice, oldest first: issued, sent, reminded, paid, credited,
invoiced again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from invoicing.document import DocumentKind
from invoicing.models import Invoice, InvoiceStatus, Payment
from server.audit import record
from server.i18n import _
from server.models import AuditEntry, User
from server.templating import format_local_date, format_money, local_time

OPEN = (InvoiceStatus.ISSUED, InvoiceStatus.SENT)


@dataclass(frozen=True)
class Balance:
    gross_cents: int
    credited_cents: int
    paid_cents: int

    @property
    def open_cents(self) -> int:
        return max(0, self.gross_cents - self.credited_cents - self.paid_cents)


async def balance_of(invoice: Invoice) -> Balance:
    """The balance of an issued invoice (two queries); a credit note or draft has nothing open."""
    if invoice.kind is not DocumentKind.INVOICE or invoice.status is InvoiceStatus.DRAFT:
        return Balance(0, 0, 0)
    credited = (
        await Invoice.filter(credited_invoice_id=invoice.id)
        .exclude(status=InvoiceStatus.DRAFT)
        .values_list("gross_cents", flat=True)
    )
    paid = await Payment.filter(invoice_id=invoice.id).values_list("amount_cents", flat=True)
    return Balance(invoice.gross_cents, sum(credited), sum(paid))


async def settle(invoice: Invoice, *, actor: User | None) -> Balance:
    """Make a locked open invoice paid or credited once nothing is open any more (same transaction)."""
    balance = await balance_of(invoice)
    if invoice.status in OPEN and balance.open_cents == 0:
        last_payment = await Payment.filter(invoice_id=invoice.id).order_by("-paid_on").first()
        if last_payment is None:  # credit notes alone: the audit entry of the credit says so
            invoice.status = InvoiceStatus.CREDITED
            await invoice.save(update_fields=["status"])
        else:
            invoice.status, invoice.paid_on = InvoiceStatus.PAID, last_payment.paid_on
            await invoice.save(update_fields=["status", "paid_on"])
            paid = f"{invoice.number}: betaald op {format_local_date(invoice.paid_on)}"
            await record(actor, "invoice_paid", invoice, paid)
    return balance


def is_overdue(invoice: Invoice, today: date) -> bool:
    return invoice.status in OPEN and invoice.due_date is not None and invoice.due_date < today


@dataclass(frozen=True)
class Event:
    day: date
    text: str
    link: str = ""


HISTORY_ACTIONS = (
    "invoice_issued",
    "invoice_sent",
    "invoice_resent",
    "invoice_reminder_sent",
    "invoice_payment_recorded",
    "invoice_credited",
)


async def history_of(invoice: Invoice) -> list[Event]:
    """What happened to an issued document, by date, oldest first; one day in the order it was recorded.

    The audit entries give the order; payments and credit notes, written in the same transactions as
    their entries, give the dates and amounts (the n-th entry of a kind is the n-th row)."""
    if invoice.issue_date is None:
        return []
    entries = await AuditEntry.filter(
        object_type="Invoice", object_id=str(invoice.id), action__in=HISTORY_ACTIONS
    ).order_by("id")
    paid = iter(await Payment.filter(invoice_id=invoice.id).order_by("id"))
    notes = iter(
        await Invoice.filter(credited_invoice_id=invoice.id)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("id")
        .only("id", "number", "gross_cents", "note", "issue_date")
    )
    events: list[tuple[date, int, Event]] = []
    for entry in entries:
        event = await _event(invoice, entry, paid, notes)
        if event is not None:
            events.append((event.day, entry.id, event))
    return [event for _, _, event in sorted(events, key=lambda item: (item[0], item[1]))]


async def _event(
    invoice: Invoice, entry: AuditEntry, paid: Iterator[Payment], notes: Iterator[Invoice]
) -> Event | None:
    number = invoice.number or ""
    day = local_time(entry.created_at).date()
    summary = entry.summary.removeprefix(f"{number} ").removeprefix("stap ")
    if entry.action == "invoice_issued":
        return Event(invoice.issue_date or day, _("Uitgegeven als %(number)s") % {"number": number})
    if entry.action == "invoice_sent":
        return Event(day, _("Verstuurd %(summary)s") % {"summary": summary})
    if entry.action == "invoice_resent":
        return Event(day, _("Opnieuw verstuurd %(summary)s") % {"summary": summary})
    if entry.action == "invoice_reminder_sent":
        return Event(
            day, _("Betalingsherinnering verstuurd (%(days)s dagen na de vervaldatum)") % {"days": summary}
        )
    if entry.action == "invoice_payment_recorded":
        payment = next(paid, None)
        if payment is None:
            return None
        text = _("Betaling van %(amount)s ontvangen: %(reference)s") % {
            "amount": format_money(payment.amount_cents),
            "reference": payment.reference,
        }
        return Event(payment.paid_on, text)
    note = next(notes, None)
    if note is None:
        return None
    text = _("Gecrediteerd met creditnota %(number)s, %(amount)s: %(reason)s") % {
        "number": note.number,
        "amount": format_money(note.gross_cents),
        "reason": note.note,
    }
    return Event(note.issue_date or day, text, f"/financien/facturen/{note.id}")
