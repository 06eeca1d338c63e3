"""The PDF and UBL file of an issued invoice or credit note, rendered after the issue committed.

Issuing is a short transaction: the number from the locked counter, the frozen content
(`Invoice.content`), the totals and the audit entry. The files are rendered from the frozen content
afterwards, so the counter lock is held for milliseconds instead of a render (~60 ms of CPU), and
issuing is as quick as any other write while the numbering stays gap-free.

- `run_renderer` (a background loop of each process that runs jobs) renders the documents this
  process issued as soon as `wake` tells it, and any document issued more than `STALE_AFTER` ago
  still without files (issued by a process that died before rendering). `weerbaar worker`, which
  serves app processes that run no jobs, renders every document without files within seconds.
- `with_documents` renders one document on the spot when it is downloaded, mailed or exported
  before the renderer reached it, so nobody ever gets a document without its files.
- Many documents at once (a batch, a backlog after a restart) are rendered in the process pool on
  every core at a low priority; a few in the render thread.

The frozen content never changes, so a render at any moment gives the same invoice. Files are
stored only where none are (`pdf IS NULL`): two processes rendering the same document store one
result, and a stored file is never replaced.

In a cluster each document is rendered by one renderer: a renderer first claims a document with a
conditional update of `render_lease_until` (free, or its lease ran out by `server.clock`), so the
renderers of several hosts and workers never render the same document at once. A batch issue sets
that lease on the invoices it issues and renders them itself; when its host dies, the lease runs out
and any renderer takes them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from invoicing import pdf
from invoicing.document import Buyer, DocumentKind, InvoiceDocument, Line, Seller, VatCategory
from invoicing.models import Invoice, InvoiceStatus
from server import clock
from server.metrics import Reading
from server.pdf import pdf_process_pool, run_in_render_thread

log = logging.getLogger("weerbaar.invoicing.documents")

#: A document without files this long after issue is rendered by any process's renderer.
STALE_AFTER = timedelta(minutes=2)
#: From this many documents on, rendering uses the process pool (both cores) instead of the thread.
POOL_FROM = 8
#: How long a renderer's claim on a document lasts (Settings.lease_seconds in the app).
RENDER_LEASE = timedelta(minutes=2)
#: Documents per round of the renderer (a backlog is worked through round after round).
ROUND = 64
#: How often the renderer looks for stale documents when nothing wakes it.
IDLE_SECONDS = 60.0
#: How soon the renderer tries again after a failed round (doubling while it keeps failing, up to
#: RETRY_MAX_SECONDS: a database restart is over in seconds).
RETRY_SECONDS = 2.0
RETRY_MAX_SECONDS = 10.0

_woken: set[int] = set()
#: Documents this process claimed and has not rendered yet -> when the claim ends.
_held: dict[int, datetime] = {}
#: The wake-up events of the renderers running in this process, one per renderer (an event belongs
#: to the event loop that first waits on it).
_wake_events: set[asyncio.Event] = set()


def document_from_content(content: dict[str, Any]) -> InvoiceDocument:
    """The document frozen at issue (`invoicing.issuing.document_json`), as it was."""
    return InvoiceDocument(
        kind=DocumentKind(content["kind"]),
        number=content["number"],
        issue_date=date.fromisoformat(content["issue_date"]),
        due_date=date.fromisoformat(content["due_date"]),
        delivery_date=date.fromisoformat(content["delivery_date"]),
        seller=Seller(**content["seller"]),
        buyer=Buyer(**content["buyer"]),
        lines=tuple(
            Line(**{**line, "vat_category": VatCategory(line["vat_category"])}) for line in content["lines"]
        ),
        order_reference=content["order_reference"],
        note=content["note"],
        credited_invoice_number=content["credited_invoice_number"],
        payment_reference=content["payment_reference"],
    )


def _without_files() -> Any:
    return Invoice.filter(pdf__isnull=True, content__isnull=False).exclude(status=InvoiceStatus.DRAFT)


async def _store(invoice_id: int, ubl_file: bytes, pdf_file: bytes) -> bool:
    """Store the files unless another render stored them first."""
    return bool(await Invoice.filter(id=invoice_id, pdf__isnull=True).update(ubl=ubl_file, pdf=pdf_file))


async def with_documents(invoice: Invoice) -> Invoice:
    """`invoice` with its PDF and UBL file (an issued document; rendered now if still missing)."""
    await ensure_documents([invoice])
    return invoice


async def ensure_documents(invoices: Sequence[Invoice]) -> None:
    """Give every issued document in `invoices` its files (rendered where missing), in place."""
    missing = [invoice for invoice in invoices if invoice.pdf is None and invoice.content is not None]
    if not missing:
        return
    await render(missing)
    # Where another render stored its files first, those are the invoice's.
    lost = [invoice for invoice in missing if invoice.pdf is None]
    if lost:
        stored = {
            row["id"]: row
            for row in await Invoice.filter(id__in=[i.id for i in lost]).values("id", "pdf", "ubl")
        }
        for invoice in lost:
            invoice.pdf, invoice.ubl = stored[invoice.id]["pdf"], stored[invoice.id]["ubl"]


async def render(invoices: Sequence[Invoice], pool: Executor | None = None) -> int:
    """Render and store the files of `invoices` (with their content); returns how many were stored.
    An invoice whose files were stored holds them afterwards.

    Uses `pool` when given, a new process pool from `POOL_FROM` documents on, else the render thread.
    """
    if pool is None and len(invoices) >= POOL_FROM:
        with pdf_process_pool() as new_pool:
            return await render(invoices, new_pool)
    loop = asyncio.get_running_loop()

    async def render_one(invoice: Invoice) -> bool:
        document = document_from_content(invoice.content)
        if pool is None:
            files = await run_in_render_thread(lambda: pdf.render_documents(document))
        else:
            files = await loop.run_in_executor(pool, pdf.render_documents, document)
        stored = await _store(invoice.id, *files)
        _held.pop(invoice.id, None)
        if not stored:
            return False
        invoice.ubl, invoice.pdf = files
        return True

    return sum(await asyncio.gather(*(render_one(invoice) for invoice in invoices)))


async def stale_count(stale_after: timedelta = STALE_AFTER) -> int:
    """Documents still without files `stale_after` after their issue: the renderers are not keeping up
    (a readiness check, server/health.py)."""
    return await _without_files().filter(issued_at__lte=clock.now() - stale_after).count()


async def metric_readings() -> list[Reading]:
    """How many issued documents wait for their files, and since when (a metrics source)."""
    oldest = await _without_files().order_by("issued_at").first().values_list("issued_at", flat=True)
    age = (clock.now() - oldest).total_seconds() if oldest else 0.0
    return [
        Reading(
            "weerbaar_invoices_waiting_for_documents",
            "Issued invoices and credit notes whose PDF and UBL file are not rendered yet.",
            float(await _without_files().count()),
        ),
        Reading(
            "weerbaar_invoices_waiting_oldest_age_seconds",
            "Seconds since the issue of the oldest document still without its files.",
            max(age, 0.0),
        ),
    ]


def wake(invoice_ids: Sequence[int]) -> None:
    """Ask this process's renderer to render these documents now (after the issue committed)."""
    _woken.update(invoice_ids)
    for event in _wake_events:
        event.set()


async def _claim(invoice_id: int, now: datetime, lease: timedelta) -> bool:
    """This process renders the document for `lease` (False: it has its files, or another has it).
    A claim this process still holds from a failed round counts as its own."""
    if _held.get(invoice_id, now) > now:
        return True
    free = Q(render_lease_until__isnull=True) | Q(render_lease_until__lt=now)
    if not await Invoice.filter(free, id=invoice_id, pdf__isnull=True).update(render_lease_until=now + lease):
        return False
    _held[invoice_id] = now + lease
    return True


async def pending(stale_after: timedelta = STALE_AFTER, lease: timedelta = RENDER_LEASE) -> list[Invoice]:
    """One round's documents, claimed: those this process was woken for, then stale ones of any
    process; without those another renderer (or a batch) holds."""
    now = clock.now()
    for invoice_id in [key for key, until in _held.items() if until <= now]:
        del _held[invoice_id]
    woken = list(_woken)[:ROUND]
    candidates = await _without_files().filter(id__in=woken) if woken else []
    _woken.difference_update(woken)
    if len(candidates) < ROUND:
        candidates += (
            await _without_files()
            .filter(Q(render_lease_until__isnull=True) | Q(render_lease_until__lt=now))
            .filter(issued_at__lte=now - stale_after)
            .exclude(id__in=[i.id for i in candidates] or [0])
            .order_by("id")
            .limit(ROUND - len(candidates))
        )
    return [invoice for invoice in candidates if await _claim(invoice.id, now, lease)]


async def render_pending(stale_after: timedelta = STALE_AFTER, lease: timedelta = RENDER_LEASE) -> int:
    """Render one round of documents (see `pending`); returns how many were stored."""
    invoices = await pending(stale_after, lease)
    return await render(invoices) if invoices else 0


async def run_renderer(
    stop: asyncio.Event,
    *,
    stale_after: timedelta = STALE_AFTER,
    idle_seconds: float = IDLE_SECONDS,
    lease: timedelta = RENDER_LEASE,
) -> None:
    """Render documents until `stop`: when woken, else every `idle_seconds`.

    A backlog is worked through round after round in one process pool, closed once it is gone. A
    failed round (the database went away) is logged and its documents are tried again after
    `RETRY_SECONDS`, doubling up to `RETRY_MAX_SECONDS` while it keeps failing.
    """
    retry = RETRY_SECONDS
    wake_event = asyncio.Event()
    _wake_events.add(wake_event)
    with ExitStack() as pools:
        pools.callback(_wake_events.discard, wake_event)
        pool: Executor | None = None
        while not stop.is_set():
            wake_event.clear()
            invoices: list[Invoice] = []
            try:
                invoices = await pending(stale_after, lease)
                if pool is None and len(invoices) >= POOL_FROM:
                    pool = pools.enter_context(pdf_process_pool())
                if invoices:
                    await render(invoices, pool)
                    retry = RETRY_SECONDS
                    continue
            except Exception:
                log.exception("rendering invoice documents failed; trying again in %.0f s", retry)
                _woken.update(invoice.id for invoice in invoices)
                await _sleep_until_woken(wake_event, stop, retry)
                retry = min(retry * 2, RETRY_MAX_SECONDS)
                continue
            if pool is not None:
                pools.close()
                pool = None
            if not _woken:
                await _sleep_until_woken(wake_event, stop, idle_seconds)


async def _sleep_until_woken(wake_event: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    waiting = [asyncio.ensure_future(wake_event.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waiting, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in waiting:
            future.cancel()


async def run_worker_renderer(stop: asyncio.Event, lease: timedelta = RENDER_LEASE) -> None:
    """The renderer of `weerbaar worker`: every document without files, looked for every 5 s."""
    await run_renderer(stop, stale_after=timedelta(0), idle_seconds=5.0, lease=lease)
