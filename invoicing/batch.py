"""Issuing many drafts in one go: finance's "Alle concepten uitreiken" and `weerbaar invoices issue-drafts`.

How a batch keeps the numbering gap-free and never leaves an invoice half issued:

- **Chunks of `CHUNK_SIZE` drafts, one transaction each.** Per chunk, in one transaction: lock the
  chunk's drafts (`FOR UPDATE`, in id order), check the rules, take consecutive numbers from the
  locked counter row, store number, frozen content, UBL file and PDF on each invoice, write the
  audit entries, commit. The counter is raised in the same transaction that stores the documents,
  so if anything fails before the commit (a render error, the process dying, the database going
  away, the task being cancelled) the whole chunk rolls back: its drafts stay drafts and the
  counter is where it was. Committed chunks keep their numbers, so the issued numbers are always
  1..n without a hole, and an invoice never exists issued without its PDF and UBL. A batch that
  stops can simply be run again.
- **Rendered ahead, outside the transaction.** Before that transaction, without any lock, the
  chunk's documents are built with the numbers they will most likely get (the counter's value
  onward) and rendered in the pool. The transaction builds the documents again from the locked
  rows and uses a file rendered ahead only for exactly the same document, number included; a
  document that differs (someone issued or edited a draft meanwhile) is rendered again inside
  the transaction. So the counter lock, and on SQLite the process's one connection, are held for
  the database work of a chunk, not for its renders: single issues and pages do not wait for them.
  While one chunk's transaction runs, the pool already renders the next chunk (numbered on from
  the first chunk's prediction), so the cores do not wait for the database either.
- **Why chunks**, not one transaction for the batch: a failure loses only the chunk in progress,
  and the progress shows. Not one transaction per invoice either: the pool needs several
  documents at a time to keep every core busy.
- **Lock order**: drafts first, then the counter, as `service.issue_invoice` and `credit_invoice`
  do, so a batch and a single issue never deadlock. A draft issued by hand meanwhile no longer
  matches `status = draft` once its lock is granted and is skipped.
- **Numbers in order**: within a chunk the drafts are numbered in id order (the order they were
  made), and chunks follow each other in id order. All get the issue date of the day the batch
  started.
- A draft that breaks a rule (purchase-order number required but missing, no lines, incomplete
  buyer details) is skipped with the reason, stays a draft and uses no number.
- **Both cores, responsive pages**: the renders run in `server.pdf.pdf_process_pool` (spawned
  processes at a lower CPU priority that load WeasyPrint, the fonts and the stylesheet once); the
  event loop only does the database work.
- **From the web**, `start_issuing_drafts` checks what it can, then runs the batch as a task of the
  app process and returns at once; the invoice list shows its progress (kept per process: with
  several app processes, the one that started it shows it). A restart stops it between chunks.

Errors: NothingToIssue (400), BatchRunning (409), InvoiceRuleBroken (400: the team's details are
incomplete), Forbidden.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date, datetime

from tortoise import timezone
from tortoise.transactions import in_transaction

from invoicing import pdf
from invoicing.document import DocumentKind, InvoiceDocument
from invoicing.models import Invoice, InvoiceCounter, InvoiceStatus
from invoicing.service import (
    InvoiceRuleBroken,
    format_number,
    issued_document,
    prepare_drafts,
    require_finance,
    seller_of,
    seller_settings,
    store_issued,
    take_numbers,
)
from server.audit import record
from server.errors import DomainError
from server.i18n import _
from server.models import User
from server.pdf import pdf_process_pool
from server.templating import local_time

log = logging.getLogger("weerbaar.invoicing.batch")

#: Drafts per transaction: a short transaction (on SQLite pages wait for it), while the pool renders
#: the next chunk meanwhile.
CHUNK_SIZE = 8


class NothingToIssue(DomainError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__(_("Er zijn geen concepten om uit te reiken."))


class BatchRunning(DomainError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(_("Er worden al concepten uitgereikt; wacht tot dat klaar is."))


@dataclass
class BatchProgress:
    """What a batch has done so far: numbers issued, drafts skipped (id -> reason), how it ended."""

    total: int
    issued: list[str] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    finished_at: datetime | None = None
    error: str = ""
    task: asyncio.Task[BatchProgress] | None = None

    @property
    def done(self) -> int:
        return len(self.issued) + len(self.skipped)

    @property
    def is_running(self) -> bool:
        return self.finished_at is None


_current: BatchProgress | None = None


def current_batch() -> BatchProgress | None:
    """The batch this process runs or ran last (started from the web), if any."""
    return _current


async def draft_ids() -> list[int]:
    """Every draft invoice, oldest first."""
    return await (
        Invoice.filter(kind=DocumentKind.INVOICE, status=InvoiceStatus.DRAFT)
        .order_by("id")
        .values_list("id", flat=True)
    )  # type: ignore[return-value]


async def issue_drafts(
    ids: Sequence[int] | None = None,
    *,
    actor: User | None,
    today: date | None = None,
    workers: int | None = None,
    progress: BatchProgress | None = None,
) -> BatchProgress:
    """Issue the drafts `ids` (default: all), chunk by chunk, rendering on every core.

    Refuses (Forbidden, NothingToIssue, InvoiceRuleBroken for the team's details) before it starts;
    drafts that break a rule are skipped and listed in the result. An error while issuing stops the
    batch after rolling back the chunk in progress, and is raised.
    """
    require_finance(actor)
    chosen = sorted(set(ids)) if ids is not None else await draft_ids()
    if not chosen:
        raise NothingToIssue()
    seller_of(await seller_settings())
    progress = progress or BatchProgress(total=len(chosen))
    try:
        with pdf_process_pool(workers) as pool:
            await _issue_in_chunks(chosen, pool, actor, today or local_time(timezone.now()).date(), progress)
    except Exception as error:
        progress.error = str(getattr(error, "message", "")) or type(error).__name__
        raise
    finally:
        progress.finished_at = timezone.now()
    return progress


async def _issue_in_chunks(
    ids: list[int], pool: Executor, actor: User | None, day: date, progress: BatchProgress
) -> None:
    """Chunk after chunk; while one chunk's transaction runs, the pool renders the next one ahead."""
    chunks = [ids[start : start + CHUNK_SIZE] for start in range(0, len(ids), CHUNK_SIZE)]
    counter = await InvoiceCounter.get_or_none(year=day.year)
    next_number = (counter.last_number if counter else 0) + 1
    likely = await _likely_documents(chunks[0], day, next_number)
    rendering = asyncio.ensure_future(_render(pool, likely))
    try:
        for index, chunk in enumerate(chunks):
            rendered = await rendering
            if index + 1 < len(chunks):
                next_number += len(likely)
                likely = await _likely_documents(chunks[index + 1], day, next_number)
                rendering = asyncio.ensure_future(_render(pool, likely))
            await _issue_chunk(chunk, rendered, pool, actor, day, progress)
    finally:
        rendering.cancel()


async def _issue_chunk(
    ids: list[int],
    rendered: dict[InvoiceDocument, tuple[bytes, bytes]],
    pool: Executor,
    actor: User | None,
    day: date,
    progress: BatchProgress,
) -> None:
    documents: list[InvoiceDocument] = []
    skipped: dict[int, str] = {}
    async with in_transaction():
        drafts = (
            await Invoice.select_for_update()
            .filter(id__in=ids, kind=DocumentKind.INVOICE, status=InvoiceStatus.DRAFT)
            .order_by("id")
        )
        found = {draft.id for draft in drafts}
        skipped.update({i: _("Geen concept (meer).") for i in ids if i not in found})
        issuable = []
        for draft, prepared in zip(drafts, await prepare_drafts(drafts), strict=True):
            if isinstance(prepared, InvoiceRuleBroken):
                skipped[draft.id] = prepared.message
            else:
                issuable.append(prepared)
        if issuable:
            settings = await seller_settings()
            seller = seller_of(settings)
            numbers = await take_numbers(day.year, settings.number_format, len(issuable))
            documents = [
                issued_document(item, number, day, settings, seller)
                for item, number in zip(issuable, numbers, strict=True)
            ]
            changed = [document for document in documents if document not in rendered]
            if changed:  # someone issued or edited meanwhile: other numbers or content
                rendered.update(await _render(pool, changed))
            for item, document in zip(issuable, documents, strict=True):
                ubl_file, pdf_file = rendered[document]
                store_issued(item.invoice, document, ubl_file, pdf_file, actor)
                await item.invoice.save()
                await record(
                    actor,
                    "invoice_issued",
                    item.invoice,
                    f"{document.number}: {document.gross_cents} cent (in één keer uitgereikt)",
                )
    progress.issued.extend(document.number for document in documents)
    progress.skipped.update(skipped)


async def _likely_documents(ids: list[int], day: date, first_number: int) -> list[InvoiceDocument]:
    """The chunk's documents with the numbers they will most likely get (from `first_number` on),
    read without any lock.

    Rendering these before the issuing transaction keeps that transaction (and the counter lock) to
    the database work; the transaction builds the documents again from the locked rows and only
    uses a file rendered ahead for exactly the same document, number included.
    """
    drafts = await Invoice.filter(id__in=ids, kind=DocumentKind.INVOICE, status=InvoiceStatus.DRAFT).order_by(
        "id"
    )
    issuable = [p for p in await prepare_drafts(drafts) if not isinstance(p, InvoiceRuleBroken)]
    settings = await seller_settings()
    seller = seller_of(settings)
    return [
        issued_document(item, format_number(settings.number_format, day.year, number), day, settings, seller)
        for number, item in enumerate(issuable, start=first_number)
    ]


async def _render(
    pool: Executor, documents: list[InvoiceDocument]
) -> dict[InvoiceDocument, tuple[bytes, bytes]]:
    """The UBL file and PDF of each document, rendered in the pool (all of them at once)."""
    loop = asyncio.get_running_loop()
    files = await asyncio.gather(
        *(loop.run_in_executor(pool, pdf.render_documents, document) for document in documents)
    )
    return dict(zip(documents, files, strict=True))


async def start_issuing_drafts(*, actor: User) -> BatchProgress:
    """Check, then issue every draft in a task of this process; returns its progress at once.

    Raises Forbidden, BatchRunning (this process runs one already), NothingToIssue and
    InvoiceRuleBroken (the team's details are incomplete).
    """
    global _current
    require_finance(actor)
    ids = await draft_ids()
    if not ids:
        raise NothingToIssue()
    seller_of(await seller_settings())
    # No await from this check to claiming `_current`: a second request (a double click) cannot
    # slip in between and start a second batch.
    if _current is not None and _current.is_running:
        raise BatchRunning()
    progress = BatchProgress(total=len(ids))
    progress.task = asyncio.create_task(_issue_in_background(ids, actor, progress))
    _current = progress
    return progress


async def _issue_in_background(ids: list[int], actor: User, progress: BatchProgress) -> BatchProgress:
    try:
        await issue_drafts(ids, actor=actor, progress=progress)
    except Exception:
        log.exception("issuing %d drafts stopped after %d", len(ids), progress.done)
    return progress
