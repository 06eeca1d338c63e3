"""A batch issue in a cluster: its guard and progress live in the database, so any host shows it and
refuses a second; a host that dies mid-batch leaves another to finish it once its lease ran out
(by the clock), with gap-free numbers; renderers claim each document once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from invoicing import batch, documents
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceBatch, InvoiceCounter, InvoiceStatus
from server import clock
from server.clock import Clock
from server.models import User
from tests.invoicing.factories import TODAY
from tests.invoicing.test_batch import make_drafts, numbers

LEASE = timedelta(minutes=2)


class Killed(Exception):
    """Stands in for SIGKILL: nothing of the batch's own clean-up may run after it."""


async def kill_after_first_chunk(monkeypatch: pytest.MonkeyPatch, finance: User) -> InvoiceBatch:
    """A batch that issued its first chunk and then lost its host: its row still says running,
    the first chunk's invoices have numbers but (the renders died with the host) no files."""
    issue_chunk = batch._issue_chunk

    async def die_in_second_chunk(ids, actor, day, progress, batch_id, lease):  # type: ignore[no-untyped-def]
        if progress.issued:
            raise Killed()
        return await issue_chunk(ids, actor, day, progress, batch_id, lease)

    monkeypatch.setattr(batch, "_issue_chunk", die_in_second_chunk)
    with pytest.raises(Killed):
        await batch.issue_drafts(actor=finance, today=TODAY, workers=1, lease=LEASE)
    monkeypatch.setattr(batch, "_issue_chunk", issue_chunk)
    # What a dead host leaves: the row as the last chunk committed it, no files for what it issued.
    (row,) = await InvoiceBatch.all()
    await InvoiceBatch.filter(id=row.id).update(
        running=batch.RUNNING,
        finished_at=None,
        error="",
        host="dead-host:1:abc",
        lease_until=clock.now() + LEASE,  # as its last chunk's transaction left it
    )
    await Invoice.filter(id__in=row.issued_ids).update(pdf=None, ubl=None)
    return await InvoiceBatch.get(id=row.id)


async def test_a_second_batch_is_refused_while_one_runs_anywhere(finance: User, fixed_clock: Clock) -> None:
    await make_drafts(2)
    await InvoiceBatch.create(
        started_at=fixed_clock.now(),
        issue_date=TODAY,
        draft_ids=[1],
        total=1,
        running=batch.RUNNING,
        host="other-host:1:abc",
        lease_until=None,
    )  # started on another host: nothing of it in this process
    with pytest.raises(batch.BatchRunning):
        await batch.start_issuing_drafts(actor=finance)
    with pytest.raises(batch.BatchRunning):
        await batch.issue_drafts(actor=finance, today=TODAY)
    assert await Invoice.filter(status=InvoiceStatus.DRAFT).count() == 2


async def test_progress_is_read_from_the_database(finance: User, fixed_clock: Clock) -> None:
    await make_drafts(batch.CHUNK_SIZE + 2)
    progress = await batch.issue_drafts(actor=finance, today=TODAY, workers=1)

    shown = await batch.latest_batch()  # what any host's invoice list shows
    assert shown is not None and not shown.is_running
    assert shown.issued == progress.issued == numbers(batch.CHUNK_SIZE + 2)
    assert shown.rendered == shown.total == batch.CHUNK_SIZE + 2 and shown.done == shown.total
    row = await InvoiceBatch.get(id=shown.id)
    assert row.running is None and row.lease_until is None and row.host
    fixed_clock.advance(batch.SHOWN_AFTER_FINISH + timedelta(minutes=1))
    assert await batch.latest_batch() is None


async def test_a_batch_whose_host_died_is_finished_by_another_after_its_lease(
    finance: User, fixed_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafts = await make_drafts(2 * batch.CHUNK_SIZE + 3)
    dead = await kill_after_first_chunk(monkeypatch, finance)
    assert dead.issued_numbers == numbers(batch.CHUNK_SIZE)
    shown = await batch.latest_batch()
    assert shown is not None and shown.is_running and shown.rendered == 0

    # The lease still runs: nobody takes over, no new batch, no renderer touches its documents.
    assert await batch.resume_stalled_batch(LEASE) == 0
    with pytest.raises(batch.BatchRunning):
        await batch.issue_drafts(actor=finance, today=TODAY)
    documents._held.clear()
    assert await documents.render_pending(stale_after=timedelta(0), lease=LEASE) == 0

    fixed_clock.advance(LEASE + timedelta(seconds=1))
    issued_now = await batch.resume_stalled_batch(LEASE)
    assert issued_now == batch.CHUNK_SIZE + 3
    assert await batch.resume_stalled_batch(LEASE) == 0  # done: nothing left to take over

    row = await InvoiceBatch.get(id=dead.id)
    assert row.running is None and row.finished_at is not None and row.takeovers == 1
    assert row.issued_numbers == numbers(len(drafts))
    invoices = await Invoice.filter(id__in=[d.id for d in drafts]).order_by("id")
    assert [i.number for i in invoices] == numbers(len(drafts))  # gap-free, in draft order
    assert all(i.pdf and i.ubl and i.issue_date == TODAY for i in invoices)
    assert all(i.issued_by_id == finance.id for i in invoices)  # type: ignore[attr-defined]
    assert (await InvoiceCounter.get(year=2026)).last_number == len(drafts)
    shown = await batch.latest_batch()
    assert shown is not None and shown.done == shown.total == len(drafts)


async def test_two_processes_taking_over_at_once_give_it_to_one(
    finance: User, fixed_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_drafts(batch.CHUNK_SIZE + 1)
    dead = await kill_after_first_chunk(monkeypatch, finance)
    fixed_clock.advance(LEASE + timedelta(seconds=1))
    # The other process read the same stalled row and updated first.
    await InvoiceBatch.filter(id=dead.id).update(
        host="quicker-host:2:def", lease_until=fixed_clock.now() + LEASE, takeovers=1
    )
    assert await batch.resume_stalled_batch(LEASE) == 0
    assert await Invoice.filter(status=InvoiceStatus.DRAFT).count() == 1


async def test_a_process_that_lost_its_lease_stops_before_its_next_chunk(
    finance: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_drafts(batch.CHUNK_SIZE + 1)
    issue_chunk = batch._issue_chunk

    async def taken_over_in_between(ids, actor, day, progress, batch_id, lease):  # type: ignore[no-untyped-def]
        if progress.issued:  # it stalled past its lease and another host took the batch
            await InvoiceBatch.filter(id=batch_id).update(host="new-host:3:ghi")
        return await issue_chunk(ids, actor, day, progress, batch_id, lease)

    monkeypatch.setattr(batch, "_issue_chunk", taken_over_in_between)
    progress = await batch.issue_drafts(actor=finance, today=TODAY, workers=1)
    assert progress.issued == numbers(batch.CHUNK_SIZE)
    assert await Invoice.filter(status=InvoiceStatus.DRAFT).count() == 1  # left to the new holder
    row = await InvoiceBatch.get(id=progress.id)
    assert row.running == batch.RUNNING and row.host == "new-host:3:ghi"


async def test_each_document_is_claimed_by_one_renderer(finance: User, fixed_clock: Clock) -> None:
    documents._woken.clear()
    documents._held.clear()
    drafts = await make_drafts(1)
    invoice = await issue_invoice(drafts[0].id, actor=finance, today=TODAY)

    first = await documents.pending(stale_after=timedelta(0), lease=LEASE)
    assert [i.id for i in first] == [invoice.id]
    documents._held.clear()  # another process: it finds the document claimed
    assert await documents.pending(stale_after=timedelta(0), lease=LEASE) == []
    fixed_clock.advance(LEASE + timedelta(seconds=1))  # the first renderer died: its claim ran out
    assert await documents.render_pending(stale_after=timedelta(0), lease=LEASE) == 1
    assert (await Invoice.get(id=invoice.id)).pdf is not None
