"""Drafts, issuing with gap-free numbers, immutability and credit notes."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from pypdf import PdfReader

from bookings.models import BookingStatus
from invoicing import documents, issuing
from invoicing.balances import balance_of
from invoicing.credits import CreditPart, credit_invoice
from invoicing.drafts import create_draft_for_booking, create_missing_drafts
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceStatus, SellerSettings
from server import clock
from server.errors import Forbidden
from server.models import Organisation, Role, User
from tests.bookings.factories import make_booking
from tests.factories import make_user
from tests.invoicing.factories import TODAY, billed_organisation, delivered_training


async def test_a_delivered_training_gets_one_draft(finance: User) -> None:
    booking = await delivered_training()
    draft = await create_draft_for_booking(booking.id, actor=finance)
    assert draft.status is InvoiceStatus.DRAFT and draft.number is None
    [line] = await InvoiceLine.filter(invoice=draft)
    assert (line.quantity, line.unit_price_cents, line.vat_percent) == (12, 18500, 21)
    assert (await create_draft_for_booking(booking.id, actor=finance)).id == draft.id
    assert await create_missing_drafts() == 0


async def test_free_and_undelivered_bookings_are_not_invoiced_but_cancellation_fees_are(
    finance: User,
) -> None:
    free = await make_booking(status=BookingStatus.DELIVERED)
    with pytest.raises(InvoiceRuleBroken):
        await create_draft_for_booking(free.id, actor=finance)
    cancelled = await delivered_training(
        status=BookingStatus.CANCELLED, cancellation_fee_cents=111000, cancelled_at=clock.now()
    )
    assert await create_missing_drafts() == 1
    [line] = await InvoiceLine.filter(invoice__booking=cancelled)
    assert line.unit_price_cents == 111000 and "Annuleringskosten" in line.description


async def test_issuing_numbers_freezes_and_stores_the_documents(finance: User) -> None:
    first = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    second = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    issued = await issue_invoice(first.id, actor=finance, today=TODAY)
    assert issued.number == "2026-0001" and issued.status is InvoiceStatus.ISSUED
    assert (issued.net_cents, issued.vat_cents, issued.gross_cents) == (222000, 46620, 268620)
    assert issued.due_date == TODAY + timedelta(days=30)
    assert (await issue_invoice(second.id, actor=finance, today=TODAY)).number == "2026-0002"

    stored = await Invoice.get(id=first.id)
    assert stored.pdf is None and stored.content["number"] == "2026-0001"  # rendered after the commit
    stored = await documents.with_documents(stored)
    pdf_bytes, ubl_bytes = bytes(stored.pdf), bytes(stored.ubl)
    text = " ".join(PdfReader(io.BytesIO(pdf_bytes)).pages[0].extract_text().split())
    assert "2026-0001" in text and "Gemeente Zeist" in text and "4500012345" in text
    assert b"<cbc:ID>2026-0001</cbc:ID>" in ubl_bytes

    await Organisation.filter(id=stored.organisation_id).update(
        name="Zeist (nieuw)", invoice_street="Elders 9"
    )
    with pytest.raises(InvoiceLocked):
        await issue_invoice(first.id, actor=finance, today=TODAY)
    again = await Invoice.get(id=first.id)
    assert bytes(again.pdf) == pdf_bytes and bytes(again.ubl) == ubl_bytes
    assert again.content["buyer"]["street"] == "Slotlaan 1"


async def test_a_required_purchase_order_number_blocks_issuing_without_using_a_number(finance: User) -> None:
    organisation = await billed_organisation(requires_po_number=True)
    booking = await delivered_training(organisation, po_number="")
    draft = await create_draft_for_booking(booking.id, actor=finance)
    with pytest.raises(InvoiceRuleBroken) as caught:
        await issue_invoice(draft.id, actor=finance, today=TODAY)
    assert "inkoopordernummer" in caught.value.message
    assert not await InvoiceCounter.filter(last_number__gt=0).exists()
    await type(booking).filter(id=booking.id).update(po_number="PO-77")  # the clerk adds it later
    assert (await issue_invoice(draft.id, actor=finance, today=TODAY)).number == "2026-0001"


async def test_incomplete_details_are_named(finance: User) -> None:
    booking = await delivered_training(await billed_organisation(oin=""))
    draft = await create_draft_for_booking(booking.id, actor=finance)
    with pytest.raises(InvoiceRuleBroken) as caught:
        await issue_invoice(draft.id, actor=finance, today=TODAY)
    assert "OIN" in caught.value.message
    assert (await Invoice.get(id=draft.id)).status is InvoiceStatus.DRAFT


async def test_crediting_one_line_leaves_the_rest_open(finance: User) -> None:
    """Crediting a line used to lock the whole invoice; now the rest stays open; a line is credited once."""
    booking = await delivered_training()
    draft = await create_draft_for_booking(booking.id, actor=finance)
    await InvoiceLine.create(
        invoice=draft,
        position=2,
        description="Reiskosten",
        quantity=1,
        unit_price_cents=4500,
        vat_category="S",
        vat_percent=21,
    )
    invoice = await issue_invoice(draft.id, actor=finance, today=TODAY)
    travel = await InvoiceLine.get(invoice=invoice, position=2)
    credit = await credit_invoice(
        invoice.id, [CreditPart(travel.id)], reason="Geen reiskosten", actor=finance, today=TODAY
    )
    assert credit.number == "2026-0002" and credit.gross_cents == 5445
    assert (
        credit.content["credited_invoice_number"] == "2026-0001"
        and credit.content["note"] == "Geen reiskosten"
    )
    stored = await Invoice.get(id=invoice.id)
    assert stored.status is InvoiceStatus.ISSUED
    assert (await balance_of(stored)).open_cents == stored.gross_cents - 5445
    with pytest.raises(InvoiceRuleBroken, match="al helemaal gecrediteerd"):
        await credit_invoice(
            invoice.id, [CreditPart(travel.id)], reason="Nog eens", actor=finance, today=TODAY
        )


async def test_only_finance_issues(finance: User) -> None:
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    with pytest.raises(Forbidden):
        await issue_invoice(draft.id, actor=await make_user(Role.COORDINATOR), today=TODAY)


@pytest.fixture
def without_numbering_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issues from different processes meet only at the counter's row lock. Without this process's
    line, concurrent issues in one process meet there too: what the database guarantees is tested."""

    @asynccontextmanager
    async def no_line() -> AsyncIterator[None]:
        yield

    monkeypatch.setattr(issuing, "numbering_turn", no_line)


@pytest.mark.usefixtures("without_numbering_line")
async def test_100_concurrent_issues_give_100_consecutive_numbers(finance: User, db_kind: str) -> None:
    organisation = await billed_organisation()
    drafts = [
        await create_draft_for_booking((await delivered_training(organisation)).id, actor=finance)
        for _ in range(100)
    ]
    results = await asyncio.gather(
        *(issue_invoice(d.id, actor=finance, today=TODAY) for d in drafts), return_exceptions=True
    )
    assert all(isinstance(r, Invoice) for r in results), [r for r in results if not isinstance(r, Invoice)][
        :3
    ]
    numbers = sorted(r.number for r in results)  # type: ignore[union-attr]
    assert numbers == [f"2026-{n:04d}" for n in range(1, 101)]
    assert (await InvoiceCounter.get(year=2026)).last_number == 100


async def test_concurrent_issues_in_one_process_are_numbered_in_order_of_arrival(finance: User) -> None:
    organisation = await billed_organisation()
    drafts = [
        await create_draft_for_booking((await delivered_training(organisation)).id, actor=finance)
        for _ in range(30)
    ]
    issued = await asyncio.gather(*(issue_invoice(d.id, actor=finance, today=TODAY) for d in drafts))
    assert [invoice.number for invoice in issued] == [f"2026-{n:04d}" for n in range(1, 31)]


async def test_the_number_format_is_a_setting(finance: User) -> None:
    await SellerSettings.filter(id=1).update(number_format="F{year}/{number:05d}")
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    issued = await issue_invoice(draft.id, actor=finance, today=TODAY)
    assert issued.number == "F2026/00001"
    assert b"<cbc:ID>F2026/00001</cbc:ID>" in bytes((await documents.with_documents(issued)).ubl)
