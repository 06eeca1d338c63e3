"""Issuing many drafts in one go: finance's "Alle concepten uitreiken" and `weerbaar invoices issue-drafts`.

How a batch keeps the numbering gap-free and gets every document its files on both cores:

- **Chunks of `CHUNK_SIZE` drafts, one transaction each.** Per chunk, in one transaction: lock the
  chunk's drafts (`FOR UPDATE`, in id order), check the rules, take consecutive numbers from the
  locked counter row, store number and frozen content on each invoice, write the audit entries,
  commit. The counter is raised in the same transaction that issues the drafts, so if anything
  fails before the commit the whole chunk rolls back: its drafts stay drafts and the counter is
  where it was. Committed chunks keep their numbers, so the issued numbers are always 1..n without
  a hole. A batch that stops can simply be run again.
- **Rendered after each commit, in the process pool.** A committed chunk's PDF and UBL files are
  rendered from the frozen content in `server.pdf.pdf_process_pool` (spawned processes at a lower
  CPU priority that load WeasyPrint, the fonts and the stylesheet once) while the next chunk's
  transaction runs: the counter lock and, on SQLite, the process's one connection are held for
  database work only, and pages stay responsive. A document whose render was lost (the process
  died) is rendered by any process's renderer or on its first download (`invoicing.documents`).
- **Lock order**: drafts first, then the counter, as `issuing.issue_invoice` and `credits.credit_invoice`
  do, so a batch and a single issue never deadlock. A draft issued by hand meanwhile no longer
  matches `status = draft` once its lock is granted and is skipped.
- **Numbers in order**: within a chunk the drafts are numbered in id order (the order they were
  made), and chunks follow each other in id order. All get the issue date of the day the batch
  started.
- A draft that breaks a rule (purchase-order number required but missing, no lines, incomplete
  buyer details) is skipped with the reason, stays a draft and uses no number.
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

from tortoise.transactions import in_transaction

from invoicing import documents
from invoicing.document import DocumentKind
from invoicing.errors import InvoiceRuleBroken
from invoicing.issuing import issued_document, prepare_drafts, store_issued
from invoicing.models import Invoice, InvoiceStatus
from invoicing.numbering import numbering_turn, take_numbers
from invoicing.permissions import require_finance
from invoicing.seller import seller_of, seller_settings
from server import clock
from server.audit import record
from server.errors import DomainError
from server.i18n import _
from server.models import User
from server.pdf import pdf_process_pool

log = logging.getLogger("weerbaar.invoicing.batch")

#: Drafts per transaction: short enough that pages on SQLite hardly wait for it.
CHUNK_SIZE = 25


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
    """What a batch has done so far: numbers issued, documents rendered, drafts skipped (id ->
    reason), how it ended."""

    total: int
    issued: list[str] = field(default_factory=list)
    rendered: int = 0
    skipped: dict[int, str] = field(default_factory=dict)
    finished_at: datetime | None = None
    error: str = ""
    task: asyncio.Task[BatchProgress] | None = None

    @property
    def done(self) -> int:
        """Drafts finished: issued with their files rendered, or skipped."""
        return self.rendered + len(self.skipped)

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
            await _issue_in_chunks(chosen, pool, actor, today or clock.local_today(), progress)
    except Exception as error:
        progress.error = str(getattr(error, "message", "")) or type(error).__name__
        raise
    finally:
        progress.finished_at = clock.now()
    return progress


async def _issue_in_chunks(
    ids: list[int], pool: Executor, actor: User | None, day: date, progress: BatchProgress
) -> None:
    """Chunk after chunk; while the next chunk's transaction runs, the pool renders the last one.

    The renders of committed chunks are awaited also when a later chunk fails, so the invoices a
    batch issued have their files when it returns, whatever stopped it.
    """
    renders: list[asyncio.Future[None]] = []
    try:
        for start in range(0, len(ids), CHUNK_SIZE):
            issued = await _issue_chunk(ids[start : start + CHUNK_SIZE], actor, day, progress)
            if issued:
                renders.append(asyncio.ensure_future(_render(issued, pool, progress)))
    finally:
        outcomes = await asyncio.gather(*renders, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def _render(invoices: list[Invoice], pool: Executor, progress: BatchProgress) -> None:
    await documents.render(invoices, pool)
    progress.rendered += len(invoices)


async def _issue_chunk(
    ids: list[int], actor: User | None, day: date, progress: BatchProgress
) -> list[Invoice]:
    """Issue the chunk's drafts in one transaction; returns the issued invoices (content frozen)."""
    issued: list[Invoice] = []
    skipped: dict[int, str] = {}
    async with numbering_turn(), in_transaction():
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
            for item, number in zip(issuable, numbers, strict=True):
                document = issued_document(item, number, day, settings, seller)
                store_issued(item.invoice, document, actor)
                await item.invoice.save()
                await record(
                    actor,
                    "invoice_issued",
                    item.invoice,
                    f"{document.number}: {document.gross_cents} cent (in één keer uitgereikt)",
                )
                issued.append(item.invoice)
    progress.issued.extend(invoice.number or "" for invoice in issued)
    progress.skipped.update(skipped)
    return issued


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
