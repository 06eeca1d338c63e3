"""Sending invoices by mail, recording payment and payment reminders."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from bookings.models import Booking
from invoicing import payments
from invoicing.credits import credit_invoice
from invoicing.drafts import create_draft_for_booking
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceStatus
from server.errors import Forbidden
from server.mail import OutboxAttachment, OutboxMessage
from server.models import AuditEntry, Role, User
from tests.factories import make_user, post, sign_in
from tests.invoicing.factories import TODAY, billed_organisation, delivered_training

BASE_URL = "http://testserver"


async def issued(finance: User, today: date | None = TODAY, **organisation: object) -> Invoice:
    booking = await delivered_training(await billed_organisation(**organisation))
    draft = await create_draft_for_booking(booking.id, actor=finance)
    return await issue_invoice(draft.id, actor=finance, today=today)


async def mails_to(address: str) -> list[OutboxMessage]:
    return await OutboxMessage.filter(to_address=address).order_by("id")


async def test_sending_queues_one_mail_with_the_stored_pdf_and_ubl(finance: User) -> None:
    invoice = await issued(finance)
    sent = await payments.send_invoice(invoice.id, actor=finance, base_url=BASE_URL)
    assert sent.status is InvoiceStatus.SENT and sent.sent_at is not None
    [mail] = await mails_to("facturen@zeist.nl")
    assert invoice.number in mail.subject and "Zeist" in mail.subject
    assert "NL91ABNA0417164300" in mail.body_text and "24 december 2026" in mail.body_text
    assert "€\xa02.686,20" in mail.body_text and "Betalingskenmerk: " + str(invoice.number) in mail.body_text
    attachments = await OutboxAttachment.filter(message=mail).order_by("id")
    stored = await Invoice.get(id=invoice.id)
    assert [(a.filename, a.content_type, bytes(a.content)) for a in attachments] == [
        (f"{invoice.number}.pdf", "application/pdf", bytes(stored.pdf)),
        (f"{invoice.number}.xml", "application/xml", bytes(stored.ubl)),
    ]
    assert await AuditEntry.filter(action="invoice_sent", object_id=str(invoice.id)).count() == 1


async def test_resending_is_allowed_and_logged(finance: User) -> None:
    invoice = await issued(finance)
    await payments.send_invoice(invoice.id, actor=finance, base_url=BASE_URL)
    again = await payments.send_invoice(invoice.id, actor=finance, base_url=BASE_URL)
    assert again.status is InvoiceStatus.SENT
    assert len(await mails_to("facturen@zeist.nl")) == 2
    assert await AuditEntry.filter(action="invoice_resent", object_id=str(invoice.id)).count() == 1


async def test_the_bookings_invoice_address_comes_first(finance: User) -> None:
    invoice = await issued(finance)
    await Booking.filter(id=invoice.booking_id).update(invoice_email="crediteuren@zeist.nl")  # type: ignore[attr-defined]
    await payments.send_invoice(invoice.id, actor=finance, base_url=BASE_URL)
    assert len(await mails_to("crediteuren@zeist.nl")) == 1
    assert await mails_to("facturen@zeist.nl") == []


async def test_a_credit_note_is_sent_to_the_address_of_its_invoice(finance: User) -> None:
    invoice = await issued(finance)
    await Booking.filter(id=invoice.booking_id).update(invoice_email="crediteuren@zeist.nl")  # type: ignore[attr-defined]
    note = await credit_invoice(
        invoice.id, None, reason="Training gaat niet door", actor=finance, today=TODAY
    )
    await payments.send_invoice(note.id, actor=finance, base_url=BASE_URL)
    [mail] = await mails_to("crediteuren@zeist.nl")
    assert mail.subject.startswith("Creditnota") and "Betalingskenmerk" not in mail.body_text
    assert await OutboxAttachment.filter(message=mail).count() == 2


async def test_without_an_invoice_address_nothing_is_sent(finance: User) -> None:
    invoice = await issued(finance, invoice_email="")
    with pytest.raises(InvoiceRuleBroken, match="geen factuuradres"):
        await payments.send_invoice(invoice.id, actor=finance, base_url=BASE_URL)
    assert await OutboxMessage.all().count() == 0
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.ISSUED


async def test_drafts_and_paid_invoices_are_not_sent_and_only_finance_sends(finance: User) -> None:
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    with pytest.raises(InvoiceLocked):
        await payments.send_invoice(draft.id, actor=finance, base_url=BASE_URL)
    invoice = await issued(finance, name="Utrecht", cbs_code="GM0344")
    with pytest.raises(Forbidden):
        await payments.send_invoice(invoice.id, actor=await make_user(Role.COORDINATOR), base_url=BASE_URL)
    await payments.record_payment(invoice.id, None, TODAY, "Bankregel", actor=finance, today=TODAY)
    with pytest.raises(InvoiceLocked):
        await payments.send_invoice(invoice.id, actor=finance, base_url=BASE_URL)
    assert await OutboxMessage.all().count() == 0


async def test_marking_paid_checks_the_date(finance: User) -> None:
    invoice = await issued(finance)
    with pytest.raises(InvoiceRuleBroken, match="toekomst"):
        await payments.record_payment(
            invoice.id, None, TODAY + timedelta(days=1), "Bankregel", actor=finance, today=TODAY
        )
    with pytest.raises(InvoiceRuleBroken, match="factuurdatum"):
        await payments.record_payment(
            invoice.id, None, TODAY - timedelta(days=1), "Bankregel", actor=finance, today=TODAY
        )
    with pytest.raises(Forbidden):
        await payments.record_payment(
            invoice.id, None, TODAY, "Bankregel", actor=await make_user(Role.COORDINATOR), today=TODAY
        )
    await payments.send_invoice(invoice.id, actor=finance, base_url=BASE_URL)
    later = TODAY + timedelta(days=20)
    await payments.record_payment(invoice.id, None, later, "Bankregel", actor=finance, today=later)
    paid = await Invoice.get(id=invoice.id)
    assert (paid.status, paid.paid_on) == (InvoiceStatus.PAID, later)
    assert await AuditEntry.filter(action="invoice_paid", object_id=str(invoice.id)).count() == 1
    with pytest.raises(InvoiceLocked):
        await payments.record_payment(invoice.id, None, later, "Bankregel", actor=finance, today=later)


async def test_reminders_go_out_once_per_step_after_the_due_date(finance: User) -> None:
    invoice = await issued(finance)
    await payments.send_invoice(invoice.id, actor=finance, base_url=BASE_URL)
    due = invoice.due_date
    assert due == TODAY + timedelta(days=30)

    async def reminders() -> list[OutboxMessage]:
        return await OutboxMessage.filter(subject__startswith="Herinnering").order_by("id")

    assert await payments.send_payment_reminders(today=due + timedelta(days=13)) == 0
    assert await reminders() == []
    assert await payments.send_payment_reminders(today=due + timedelta(days=14)) == 1
    assert await payments.send_payment_reminders(today=due + timedelta(days=14)) == 0
    assert await payments.send_payment_reminders(today=due + timedelta(days=20)) == 0
    [first] = await reminders()
    assert first.to_address == "facturen@zeist.nl" and invoice.number in first.subject
    assert "€\xa02.686,20" in first.body_text and "24 december 2026" in first.body_text
    assert await payments.send_payment_reminders(today=due + timedelta(days=28)) == 1
    assert await payments.send_payment_reminders(today=due + timedelta(days=60)) == 0
    assert len(await reminders()) == 2
    steps = await AuditEntry.filter(action="invoice_reminder_sent", object_id=str(invoice.id)).values_list(
        "summary", flat=True
    )
    assert sorted(steps) == ["stap 14", "stap 28"]


async def test_only_the_latest_due_step_is_sent_when_several_are_due(finance: User) -> None:
    invoice = await issued(finance)
    assert await payments.send_payment_reminders(today=invoice.due_date + timedelta(days=40)) == 1
    assert await OutboxMessage.filter(subject__startswith="Herinnering").count() == 1
    entries = await AuditEntry.filter(object_id=str(invoice.id), action__startswith="invoice_reminder")
    assert sorted((e.action, e.summary) for e in entries) == [
        ("invoice_reminder_covered", "stap 14"),
        ("invoice_reminder_sent", "stap 28"),
    ]
    assert await payments.send_payment_reminders(today=invoice.due_date + timedelta(days=41)) == 0


async def test_paid_and_credited_invoices_and_credit_notes_get_no_reminder(finance: User) -> None:
    paid = await issued(finance)
    await payments.record_payment(paid.id, None, TODAY, "Bankregel", actor=finance, today=TODAY)
    credited = await issued(finance, name="Utrecht", cbs_code="GM0344")
    await credit_invoice(credited.id, None, reason="Training gaat niet door", actor=finance, today=TODAY)
    assert await payments.send_payment_reminders(today=TODAY + timedelta(days=100)) == 0
    assert await OutboxMessage.all().count() == 0


async def test_finance_sends_and_marks_paid_on_the_page(client: httpx.AsyncClient, finance: User) -> None:
    invoice = await issued(finance, today=None)
    await sign_in(client, finance)
    page = await client.get(f"/financien/facturen/{invoice.id}")
    assert "/versturen" in page.text and "/betaald" in page.text
    response = await post(client, f"/financien/facturen/{invoice.id}/versturen")
    assert response.status_code == 303
    assert response.headers["location"] == f"/financien/facturen/{invoice.id}?melding=verstuurd"
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.SENT
    assert len(await mails_to("facturen@zeist.nl")) == 1
    shown = await client.get(response.headers["location"])
    assert "Opnieuw versturen" in shown.text

    future = await post(client, f"/financien/facturen/{invoice.id}/betaald", {"paid_on": "2999-01-01"})
    assert future.status_code == 400 and "toekomst" in future.text and 'role="alert"' in future.text
    garbage = await post(client, f"/financien/facturen/{invoice.id}/betaald", {"paid_on": "gisteren"})
    assert garbage.status_code == 400 and "geldige betaaldatum" in garbage.text
    paid = await post(
        client, f"/financien/facturen/{invoice.id}/betaald", {"paid_on": "", "reference": "Bank"}
    )
    assert paid.status_code == 303
    stored = await Invoice.get(id=invoice.id)
    assert stored.status is InvoiceStatus.PAID and stored.paid_on == stored.issue_date
    page = await client.get(f"/financien/facturen/{invoice.id}?melding=betaald")
    assert "De betaling is vastgelegd." in page.text and "/versturen" not in page.text


async def test_sending_without_an_address_shows_the_reason(client: httpx.AsyncClient, finance: User) -> None:
    invoice = await issued(finance, invoice_email="")
    await sign_in(client, finance)
    response = await post(client, f"/financien/facturen/{invoice.id}/versturen")
    assert response.status_code == 400 and "geen factuuradres" in response.text
    assert await OutboxMessage.all().count() == 0


async def test_a_coordinator_can_neither_send_nor_mark_paid(client: httpx.AsyncClient, finance: User) -> None:
    invoice = await issued(finance)
    await sign_in(client, await make_user(Role.COORDINATOR))
    page = await client.get(f"/financien/facturen/{invoice.id}")
    assert page.status_code == 200 and "/versturen" not in page.text
    assert (await post(client, f"/financien/facturen/{invoice.id}/versturen")).status_code == 403
    assert (
        await post(client, f"/financien/facturen/{invoice.id}/betaald", {"paid_on": ""})
    ).status_code == 403
    stored = await Invoice.get(id=invoice.id)
    assert stored.status is InvoiceStatus.ISSUED and await OutboxMessage.all().count() == 0
