"""Finance's pages for balances (issue 22): a partial payment, a partial credit through its confirmation
page, paying the rest, and invoicing again after a credit note."""

from __future__ import annotations

import httpx

from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus, Payment
from server import clock
from server.models import User
from tests.factories import post, sign_in
from tests.invoicing.factories import delivered_training

REASON = "Twee deelnemers minder dan gefactureerd"


async def issued_today(finance: User) -> Invoice:
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    return await issue_invoice(draft.id, actor=finance, today=clock.local_today())


async def credit_notes() -> int:
    return await Invoice.filter(kind="credit_note").count()


async def test_a_partial_payment_on_the_page(client: httpx.AsyncClient, finance: User) -> None:
    invoice = await issued_today(finance)
    await sign_in(client, finance)
    page = await client.get(f"/financien/facturen/{invoice.id}")
    assert "Nog open" in page.text and "Bankafschriftregel" in page.text
    url = f"/financien/facturen/{invoice.id}/betaald"
    no_reference = await post(client, url, {"amount": "1.000,00", "paid_on": ""})
    assert no_reference.status_code == 400 and "bankafschriftregel" in no_reference.text
    bad_amount = await post(client, url, {"amount": "veel", "paid_on": "", "reference": "x"})
    assert bad_amount.status_code == 400 and "ontvangen bedrag" in bad_amount.text
    too_much = await post(client, url, {"amount": "3000", "paid_on": "", "reference": "x"})
    assert too_much.status_code == 400 and "2.686,20" in too_much.text
    assert await Payment.all().count() == 0

    paid = await post(
        client, url, {"amount": "1.000,00", "paid_on": "", "reference": "Gemeente Zeist termijn 1"}
    )
    assert paid.status_code == 303
    page = await client.get(paid.headers["location"])
    assert "De betaling is vastgelegd." in page.text
    assert (
        "1.686,20" in page.text
        and "Betaling van €\xa01.000,00 ontvangen: Gemeente Zeist termijn 1" in page.text
    )
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.ISSUED

    rest = await post(client, url, {"amount": "", "paid_on": "", "reference": "Termijn 2"})
    assert rest.status_code == 303 and (await Invoice.get(id=invoice.id)).status is InvoiceStatus.PAID


async def test_a_partial_credit_is_confirmed_first_then_the_rest_is_paid(
    client: httpx.AsyncClient, finance: User
) -> None:
    invoice = await issued_today(finance)
    line = await InvoiceLine.get(invoice_id=invoice.id)
    await sign_in(client, finance)
    page = await client.get(f"/financien/facturen/{invoice.id}")
    assert f'name="part-{line.id}"' in page.text and 'name="reason"' in page.text

    base = f"/financien/facturen/{invoice.id}/crediteren"
    nothing = await post(client, f"{base}/controleren", {"reason": REASON})
    assert nothing.status_code == 400 and "ten minste één regel" in nothing.text
    no_reason = await post(client, f"{base}/controleren", {f"part-{line.id}": "line", "reason": ""})
    assert no_reason.status_code == 400 and "reden" in no_reason.text

    chosen = {f"part-{line.id}": "quantity", f"quantity-{line.id}": "2", "reason": REASON}
    confirm = await post(client, f"{base}/controleren", chosen)
    assert confirm.status_code == 200 and "Creditnota controleren" in confirm.text
    assert "447,70" in confirm.text and REASON in confirm.text and "2.238,50" in confirm.text
    assert (
        'name="confirmed" value="ja"' in confirm.text
        and f'name="quantity-{line.id}" value="2"' in confirm.text
    )
    assert await credit_notes() == 0

    # posting the credit itself without the confirmation shows the confirmation, nothing more
    unconfirmed = await post(client, base, chosen)
    assert unconfirmed.status_code == 200 and "Creditnota controleren" in unconfirmed.text
    assert await credit_notes() == 0

    made = await post(client, base, {**chosen, "confirmed": "ja"})
    assert made.status_code == 303 and await credit_notes() == 1
    note = await Invoice.get(kind="credit_note")
    assert made.headers["location"] == f"/financien/facturen/{note.id}?melding=gecrediteerd"
    note_page = await client.get(made.headers["location"])
    assert REASON in note_page.text and "Nieuw concept maken" in note_page.text

    page = await client.get(f"/financien/facturen/{invoice.id}")
    assert "2.238,50" in page.text and "Gecrediteerd met creditnota" in page.text
    paid = await post(
        client, f"/financien/facturen/{invoice.id}/betaald", {"amount": "2.238,50", "reference": "Restant"}
    )
    assert paid.status_code == 303 and (await Invoice.get(id=invoice.id)).status is InvoiceStatus.PAID


async def test_credit_everything_then_invoice_again(client: httpx.AsyncClient, finance: User) -> None:
    invoice = await issued_today(finance)
    await sign_in(client, finance)
    base = f"/financien/facturen/{invoice.id}/crediteren"
    whole = {"whole": "ja", "reason": "Verkeerde organisatie"}
    confirm = await post(client, f"{base}/controleren", whole)
    assert confirm.status_code == 200 and "2.686,20" in confirm.text
    made = await post(client, base, {**whole, "confirmed": "ja"})
    assert made.status_code == 303 and (await Invoice.get(id=invoice.id)).status is InvoiceStatus.CREDITED
    note = await Invoice.get(kind="credit_note")

    refused = await post(client, f"/financien/facturen/{invoice.id}/opnieuw-factureren")
    assert refused.status_code == 400 and "na een creditnota" in refused.text
    again = await post(client, f"/financien/facturen/{note.id}/opnieuw-factureren")
    draft = await Invoice.get(after_credit_note_id=note.id)
    assert (
        again.status_code == 303
        and again.headers["location"] == f"/financien/facturen/{draft.id}?melding=opnieuw"
    )
    page = await client.get(again.headers["location"])
    assert "Volgt op" in page.text and note.number and note.number in page.text and "Uitgeven" in page.text
    issued = await post(client, f"/financien/facturen/{draft.id}/uitgeven")
    assert issued.status_code == 303 and (await Invoice.get(id=draft.id)).number == "2026-0003"
    note_page = await client.get(f"/financien/facturen/{note.id}")
    assert "Na deze creditnota is opnieuw gefactureerd" in note_page.text and "2026-0003" in note_page.text
