"""Migration 0002 gives invoices paid or credited before balances existed the state balances expect:
a paid invoice one payment of what was open, an invoice locked by the credit of some lines open again."""

from __future__ import annotations

import importlib

from tortoise import Tortoise

from invoicing.balances import balance_of
from invoicing.credits import CreditPart, credit_invoice
from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceLine, InvoiceStatus, Payment
from server.models import User
from tests.invoicing.factories import TODAY, billed_organisation, delivered_training

MIGRATION = importlib.import_module("invoicing.migrations.0005_payments_and_reinvoicing").Migration


async def issued(finance: User, code: str) -> Invoice:
    organisation = await billed_organisation(name=f"Gemeente {code}", cbs_code=code)
    draft = await create_draft_for_booking((await delivered_training(organisation)).id, actor=finance)
    return await issue_invoice(draft.id, actor=finance, today=TODAY)


async def test_the_data_step_of_0002(finance: User) -> None:
    paid = await issued(finance, "GM0001")
    await Invoice.filter(id=paid.id).update(status=InvoiceStatus.PAID, paid_on=TODAY)
    partly_credited = await issued(finance, "GM0002")
    line = await InvoiceLine.get(invoice_id=partly_credited.id)
    await credit_invoice(
        partly_credited.id, [CreditPart(line.id, quantity=2)], reason="x", actor=finance, today=TODAY
    )
    await Invoice.filter(id=partly_credited.id).update(
        status=InvoiceStatus.CREDITED
    )  # as the old code left it
    open_one = await issued(finance, "GM0003")

    [data_step] = [op for op in MIGRATION.operations if type(op).__name__ == "RunSQL"]
    connection = Tortoise.get_connection("default")
    for statement in data_step.sql:
        await connection.execute_script(statement)

    [payment] = await Payment.filter(invoice_id=paid.id)
    assert (payment.amount_cents, payment.paid_on) == (paid.gross_cents, TODAY)
    assert (await balance_of(await Invoice.get(id=paid.id))).open_cents == 0
    reopened = await Invoice.get(id=partly_credited.id)
    assert reopened.status is InvoiceStatus.ISSUED
    assert (await balance_of(reopened)).open_cents == reopened.gross_cents - 447_70
    assert (await Invoice.get(id=open_one.id)).status is InvoiceStatus.ISSUED
    assert await Payment.filter(invoice_id=open_one.id).count() == 0
