"""Scheduling a booking asks the trainers at once (WEERBAAR_AUTO_ASSIGN_ON_SCHEDULE), and the notice
after it says what happened: who was asked, that nobody fits, or that the coordinator asks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from bookings import scheduling
from bookings.models import Booking, BookingStatus, OfferingRole, TrainerKind
from bookings.staffing_models import AssignmentRequest, RequestStatus
from server.app import create_app
from server.clock import AMSTERDAM
from server.mail import OutboxMessage
from server.models import Role, User
from server.settings import Settings, load_settings
from tests.bookings.factories import make_booking, make_offering, make_trainer
from tests.conftest import make_settings
from tests.factories import make_user, post, sign_in

#: A Wednesday evening, no public holiday, well in the future.
DAY = "2027-11-10"
START = datetime(2027, 11, 10, 19, 30, tzinfo=AMSTERDAM)


async def requested_booking(*roles: TrainerKind) -> Booking:
    offering = await make_offering(duration_minutes=150)
    for kind in roles:
        await OfferingRole.create(offering=offering, kind=kind, min_count=1, max_count=1)
    return await make_booking(offering=offering)


@pytest.fixture
async def coordinator() -> User:
    return await make_user(Role.COORDINATOR, name="Cora Coördinator")


@pytest.fixture
async def manual_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url, auto_assign_on_schedule=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def test_the_setting_is_on_by_default_and_can_be_turned_off() -> None:
    assert load_settings({}).auto_assign_on_schedule is True
    assert load_settings({"WEERBAAR_AUTO_ASSIGN_ON_SCHEDULE": "off"}).auto_assign_on_schedule is False


async def test_scheduling_asks_the_best_trainer_and_says_who(
    client: httpx.AsyncClient, coordinator: User
) -> None:
    booking = await requested_booking(TrainerKind.TRAINER)
    tamara = await make_trainer(name="Tamara Trainer")
    await sign_in(client, coordinator)
    url = f"/boekingen/{booking.reference}"

    response = await post(client, f"{url}/plannen", {"date": DAY, "time": "19:30"})

    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?melding=gepland-gevraagd"
    request = await AssignmentRequest.get(booking_id=booking.id)
    assert request.trainer_id == tamara.id and request.status is RequestStatus.PENDING  # type: ignore[attr-defined]
    assert await OutboxMessage.filter(to_address=tamara.email).exists()
    page = await client.get(response.headers["location"])
    assert "De datum is vastgelegd. Gevraagd: Tamara Trainer." in page.text


async def test_when_nobody_fits_the_notice_says_the_coordinator_must_ask(
    client: httpx.AsyncClient, coordinator: User
) -> None:
    booking = await requested_booking(TrainerKind.TRAINER)
    await sign_in(client, coordinator)
    url = f"/boekingen/{booking.reference}"

    response = await post(client, f"{url}/plannen", {"date": DAY, "time": "19:30"})

    assert response.headers["location"] == f"{url}?melding=gepland-gevraagd"
    assert (await Booking.get(id=booking.id)).status is BookingStatus.SCHEDULED
    assert not await AssignmentRequest.filter(booking_id=booking.id).exists()
    assert await OutboxMessage.filter(to_address=coordinator.email).exists()  # the "no candidate" alert
    page = await client.get(response.headers["location"])
    assert "Er past geen vrije trainer: vraag zelf iemand via Trainers." in page.text
    assert "Gevraagd:" not in page.text


async def test_one_role_filled_and_one_not_names_who_and_asks_for_the_rest(
    client: httpx.AsyncClient, coordinator: User
) -> None:
    booking = await requested_booking(TrainerKind.TRAINER, TrainerKind.MODERATOR)
    await make_trainer(name="Tamara Trainer")
    await sign_in(client, coordinator)
    response = await post(client, f"/boekingen/{booking.reference}/plannen", {"date": DAY, "time": "19:30"})
    page = await client.get(response.headers["location"])
    assert "Gevraagd: Tamara Trainer. Voor niet elke rol past een vrije trainer" in page.text


async def test_with_the_setting_off_nobody_is_asked_and_the_page_says_so(
    manual_client: httpx.AsyncClient, coordinator: User
) -> None:
    booking = await requested_booking(TrainerKind.TRAINER)
    await make_trainer(name="Tamara Trainer")
    await sign_in(manual_client, coordinator)
    url = f"/boekingen/{booking.reference}"
    form = await manual_client.get(url)
    assert "daarna vraagt u de trainers via Trainers" in form.text

    response = await post(manual_client, f"{url}/plannen", {"date": DAY, "time": "19:30"})

    assert response.headers["location"] == f"{url}?melding=gepland"
    assert not await AssignmentRequest.filter(booking_id=booking.id).exists()
    page = await manual_client.get(response.headers["location"])
    assert "De datum is vastgelegd. Vraag de trainers via Trainers." in page.text
    assert "worden gevraagd" not in page.text and "Vraag de trainers zodra" not in page.text


async def test_the_service_reports_whether_it_asked(coordinator: User, settings: Settings) -> None:
    booking = await requested_booking(TrainerKind.TRAINER)
    await make_trainer()
    manual = Settings(**{**settings.__dict__, "auto_assign_on_schedule": False})
    assert not await scheduling.schedule_and_ask(booking.id, START, actor=coordinator, settings=manual)
    assert not await AssignmentRequest.filter(booking_id=booking.id).exists()

    other = await requested_booking(TrainerKind.TRAINER)
    assert await scheduling.schedule_and_ask(other.id, START, actor=coordinator, settings=settings)
    assert await AssignmentRequest.filter(booking_id=other.id).count() == 1
