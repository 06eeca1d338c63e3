"""Dutch public holidays are never offered as session days: preferred dates, the day grid, scheduling
and rescheduling (a coordinator may tick "Toch op deze feestdag"); blocking days that hold planned
sessions warns and names them."""

from __future__ import annotations

from datetime import date, datetime

import httpx
import pytest

from bookings import lifecycle, trainers
from bookings.errors import BookingRuleBroken
from bookings.models import Booking, BookingStatus, OfferingRole, TrainerKind
from bookings.policy import BookingPolicy
from bookings.public_holidays import holiday_at, holiday_name
from bookings.request_rules import check_preferred
from bookings.staffing_models import BlockedPeriod, RequestStatus
from bookings.suggestions import DayOption, open_days
from server.clock import AMSTERDAM
from server.models import Role, User
from server.settings import Settings
from tests.bookings.factories import make_booking, make_offering, make_request, make_trainer
from tests.factories import make_organisation, make_user, post, sign_in

CHRISTMAS = datetime(2027, 12, 25, 19, 30, tzinfo=AMSTERDAM)
NOW = datetime(2027, 10, 1, 10, 0, tzinfo=AMSTERDAM)


@pytest.fixture
async def coordinator() -> User:
    return await make_user(Role.COORDINATOR)


def test_the_dutch_holidays_by_their_dutch_names() -> None:
    assert holiday_name(date(2027, 12, 25)) == "Eerste Kerstdag"
    assert holiday_name(date(2028, 1, 1)) == "Nieuwjaarsdag"
    assert holiday_name(date(2027, 4, 27)) == "Koningsdag"
    assert holiday_name(date(2027, 12, 24)) is None
    # 23:30 on the 24th in Amsterdam is not Christmas yet; 23:30 UTC already is.
    assert holiday_at(datetime(2027, 12, 24, 23, 30, tzinfo=AMSTERDAM)) is None
    assert holiday_at(datetime.fromisoformat("2027-12-24T23:30:00+00:00")) == "Eerste Kerstdag"


# ---------- the clerk's preferred dates and the day grid ----------


async def test_a_preferred_date_on_a_holiday_gets_a_field_error_naming_it() -> None:
    offering = await make_offering()
    ordinary = datetime(2027, 12, 22, 19, 30, tzinfo=AMSTERDAM)
    errors = check_preferred(offering, {1: ordinary, 2: CHRISTMAS}, BookingPolicy(), NOW)
    assert list(errors) == ["date_2"]
    assert "Eerste Kerstdag" in errors["date_2"] and "25 december 2027" in errors["date_2"]


async def test_the_booking_form_refuses_a_holiday_with_its_name(client: httpx.AsyncClient) -> None:
    from tests.bookings.test_routes import booking_form

    organisation = await make_organisation()
    clerk = await make_user(Role.CLERK, organisation=organisation)
    offering = await make_offering()
    await sign_in(client, clerk)
    url = f"/organisaties/{organisation.cbs_code}/boeken/{offering.id}"
    response = await post(client, url, booking_form(date_1="2027-12-25", time_1="19:30"))
    assert response.status_code == 400
    assert "Eerste Kerstdag" in response.text
    assert not await Booking.filter(organisation=organisation).exists()


async def test_the_day_grid_never_opens_a_holiday() -> None:
    organisation = await make_organisation()
    plain = await make_offering()
    staffed = await make_offering(duration_minutes=150)
    await OfferingRole.create(offering=staffed, kind=TrainerKind.TRAINER, min_count=1, max_count=1)
    await make_trainer()
    for offering in (plain, staffed):
        grid = await open_days(offering, organisation, BookingPolicy(), first_day=date(2027, 12, 23), days=5)
        assert [option.day for option in grid] == [date(2027, 12, day) for day in range(23, 28)]
        assert DayOption(day=date(2027, 12, 25), afternoon=False, evening=False) in grid
        assert DayOption(day=date(2027, 12, 26), afternoon=False, evening=False) in grid
        assert DayOption(day=date(2027, 12, 27), afternoon=True, evening=True) in grid


# ---------- scheduling and rescheduling ----------


async def test_scheduling_on_a_holiday_needs_the_coordinators_tick(
    coordinator: User, settings: Settings
) -> None:
    booking = await make_booking()
    with pytest.raises(BookingRuleBroken) as refused:
        await lifecycle.schedule_booking(booking.id, CHRISTMAS, actor=coordinator, settings=settings)
    assert refused.value.field == "date" and "Eerste Kerstdag" in refused.value.message
    assert "Toch op deze feestdag" in refused.value.message
    assert (await Booking.get(id=booking.id)).status is BookingStatus.REQUESTED

    await lifecycle.schedule_booking(
        booking.id, CHRISTMAS, actor=coordinator, settings=settings, allow_holiday=True
    )
    assert (await Booking.get(id=booking.id)).starts_at == CHRISTMAS


async def test_a_clerk_cannot_move_a_session_onto_a_holiday_even_with_the_tick(
    coordinator: User, settings: Settings
) -> None:
    organisation = await make_organisation()
    clerk = await make_user(Role.CLERK, organisation=organisation)
    booking = await make_booking(
        organisation=organisation,
        status=BookingStatus.SCHEDULED,
        starts_at=datetime(2027, 12, 22, 19, 30, tzinfo=AMSTERDAM),
    )
    boxing_day = datetime(2027, 12, 26, 14, 0, tzinfo=AMSTERDAM)
    with pytest.raises(BookingRuleBroken) as refused:
        await lifecycle.reschedule_booking(
            booking.id, boxing_day, actor=clerk, settings=settings, allow_holiday=True
        )
    assert "Tweede Kerstdag" in refused.value.message and "Toch" not in refused.value.message
    with pytest.raises(BookingRuleBroken):
        await lifecycle.reschedule_booking(booking.id, boxing_day, actor=coordinator, settings=settings)
    await lifecycle.reschedule_booking(
        booking.id, boxing_day, actor=coordinator, settings=settings, allow_holiday=True
    )
    assert (await Booking.get(id=booking.id)).starts_at == boxing_day


async def test_the_booking_page_forms_refuse_a_holiday_unless_ticked(
    client: httpx.AsyncClient, coordinator: User
) -> None:
    booking = await make_booking()
    await sign_in(client, coordinator)
    url = f"/boekingen/{booking.reference}"
    page = await client.get(url)
    assert "Toch op deze feestdag" in page.text

    refused = await post(client, f"{url}/plannen", {"date": "2027-12-25", "time": "19:30"})
    assert refused.status_code == 400
    assert "Eerste Kerstdag" in refused.text and 'aria-invalid="true"' in refused.text

    ok = await post(client, f"{url}/plannen", {"date": "2027-12-25", "time": "19:30", "allow_holiday": "on"})
    assert ok.status_code == 303

    moved = await post(client, f"{url}/verzetten", {"date": "2027-12-26", "time": "14:00"})
    assert moved.status_code == 400 and "Tweede Kerstdag" in moved.text
    ok = await post(
        client, f"{url}/verzetten", {"date": "2027-12-26", "time": "14:00", "allow_holiday": "on"}
    )
    assert ok.status_code == 303
    assert (await Booking.get(id=booking.id)).starts_at == datetime(2027, 12, 26, 14, 0, tzinfo=AMSTERDAM)


# ---------- blocking days that hold planned sessions ----------


async def booked_trainer(name: str = "Tamara Trainer") -> tuple[User, Booking]:
    trainer = await make_trainer(name=name)
    organisation = await make_organisation(name="Gemeente Zeist")
    booking = await make_booking(
        organisation=organisation,
        status=BookingStatus.CONFIRMED,
        starts_at=datetime(2027, 12, 20, 19, 30, tzinfo=AMSTERDAM),
    )
    await make_request(booking, trainer, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    return trainer, booking


async def test_blocking_a_period_with_a_session_needs_a_confirmation(coordinator: User) -> None:
    trainer, booking = await booked_trainer()
    with pytest.raises(trainers.BlockingBookedDays) as warned:
        await trainers.add_blocked_period(trainer, "2027-12-18", "2027-12-20", "", actor=trainer)
    assert [session.id for session in warned.value.sessions] == [booking.id]
    assert not await BlockedPeriod.exists()

    await trainers.add_blocked_period(trainer, "2027-12-21", "2027-12-22", "", actor=trainer)  # no session
    await trainers.add_blocked_period(
        trainer, "2027-12-18", "2027-12-20", "", actor=coordinator, confirmed=True
    )
    assert await BlockedPeriod.all().count() == 2


async def test_a_cancelled_session_or_a_declined_request_does_not_warn() -> None:
    trainer, booking = await booked_trainer()
    booking.status = BookingStatus.CANCELLED
    await booking.save()
    other = await make_booking(
        status=BookingStatus.SCHEDULED, starts_at=datetime(2027, 12, 19, 14, 0, tzinfo=AMSTERDAM)
    )
    await make_request(other, trainer, TrainerKind.TRAINER, RequestStatus.DECLINED)
    await trainers.add_blocked_period(trainer, "2027-12-18", "2027-12-20", "", actor=trainer)
    assert await BlockedPeriod.exists()


async def test_the_trainer_sees_the_warning_page_and_blocks_anyway(client: httpx.AsyncClient) -> None:
    trainer, booking = await booked_trainer()
    await sign_in(client, trainer)
    form = {"first_day": "2027-12-18", "last_day": "2027-12-21", "note": "Vakantie"}

    warning = await post(client, "/trainer/geblokkeerd", form)

    assert warning.status_code == 200
    text = " ".join(warning.text.split())
    assert "Let op: geplande sessies in deze periode" in text
    assert booking.reference in text and "Gemeente Zeist" in text and "20 december 2027" in text
    assert 'name="bevestigd" value="1"' in text and 'action="/trainer/geblokkeerd"' in text
    assert not await BlockedPeriod.exists()

    blocked = await post(client, "/trainer/geblokkeerd", {**form, "bevestigd": "1"})
    assert blocked.status_code == 303
    period = await BlockedPeriod.get()
    assert (period.first_day, period.last_day, period.note) == (
        date(2027, 12, 18),
        date(2027, 12, 21),
        "Vakantie",
    )


async def test_a_coordinator_blocking_for_a_trainer_sees_the_same_warning(
    client: httpx.AsyncClient, coordinator: User
) -> None:
    trainer, booking = await booked_trainer(name="Tamara Trainer")
    await sign_in(client, coordinator)
    url = f"/trainers/{trainer.id}/geblokkeerd"
    form = {"first_day": "2027-12-20", "last_day": "2027-12-20", "note": ""}

    warning = await post(client, url, form)
    assert warning.status_code == 200
    assert booking.reference in warning.text and "Tamara Trainer" in warning.text
    assert f'action="{url}"' in warning.text
    assert not await BlockedPeriod.exists()

    assert (await post(client, url, {**form, "bevestigd": "1"})).status_code == 303
    assert await BlockedPeriod.exists()
