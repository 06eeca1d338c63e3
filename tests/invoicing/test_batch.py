"""Issuing many drafts at once: consecutive numbers, both documents stored, skipped drafts, a failing
chunk rolled back without a gap, a single issue running alongside, the finance pages and the CLI."""

from __future__ import annotations

import asyncio
import io
import sys

import httpx
import pytest
from pypdf import PdfReader

from invoicing import batch
from invoicing.drafts import create_draft_for_booking
from invoicing.errors import InvoiceLocked, InvoiceRuleBroken
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceCounter, InvoiceStatus, SellerSettings
from server.errors import Forbidden
from server.models import AuditEntry, Organisation, Role, User
from tests.cli import weerbaar
from tests.factories import make_user, post, sign_in
from tests.invoicing.factories import TODAY, billed_organisation, delivered_training


async def make_drafts(count: int, organisation: Organisation | None = None) -> list[Invoice]:
    organisation = organisation or await billed_organisation()
    return [await create_draft_for_booking((await delivered_training(organisation)).id) for _ in range(count)]


def numbers(count: int, first: int = 1) -> list[str]:
    return [f"2026-{n:04d}" for n in range(first, first + count)]


def text_of(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def test_a_batch_issues_every_draft_in_order_with_its_pdf_and_ubl(finance: User) -> None:
    drafts = await make_drafts(batch.CHUNK_SIZE + 3)  # more than one chunk

    progress = await batch.issue_drafts(actor=finance, today=TODAY, workers=2)

    assert progress.issued == numbers(len(drafts)) and progress.skipped == {} and progress.error == ""
    issued = await Invoice.filter(id__in=[d.id for d in drafts]).order_by("id")
    assert [i.number for i in issued] == numbers(len(drafts))  # in the order the drafts were made
    for invoice in issued:
        assert invoice.status is InvoiceStatus.ISSUED and invoice.issued_by_id == finance.id  # type: ignore[attr-defined]
        pages, text = text_of(bytes(invoice.pdf))
        assert pages == 1
        assert f"Factuur {invoice.number}" in text and "Gemeente Zeist" in text
        reader = PdfReader(io.BytesIO(bytes(invoice.pdf)))
        assert reader.attachments == {f"{invoice.number}.xml": [bytes(invoice.ubl)]}
        assert f"<cbc:ID>{invoice.number}</cbc:ID>".encode() in bytes(invoice.ubl)
        assert invoice.content and invoice.content["number"] == invoice.number
        assert invoice.gross_cents == invoice.content["lines"][0]["quantity"] * 18500 * 121 // 100
    assert (await InvoiceCounter.get(year=2026)).last_number == len(drafts)
    assert await AuditEntry.filter(action="invoice_issued").count() == len(drafts)


async def test_a_draft_that_breaks_a_rule_is_skipped_without_using_a_number(finance: User) -> None:
    strict = await billed_organisation(name="Utrecht", requires_po_number=True)
    first = await make_drafts(2)
    without_po = await create_draft_for_booking((await delivered_training(strict, po_number="")).id)
    last = await make_drafts(2)

    progress = await batch.issue_drafts(actor=finance, today=TODAY, workers=1)

    assert progress.issued == numbers(4)
    assert list(progress.skipped) == [without_po.id]
    assert "inkoopordernummer" in progress.skipped[without_po.id]
    assert (await Invoice.get(id=without_po.id)).status is InvoiceStatus.DRAFT
    assert [(await Invoice.get(id=d.id)).number for d in first + last] == numbers(4)


async def test_a_selection_is_issued_and_the_rest_stays_draft(finance: User) -> None:
    drafts = await make_drafts(3)

    progress = await batch.issue_drafts([drafts[2].id, drafts[0].id], actor=finance, today=TODAY, workers=1)

    assert progress.issued == numbers(2)
    assert [(await Invoice.get(id=d.id)).status for d in drafts] == [
        InvoiceStatus.ISSUED,
        InvoiceStatus.DRAFT,
        InvoiceStatus.ISSUED,
    ]


async def test_refusals_come_before_anything_is_issued(finance: User) -> None:
    with pytest.raises(batch.NothingToIssue):
        await batch.issue_drafts(actor=finance, today=TODAY)
    drafts = await make_drafts(1)
    with pytest.raises(Forbidden):
        await batch.issue_drafts(actor=await make_user(Role.COORDINATOR), today=TODAY)
    await SellerSettings.filter(id=1).update(iban="")
    with pytest.raises(InvoiceRuleBroken, match="IBAN"):
        await batch.issue_drafts(actor=finance, today=TODAY)
    assert (await Invoice.get(id=drafts[0].id)).status is InvoiceStatus.DRAFT
    assert not await InvoiceCounter.exists()


async def test_a_failing_chunk_rolls_back_whole_and_a_rerun_continues_without_a_gap(
    finance: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafts = await make_drafts(batch.CHUNK_SIZE + 4)
    breaking_number = numbers(1, batch.CHUNK_SIZE + 3)[0]  # the third of the second chunk
    record = batch.record

    async def record_or_fail(actor: User | None, action: str, obj: Invoice, summary: str) -> object:
        if summary.startswith(breaking_number):  # two invoices of the chunk are saved by now
            raise ConnectionError("database went away")
        return await record(actor, action, obj, summary)

    monkeypatch.setattr(batch, "record", record_or_fail)
    with pytest.raises(ConnectionError):
        await batch.issue_drafts(actor=finance, today=TODAY, workers=2)

    issued = await Invoice.filter(status=InvoiceStatus.ISSUED).order_by("id")
    assert [i.number for i in issued] == numbers(batch.CHUNK_SIZE)  # the first chunk, whole
    assert all(i.pdf and i.ubl and i.content for i in issued)
    assert (await InvoiceCounter.get(year=2026)).last_number == batch.CHUNK_SIZE
    rest = await Invoice.filter(status=InvoiceStatus.DRAFT)
    assert len(rest) == 4 and all(i.number is None and i.pdf is None and i.ubl is None for i in rest)

    monkeypatch.setattr(batch, "record", record)
    progress = await batch.issue_drafts(actor=finance, today=TODAY, workers=2)
    assert progress.issued == numbers(4, batch.CHUNK_SIZE + 1)
    ids = [d.id for d in drafts]
    stored = await Invoice.filter(id__in=ids).order_by("id").values_list("number", flat=True)
    assert stored == numbers(len(ids))


async def test_single_issues_during_a_batch_never_share_or_skip_a_number(finance: User, db_kind: str) -> None:
    drafts = await make_drafts(2 * batch.CHUNK_SIZE)
    by_hand = drafts[::5]  # some of the batch's own drafts, issued by hand at the same time

    results = await asyncio.gather(
        batch.issue_drafts(actor=finance, today=TODAY, workers=2),
        *(issue_invoice(d.id, actor=finance, today=TODAY) for d in by_hand),
        return_exceptions=True,
    )

    progress, singles = results[0], results[1:]
    assert isinstance(progress, batch.BatchProgress), progress
    assert all(isinstance(r, Invoice | InvoiceLocked) for r in singles), singles
    won_by_hand = [r for r in singles if isinstance(r, Invoice)]
    assert len(progress.issued) + len(won_by_hand) == len(drafts)
    assert set(progress.skipped) == {r.id for r in won_by_hand}
    stored = await Invoice.filter(status=InvoiceStatus.ISSUED).values_list("number", flat=True)
    assert sorted(stored) == numbers(len(drafts))  # each number once, none missing
    assert (await InvoiceCounter.get(year=2026)).last_number == len(drafts)


# ---------- Finance's pages ----------


async def test_finance_confirms_then_issues_all_drafts_from_the_list(
    client: httpx.AsyncClient, finance: User
) -> None:
    drafts = await make_drafts(3)
    await sign_in(client, finance)

    page = await client.get("/financien")
    assert "Alle concepten uitreiken" in page.text
    confirm = await client.get("/financien/concepten/uitreiken")
    assert confirm.status_code == 200
    assert "3 concepten" in confirm.text

    response = await post(client, "/financien/concepten/uitreiken")
    assert response.status_code == 303
    assert response.headers["location"] == "/financien?melding=uitreiken"
    running = batch.started_here()
    assert running is not None and running.task is not None
    await running.task

    assert [(await Invoice.get(id=d.id)).status for d in drafts] == [InvoiceStatus.ISSUED] * 3
    listing = await client.get("/financien")
    assert "3 van 3 concepten uitgereikt" in listing.text
    assert "2026-" in listing.text


async def test_a_double_click_starts_one_batch(finance: User) -> None:
    drafts = await make_drafts(2)
    started = await asyncio.gather(
        batch.start_issuing_drafts(actor=finance),
        batch.start_issuing_drafts(actor=finance),
        return_exceptions=True,
    )
    assert sum(isinstance(outcome, batch.BatchRunning) for outcome in started) == 1
    (progress,) = [outcome for outcome in started if isinstance(outcome, batch.BatchProgress)]
    assert progress.task is not None
    await progress.task
    assert [(await Invoice.get(id=d.id)).status for d in drafts] == [InvoiceStatus.ISSUED] * 2
    assert await InvoiceCounter.filter().values_list("last_number", flat=True) == [2]


async def test_the_confirmation_says_when_there_is_nothing_to_issue(
    client: httpx.AsyncClient, finance: User
) -> None:
    await sign_in(client, finance)
    confirm = await client.get("/financien/concepten/uitreiken")
    assert "Er zijn geen concepten om uit te reiken." in confirm.text
    assert 'action="/financien/concepten/uitreiken"' not in confirm.text
    response = await post(client, "/financien/concepten/uitreiken")
    assert response.status_code == 400
    assert "Er zijn geen concepten om uit te reiken." in response.text


async def test_only_finance_issues_in_one_go(client: httpx.AsyncClient, finance: User) -> None:
    await make_drafts(1)
    await sign_in(client, await make_user(Role.COORDINATOR))
    assert (await client.get("/financien/concepten/uitreiken")).status_code == 403
    assert (await post(client, "/financien/concepten/uitreiken")).status_code == 403
    assert await Invoice.filter(status=InvoiceStatus.DRAFT).count() == 1


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX only")
async def test_the_cli_issues_the_drafts(fresh_url: str) -> None:
    assert weerbaar(fresh_url, "migrate").returncode == 0
    demo = weerbaar(fresh_url, "demo", "--no-links")
    assert demo.returncode == 0, demo.stderr

    result = weerbaar(fresh_url, "invoices", "issue-drafts")
    assert result.returncode == 0, result.stderr
    assert "1 van 1 concepten uitgereikt" in result.stdout

    again = weerbaar(fresh_url, "invoices", "issue-drafts")
    assert again.returncode == 1
    assert "Er zijn geen concepten om uit te reiken." in again.stderr


async def test_a_draft_issued_by_hand_between_two_chunks_takes_the_next_number(
    finance: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafts = await make_drafts(batch.CHUNK_SIZE + 2)
    by_hand = await make_drafts(1)
    issue_chunk = batch._issue_chunk
    calls = 0

    async def issue_one_by_hand_first(ids, actor, day, progress, *rest):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:  # the first chunk is committed (and rendering), the second not yet issued
            await issue_invoice(by_hand[0].id, actor=finance, today=TODAY)
        return await issue_chunk(ids, actor, day, progress, *rest)

    monkeypatch.setattr(batch, "_issue_chunk", issue_one_by_hand_first)
    progress = await batch.issue_drafts([d.id for d in drafts], actor=finance, today=TODAY, workers=1)

    expected = numbers(batch.CHUNK_SIZE) + numbers(2, batch.CHUNK_SIZE + 2)
    assert progress.issued == expected and progress.rendered == len(drafts)
    assert (await Invoice.get(id=by_hand[0].id)).number == numbers(1, batch.CHUNK_SIZE + 1)[0]
    for draft, number in zip(drafts, expected, strict=True):
        invoice = await Invoice.get(id=draft.id)
        assert invoice.number == number
        assert f"Factuur {number}" in text_of(bytes(invoice.pdf))[1]
        assert f"<cbc:ID>{number}</cbc:ID>".encode() in bytes(invoice.ubl)
