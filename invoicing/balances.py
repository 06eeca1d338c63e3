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

from dataclasses import dataclass
from datetime import date, datetime

from invoicing.document import DocumentKind
from invoicing.models import Invoice, InvoiceStatus, Payment
from server.audit import record
from server.i18n import _
from server.models import AuditEntry, User
from server.templating import format_money, local_time

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
            await record(actor, "invoice_paid", invoice, f"{invoice.number}: betaald op {invoice.paid_on}")
    return balance


def is_overdue(invoice: Invoice, today: date) -> bool:
    return invoice.status in OPEN and invoice.due_date is not None and invoice.due_date < today


@dataclass(frozen=True)
class Event:
    day: date
    text: str
    #: The moment, when known; orders events of one day (a payment has only a date).
    at: datetime | None = None
    link: str = ""


async def history_of(invoice: Invoice) -> list[Event]:
    """What happened to an issued document, oldest first (plain values for the page)."""
    if invoice.issued_at is None:
        return []
    number = invoice.number or ""
    events = [
        Event(
            local_time(invoice.issued_at).date(),
            _("Uitgegeven als %(number)s") % {"number": number},
            invoice.issued_at,
        )
    ]
    texts = {
        "invoice_sent": _("Verstuurd: %(summary)s"),
        "invoice_resent": _("Opnieuw verstuurd: %(summary)s"),
        "invoice_reminder_sent": _("Betalingsherinnering verstuurd (%(summary)s dagen na de vervaldatum)"),
    }
    for entry in await AuditEntry.filter(
        object_type="Invoice", object_id=str(invoice.id), action__in=list(texts)
    ):
        summary = entry.summary.removeprefix(f"{number} ").removeprefix("stap ")
        events.append(
            Event(
                local_time(entry.created_at).date(),
                texts[entry.action] % {"summary": summary},
                entry.created_at,
            )
        )
    for payment in await Payment.filter(invoice_id=invoice.id):
        text = _("Betaling van %(amount)s ontvangen: %(reference)s") % {
            "amount": format_money(payment.amount_cents),
            "reference": payment.reference,
        }
        events.append(Event(payment.paid_on, text))
    for note in await Invoice.filter(credited_invoice_id=invoice.id).exclude(status=InvoiceStatus.DRAFT):
        text = _("Gecrediteerd met creditnota %(number)s, %(amount)s: %(reason)s") % {
            "number": note.number,
            "amount": format_money(note.gross_cents),
            "reason": note.note,
        }
        events.append(
            Event(
                note.issue_date or local_time(note.issued_at).date(),
                text,
                note.issued_at,
                f"/financien/facturen/{note.id}",
            )
        )  # type: ignore[arg-type]
        for again in await Invoice.filter(after_credit_note_id=note.id):
            text = _("Opnieuw gefactureerd na creditnota %(number)s: %(invoice)s") % {
                "number": note.number,
                "invoice": again.number or _("concept"),
            }
            events.append(
                Event(
                    local_time(again.created_at).date(),
                    text,
                    again.created_at,
                    f"/financien/facturen/{again.id}",
                )
            )
    return sorted(events, key=lambda e: (e.day, e.at is None, e.at or datetime.min.replace(tzinfo=None)))
