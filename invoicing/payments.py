"""After issuing: sending documents by mail, recording payment, and payment reminders.

Rules:
- An issued or sent invoice or credit note is mailed, with its stored PDF and UBL attached, to the
  booking's invoice address, else the organisation's; without an address it is not sent. Sending
  again is allowed (a lost mail) and written to the audit log.
- A payment (amount, date, bank statement line) is recorded on an issued or sent invoice, for at
  most the open amount (invoicing.balances), on a date neither in the future nor before its issue
  date; nothing open any more makes the invoice paid.
- After the due date, invoices with an amount open get a reminder (naming that amount) once per
  step (days after the due date). Each step is an audit entry on the invoice, checked and written
  with the invoice row locked, so two processes never send the same step. When several steps are
  due at once only the latest is sent; the earlier ones are recorded as covered.

Mail goes through the outbox, written in the same transaction as the change.

Errors: InvoiceRuleBroken (400), InvoiceLocked (409), NotFound, Forbidden.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from bookings.models import Booking
from invoicing import balances, documents
from invoicing.document import DocumentKind
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.models import Invoice, InvoiceStatus, Payment
from invoicing.numbering import file_name
from invoicing.permissions import require_finance
from invoicing.seller import seller_settings
from server import clock
from server.audit import record
from server.errors import NotFound
from server.i18n import _
from server.mail import Attachment, queue_mail
from server.models import AuditEntry, Organisation, Role, User
from server.templating import format_money

log = logging.getLogger("weerbaar.invoicing")

OPEN = balances.OPEN
REMINDER_SENT = "invoice_reminder_sent"
REMINDER_COVERED = "invoice_reminder_covered"


def _today() -> date:
    return clock.local_today()


async def booking_id_of(invoice: Invoice) -> int | None:
    """The booking a document is for: its own, else (a credit note, a re-invoice) its predecessor's."""
    seen: set[int] = set()
    while invoice.booking_id is None and invoice.id not in seen:  # type: ignore[attr-defined]
        seen.add(invoice.id)
        previous_id = invoice.credited_invoice_id or invoice.after_credit_note_id  # type: ignore[attr-defined]
        if previous_id is None:
            return None
        invoice = await Invoice.get(id=previous_id)
    return invoice.booking_id  # type: ignore[attr-defined]


async def _invoice_address(invoice: Invoice) -> tuple[str, Organisation]:
    """The booking's invoice address, else the organisation's (a credit note or re-invoice: its invoice's)."""
    organisation = await Organisation.get(id=invoice.organisation_id)  # type: ignore[attr-defined]
    booking_id = await booking_id_of(invoice)
    booking = await Booking.get_or_none(id=booking_id) if booking_id else None
    address = (booking.invoice_email if booking else "") or organisation.invoice_email
    return address.strip(), organisation


async def _mail_context(invoice: Invoice, organisation: Organisation) -> dict[str, Any]:
    """Plain values from the frozen content: the IBAN and reference printed on the document."""
    frozen = invoice.content or {}
    seller = frozen.get("seller") or {}
    iban = seller.get("iban") or (await seller_settings()).iban
    return {
        "is_credit_note": invoice.kind is DocumentKind.CREDIT_NOTE,
        "organisation_name": organisation.name,
        "number": invoice.number or "",
        "gross_cents": invoice.gross_cents,
        "open_cents": (await balances.balance_of(invoice)).open_cents,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "iban": iban,
        "payment_reference": frozen.get("payment_reference") or invoice.number or "",
    }


async def send_invoice(invoice_id: int, *, actor: User | None, base_url: str) -> Invoice:
    """Mail an issued or sent document with its PDF and UBL; issued becomes sent.

    Raises NotFound, Forbidden (not finance), InvoiceLocked (draft, paid or credited) and
    InvoiceRuleBroken (no invoice address).
    """
    require_finance(actor)
    issued = await Invoice.get_or_none(id=invoice_id)
    if issued is not None:  # files still missing are rendered now, before any lock is taken
        await documents.with_documents(issued)
    async with in_transaction():
        invoice = await Invoice.select_for_update().get_or_none(id=invoice_id)
        if invoice is None:
            raise NotFound()
        if invoice.status not in OPEN:
            raise InvoiceLocked(_("Alleen een uitgegeven of al verstuurde factuur kan worden verstuurd."))
        address, organisation = await _invoice_address(invoice)
        if not address:
            raise InvoiceRuleBroken(
                _(
                    "Er is geen factuuradres (e-mail) bekend voor %(name)s. Vul het in bij de "
                    "factuurgegevens van de organisatie of bij de boeking, en verstuur de factuur opnieuw."
                )
                % {"name": organisation.name}
            )
        context = await _mail_context(invoice, organisation)
        number = invoice.number or ""
        context["link"] = f"{base_url.rstrip('/')}/organisaties/{organisation.cbs_code}/facturen"
        await queue_mail(
            address,
            "invoicing/invoice",
            context,
            attachments=[
                Attachment(file_name(number, "pdf"), "application/pdf", bytes(invoice.pdf or b"")),
                Attachment(file_name(number, "xml"), "application/xml", bytes(invoice.ubl or b"")),
            ],
        )
        action = "invoice_resent" if invoice.status is InvoiceStatus.SENT else "invoice_sent"
        invoice.status = InvoiceStatus.SENT
        invoice.sent_at = clock.now()
        await invoice.save(update_fields=["status", "sent_at"])
        await record(actor, action, invoice, f"{invoice.number} aan {address}")
    return invoice


#: A bank statement line's description is at most 140 characters (SEPA remittance information).
REFERENCE_MAX = 140


def _check_payment(invoice: Invoice, amount_cents: int, paid_on: date, reference: str, today: date) -> None:
    if paid_on > today:
        raise InvoiceRuleBroken(_("De betaaldatum ligt in de toekomst. Kies vandaag of een eerdere datum."))
    if invoice.issue_date and paid_on < invoice.issue_date:
        raise InvoiceRuleBroken(_("De betaaldatum ligt vóór de factuurdatum. Controleer de datum."))
    if amount_cents <= 0:
        raise InvoiceRuleBroken(_("Vul het ontvangen bedrag in, groter dan nul."))
    if not reference or len(reference) > REFERENCE_MAX:
        raise InvoiceRuleBroken(
            _(
                "Vul de omschrijving van de bankafschriftregel in (maximaal 140 tekens), zodat de "
                "betaling terug te vinden is."
            )
        )


async def record_payment(
    invoice_id: int,
    amount_cents: int | None,
    paid_on: date,
    reference: str,
    *,
    actor: User | None,
    today: date | None = None,
) -> Payment:
    """Record money received for an open invoice: an amount up to what is open (None: all of it), on a
    date between its issue date and today, with the bank statement line. Nothing open any more makes
    it paid.

    The invoice row is locked while the open amount is read, so payments at once never pay more than
    was open. Raises NotFound, Forbidden (not finance), InvoiceLocked (draft, credit note, paid or
    credited) and InvoiceRuleBroken (a bad date, amount or reference, or more than is open).
    """
    require_finance(actor)
    today = today or _today()
    reference = " ".join(reference.split())
    async with in_transaction():
        invoice = await Invoice.select_for_update().get_or_none(id=invoice_id)
        if invoice is None:
            raise NotFound()
        if invoice.kind is not DocumentKind.INVOICE or invoice.status not in OPEN:
            raise InvoiceLocked(
                _(
                    "Alleen op een uitgegeven of verstuurde factuur die nog open staat kan een betaling "
                    "worden vastgelegd."
                )
            )
        balance = await balances.balance_of(invoice)
        if amount_cents is None:
            amount_cents = balance.open_cents
        _check_payment(invoice, amount_cents, paid_on, reference, today)
        if amount_cents > balance.open_cents:
            raise InvoiceRuleBroken(
                _("Er staat nog %(open)s open; een betaling kan niet meer zijn. Controleer het bedrag.")
                % {"open": format_money(balance.open_cents)}
            )
        payment = await Payment.create(
            invoice=invoice,
            amount_cents=amount_cents,
            paid_on=paid_on,
            reference=reference,
            recorded_by=actor,
        )
        await record(
            actor,
            "invoice_payment_recorded",
            invoice,
            f"{invoice.number}: {amount_cents} cent op {paid_on.isoformat()} ({reference})",
        )
        await balances.settle(invoice, actor=actor)
    return payment


def _step(days: int) -> str:
    return f"stap {days}"


async def _remind(invoice_id: int, steps: list[int], today: date) -> bool:
    """Send the latest due step not yet handled for one invoice; False when nothing went out."""
    async with in_transaction():
        invoice = await Invoice.select_for_update().get_or_none(id=invoice_id)
        if (
            invoice is None
            or invoice.kind is not DocumentKind.INVOICE
            or invoice.status not in OPEN
            or invoice.due_date is None
        ):
            return False
        handled = set(
            await AuditEntry.filter(
                action__in=(REMINDER_SENT, REMINDER_COVERED), object_type="Invoice", object_id=str(invoice.id)
            ).values_list("summary", flat=True)
        )
        pending = [
            days
            for days in steps
            if invoice.due_date + timedelta(days=days) <= today and _step(days) not in handled
        ]
        if not pending:
            return False
        address, organisation = await _invoice_address(invoice)
        if not address:
            log.warning("invoice %s: no invoice address for a payment reminder", invoice.number)
            return False
        *covered, latest = pending
        for days in covered:
            await record(None, REMINDER_COVERED, invoice, _step(days))
        await queue_mail(address, "invoicing/reminder", await _mail_context(invoice, organisation))
        await record(None, REMINDER_SENT, invoice, _step(latest))
    return True


async def send_payment_reminders(steps_days: tuple[int, ...] = (14, 28), *, today: date | None = None) -> int:
    """Periodic job: a reminder per step of days after the due date for open invoices; how many went out."""
    steps = sorted({days for days in steps_days if days >= 0})
    if not steps:
        return 0
    today = today or _today()
    candidates = await Invoice.filter(
        kind=DocumentKind.INVOICE, status__in=OPEN, due_date__lte=today - timedelta(days=steps[0])
    ).values_list("id", flat=True)
    sent = 0
    for invoice_id in candidates:
        sent += await _remind(invoice_id, steps, today)
    return sent


async def ask_for_purchase_order(invoice_id: int, *, actor: User, base_url: str) -> int:
    """Finance asks the organisation's clerks for the purchase-order number a draft still lacks.

    Returns how many clerks were mailed; InvoiceRuleBroken when there is nothing to ask or nobody to ask.
    """
    require_finance(actor)
    invoice = await Invoice.get_or_none(id=invoice_id).select_related("organisation", "booking")
    if invoice is None:
        raise NotFound()
    if (
        not invoice.is_draft
        or invoice.booking is None
        or invoice.order_reference
        or invoice.booking.po_number
    ):
        raise InvoiceRuleBroken(_("Voor dit concept hoeft geen inkoopordernummer meer te worden gevraagd."))
    clerks = await User.filter(organisation_id=invoice.organisation_id, role=Role.CLERK, is_active=True)  # type: ignore[attr-defined]
    if not clerks:
        raise InvoiceRuleBroken(
            _("Deze organisatie heeft geen actieve griffier om het nummer aan te vragen.")
        )
    async with in_transaction():
        for clerk in clerks:
            await queue_mail(
                clerk.email,
                "invoicing/purchase_order_request",
                {
                    "clerk": clerk,
                    "invoice": invoice,
                    "booking": invoice.booking,
                    "organisation": invoice.organisation,
                    "link": f"{base_url}/boekingen/{invoice.booking.reference}",
                },
            )
        await record(actor, "purchase_order_requested", invoice, invoice.organisation.name)
    return len(clerks)
