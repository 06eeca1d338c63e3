"""Balances (issue 22): partial payments, partial credits, paying the rest, crediting and invoicing again,
reminders that follow the open amount, and the documents of it all."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from invoicing import credits, documents, payments
from invoicing.balances import balance_of, history_of
from invoicing.credits import CreditPart, credit_invoice, invoice_again, preview_credit
from invoicing.drafts import create_draft_for_booking
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus, Payment
from server import clock
from server.errors import Forbidden
from server.mail import OutboxMessage
from server.models import AuditEntry, Role, User
from tests.factories import make_user
from tests.invoicing.factories import TODAY, delivered_training
from tests.invoicing.test_ubl import rule_errors, xsd_errors

GROSS = 2686_20  # 12 participants at € 185,00 plus 21 % VAT
REASON = "Twee deelnemers minder dan gefactureerd"


async def issued(finance: User, **booking: object) -> Invoice:
    draft = await create_draft_for_booking((await delivered_training(**booking)).id, actor=finance)
    return await issue_invoice(draft.id, actor=finance, today=TODAY)


async def fresh(invoice: Invoice) -> Invoice:
    return await Invoice.get(id=invoice.id)


async def only_line(invoice: Invoice) -> InvoiceLine:
    return await InvoiceLine.get(invoice_id=invoice.id)


def assert_valid_ubl(ubl: bytes) -> None:
    from peppol import check_rules

    assert xsd_errors(ubl) == []
    assert rule_errors(ubl) == []
    assert [str(f) for f in check_rules(ubl) if f.severity == "fatal"] == []


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


# --- payments --------------------------------------------------------------------------------------


async def test_a_partial_payment_leaves_the_rest_open_until_it_is_paid(finance: User) -> None:
    invoice = await issued(finance)
    later = TODAY + timedelta(days=10)
    await payments.record_payment(invoice.id, 1000_00, later, "Termijn 1", actor=finance, today=later)
    stored = await fresh(invoice)
    assert stored.status is InvoiceStatus.ISSUED and stored.paid_on is None
    assert (await balance_of(stored)).open_cents == GROSS - 1000_00

    with pytest.raises(InvoiceRuleBroken, match=r"1\.686,20"):
        await payments.record_payment(invoice.id, GROSS, later, "Te veel", actor=finance, today=later)
    with pytest.raises(InvoiceRuleBroken, match="groter dan nul"):
        await payments.record_payment(invoice.id, 0, later, "Niets", actor=finance, today=later)
    with pytest.raises(InvoiceRuleBroken, match="bankafschriftregel"):
        await payments.record_payment(invoice.id, 100, later, " \x0b ", actor=finance, today=later)
    with pytest.raises(Forbidden):
        coordinator = await make_user(Role.COORDINATOR)
        await payments.record_payment(invoice.id, 100, later, "x", actor=coordinator, today=later)

    last = later + timedelta(days=5)
    await payments.record_payment(invoice.id, GROSS - 1000_00, last, "Termijn 2", actor=finance, today=last)
    stored = await fresh(invoice)
    assert (stored.status, stored.paid_on) == (InvoiceStatus.PAID, last)
    assert (await balance_of(stored)).open_cents == 0
    assert [p.amount_cents for p in await Payment.filter(invoice_id=invoice.id)] == [1000_00, GROSS - 1000_00]
    assert await AuditEntry.filter(action="invoice_payment_recorded", object_id=str(invoice.id)).count() == 2
    with pytest.raises(InvoiceLocked):
        await payments.record_payment(invoice.id, 1, last, "Nog eens", actor=finance, today=last)


async def test_reminders_follow_the_open_amount(finance: User) -> None:
    invoice = await issued(finance)
    due = invoice.due_date
    assert due is not None
    await payments.record_payment(invoice.id, 2000_00, TODAY, "Deel", actor=finance, today=TODAY)
    assert await payments.send_payment_reminders(today=due + timedelta(days=14)) == 1
    [reminder] = await OutboxMessage.filter(subject__startswith="Herinnering")
    assert "Nog open: €\xa0686,20" in reminder.body_text and "€\xa02.686,20" in reminder.body_text

    await payments.record_payment(
        invoice.id, None, due, "De rest", actor=finance, today=due + timedelta(days=20)
    )
    assert (await fresh(invoice)).status is InvoiceStatus.PAID
    assert await payments.send_payment_reminders(today=due + timedelta(days=28)) == 0


# --- credits ---------------------------------------------------------------------------------------


async def test_a_partial_credit_then_payment_of_the_rest(finance: User) -> None:
    invoice = await issued(finance)
    line = await only_line(invoice)
    preview = await preview_credit(
        invoice.id, [CreditPart(line.id, quantity=2)], REASON, actor=finance, today=TODAY
    )
    assert preview.document.gross_cents == 447_70 and preview.open_after_cents == GROSS - 447_70
    assert await Invoice.filter(kind="credit_note").count() == 0  # a preview writes nothing

    note = await credit_invoice(
        invoice.id, [CreditPart(line.id, quantity=2)], reason=REASON, actor=finance, today=TODAY
    )
    assert note.gross_cents == 447_70 and note.number == "2026-0002"
    stored = await fresh(invoice)
    assert stored.status is InvoiceStatus.ISSUED
    assert (await balance_of(stored)).open_cents == GROSS - 447_70
    [left] = await credits.creditable_lines(stored)
    assert (left.remaining_cents, left.remaining_quantity) == (10 * 185_00, 10)

    with pytest.raises(InvoiceRuleBroken, match="1 tot 10 stuks"):
        await credit_invoice(
            invoice.id, [CreditPart(line.id, quantity=11)], reason=REASON, actor=finance, today=TODAY
        )

    await payments.record_payment(
        invoice.id, None, TODAY, "NL02ABNA0123456789 restant", actor=finance, today=TODAY
    )
    stored = await fresh(invoice)
    assert stored.status is InvoiceStatus.PAID
    assert await Payment.get(invoice_id=invoice.id).values_list("amount_cents", flat=True) == GROSS - 447_70

    note = await documents.with_documents(await fresh(note))
    assert_valid_ubl(bytes(note.ubl))
    assert f"<cbc:Note>{REASON}</cbc:Note>".encode() in bytes(note.ubl)
    assert b'<cbc:CreditedQuantity unitCode="C62">2</cbc:CreditedQuantity>' in bytes(note.ubl)
    text = pdf_text(bytes(note.pdf))
    assert f"Reden van de creditering: {REASON}" in text and "Creditnota bij factuur 2026-0001" in text
    assert "€ 447,70" in text.replace("\xa0", " ")


async def test_a_credit_of_an_amount_and_the_limits_of_a_credit(finance: User) -> None:
    invoice = await issued(finance)
    line = await only_line(invoice)
    with pytest.raises(InvoiceRuleBroken, match="reden"):
        await credit_invoice(invoice.id, [CreditPart(line.id)], reason="  ", actor=finance, today=TODAY)
    with pytest.raises(InvoiceRuleBroken, match="ten minste één regel"):
        await credit_invoice(invoice.id, [], reason=REASON, actor=finance, today=TODAY)
    with pytest.raises(InvoiceRuleBroken, match="hoogstens"):
        await credit_invoice(
            invoice.id, [CreditPart(line.id, amount_cents=2220_01)], reason=REASON, actor=finance, today=TODAY
        )
    note = await credit_invoice(
        invoice.id, [CreditPart(line.id, amount_cents=100_00)], reason="Korting", actor=finance, today=TODAY
    )
    [credited] = await InvoiceLine.filter(invoice_id=note.id)
    assert (credited.quantity, credited.unit_price_cents, credited.credited_line_id) == (1, 100_00, line.id)  # type: ignore[attr-defined]
    assert credited.description.endswith("(gedeeltelijk)") and note.gross_cents == 121_00

    # paid so far that only € 1.000 is open: a credit of more than that is refused
    await payments.record_payment(
        invoice.id, GROSS - 121_00 - 1000_00, TODAY, "Bank", actor=finance, today=TODAY
    )
    with pytest.raises(InvoiceRuleBroken, match="meer dan er op de factuur open staat"):
        await credit_invoice(
            invoice.id, [CreditPart(line.id, quantity=5)], reason=REASON, actor=finance, today=TODAY
        )
    # € 2.120 is left of the line, not a whole number of participants: "the rest" is one amount
    await Payment.filter(invoice_id=invoice.id).delete()
    rest = await credit_invoice(invoice.id, [CreditPart(line.id)], reason="Rest", actor=finance, today=TODAY)
    [rest_line] = await InvoiceLine.filter(invoice_id=rest.id)
    assert (rest_line.quantity, rest_line.unit_price_cents) == (1, 2120_00)
    assert (await fresh(invoice)).status is InvoiceStatus.CREDITED
    rest = await documents.with_documents(await fresh(rest))
    assert_valid_ubl(bytes(rest.ubl))


async def test_credit_then_invoice_again(finance: User) -> None:
    invoice = await issued(finance)
    note = await credit_invoice(invoice.id, None, reason="Verkeerde organisatie", actor=finance, today=TODAY)
    assert (await fresh(invoice)).status is InvoiceStatus.CREDITED and note.gross_cents == GROSS
    with pytest.raises(InvoiceLocked):
        await credit_invoice(invoice.id, None, reason="Nog eens", actor=finance, today=TODAY)

    draft = await invoice_again(note.id, actor=finance)
    assert draft.is_draft and draft.after_credit_note_id == note.id  # type: ignore[attr-defined]
    assert await invoice_again(note.id, actor=finance) == draft  # asked again: the same draft
    assert "2026-0001" in draft.note and "2026-0002" in draft.note
    [line] = await InvoiceLine.filter(invoice_id=draft.id)
    assert (line.quantity, line.unit_price_cents) == (12, 185_00)
    # the booking's own draft is still the first invoice, not a new one
    assert (await create_draft_for_booking(invoice.booking_id, actor=finance)).id == invoice.id  # type: ignore[attr-defined]
    assert await payments.booking_id_of(draft) == invoice.booking_id  # type: ignore[attr-defined]

    await InvoiceLine.filter(id=line.id).update(quantity=10)
    again = await issue_invoice(draft.id, actor=finance, today=TODAY)
    assert again.number == "2026-0003" and again.gross_cents == 2238_50
    again = await documents.with_documents(await fresh(again))
    assert_valid_ubl(bytes(again.ubl))
    assert b"creditnota 2026-0002" in bytes(again.ubl)
    assert "gecrediteerd met creditnota 2026-0002" in pdf_text(bytes(again.pdf))
    with pytest.raises(Forbidden):
        await invoice_again(note.id, actor=await make_user(Role.COORDINATOR))


async def test_a_partial_credit_note_can_be_invoiced_again_too(finance: User) -> None:
    invoice = await issued(finance)
    line = await only_line(invoice)
    note = await credit_invoice(
        invoice.id, [CreditPart(line.id, quantity=3)], reason=REASON, actor=finance, today=TODAY
    )
    draft = await invoice_again(note.id, actor=finance)
    [copied] = await InvoiceLine.filter(invoice_id=draft.id)
    assert copied.description == line.description and copied.quantity == 12  # the credited line, to correct
    assert (await fresh(invoice)).status is InvoiceStatus.ISSUED


async def test_the_history_lists_everything_oldest_first(finance: User) -> None:
    today = clock.local_today()
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    invoice = await issue_invoice(draft.id, actor=finance, today=today - timedelta(days=50))
    await payments.send_invoice(invoice.id, actor=finance, base_url="http://testserver")
    line = await only_line(invoice)
    await credit_invoice(
        invoice.id, [CreditPart(line.id, quantity=1)], reason="Eén afmelding", actor=finance, today=today
    )
    assert await payments.send_payment_reminders() == 1
    # recorded last, paid earlier: listed by its date
    await payments.record_payment(invoice.id, 500_00, today - timedelta(days=2), "Deel 1", actor=finance)
    events = await history_of(await fresh(invoice))
    assert [event.day for event in events] == [
        today - timedelta(days=50),
        today - timedelta(days=2),
        today,
        today,
        today,
    ]
    texts = [event.text for event in events]
    assert texts[0] == "Uitgegeven als 2026-0001"
    assert texts[1] == "Betaling van €\xa0500,00 ontvangen: Deel 1"
    assert texts[2] == "Verstuurd aan facturen@zeist.nl"
    assert texts[3].startswith("Gecrediteerd met creditnota 2026-0002, €\xa0223,85: Eén afmelding")
    assert texts[4] == "Betalingsherinnering verstuurd (14 dagen na de vervaldatum)"
    assert events[3].link.startswith("/financien/facturen/")


async def test_a_credit_note_gets_no_payment(finance: User) -> None:
    invoice = await issued(finance)
    note = await credit_invoice(invoice.id, None, reason="Weg", actor=finance, today=TODAY)
    with pytest.raises(InvoiceLocked):
        await payments.record_payment(note.id, None, TODAY, "Bank", actor=finance, today=TODAY)
