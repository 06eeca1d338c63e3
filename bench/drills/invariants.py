"""What must hold in the database after any drill, whatever was killed or restarted when."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from tortoise import Tortoise

from bench.drills.app import MARKER
from bookings.models import Booking, BookingStatus, PreferredSlot
from bookings.staffing_models import AssignmentRequest, RequestStatus
from invoicing import documents
from invoicing.models import Invoice, InvoiceCounter, InvoiceStatus
from server.db import init_orm
from server.mail import OutboxMessage, OutboxStatus

NUMBER = re.compile(r"(\d{4})-(\d+)")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def check(self, holds: bool, problem: str) -> None:
        if not holds:
            self.problems.append(problem)


async def _bookings(report: Report) -> None:
    """A clerk's booking is written with its preferred dates in one transaction: never one without."""
    ids = await Booking.filter(local_situation__startswith=MARKER).values_list("id", flat=True)
    slots: dict[int, int] = defaultdict(int)
    for booking_id in await PreferredSlot.filter(booking_id__in=ids).values_list("booking_id", flat=True):
        slots[booking_id] += 1
    half = [booking_id for booking_id in ids if slots[booking_id] != 2]
    report.counts["drill bookings"] = len(ids)
    report.check(not half, f"boekingen zonder hun twee voorkeursdata: {half[:10]}")


async def _assignments(report: Report) -> None:
    """Accepted requests: on a live booking, and no trainer in two places at once."""
    accepted = await AssignmentRequest.filter(status=RequestStatus.ACCEPTED).values(
        "id", "trainer_id", "starts_at", "ends_at", "booking__status"
    )
    report.counts["accepted requests"] = len(accepted)
    cancelled = [a["id"] for a in accepted if a["booking__status"] == BookingStatus.CANCELLED]
    report.check(not cancelled, f"geaccepteerde verzoeken op een geannuleerde boeking: {cancelled[:10]}")
    by_trainer: dict[int, list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    for row in accepted:
        by_trainer[row["trainer_id"]].append(row)
    overlapping = []
    for rows in by_trainer.values():
        rows.sort(key=lambda r: r["starts_at"])
        overlapping += [b["id"] for a, b in itertools.pairwise(rows) if b["starts_at"] < a["ends_at"]]
    report.check(not overlapping, f"trainer dubbel geboekt (verzoeken): {overlapping[:10]}")


async def _invoices(report: Report, files: bool) -> None:
    """Numbers 1..n per year without a gap or a double, the counter at n, every issued invoice with
    its frozen content and, with `files`, its PDF and UBL (rendered after the issue committed, see
    invoicing.documents); a draft has no number."""
    issued = await Invoice.exclude(status=InvoiceStatus.DRAFT).values("id", "number", "content", "pdf", "ubl")
    report.counts["issued invoices"] = len(issued)
    numbered = await Invoice.filter(status=InvoiceStatus.DRAFT, number__isnull=False).count()
    report.check(numbered == 0, f"{numbered} concepten met een nummer")
    unfrozen = [row["id"] for row in issued if not row["content"]]
    report.check(not unfrozen, f"uitgegeven facturen zonder vastgelegde inhoud: {unfrozen[:10]}")
    missing = [row["id"] for row in issued if not row["pdf"] or not row["ubl"]]
    report.counts["issued invoices without files"] = len(missing)
    if files:
        report.check(not missing, f"uitgegeven facturen zonder pdf of UBL: {missing[:10]}")
    per_year: dict[int, list[int]] = defaultdict(list)
    for row in issued:
        match = NUMBER.fullmatch(row["number"] or "")
        if match is None:
            report.problems.append(f"factuur {row['id']} heeft geen geldig nummer: {row['number']!r}")
            continue
        per_year[int(match[1])].append(int(match[2]))
    counters = dict(await InvoiceCounter.all().values_list("year", "last_number"))
    for year in sorted(set(per_year) | set(counters)):
        numbers = sorted(per_year.get(year, []))
        expected = list(range(1, counters.get(year, 0) + 1))
        gaps = sorted(set(expected) - set(numbers))[:10]
        extra = sorted(set(numbers) - set(expected))[:10]
        report.check(
            numbers == expected,
            f"nummers {year}: {len(numbers)} uitgegeven, teller op {counters.get(year, 0)}; "
            f"gaten {gaps}, dubbel of boven de teller {extra}",
        )


async def check_database(database_url: str, *, mail: bool = False, files: bool = True) -> Report:
    """All invariants; with `mail`, also that every outbox row was sent; without `files`, issued
    invoices may still wait for their files."""
    report = Report()
    await init_orm(database_url)
    try:
        await _bookings(report)
        await _assignments(report)
        await _invoices(report, files)
        if mail:
            unsent = await OutboxMessage.exclude(status=OutboxStatus.SENT).count()
            report.counts["outbox rows"] = await OutboxMessage.all().count()
            report.check(unsent == 0, f"{unsent} mails niet verstuurd")
    finally:
        await Tortoise.close_connections()
    return report


async def render_left_over(database_url: str) -> int:
    """What a restarted app's renderer does for the documents of processes that were stopped: render
    every issued document still without files. Returns how many."""
    await init_orm(database_url)
    try:
        rendered = 0
        while count := await documents.render_pending(stale_after=timedelta(0)):
            rendered += count
        return rendered
    finally:
        await Tortoise.close_connections()
