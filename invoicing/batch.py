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
- **Numbers in order**: within a chunk the drafts are numbered in id order (the order they were made),
  and chunks follow each other in id order. All get the issue date of the day the batch started.
- A draft that breaks a rule (purchase-order number required but missing, no lines, incomplete
  buyer details) is skipped with the reason, stays a draft and uses no number.
- **One batch in the whole cluster, its progress in the database** (`InvoiceBatch`). Starting
  one inserts a row whose unique `running` marker refuses a second batch from any host
  (BatchRunning). Each chunk's transaction locks that row, checks this process still holds the
  batch's lease and writes the chunk's numbers and skipped drafts on it: the row always says
  exactly which drafts are done, and every host's invoice list shows the same progress.
- **A host that dies mid-batch** stops renewing the lease (every third of `lease` while it runs);
  once the lease ran out (by `server.clock`), the periodic job `resume_stalled_batch` of any host
  takes it over: it renders the files of the chunks already issued and issues the remaining
  drafts, with the batch's issue date, so the numbers stay gap-free. A process that lost its lease
  (it was stalled that long) finds out in its next chunk's transaction and stops (LeaseLost).
- **From the web**, `start_issuing_drafts` checks, claims the batch and runs it as a task of this process.

Errors: NothingToIssue (400), BatchRunning (409: a batch runs somewhere in the cluster), InvoiceRuleBroken
(400: the team's details are incomplete), Forbidden.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from invoicing import documents
from invoicing.document import DocumentKind
from invoicing.errors import InvoiceRuleBroken
from invoicing.events import announce_issued
from invoicing.issuing import issued_document, prepare_drafts, store_issued
from invoicing.models import Invoice, InvoiceBatch, InvoiceStatus
from invoicing.numbering import numbering_turn, take_numbers
from invoicing.permissions import require_finance
from invoicing.seller import seller_of, seller_settings
from server import clock
from server.audit import record
from server.errors import DomainError
from server.i18n import _
from server.models import User
from server.pdf import pdf_process_pool
from server.scheduler import HOST

log = logging.getLogger("weerbaar.invoicing.batch")

#: Drafts per transaction: short enough that pages on SQLite hardly wait for it.
CHUNK_SIZE = 25
#: How long a batch's claim lasts without renewal (Settings.lease_seconds in the app).
LEASE = timedelta(minutes=2)
#: A finished batch shows on the invoice list this long.
SHOWN_AFTER_FINISH = timedelta(hours=12)
RUNNING = "yes"


class NothingToIssue(DomainError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__(_("Er zijn geen concepten om uit te reiken."))


class BatchRunning(DomainError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(_("Er worden al concepten uitgereikt; wacht tot dat klaar is."))


class LeaseLost(Exception):
    """Another process took the batch over (this one stalled past its lease): stop here."""


@dataclass
class BatchProgress:
    """What a batch has done so far: numbers issued, documents rendered, drafts skipped (id ->
    reason), how it ended. Read from its row (`progress_of`), so any host shows the same."""

    total: int
    id: int = 0
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


#: The batch this process started from the web last, with its task (tests and shutdown wait on it).
_started: BatchProgress | None = None


def started_here() -> BatchProgress | None:
    return _started


async def progress_of(batch: InvoiceBatch) -> BatchProgress:
    """The batch's progress as its row says, with the documents rendered so far (one count)."""
    rendered = (
        await Invoice.filter(id__in=batch.issued_ids, pdf__isnull=False).count() if batch.issued_ids else 0
    )
    return BatchProgress(
        total=batch.total,
        id=batch.id,
        issued=list(batch.issued_numbers),
        rendered=rendered,
        skipped={int(key): reason for key, reason in batch.skipped.items()},
        finished_at=batch.finished_at,
        error=batch.error,
    )


async def latest_batch() -> BatchProgress | None:
    """The batch running anywhere in the cluster, else the last one if it finished recently."""
    batch = await InvoiceBatch.all().order_by("-id").first()
    if batch is None or (batch.finished_at and batch.finished_at < clock.now() - SHOWN_AFTER_FINISH):
        return None
    return await progress_of(batch)


async def draft_ids() -> list[int]:
    """Every draft invoice, oldest first."""
    return await (
        Invoice.filter(kind=DocumentKind.INVOICE, status=InvoiceStatus.DRAFT)
        .order_by("id")
        .values_list("id", flat=True)
    )  # type: ignore[return-value]


async def _checked_ids(ids: Sequence[int] | None, actor: User | None) -> list[int]:
    """The drafts to issue, after the refusals that come before anything is issued."""
    require_finance(actor)
    chosen = sorted(set(ids)) if ids is not None else await draft_ids()
    if not chosen:
        raise NothingToIssue()
    seller_of(await seller_settings())
    return chosen


async def _claim_new(ids: list[int], actor: User | None, day: date, lease: timedelta) -> InvoiceBatch:
    """The batch's row, holding the cluster's one `running` marker (else BatchRunning)."""
    now = clock.now()
    try:
        return await InvoiceBatch.create(
            started_by=actor,
            started_at=now,
            issue_date=day,
            draft_ids=ids,
            total=len(ids),
            running=RUNNING,
            host=HOST,
            lease_until=now + lease,
        )
    except IntegrityError:
        raise BatchRunning() from None


async def issue_drafts(
    ids: Sequence[int] | None = None,
    *,
    actor: User | None,
    today: date | None = None,
    workers: int | None = None,
    lease: timedelta = LEASE,
) -> BatchProgress:
    """Issue the drafts `ids` (default: all), chunk by chunk, rendering on every core; waits for it.

    Refuses (Forbidden, NothingToIssue, InvoiceRuleBroken for the team's details, BatchRunning)
    before it starts; drafts that break a rule are skipped and listed in the result. An error while
    issuing stops the batch after rolling back the chunk in progress, and is raised.
    """
    chosen = await _checked_ids(ids, actor)
    batch = await _claim_new(chosen, actor, today or clock.local_today(), lease)
    progress = BatchProgress(total=len(chosen), id=batch.id)
    await _run(batch, actor, progress, lease, workers)
    return progress


async def _run(
    batch: InvoiceBatch, actor: User | None, progress: BatchProgress, lease: timedelta, workers: int | None
) -> None:
    """Issue what is left of `batch` (held by this process) and end it, unless the lease was lost."""
    done = {int(key) for key in batch.skipped} | set(batch.issued_ids)
    remaining = [i for i in batch.draft_ids if i not in done]
    heartbeat = asyncio.create_task(_renew_lease(batch.id, lease))
    error = ""
    try:
        with pdf_process_pool(workers) as pool:
            await _finish_renders(batch, pool, progress)
            await _issue_in_chunks(remaining, pool, actor, batch.issue_date, progress, batch.id, lease)
    except LeaseLost:
        log.warning("batch %d was taken over by another process; this one stops", batch.id)
        progress.finished_at = clock.now()  # here; the batch itself goes on elsewhere
    except Exception as exc:
        error = str(getattr(exc, "message", "")) or type(exc).__name__
        progress.error = error
        raise
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        if progress.finished_at is None:
            progress.finished_at = clock.now()
            await InvoiceBatch.filter(id=batch.id, host=HOST).update(
                running=None, finished_at=progress.finished_at, error=error[:300], lease_until=None
            )


async def _renew_lease(batch_id: int, lease: timedelta) -> None:
    """Every third of the lease, push its end on while this process holds the batch."""
    while True:
        await asyncio.sleep(lease.total_seconds() / 3)
        held = await InvoiceBatch.filter(id=batch_id, host=HOST, running=RUNNING).update(
            lease_until=clock.now() + lease
        )
        if not held:
            return


async def _finish_renders(batch: InvoiceBatch, pool: Executor, progress: BatchProgress) -> None:
    """After a takeover: the files of the invoices the batch issued before (nothing when new)."""
    if not batch.issued_ids:
        return
    missing = await Invoice.filter(id__in=batch.issued_ids, pdf__isnull=True)
    await documents.render(missing, pool)
    progress.rendered = await Invoice.filter(id__in=batch.issued_ids, pdf__isnull=False).count()
    progress.issued = list(batch.issued_numbers)
    progress.skipped = {int(key): reason for key, reason in batch.skipped.items()}


async def _issue_in_chunks(
    ids: list[int],
    pool: Executor,
    actor: User | None,
    day: date,
    progress: BatchProgress,
    batch_id: int,
    lease: timedelta,
) -> None:
    """Chunk after chunk; while the next chunk's transaction runs, the pool renders the last one.

    The renders of committed chunks are awaited also when a later chunk fails, so the invoices a
    batch issued have their files when it returns, whatever stopped it.
    """
    renders: list[asyncio.Future[None]] = []
    try:
        for start in range(0, len(ids), CHUNK_SIZE):
            chunk = ids[start : start + CHUNK_SIZE]
            issued = await _issue_chunk(chunk, actor, day, progress, batch_id, lease)
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
    ids: list[int], actor: User | None, day: date, progress: BatchProgress, batch_id: int, lease: timedelta
) -> list[Invoice]:
    """Issue the chunk's drafts in one transaction, with the batch's progress; returns the issued
    invoices (content frozen). Raises LeaseLost when another process holds the batch now."""
    issued: list[Invoice] = []
    skipped: dict[int, str] = {}
    async with numbering_turn(), in_transaction():
        batch = await InvoiceBatch.select_for_update().get(id=batch_id)
        if batch.host != HOST or batch.running != RUNNING:
            raise LeaseLost()
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
                # This batch renders the files itself: other renderers leave them for the lease.
                item.invoice.render_lease_until = clock.now() + lease
                await item.invoice.save()
                await record(
                    actor,
                    "invoice_issued",
                    item.invoice,
                    f"{document.number}: {document.gross_cents} cent (in één keer uitgereikt)",
                )
                await announce_issued(item.invoice)
                issued.append(item.invoice)
        batch.issued_ids = [*batch.issued_ids, *(invoice.id for invoice in issued)]
        batch.issued_numbers = [*batch.issued_numbers, *(invoice.number or "" for invoice in issued)]
        batch.skipped = {**batch.skipped, **{str(key): reason for key, reason in skipped.items()}}
        batch.lease_until = clock.now() + lease
        await batch.save(update_fields=["issued_ids", "issued_numbers", "skipped", "lease_until"])
    progress.issued.extend(invoice.number or "" for invoice in issued)
    progress.skipped.update(skipped)
    return issued


async def start_issuing_drafts(*, actor: User, lease: timedelta = LEASE) -> BatchProgress:
    """Check, claim the cluster's batch, then issue every draft in a task of this process; returns
    its progress at once.

    Raises Forbidden, BatchRunning (a batch runs somewhere in the cluster), NothingToIssue and
    InvoiceRuleBroken (the team's details are incomplete).
    """
    global _started
    ids = await _checked_ids(None, actor)
    batch = await _claim_new(ids, actor, clock.local_today(), lease)
    progress = BatchProgress(total=len(ids), id=batch.id)
    progress.task = asyncio.create_task(_run_in_background(batch, actor, progress, lease))
    _started = progress
    return progress


async def _run_in_background(
    batch: InvoiceBatch, actor: User | None, progress: BatchProgress, lease: timedelta
) -> BatchProgress:
    try:
        await _run(batch, actor, progress, lease, None)
    except Exception:
        log.exception("issuing %d drafts stopped after %d", batch.total, progress.done)
    return progress


async def resume_stalled_batch(lease: timedelta = LEASE) -> int:
    """Take over the running batch whose lease ran out (its host died) and finish it here; returns
    how many drafts it issued (0: none to take over, or another process was first).

    The takeover is a conditional update (the lease still ran out, nobody took it over since it was
    read), so of several processes trying at once exactly one gets it.
    """
    now = clock.now()
    ran_out = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    stalled = await InvoiceBatch.get_or_none(ran_out, running=RUNNING)
    if stalled is None:
        return 0
    taken = await InvoiceBatch.filter(
        ran_out, id=stalled.id, running=RUNNING, takeovers=stalled.takeovers
    ).update(host=HOST, lease_until=now + lease, takeovers=F("takeovers") + 1)
    if not taken:
        return 0
    batch = await InvoiceBatch.get(id=stalled.id).prefetch_related("started_by")
    log.warning("taking over batch %d from %s (its lease ran out)", batch.id, stalled.host)
    before = len(batch.issued_ids)
    progress = BatchProgress(total=batch.total, id=batch.id)
    await _run(batch, batch.started_by, progress, lease, None)
    return len(progress.issued) - before
