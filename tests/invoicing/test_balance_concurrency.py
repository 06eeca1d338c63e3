"""Payments and credit notes at once on one invoice never take its open amount below zero (PostgreSQL:
SQLite in one process runs one transaction at a time, so only PostgreSQL shows a race)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from invoicing import credits, payments
from invoicing.balances import balance_of
from invoicing.credits import CreditPart, credit_invoice
from invoicing.drafts import create_draft_for_booking
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus, Payment
from server.models import User
from tests.invoicing.factories import TODAY, delivered_training

GROSS = 2686_20
ATTEMPTS = 20


@pytest.fixture(autouse=True)
def postgres_only(db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("a race needs concurrent transactions: PostgreSQL")


@pytest.fixture
def without_numbering_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credit notes of one process wait in line before taking a number; without that line they meet
    only at the invoice's row lock, which is what other processes rely on."""

    @asynccontextmanager
    async def no_line() -> AsyncIterator[None]:
        yield

    monkeypatch.setattr(credits, "numbering_turn", no_line)


async def issued(finance: User) -> Invoice:
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    return await issue_invoice(draft.id, actor=finance, today=TODAY)


async def test_payments_at_once_never_pay_more_than_is_open(finance: User) -> None:
    invoice = await issued(finance)
    amount = 1000_00  # two fit in the open amount, a third does not
    results = await asyncio.gather(
        *(
            payments.record_payment(invoice.id, amount, TODAY, f"Bank {n}", actor=finance, today=TODAY)
            for n in range(ATTEMPTS)
        ),
        return_exceptions=True,
    )
    accepted = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, InvoiceRuleBroken)]
    assert (len(accepted), len(refused)) == (2, ATTEMPTS - 2), [
        r for r in results if isinstance(r, Exception)
    ][:3]
    stored = await Invoice.get(id=invoice.id)
    assert (await balance_of(stored)).open_cents == GROSS - 2 * amount
    assert await Payment.filter(invoice_id=invoice.id).count() == 2


async def test_paying_the_rest_at_once_pays_it_once(finance: User) -> None:
    invoice = await issued(finance)
    results = await asyncio.gather(
        *(
            payments.record_payment(invoice.id, None, TODAY, "Alles", actor=finance, today=TODAY)
            for _ in range(ATTEMPTS)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Payment) for r in results) == 1
    assert sum(isinstance(r, InvoiceLocked) for r in results) == ATTEMPTS - 1
    stored = await Invoice.get(id=invoice.id)
    assert stored.status is InvoiceStatus.PAID and (await balance_of(stored)).paid_cents == GROSS


@pytest.mark.usefixtures("without_numbering_line")
async def test_credits_at_once_never_credit_more_than_is_open(finance: User) -> None:
    invoice = await issued(finance)
    line = await InvoiceLine.get(invoice_id=invoice.id)
    # 5 of the 12 participants each: two credits fit, a third does not
    results = await asyncio.gather(
        *(
            credit_invoice(
                invoice.id,
                [CreditPart(line.id, quantity=5)],
                reason="Afmeldingen",
                actor=finance,
                today=TODAY,
            )
            for _ in range(ATTEMPTS)
        ),
        return_exceptions=True,
    )
    made = [r for r in results if isinstance(r, Invoice)]
    assert len(made) == 2, [r for r in results if isinstance(r, Exception)][:3]
    assert all(isinstance(r, InvoiceRuleBroken) for r in results if not isinstance(r, Invoice))
    stored = await Invoice.get(id=invoice.id)
    balance = await balance_of(stored)
    assert balance.credited_cents == 2 * 1119_25 and balance.open_cents == GROSS - 2 * 1119_25
    assert sorted(note.number for note in made) == ["2026-0002", "2026-0003"]  # type: ignore[type-var]


@pytest.mark.usefixtures("without_numbering_line")
async def test_a_credit_and_payments_at_once_stay_within_the_open_amount(finance: User) -> None:
    invoice = await issued(finance)
    line = await InvoiceLine.get(invoice_id=invoice.id)
    credit = credit_invoice(
        invoice.id, [CreditPart(line.id, quantity=6)], reason="Half", actor=finance, today=TODAY
    )
    paid = [
        payments.record_payment(invoice.id, 700_00, TODAY, f"Bank {n}", actor=finance, today=TODAY)
        for n in range(ATTEMPTS)
    ]
    await asyncio.gather(credit, *paid, return_exceptions=True)
    balance = await balance_of(await Invoice.get(id=invoice.id))
    assert balance.gross_cents - balance.credited_cents - balance.paid_cents >= 0
