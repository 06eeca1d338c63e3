"""Finance's pages and the clerks' read-only view: issuing, downloads, guessing ids."""

from __future__ import annotations

import httpx

from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceStatus, SellerSettings
from server.models import Organisation, Role
from tests.factories import make_user, post, sign_in
from tests.invoicing.factories import TODAY, billed_organisation, delivered_training


async def issued_invoice(finance_user) -> Invoice:  # type: ignore[no-untyped-def]
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance_user)
    return await issue_invoice(draft.id, actor=finance_user, today=TODAY)


async def test_finance_issues_a_draft_and_downloads_the_same_bytes_twice(
    client: httpx.AsyncClient, finance
) -> None:  # type: ignore[no-untyped-def]
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    await sign_in(client, finance)
    listing = await client.get("/financien")
    assert listing.status_code == 200 and "Zeist" in listing.text
    issued = await post(client, f"/financien/facturen/{draft.id}/uitgeven")
    assert issued.status_code == 303
    invoice = await Invoice.get(id=draft.id)
    assert invoice.status is InvoiceStatus.ISSUED and invoice.number
    first = await client.get(f"/financien/facturen/{draft.id}/factuur.pdf")
    second = await client.get(f"/financien/facturen/{draft.id}/factuur.pdf")
    assert first.headers["content-type"] == "application/pdf" and first.content == second.content
    invoice = await Invoice.get(id=draft.id)
    assert first.content == bytes(invoice.pdf)
    xml = await client.get(f"/financien/facturen/{draft.id}/e-factuur.xml")
    assert xml.content == bytes(invoice.ubl)
    again = await post(client, f"/financien/facturen/{draft.id}/uitgeven")
    assert again.status_code == 409


async def test_clerks_see_only_their_own_issued_invoices(client: httpx.AsyncClient, finance) -> None:  # type: ignore[no-untyped-def]
    invoice = await issued_invoice(finance)
    own_clerk = await make_user(Role.CLERK, organisation=await Organisation.get(id=invoice.organisation_id))
    await sign_in(client, own_clerk)
    assert (await client.get(f"/financien/facturen/{invoice.id}/factuur.pdf")).status_code == 200
    page = await client.get("/organisatie/facturen", follow_redirects=True)
    assert invoice.number in page.text
    assert (await client.get("/financien")).status_code == 403

    other = await make_user(Role.CLERK, organisation=await billed_organisation(name="Elders"))
    await sign_in(client, other)
    for invoice_id in range(invoice.id - 2, invoice.id + 3):  # guessing ids gets nothing
        assert (await client.get(f"/financien/facturen/{invoice_id}")).status_code == 404
        assert (await client.get(f"/financien/facturen/{invoice_id}/factuur.pdf")).status_code == 404


async def test_a_clerk_does_not_see_drafts(client: httpx.AsyncClient, finance) -> None:  # type: ignore[no-untyped-def]
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    await sign_in(
        client, await make_user(Role.CLERK, organisation=await Organisation.get(id=draft.organisation_id))
    )
    assert (await client.get(f"/financien/facturen/{draft.id}")).status_code == 404


async def test_coordinators_read_but_do_not_issue(client: httpx.AsyncClient, finance) -> None:  # type: ignore[no-untyped-def]
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    await sign_in(client, await make_user(Role.COORDINATOR))
    assert (await client.get(f"/financien/facturen/{draft.id}")).status_code == 200
    assert (await post(client, f"/financien/facturen/{draft.id}/uitgeven")).status_code == 403
    assert (await Invoice.get(id=draft.id)).status is InvoiceStatus.DRAFT


async def test_the_teams_details_are_checked(client: httpx.AsyncClient, finance) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client, finance)
    bad = await post(
        client,
        "/financien/instellingen",
        {
            "legal_name": "Team",
            "street": "Straat 1",
            "postcode": "2514EA",
            "city": "Den Haag",
            "kvk": "123",
            "vat_id": "NL12",
            "iban": "NL91ABNA0417164301",
            "invoice_email": "x",
            "payment_term_days": "30",
            "number_format": "{number}",
        },
    )
    assert bad.status_code == 400
    assert (
        "8 cijfers" in bad.text
        and "{year}" in bad.text
        and "IBAN" in bad.text
        and 'value="Straat 1"' in bad.text
    )
    good = await post(
        client,
        "/financien/instellingen",
        {
            "legal_name": "Team",
            "street": "Straat 1",
            "postcode": "2514ea",
            "city": "Den Haag",
            "kvk": "12345678",
            "vat_id": "nl123456782b01",
            "iban": "NL91 ABNA 0417 1643 00",
            "invoice_email": "f@t.nl",
            "payment_term_days": "14",
            "number_format": "F{year}-{number:05d}",
        },
    )
    assert good.status_code == 303
    settings = await SellerSettings.get(id=1)
    assert settings.number_format == "F{year}-{number:05d}"
    assert (settings.iban, settings.vat_id, settings.payment_term_days) == (
        "NL91ABNA0417164300",
        "NL123456782B01",
        14,
    )


async def test_finance_edits_a_drafts_lines_before_issuing(client: httpx.AsyncClient, finance) -> None:  # type: ignore[no-untyped-def]
    from invoicing.models import InvoiceLine

    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    await sign_in(client, finance)
    url = f"/financien/facturen/{draft.id}/regels"
    bad = await post(client, url, {"description": "", "quantity": "0", "unit_price": "gratis", "vat": "X"})
    assert bad.status_code == 400 and "omschrijving" in bad.text.lower()
    added = await post(
        client, url, {"description": "Reiskosten", "quantity": "1", "unit_price": "45,00", "vat": "S21"}
    )
    assert added.status_code == 303
    travel = await InvoiceLine.get(invoice_id=draft.id, description="Reiskosten")
    changed = await post(
        client,
        f"{url}/{travel.id}",
        {"description": "Reiskosten trainer", "quantity": "2", "unit_price": "45,00", "vat": "E0"},
    )
    assert changed.status_code == 303
    travel = await InvoiceLine.get(id=travel.id)
    assert (travel.quantity, travel.vat_percent, travel.description) == (2, 0, "Reiskosten trainer")
    issued = await post(client, f"/financien/facturen/{draft.id}/uitgeven")
    assert issued.status_code == 303
    invoice = await Invoice.get(id=draft.id)
    assert invoice.net_cents == 12 * 18500 + 9000
    locked = await post(client, f"{url}/{travel.id}/verwijderen")
    assert locked.status_code == 409 and await InvoiceLine.exists(id=travel.id)


async def test_finance_asks_the_clerk_for_a_missing_purchase_order_number(
    client: httpx.AsyncClient, finance
) -> None:  # type: ignore[no-untyped-def]
    from server.mail import OutboxMessage

    organisation = await billed_organisation(requires_po_number=True)
    clerk = await make_user(Role.CLERK, organisation=organisation, email="griffie@zeist.nl")
    booking = await delivered_training(organisation, po_number="")
    draft = await create_draft_for_booking(booking.id, actor=finance)
    await sign_in(client, finance)
    page = await client.get(f"/financien/facturen/{draft.id}")
    assert "Vraag de griffie om het nummer" in page.text
    refused = await post(client, f"/financien/facturen/{draft.id}/uitgeven")
    assert refused.status_code == 400 and "inkoopordernummer" in refused.text
    asked = await post(client, f"/financien/facturen/{draft.id}/inkooporder-vragen")
    assert asked.status_code == 303
    mail = await OutboxMessage.get(to_address=clerk.email)
    assert booking.reference in mail.subject and f"/boekingen/{booking.reference}" in mail.body_text
