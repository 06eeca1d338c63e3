"""Every filter of the finance list, alone and combined, answers on both databases and finds the
right invoices."""

from __future__ import annotations

import itertools
from datetime import date

import httpx
import pytest

from invoicing.document import DocumentKind
from invoicing.models import Invoice, InvoiceStatus
from server.models import Organisation, User
from tests.factories import make_organisation, make_province, sign_in

FILTERS: dict[str, dict[str, str]] = {
    "nothing": {},
    **{
        f"status {status}": {"status": status}
        for status in ("draft", "issued", "sent", "paid", "overdue", "credited")
    },
    "year": {"jaar": "2025"},
    "organisation by code": {"organisatie": "gm0339"},
    "organisation by a long name": {"organisatie": "Utrechtse Heuvelrug"},
    "province": {"provincie": "PV0026"},
    "second page": {"pagina": "2"},
    "all together": {
        "status": "issued",
        "jaar": "2025",
        "organisatie": "Utrechtse Heuvelrug",
        "provincie": "PV0026",
        "pagina": "1",
    },
    "year and status": {"jaar": "2026", "status": "overdue"},
    "year and organisation": {"jaar": "2025", "organisatie": "gm0339"},
    "unknown values": {"status": "weg", "jaar": "twintig", "provincie": "XXXXXXXXXX", "pagina": "x"},
}


#: One value per filter of the list; every combination of them is asked for below.
ONE_OF_EACH = {
    "status": "overdue",
    "jaar": "2025",
    "organisatie": "Utrechtse Heuvelrug",
    "provincie": "PV0026",
    "pagina": "1",
}
COMBINATIONS = [
    dict(combination)
    for size in range(2, len(ONE_OF_EACH) + 1)
    for combination in itertools.combinations(ONE_OF_EACH.items(), size)
]


async def _invoice(organisation: Organisation, issue_date: date | None, **overrides: object) -> Invoice:
    issued = issue_date is not None
    values: dict[str, object] = {
        "organisation": organisation,
        "kind": DocumentKind.INVOICE,
        "status": InvoiceStatus.ISSUED if issued else InvoiceStatus.DRAFT,
        "number": f"{issue_date:%Y}-{issue_date:%m%d}" if issue_date else None,
        "issue_date": issue_date,
        "due_date": issue_date,
        "net_cents": 1000,
        "vat_cents": 210,
        "gross_cents": 1210,
    }
    values.update(overrides)
    return await Invoice.create(**values)


@pytest.mark.parametrize("params", FILTERS.values(), ids=FILTERS.keys())
async def test_each_filter_answers(client: httpx.AsyncClient, finance: User, params: dict[str, str]) -> None:
    await sign_in(client, finance)
    province = await make_province(cbs_code="PV0026", name="Utrecht")
    heuvelrug = await make_organisation(cbs_code="GM0339", name="Utrechtse Heuvelrug", province=province)
    delft = await make_organisation(cbs_code="GM0503", name="Delft")
    await _invoice(heuvelrug, date(2025, 3, 1))
    await _invoice(delft, date(2026, 1, 10))
    await _invoice(heuvelrug, None)

    response = await client.get("/financien", params=params)

    assert response.status_code == 200


@pytest.mark.parametrize("params", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS])
@pytest.mark.parametrize("status", ["draft", "paid", "credited"])
async def test_every_combination_of_filters_answers(
    client: httpx.AsyncClient, finance: User, params: dict[str, str], status: str
) -> None:
    """Also with a free-standing invoice (no booking) and a year filter on SQLite (issue 22)."""
    await sign_in(client, finance)
    province = await make_province(cbs_code="PV0026", name="Utrecht")
    heuvelrug = await make_organisation(cbs_code="GM0339", name="Utrechtse Heuvelrug", province=province)
    await _invoice(heuvelrug, date(2025, 3, 1), status=status)
    await _invoice(heuvelrug, None)

    response = await client.get("/financien", params=params)

    assert response.status_code == 200
    assert "<h1>Facturen</h1>" in response.text


async def test_the_year_holds_its_invoices_and_the_drafts(client: httpx.AsyncClient, finance: User) -> None:
    await sign_in(client, finance)
    zeist = await make_organisation(cbs_code="GM0355", name="Zeist")
    first = await _invoice(zeist, date(2025, 1, 1), number="2025-0001")
    last = await _invoice(zeist, date(2025, 12, 31), number="2025-0002")
    before = await _invoice(zeist, date(2024, 12, 31), number="2024-0009")
    after = await _invoice(zeist, date(2026, 1, 1), number="2026-0001")
    draft = await _invoice(zeist, None)

    response = await client.get("/financien", params={"jaar": "2025"})

    assert response.status_code == 200
    # The rows by their links: the page may also name numbers elsewhere (the last batch's range).
    shown = {
        invoice.id for invoice in (first, last, before, after, draft) if _row_link(invoice) in response.text
    }
    assert shown == {first.id, last.id, draft.id}


def _row_link(invoice: Invoice) -> str:
    return f'/financien/facturen/{invoice.id}"'


async def test_a_long_organisation_name_finds_its_invoices(client: httpx.AsyncClient, finance: User) -> None:
    await sign_in(client, finance)
    heuvelrug = await make_organisation(cbs_code="GM0339", name="Utrechtse Heuvelrug")
    delft = await make_organisation(cbs_code="GM0503", name="Delft")
    await _invoice(heuvelrug, date(2025, 3, 1), number="2025-0001")
    await _invoice(delft, date(2025, 3, 2), number="2025-0002")

    response = await client.get("/financien", params={"organisatie": "utrechtse heuvelrug"})

    assert response.status_code == 200
    assert "2025-0001" in response.text and "2025-0002" not in response.text
