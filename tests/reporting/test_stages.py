"""Each organisation's stage follows from its invitations and bookings, never typed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bookings.models import Booking, BookingStatus, Stage, TourInvitation
from reporting.dashboard import monthly_progress, province_summaries, summarise
from reporting.models import TourTarget
from reporting.stages import OrganisationProgress, TourStage, organisation_progress
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation, make_province


async def _stage_of(code: str) -> TourStage:
    return next(o for o in await organisation_progress() if o.cbs_code == code).stage


async def test_each_step_follows_from_the_bookings() -> None:
    intake = await make_offering(name="Intake", stage=Stage.INTAKE)
    session = await make_offering(name="Raadsbrede sessie", stage=Stage.COUNCIL_SESSION)
    follow_up = await make_offering(name="Vervolg", stage=Stage.FOLLOW_UP)
    when = datetime(2026, 9, 1, 17, tzinfo=UTC)
    cases = [
        ("GM0001", [], TourStage.NOT_CONTACTED),
        ("GM0002", "invited", TourStage.INVITED),
        ("GM0003", [(intake, BookingStatus.REQUESTED)], TourStage.INTAKE_PLANNED),
        ("GM0004", [(intake, BookingStatus.DELIVERED)], TourStage.INTAKE_HELD),
        (
            "GM0005",
            [(intake, BookingStatus.CLOSED), (session, BookingStatus.CONFIRMED)],
            TourStage.SESSION_PLANNED,
        ),
        ("GM0006", [(session, BookingStatus.CLOSED)], TourStage.SESSION_HELD),
        (
            "GM0007",
            [(session, BookingStatus.DELIVERED), (follow_up, BookingStatus.SCHEDULED)],
            TourStage.FOLLOW_UP_BOOKED,
        ),
        ("GM0008", [(follow_up, BookingStatus.DELIVERED)], TourStage.FOLLOW_UP_HELD),
        # A cancelled booking counts for nothing: the organisation stays where it was.
        (
            "GM0009",
            [(intake, BookingStatus.CLOSED), (session, BookingStatus.CANCELLED)],
            TourStage.INTAKE_HELD,
        ),
    ]
    for code, bookings, _expected in cases:
        organisation = await make_organisation(cbs_code=code)
        if bookings == "invited":
            await TourInvitation.create(organisation=organisation, recipients=1)
            continue
        for offering, status in bookings:
            await make_booking(organisation=organisation, offering=offering, status=status, starts_at=when)
    for code, _bookings, expected in cases:
        assert await _stage_of(code) is expected, code


async def test_a_booking_after_an_invitation_moves_the_organisation_on() -> None:
    organisation = await make_organisation(cbs_code="GM0010")
    await TourInvitation.create(organisation=organisation, recipients=1)
    assert await _stage_of("GM0010") is TourStage.INVITED
    await make_booking(organisation=organisation, offering=await make_offering(stage=Stage.INTAKE))
    assert await _stage_of("GM0010") is TourStage.INTAKE_PLANNED


async def test_steps_are_dated_booked_when_made_and_held_on_the_local_day_of_the_session() -> None:
    organisation = await make_organisation(cbs_code="GM0011")
    # 31 March 2026, 23:30 UTC is already 1 April in Amsterdam.
    held = await make_booking(
        organisation=organisation,
        offering=await make_offering(stage=Stage.COUNCIL_SESSION),
        status=BookingStatus.DELIVERED,
        starts_at=datetime(2026, 3, 31, 21, 30, tzinfo=UTC) + timedelta(hours=1),
    )
    await Booking.filter(id=held.id).update(created_at=datetime(2026, 1, 15, 10, tzinfo=UTC))
    progress = next(o for o in await organisation_progress() if o.cbs_code == "GM0011")
    assert progress.reached_on == {
        TourStage.SESSION_PLANNED: date(2026, 1, 15),
        TourStage.SESSION_HELD: date(2026, 4, 1),
    }


async def test_a_province_counts_in_its_own_area() -> None:
    holland = await make_province(cbs_code="PV27", name="Noord-Holland")
    utrecht = await make_province(cbs_code="PV26", name="Utrecht")
    for code, province in (("GM0363", holland), ("GM0358", holland), ("GM0344", utrecht)):
        await make_organisation(cbs_code=code, province=province)
    await make_booking(
        organisation=await make_organisation(cbs_code="GM0355", province=utrecht),
        offering=await make_offering(stage=Stage.COUNCIL_SESSION),
        status=BookingStatus.CLOSED,
        starts_at=datetime(2026, 5, 1, 17, tzinfo=UTC),
    )
    summaries = {s.code: s for s in province_summaries(await organisation_progress(), TourStage.SESSION_HELD)}
    assert [s.name for s in summaries.values()] == ["Noord-Holland", "Utrecht"]
    assert summaries["PV27"].total == 3  # two municipalities and the province itself
    assert summaries["PV26"].total == 3  # Zeist (below) counts too
    assert (summaries["PV26"].covered, summaries["PV27"].covered) == (1, 0)
    assert round(summaries["PV26"].coverage) == 33


def _progress(code: str, **reached: date) -> OrganisationProgress:
    progress = OrganisationProgress(1, code, code, "municipality", "PV26", "Utrecht")  # type: ignore[arg-type]
    for stage, day in reached.items():
        progress.reach(TourStage(stage), datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
    return progress


def test_stage_counts_are_exact_and_cumulative() -> None:
    organisations = [
        _progress("A"),
        _progress("B", invited=date(2026, 1, 5)),
        _progress("C", invited=date(2026, 1, 5), session_held=date(2026, 3, 1)),
        _progress("D", follow_up_held=date(2026, 6, 1)),
    ]
    summary = summarise("NL", "Nederland", organisations, TourStage.SESSION_HELD)
    counts = {count.stage: (count.count, count.at_least) for count in summary.stages}
    assert counts[TourStage.NOT_CONTACTED] == (1, 4)
    assert counts[TourStage.INVITED] == (1, 3)
    assert counts[TourStage.SESSION_HELD] == (1, 2)
    assert counts[TourStage.FOLLOW_UP_HELD] == (1, 1)
    assert summary.covered == 2 and summary.coverage == 50


def test_monthly_progress_against_a_straight_target_line() -> None:
    organisations = [
        _progress("A", session_held=date(2026, 2, 10)),
        _progress("B", session_held=date(2026, 4, 30)),
        _progress("C", follow_up_held=date(2026, 4, 2)),
        _progress("D", invited=date(2026, 1, 2)),
    ]
    target = TourTarget(
        stage="session_held", percent=100, starts_on=date(2026, 1, 1), deadline=date(2026, 12, 31)
    )
    points = monthly_progress(organisations, TourStage.SESSION_HELD, target, today=date(2026, 5, 15))
    assert [p.month for p in points][:2] == [date(2026, 1, 1), date(2026, 2, 1)]
    assert len(points) == 12
    assert [p.actual for p in points[:6]] == [0.0, 25.0, 25.0, 75.0, 75.0, None]
    assert points[-1].target == 100.0
    assert points[5].target == round(100 * (date(2026, 6, 30) - date(2026, 1, 1)).days / 364, 1)


def test_without_target_progress_runs_from_the_first_step_to_today() -> None:
    organisations = [_progress("A", session_held=date(2026, 9, 3)), _progress("B")]
    points = monthly_progress(organisations, TourStage.SESSION_HELD, None, today=date(2026, 11, 24))
    assert [(p.month.month, p.actual, p.target) for p in points] == [
        (9, 50.0, None),
        (10, 50.0, None),
        (11, 50.0, None),
    ]
    assert monthly_progress([_progress("B")], TourStage.SESSION_HELD, None, today=date(2026, 11, 24)) == []
