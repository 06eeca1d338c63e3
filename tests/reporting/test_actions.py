"""The dashboard's "roles without trainer" list: per planned session and role, the accepted
trainers against the role's minimum, with the pending requests as "asked"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bookings.models import Booking, BookingStatus, Offering, OfferingRole, TrainerKind
from bookings.staffing_models import AssignmentRequest, RequestStatus
from reporting.actions import LIST_SIZE, roles_without_trainer
from server.models import Role
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_organisation, make_user

NOW = datetime(2026, 9, 1, 12, tzinfo=UTC)


async def _session(
    name: str, offering: Offering, days: int, status: BookingStatus = BookingStatus.SCHEDULED
) -> Booking:
    return await make_booking(
        organisation=await make_organisation(name=name),
        offering=offering,
        status=status,
        starts_at=NOW + timedelta(days=days),
    )


async def _ask(booking: Booking, kind: TrainerKind, *statuses: RequestStatus) -> None:
    for status in statuses:
        await AssignmentRequest.create(
            booking=booking,
            trainer=await make_user(Role.TRAINER),
            kind=kind,
            status=status,
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=3),
        )


async def test_a_role_is_short_until_enough_trainers_accepted() -> None:
    offering = await make_offering(name="Sessie")
    await OfferingRole.create(offering=offering, kind=TrainerKind.TRAINER, min_count=2, max_count=2)
    await OfferingRole.create(offering=offering, kind=TrainerKind.MODERATOR, min_count=1, max_count=1)
    await OfferingRole.create(offering=offering, kind=TrainerKind.EXPERT, min_count=0, max_count=1)
    half = await _session("Half", offering, 3)
    await _ask(
        half, TrainerKind.TRAINER, RequestStatus.ACCEPTED, RequestStatus.PENDING, RequestStatus.DECLINED
    )
    await _ask(half, TrainerKind.MODERATOR, RequestStatus.ACCEPTED)
    full = await _session("Vol", offering, 4, BookingStatus.CONFIRMED)
    await _ask(full, TrainerKind.TRAINER, RequestStatus.ACCEPTED, RequestStatus.ACCEPTED)
    await _ask(full, TrainerKind.MODERATOR, RequestStatus.ACCEPTED)
    await _session("Leeg", offering, 5)
    await _session("Geweest", offering, -1)
    await _session("Aangevraagd", offering, 6, BookingStatus.REQUESTED)
    await _session("Zonder rollen", await make_offering(name="Vrij"), 2)

    found = await roles_without_trainer(NOW)

    assert [item.title for item in found.items] == ["Half: Sessie", "Leeg: Sessie"]
    assert found.total == 2
    half_item, empty_item = found.items
    assert half_item.missing_roles == ({"kind": "trainer", "min_count": 1, "max_count": 1},)
    assert half_item.asked == 1
    assert half_item.moment == NOW + timedelta(days=3)
    assert {role["kind"]: role["min_count"] for role in empty_item.missing_roles} == {
        "trainer": 2,
        "moderator": 1,
    }
    assert empty_item.asked == 0


async def test_the_list_shows_the_first_sessions_and_counts_them_all() -> None:
    offering = await make_offering(name="Sessie")
    await OfferingRole.create(offering=offering, kind=TrainerKind.TRAINER, min_count=1, max_count=1)
    for day in range(LIST_SIZE + 2, 0, -1):
        await _session(f"Org {day:02d}", offering, day)

    found = await roles_without_trainer(NOW)

    assert found.total == LIST_SIZE + 2
    assert [item.title for item in found.items] == [
        f"Org {day:02d}: Sessie" for day in range(1, LIST_SIZE + 1)
    ]
    assert found.more_href


async def test_no_roles_no_list() -> None:
    await _session("Zonder rollen", await make_offering(name="Vrij"), 2)

    found = await roles_without_trainer(NOW)

    assert found.items == () and found.total == 0
