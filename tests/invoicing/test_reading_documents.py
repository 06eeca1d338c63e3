"""The invoice pages read the stored PDF, UBL and frozen content only to download them."""

from __future__ import annotations

import re

import httpx

from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice
from server.models import Organisation, Role
from tests.factories import make_user, sign_in
from tests.invoicing.factories import TODAY, delivered_training
from tests.query_counter import count_queries

DOCUMENT_COLUMN = re.compile(r'"(pdf|ubl|content)"')


async def _statements(client: httpx.AsyncClient, url: str) -> list[str]:
    async with count_queries() as counter:
        response = await client.get(url, follow_redirects=True)
    assert response.status_code == 200, url
    return counter.statements


async def test_pages_leave_the_stored_documents_and_downloads_read_them(
    client: httpx.AsyncClient, finance
) -> None:  # type: ignore[no-untyped-def]
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    invoice = await issue_invoice(draft.id, actor=finance, today=TODAY)
    await sign_in(client, finance)
    for url in ("/financien", f"/financien/facturen/{invoice.id}"):
        statements = await _statements(client, url)
        assert any('"invoice"' in sql for sql in statements), url
        assert not [sql for sql in statements if DOCUMENT_COLUMN.search(sql)], url

    download = await _statements(client, f"/financien/facturen/{invoice.id}/factuur.pdf")
    assert [sql for sql in download if DOCUMENT_COLUMN.search(sql)]

    clerk = await make_user(Role.CLERK, organisation=await Organisation.get(id=invoice.organisation_id))
    await sign_in(client, clerk)
    for url in ("/organisatie/facturen", f"/financien/facturen/{invoice.id}"):
        statements = await _statements(client, url)
        assert not [sql for sql in statements if DOCUMENT_COLUMN.search(sql)], url
    page = await client.get(f"/financien/facturen/{invoice.id}")
    assert invoice.number and invoice.number in page.text
    stored = await Invoice.get(id=invoice.id)
    assert (await client.get(f"/financien/facturen/{invoice.id}/factuur.pdf")).content == bytes(stored.pdf)
