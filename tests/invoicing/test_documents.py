"""The files of an issued document: rendered after the commit by the renderer, or on the spot when
someone needs them first; stored once, never replaced."""

from __future__ import annotations

import asyncio
import io

import pytest
from pypdf import PdfReader

from invoicing import documents
from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import document_json, issue_invoice
from invoicing.models import Invoice
from server import clock
from server.models import User
from tests.invoicing.factories import TODAY, delivered_training


async def issued(finance: User) -> Invoice:
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    return await issue_invoice(draft.id, actor=finance, today=TODAY)


def pdf_text(content: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())


async def test_the_frozen_content_gives_back_the_issued_document(finance: User) -> None:
    invoice = await issued(finance)
    document = documents.document_from_content(invoice.content)
    assert document_json(document) == invoice.content
    assert document.gross_cents == invoice.gross_cents


async def test_the_renderer_renders_what_this_process_issued_at_once(finance: User) -> None:
    documents._woken.clear()
    invoice = await issued(finance)
    assert (await Invoice.get(id=invoice.id)).pdf is None

    assert await documents.render_pending() == 1

    stored = await Invoice.get(id=invoice.id)
    assert f"Factuur {invoice.number}" in pdf_text(bytes(stored.pdf))
    assert f"<cbc:ID>{invoice.number}</cbc:ID>".encode() in bytes(stored.ubl)
    assert await documents.render_pending() == 0


async def test_documents_of_another_process_are_rendered_once_they_are_stale(finance: User) -> None:
    invoice = await issued(finance)
    documents._woken.clear()  # issued by a process that died before rendering
    assert await documents.render_pending() == 0

    await Invoice.filter(id=invoice.id).update(issued_at=clock.now() - documents.STALE_AFTER)
    assert await documents.render_pending() == 1
    assert (await Invoice.get(id=invoice.id)).pdf is not None


async def test_a_download_before_the_renderer_renders_and_stores_once(finance: User) -> None:
    invoice = await issued(finance)
    first = await documents.with_documents(await Invoice.get(id=invoice.id))
    again = await documents.with_documents(await Invoice.get(id=invoice.id))
    assert first.pdf is not None and bytes(again.pdf) == bytes(first.pdf)

    assert await documents.render(await Invoice.filter(id=invoice.id)) == 0  # nothing replaced
    assert bytes((await Invoice.get(id=invoice.id)).pdf) == bytes(first.pdf)


async def test_the_renderer_loop_renders_when_woken_and_stops(finance: User) -> None:
    stop = asyncio.Event()
    loop = asyncio.create_task(documents.run_renderer(stop, idle_seconds=30))
    try:
        invoice = await issued(finance)  # wakes the renderer
        async with asyncio.timeout(120):  # a hang guard: a loaded machine is slow, not wrong
            while (await Invoice.get(id=invoice.id)).pdf is None:
                await asyncio.sleep(0.05)
        assert (await Invoice.get(id=invoice.id)).pdf is not None
    finally:
        stop.set()
        await asyncio.wait_for(loop, timeout=30)


async def test_a_backlog_is_rendered_on_every_core(finance: User) -> None:
    documents._woken.clear()
    backlog = [await issued(finance) for _ in range(documents.POOL_FROM)]

    assert await documents.render_pending() == documents.POOL_FROM  # through the process pool

    for invoice in await Invoice.filter(id__in=[i.id for i in backlog]):
        assert f"Factuur {invoice.number}" in pdf_text(bytes(invoice.pdf))


async def test_a_failed_round_is_tried_again_soon(finance: User, monkeypatch: pytest.MonkeyPatch) -> None:
    render = documents.render
    failures = 0

    async def database_gone_once(invoices, pool=None):  # type: ignore[no-untyped-def]
        nonlocal failures
        if not failures:
            failures += 1
            raise ConnectionError("database went away")
        return await render(invoices, pool)

    monkeypatch.setattr(documents, "render", database_gone_once)
    monkeypatch.setattr(documents, "RETRY_SECONDS", 0.05)
    stop = asyncio.Event()
    loop = asyncio.create_task(documents.run_renderer(stop, idle_seconds=30))
    try:
        invoice = await issued(finance)
        async with asyncio.timeout(120):  # a hang guard: a loaded machine is slow, not wrong
            while (await Invoice.get(id=invoice.id)).pdf is None:
                await asyncio.sleep(0.05)
        assert failures == 1 and (await Invoice.get(id=invoice.id)).pdf is not None
    finally:
        stop.set()
        await asyncio.wait_for(loop, timeout=30)


async def test_two_renders_at_once_end_with_the_files_stored_first(finance: User) -> None:
    invoice = await issued(finance)
    first, second = await Invoice.get(id=invoice.id), await Invoice.get(id=invoice.id)
    await documents.with_documents(first)

    late = await documents.with_documents(second)  # rendered again, but not stored

    assert bytes(late.pdf) == bytes(first.pdf) == bytes((await Invoice.get(id=invoice.id)).pdf)
