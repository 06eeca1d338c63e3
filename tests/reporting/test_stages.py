"""Each step of an organisation is a fact of its own, from its invitations, bookings and history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bookings.models import Booking, BookingStatus, Stage, TourInvitation
from reporting.dashboard import monthly_progress, province_summaries, summarise
from reporting.figures import organisation_progress, refresh_figures
from reporting.models import HistoryEntry, HistoryStep, TourTarget
from reporting.stages import STAGE_ORDER, OrganisationProgress, TourStage
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation, make_province

WHEN = datetime(2026, 9, 1, 17, tzinfo=UTC)
REQUESTED, SCHEDULED, CONFIRMED = BookingStatus.REQUESTED, BookingStatus.SCHEDULED, BookingStatus.CONFIRMED
DELIVERED, CLOSED, CANCELLED = BookingStatus.DELIVERED, BookingStatus.CLOSED, BookingStatus.CANCELLED
IN, S, F = Stage.INTAKE, Stage.COUNCIL_SESSION, Stage.FOLLOW_UP
T = TourStage
#: Per organisation: invited or not, its bookings (stage, status), its history before the app, and
#: the steps that must be true for it: each step on its own, whatever the order they came in.
CASES: list[tuple[str, bool, list[tuple[Stage, BookingStatus]], list[HistoryStep], set[TourStage]]] = [
    ("GM0001", False, [], [], {T.NOT_CONTACTED}),
    ("GM0002", True, [], [], {T.INVITED}),
    ("GM0003", False, [(IN, REQUESTED)], [], {T.INTAKE_PLANNED}),
    ("GM0004", False, [(IN, DELIVERED)], [], {T.INTAKE_HELD}),
    ("GM0005", False, [(IN, CLOSED), (S, CONFIRMED)], [], {T.INTAKE_HELD, T.SESSION_PLANNED}),
    # Skips the intake: a held session says nothing about an intake.
    ("GM0006", False, [(S, CLOSED)], [], {T.SESSION_HELD}),
    # Straight to a paid follow-up: neither an intake nor a council-wide session was held.
    ("GM0007", False, [(F, DELIVERED)], [], {T.FOLLOW_UP_HELD}),
    # Goes back: the session after the intake was cancelled.
    ("GM0008", False, [(IN, CLOSED), (S, CANCELLED)], [], {T.INTAKE_HELD}),
    # Repeats: two intakes held and a third planned.
    (
        "GM0009",
        False,
        [(IN, DELIVERED), (IN, CLOSED), (IN, SCHEDULED)],
        [],
        {T.INTAKE_HELD, T.INTAKE_PLANNED},
    ),
    ("GM0010", True, [(F, SCHEDULED)], [], {T.INVITED, T.FOLLOW_UP_BOOKED}),
    # Held its session before the app; the intake it booked since was cancelled.
    ("GM0011", False, [(IN, CANCELLED)], [HistoryStep.COUNCIL_SESSION], {T.SESSION_HELD}),
]
EXPECTED_COUNTS = {
    T.NOT_CONTACTED: 1,
    T.INVITED: 2,
    T.INTAKE_PLANNED: 2,
    T.INTAKE_HELD: 4,
    T.SESSION_PLANNED: 1,
    T.SESSION_HELD: 2,
    T.FOLLOW_UP_BOOKED: 1,
    T.FOLLOW_UP_HELD: 1,
}


async def make_cases() -> None:
    """The organisations of CASES, in one province, everything dated in 2026."""
    province = await make_province(cbs_code="PV99", name="Proefprovincie")
    offerings = {stage: await make_offering(name=stage.value, stage=stage) for stage in Stage}
    for code, invited, bookings, history, _expected in CASES:
        organisation = await make_organisation(cbs_code=code, name=f"Gemeente {code}", province=province)
        if invited:
            invitation = await TourInvitation.create(organisation=organisation, recipients=1)
            await TourInvitation.filter(id=invitation.id).update(invited_at=WHEN - timedelta(days=60))
        for stage, status in bookings:
            await make_booking(
                organisation=organisation, offering=offerings[stage], status=status, starts_at=WHEN
            )
        for step in history:
            await HistoryEntry.create(organisation=organisation, step=step, held_on=date(2026, 2, 3))


async def test_each_step_is_a_fact_of_its_own() -> None:
    await make_cases()
    progress = {o.cbs_code: o for o in await organisation_progress()}
    for code, _invited, _bookings, _history, expected in CASES:
        assert {step for step in STAGE_ORDER if progress[code].has(step)} == expected, code
    cases = [progress[code] for code, *_rest in CASES]
    summary = summarise("NL", "Nederland", cases, TourStage.SESSION_HELD)
    assert {count.stage: count.count for count in summary.stages} == EXPECTED_COUNTS
    assert summary.covered == 2
    # The furthest step is shown, but a follow-up alone claims no earlier step.
    assert progress["GM0007"].stage is T.FOLLOW_UP_HELD and not progress["GM0007"].has(T.INTAKE_HELD)
    assert progress["GM0011"].before_app == {T.SESSION_HELD}


async def test_a_target_means_its_own_step_and_a_planned_one_its_session_held_since() -> None:
    await make_cases()
    cases = [o for o in await organisation_progress() if o.cbs_code.startswith("GM00")]
    met = {
        goal: sorted(o.cbs_code for o in cases if o.has_reached(goal))
        for goal in (T.INTAKE_HELD, T.SESSION_PLANNED, T.FOLLOW_UP_BOOKED)
    }
    assert met[T.INTAKE_HELD] == ["GM0004", "GM0005", "GM0008", "GM0009"]
    assert met[T.SESSION_PLANNED] == ["GM0005", "GM0006", "GM0011"]
    assert met[T.FOLLOW_UP_BOOKED] == ["GM0007", "GM0010"]


async def test_a_booking_after_an_invitation_adds_a_step() -> None:
    organisation = await make_organisation(cbs_code="GM0010")
    await TourInvitation.create(organisation=organisation, recipients=1)
    [progress] = [o for o in await organisation_progress() if o.cbs_code == "GM0010"]
    assert progress.steps == [TourStage.INVITED]
    await make_booking(organisation=organisation, offering=await make_offering(stage=Stage.INTAKE))
    [progress] = [o for o in await organisation_progress() if o.cbs_code == "GM0010"]
    assert progress.steps == [TourStage.INVITED, TourStage.INTAKE_PLANNED]


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
    await refresh_figures([organisation.id])  # a queryset update passes by the signals
    progress = next(o for o in await organisation_progress() if o.cbs_code == "GM0011")
    assert progress.since == {TourStage.SESSION_HELD: date(2026, 4, 1)}
    assert progress.reached_on(TourStage.SESSION_PLANNED) == date(2026, 1, 15)


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
        progress.note(TourStage(stage), day)
    return progress


def test_monthly_progress_against_a_straight_target_line() -> None:
    organisations = [
        _progress("A", session_held=date(2026, 2, 10)),
        _progress("B", session_held=date(2026, 4, 30)),
        _progress("C", session_held=date(2026, 4, 2), follow_up_held=date(2026, 3, 2)),
        _progress("D", invited=date(2026, 1, 2), follow_up_held=date(2026, 1, 9)),
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
