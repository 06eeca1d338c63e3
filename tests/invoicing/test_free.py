"""Free-standing invoices (issue 22): finance bills travel costs, materials or an extra half day to any
organisation with free lines, optionally for a booking, and issues, sends and exports it like any
invoice."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import httpx
import pytest
from peppol import check_rules
from pypdf import PdfReader

from invoicing import documents, free
from invoicing.credits import credit_invoice
from invoicing.drafts import add_draft_line, create_draft_for_booking, create_missing_drafts
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from invoicing.payments import send_invoice
from server.errors import Forbidden, ValidationFailed
from server.mail import OutboxMessage
from server.models import AuditEntry, Organisation, Role, User
from server.templating import local_time
from tests.factories import make_user, post, sign_in
from tests.invoicing.factories import TODAY, billed_organisation, delivered_training
from tests.invoicing.test_ubl import parse, rule_errors, text, xsd_errors


def form(organisation: Organisation, **overrides: str) -> dict[str, str]:
    values = {
        "organisation": organisation.cbs_code,
        "booking": "",
        "order_reference": "",
        "delivery_date": "2026-11-12",
        "note": "",
        "description": "Reiskosten trainer, 2 x 120 km",
        "quantity": "240",
        "unit_price": "0,23",
        "vat": "S21",
    }
    values.update(overrides)
    return values


async def test_a_free_standing_invoice_is_numbered_frozen_and_valid(finance: User) -> None:
    organisation = await billed_organisation()
    draft = await free.create_free_draft(
        form(organisation, order_reference="PO-88", note="Extra kosten\nbij de training"), actor=finance
    )
    await add_draft_line(
        draft.id,
        {"description": "Werkboek weerbaarheid", "quantity": "12", "unit_price": "15,00", "vat": "E0"},
        actor=finance,
    )
    assert draft.is_free_standing and draft.booking_id is None  # type: ignore[attr-defined]

    issued = await documents.with_documents(await issue_invoice(draft.id, actor=finance, today=TODAY))

    assert issued.number == "2026-0001" and issued.status is InvoiceStatus.ISSUED
    assert issued.delivery_date == date(2026, 11, 12)
    # 240 x 0,23 = 55,20 at 21 % (11,59) plus 180,00 exempt.
    assert (issued.net_cents, issued.vat_cents, issued.gross_cents) == (23520, 1159, 24679)
    ubl = bytes(issued.ubl)
    assert xsd_errors(ubl) == [] and rule_errors(ubl) == []
    assert [str(f) for f in check_rules(ubl) if f.severity == "fatal"] == []
    root = parse(ubl)
    assert text(root, "cac:OrderReference/cbc:ID") == "PO-88"
    assert text(root, "cac:Delivery/cbc:ActualDeliveryDate") == "2026-11-12"
    pdf = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(issued.pdf))).pages).split())
    assert "Reiskosten trainer, 2 x 120 km" in pdf and "Werkboek weerbaarheid" in pdf and "246,79" in pdf
    assert await AuditEntry.filter(action="invoice_free_draft_created", object_id=str(draft.id)).exists()


async def test_it_may_belong_to_a_booking_without_taking_the_bookings_own_invoice(finance: User) -> None:
    organisation = await billed_organisation()
    booking = await delivered_training(organisation, po_number="4500099999")
    draft = await free.create_free_draft(
        form(organisation, booking=booking.reference.lower(), delivery_date=""), actor=finance
    )

    assert draft.linked_booking_id == booking.id and draft.booking_id is None  # type: ignore[attr-defined]
    assert draft.order_reference == "4500099999"  # the booking's, as none was given
    assert draft.delivery_date == local_time(booking.starts_at).date()  # the day in Amsterdam
    # The booking still gets its own draft, automatically and by hand.
    assert await create_missing_drafts() == 1
    own = await create_draft_for_booking(booking.id, actor=finance)
    assert own.id != draft.id and own.booking_id == booking.id  # type: ignore[attr-defined]


async def test_every_problem_of_the_form_is_named_at_once(finance: User) -> None:
    organisation = await billed_organisation()
    other = await billed_organisation(name="Delft")
    booking = await delivered_training(other)

    with pytest.raises(ValidationFailed) as caught:
        await free.create_free_draft(
            form(
                organisation,
                booking=booking.reference,
                delivery_date="12-11-2026",
                note="x" * 301,
                description="\x0b\u2028",
                unit_price="gratis",
                vat="H9",
            ),
            actor=finance,
        )

    assert set(caught.value.errors) == {
        "booking",
        "delivery_date",
        "note",
        "description",
        "unit_price",
        "vat",
    }
    with pytest.raises(ValidationFailed) as caught:
        await free.create_free_draft({**form(organisation), "organisation": "GM9999"}, actor=finance)
    assert set(caught.value.errors) == {"organisation"}
    assert not await Invoice.exists()


async def test_only_finance_makes_them(finance: User) -> None:
    organisation = await billed_organisation()
    with pytest.raises(Forbidden):
        await free.create_free_draft(form(organisation), actor=await make_user(Role.COORDINATOR))


async def test_its_details_change_while_it_is_a_draft_and_it_can_be_thrown_away(finance: User) -> None:
    organisation = await billed_organisation()
    other = await billed_organisation(name="Delft")
    draft = await free.create_free_draft(form(organisation), actor=finance)

    changed = await free.change_free_draft(
        draft.id, {**form(other), "order_reference": "PO\x0b12", "note": "Materiaal"}, actor=finance
    )
    assert (changed.organisation_id, changed.order_reference, changed.note) == (
        other.id,
        "PO 12",
        "Materiaal",
    )  # type: ignore[attr-defined]

    await free.delete_free_draft(draft.id, actor=finance)
    assert not await Invoice.exists() and not await InvoiceLine.exists()


async def test_an_issued_or_booking_invoice_keeps_its_details(finance: User) -> None:
    organisation = await billed_organisation()
    issued = await issue_invoice(
        (await free.create_free_draft(form(organisation), actor=finance)).id, actor=finance, today=TODAY
    )
    with pytest.raises(InvoiceLocked):
        await free.change_free_draft(issued.id, form(organisation), actor=finance)
    with pytest.raises(InvoiceLocked):
        await free.delete_free_draft(issued.id, actor=finance)
    booking_draft = await create_draft_for_booking((await delivered_training(organisation)).id, actor=finance)
    with pytest.raises(InvoiceRuleBroken):
        await free.delete_free_draft(booking_draft.id, actor=finance)


async def test_it_is_sent_to_the_organisation_and_credited_like_any_invoice(finance: User) -> None:
    organisation = await billed_organisation(invoice_email="facturen@zeist.nl")
    issued = await issue_invoice(
        (await free.create_free_draft(form(organisation), actor=finance)).id, actor=finance, today=TODAY
    )

    sent = await send_invoice(issued.id, actor=finance, base_url="https://weerbaar.example")

    assert sent.status is InvoiceStatus.SENT
    assert await OutboxMessage.filter(to_address="facturen@zeist.nl").count() == 1
    credit = await documents.with_documents(
        await credit_invoice(
            issued.id, None, reason="Dubbel gefactureerd", actor=finance, today=TODAY + timedelta(days=1)
        )
    )
    assert credit.number == "2026-0002"
    assert xsd_errors(bytes(credit.ubl)) == [] and rule_errors(bytes(credit.ubl)) == []


# --- pages ----------------------------------------------------------------------------------------------


async def test_finance_makes_and_issues_one_through_the_pages(
    client: httpx.AsyncClient, finance: User
) -> None:
    organisation = await billed_organisation()
    await sign_in(client, finance)
    listing = await client.get("/financien")
    assert 'href="/financien/nieuwe-factuur"' in listing.text
    page = await client.get("/financien/nieuwe-factuur")
    assert page.status_code == 200 and f'value="{organisation.cbs_code}"' in page.text

    bad = await post(client, "/financien/nieuwe-factuur", form(organisation, unit_price="", description=""))
    assert (
        bad.status_code == 400 and "error-summary" in bad.text and 'id="field-unit_price-error"' in bad.text
    )
    assert "Reiskosten" not in bad.text or 'value=""' in bad.text

    made = await post(client, "/financien/nieuwe-factuur", form(organisation, note="Materiaal"))
    assert made.status_code == 303
    location = made.headers["location"]
    invoice_id = int(re.search(r"/financien/facturen/(\d+)\?", location).group(1))  # type: ignore[union-attr]
    detail = await client.get(location)
    assert (
        "Losse factuur" in detail.text
        and "Reiskosten trainer" in detail.text
        and "Concept verwijderen" in detail.text
    )

    wrong = await post(
        client,
        f"/financien/facturen/{invoice_id}/gegevens",
        {**form(organisation), "delivery_date": "morgen"},
    )
    assert wrong.status_code == 400 and 'id="field-delivery_date-error"' in wrong.text
    saved = await post(
        client,
        f"/financien/facturen/{invoice_id}/gegevens",
        {**form(organisation), "order_reference": "PO-1"},
    )
    assert saved.status_code == 303 and (await Invoice.get(id=invoice_id)).order_reference == "PO-1"

    issued = await post(client, f"/financien/facturen/{invoice_id}/uitgeven")
    assert issued.status_code == 303
    assert (await Invoice.get(id=invoice_id)).number == "2026-0001" or (
        await Invoice.get(id=invoice_id)
    ).status is InvoiceStatus.ISSUED
    after = await client.get(f"/financien/facturen/{invoice_id}")
    assert "Concept verwijderen" not in after.text and "factuur.pdf" in after.text
    gone = await post(client, f"/financien/facturen/{invoice_id}/verwijderen")
    assert gone.status_code == 409 and (await Invoice.exists(id=invoice_id))


async def test_finance_throws_a_draft_away_through_the_page(client: httpx.AsyncClient, finance: User) -> None:
    organisation = await billed_organisation()
    await sign_in(client, finance)
    draft = await free.create_free_draft(form(organisation), actor=finance)

    response = await post(client, f"/financien/facturen/{draft.id}/verwijderen")

    assert response.status_code == 303 and response.headers["location"] == "/financien?melding=verwijderd"
    assert not await Invoice.exists()
