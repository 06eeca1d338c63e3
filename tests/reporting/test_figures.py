"""The stored tour figures (reporting.figures) equal a full recomputation after any sequence of the
writes that change them, a rebuild repairs what passed by the signals, and on PostgreSQL two
concurrent writes for one organisation lose neither."""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from bookings.models import Booking, BookingStatus, Offering, Stage, TourInvitation
from reporting.figures import OrganisationFigures, rebuild_figures, stored_facts
from reporting.models import HistoryEntry, HistoryStep
from reporting.stages import StepFacts, TourStage, step_facts
from server import clock
from server.clock import Clock
from server.models import Organisation
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation


async def assert_stored_equal_computed() -> None:
    """Every organisation's stored steps are what computing them from scratch gives (an
    organisation without any steps may have an empty row or none)."""
    stored = {i: facts for i, facts in (await stored_facts()).items() if facts != StepFacts()}
    assert stored == await step_facts()


async def write_at_random(
    rng: random.Random,
    organisations: list[Organisation],
    offerings: list[Offering],
    fixed_clock: Clock,
) -> None:
    """One write of the kinds the signals follow: bookings made, moved along or back, rescheduled
    or deleted; invitations and history entries added or deleted; an offering's stage changed."""
    fixed_clock.advance(timedelta(hours=rng.randint(1, 300)))
    organisation = rng.choice(organisations)
    bookings = await Booking.filter(organisation=organisation)
    kind = rng.choice(
        ("book", "book", "status", "status", "move", "delete", "invite", "history", "forget", "stage")
    )
    if kind == "book" or (kind in ("status", "move", "delete") and not bookings):
        await make_booking(
            organisation=organisation,
            offering=rng.choice(offerings),
            status=rng.choice(list(BookingStatus)),
            starts_at=clock.now() + timedelta(days=rng.randint(-60, 60)) if rng.random() < 0.8 else None,
        )
    elif kind == "status":
        booking = rng.choice(bookings)
        booking.status = rng.choice(list(BookingStatus))
        await booking.save(update_fields=["status", "updated_at"])
    elif kind == "move":
        booking = rng.choice(bookings)
        booking.starts_at = clock.now() + timedelta(days=rng.randint(-30, 30))
        await booking.save()
    elif kind == "delete":
        await rng.choice(bookings).delete()
    elif kind == "invite":
        await TourInvitation.create(organisation=organisation, recipients=1)
    elif kind == "history":
        await HistoryEntry.get_or_create(
            organisation=organisation,
            step=rng.choice(list(HistoryStep)),
            held_on=date(2024, rng.randint(1, 12), rng.randint(1, 28)),
        )
    elif kind == "forget":
        for row in [
            *await HistoryEntry.filter(organisation=organisation),
            *await TourInvitation.filter(organisation=organisation),
        ][:1]:
            await row.delete()
    else:
        offering = rng.choice(offerings)
        offering.stage = rng.choice(list(Stage))
        await offering.save()


@pytest.mark.parametrize("seed", range(6))
async def test_after_random_writes_the_stored_figures_equal_a_full_recomputation(
    seed: int, fixed_clock: Clock
) -> None:
    rng = random.Random(seed)
    organisations = [await make_organisation() for _ in range(3)]
    offerings = [await make_offering(stage=stage) for stage in Stage]
    for _ in range(40):
        await write_at_random(rng, organisations, offerings, fixed_clock)
        await assert_stored_equal_computed()


async def test_writes_in_one_transaction_are_counted_at_its_end() -> None:
    organisation = await make_organisation()
    intake, session = (
        await make_offering(stage=Stage.INTAKE),
        await make_offering(stage=Stage.COUNCIL_SESSION),
    )
    async with in_transaction():
        await make_booking(organisation=organisation, offering=intake)
        await make_booking(
            organisation=organisation, offering=session, status=BookingStatus.DELIVERED, starts_at=clock.now()
        )
        await TourInvitation.create(organisation=organisation, recipients=1)
    facts = (await stored_facts())[organisation.id]
    assert set(facts.since) == {TourStage.INVITED, TourStage.INTAKE_PLANNED, TourStage.SESSION_HELD}
    await assert_stored_equal_computed()


async def test_a_rebuild_puts_right_what_passed_by_the_signals() -> None:
    organisation = await make_organisation()
    booking = await make_booking(
        organisation=organisation, status=BookingStatus.DELIVERED, starts_at=clock.now()
    )
    others = [await make_organisation() for _ in range(2)]
    # A queryset update, a bulk insert and a table emptied by hand: none of them fires a signal.
    await Booking.filter(id=booking.id).update(status=BookingStatus.CANCELLED)
    await TourInvitation.bulk_create([TourInvitation(organisation=o, recipients=1) for o in others])
    assert (await stored_facts())[organisation.id].since == {TourStage.SESSION_HELD: clock.local_today()}
    await OrganisationFigures.all().delete()

    assert await rebuild_figures() == await Organisation.all().count()

    assert await OrganisationFigures.all().count() == await Organisation.all().count()
    await assert_stored_equal_computed()
    facts = await stored_facts()
    assert facts[organisation.id].since == {}
    assert all(TourStage.INVITED in facts[o.id].since for o in others)


async def _waiting_for_a_lock() -> bool:
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS waiting FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    return rows[0]["waiting"] > 0


async def test_two_concurrent_writes_for_one_organisation_lose_neither(db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite runs one write transaction at a time)")
    organisation = await make_organisation()
    await rebuild_figures()
    intake, session = (
        await make_offering(stage=Stage.INTAKE),
        await make_offering(stage=Stage.COUNCIL_SESSION),
    )
    first_wrote, second_waits = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with in_transaction():
            await make_booking(organisation=organisation, offering=intake)
            first_wrote.set()
            await second_waits.wait()  # commit only once the second write waits for the row

    async def second() -> None:
        await first_wrote.wait()
        async with in_transaction():
            await make_booking(
                organisation=organisation,
                offering=session,
                status=BookingStatus.DELIVERED,
                starts_at=clock.now(),
            )

    async def release_when_waiting() -> None:
        await first_wrote.wait()
        # Polled, not timed: however slow the machine, the first commits after the second blocks.
        while not await _waiting_for_a_lock():
            await asyncio.sleep(0.01)
        second_waits.set()

    await asyncio.wait_for(asyncio.gather(first(), second(), release_when_waiting()), timeout=60)

    since = (await stored_facts())[organisation.id].since
    assert set(since) == {TourStage.INTAKE_PLANNED, TourStage.SESSION_HELD}
    await assert_stored_equal_computed()
