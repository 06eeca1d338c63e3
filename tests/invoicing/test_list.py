"""Finance's invoice list pages through the invoices newest first, with the totals of the filter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from invoicing import queries
from invoicing.document import DocumentKind
from invoicing.models import Invoice, InvoiceStatus
from server.models import Organisation
from tests.factories import make_organisation

TODAY = date(2027, 3, 1)


async def test_the_pages_together_are_every_invoice_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    province = await Organisation.create(kind="province", cbs_code="PV28", name="Utrecht")
    zeist = await make_organisation(name="Zeist", province=province)
    delft = await make_organisation(name="Delft")
    made = []
    for number in range(7):
        issued = number != 3  # one draft, which has no issue date yet
        invoice = await Invoice.create(
            organisation=zeist if number % 2 else delft,
            kind=DocumentKind.CREDIT_NOTE if number == 5 else DocumentKind.INVOICE,
            status=InvoiceStatus.ISSUED if issued else InvoiceStatus.DRAFT,
            number=f"2027-{number:04d}" if issued else None,
            issue_date=TODAY - timedelta(days=number % 3) if issued else None,
            net_cents=1000 * (number + 1),
            vat_cents=210 * (number + 1),
            gross_cents=1210 * (number + 1),
        )
        made.append(invoice)

    async def all_pages(filters: queries.InvoiceFilters) -> list[int]:
        ids: list[int] = []
        page, has_next = 1, True
        while has_next:
            listing = await queries.invoice_list(filters, page, TODAY)
            has_next = listing.has_next
            assert len(listing.invoices) == 2 or not has_next
            ids += [row["id"] for row in listing.invoices]
            page += 1
        return ids

    expected = await Invoice.all().order_by("-issue_date", "-id").values_list("id", flat=True)
    assert await all_pages(queries.InvoiceFilters()) == expected
    in_utrecht = await all_pages(queries.InvoiceFilters(province="PV28"))
    assert in_utrecht == [invoice_id for invoice_id in expected if invoice_id in {i.id for i in made[1::2]}]

    listing = await queries.invoice_list(queries.InvoiceFilters(), 1, TODAY)
    first = listing.invoices[0]
    assert set(first) >= {"number", "organisation_name", "booking_reference", "gross_cents", "is_draft"}
    drafts = [
        row
        for page in (1, 2, 3, 4)
        for row in (await queries.invoice_list(queries.InvoiceFilters(), page, TODAY)).invoices
        if row["is_draft"]
    ]
    assert [row["id"] for row in drafts] == [made[3].id]
    # The totals cover every invoice of the filter, credit notes counted negative.
    assert listing.gross_cents == sum(i.gross_cents for i in made) - 2 * made[5].gross_cents
