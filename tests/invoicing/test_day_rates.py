"""Day rates as a history: the cost overview and the ministry report use the rate valid on each
session's day, so a new rate never changes a quarter already reported."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bookings import day_rates, trainers
from bookings.day_rate_models import DayRate
from bookings.models import BookingStatus, TrainerKind
from bookings.staffing_models import AssignmentRequest, RequestStatus
from invoicing import costs
from reporting import ministry_money
from reporting.ministry_period import Period
from server.errors import ValidationFailed
from server.models import Role, User
from server.templating import AMSTERDAM
from tests.bookings.factories import make_booking, make_trainer
from tests.factories import make_user


async def give_free_session(trainer: User, starts_at: datetime, minutes: int = 240) -> None:
    booking = await make_booking(status=BookingStatus.DELIVERED, starts_at=starts_at)
    await AssignmentRequest.create(
        booking=booking,
        trainer=trainer,
        kind=TrainerKind.TRAINER,
        status=RequestStatus.ACCEPTED,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
    )


def profile_form(**overrides: str) -> dict[str, str]:
    values = {"kind": "trainer", "home_town": "Utrecht", "max_sessions_per_month": "6", "day_rate": "650,00"}
    return {**values, **overrides}


async def test_a_new_rate_never_changes_a_reported_quarter(fixed_clock) -> None:  # type: ignore[no-untyped-def]
    fixed_clock.set(datetime(2026, 5, 20, 10, 0, tzinfo=AMSTERDAM))
    coordinator = await make_user(Role.COORDINATOR)
    trainer = await make_trainer(TrainerKind.TRAINER, name="Tessa Trainer")
    await DayRate.create(trainer=trainer, valid_from=date(1900, 1, 1), day_rate_cents=60000)
    await give_free_session(trainer, datetime(2026, 2, 10, 19, 0, tzinfo=AMSTERDAM))  # Q1: 4 h
    await give_free_session(trainer, datetime(2026, 5, 12, 19, 0, tzinfo=AMSTERDAM))  # Q2: 4 h
    first_quarter = Period(2026, 1)
    reported = await ministry_money.free_session_costs(first_quarter, {})
    assert reported.cost_cents == 30000

    # The coordinator raises the rate from 1 May, in the profile form.
    await trainers.save_profile(
        trainer.id, profile_form(day_rate="800,00", day_rate_from="2026-05-01"), [], [], [], actor=coordinator
    )

    assert await ministry_money.free_session_costs(first_quarter, {}) == reported
    overview = await costs.free_session_costs(2026)
    assert [quarter.cost_cents for quarter in overview.quarters] == [30000, 40000, 0, 0]
    assert overview.trainers[0].has_several_rates
    assert await day_rates.rate_on(trainer.id, date(2026, 4, 30)) == 60000
    assert await day_rates.rate_on(trainer.id, date(2026, 5, 1)) == 80000


async def test_a_rate_cannot_start_before_the_current_quarter(fixed_clock) -> None:  # type: ignore[no-untyped-def]
    fixed_clock.set(datetime(2026, 5, 20, 10, 0, tzinfo=AMSTERDAM))
    coordinator = await make_user(Role.COORDINATOR)
    trainer = await make_trainer(TrainerKind.TRAINER)
    await DayRate.create(trainer=trainer, valid_from=date(1900, 1, 1), day_rate_cents=60000)
    with pytest.raises(ValidationFailed) as caught:
        await trainers.save_profile(
            trainer.id,
            profile_form(day_rate="800,00", day_rate_from="2026-03-31"),
            [],
            [],
            [],
            actor=coordinator,
        )
    assert "kwartaal" in caught.value.errors["day_rate_from"]
    with pytest.raises(ValidationFailed):
        await day_rates.set_rate(trainer, 80000, date(2026, 3, 31), actor=coordinator)
    assert await DayRate.filter(trainer=trainer).count() == 1
    # The same rate again adds nothing; a later rate on the same first day replaces it.
    await day_rates.set_rate(trainer, 60000, date(2026, 6, 1), actor=coordinator)
    assert await DayRate.filter(trainer=trainer).count() == 1
    await day_rates.set_rate(trainer, 70000, date(2026, 6, 1), actor=coordinator)
    await day_rates.set_rate(trainer, 75000, date(2026, 6, 1), actor=coordinator)
    assert await DayRate.filter(trainer=trainer).count() == 2
    assert await day_rates.rate_on(trainer.id, date(2026, 6, 2)) == 75000


async def test_the_profile_page_shows_the_rate_history(client, fixed_clock) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import sign_in

    fixed_clock.set(datetime(2026, 5, 20, 10, 0, tzinfo=AMSTERDAM))
    coordinator = await make_user(Role.COORDINATOR, name="Carla Coördinator")
    trainer = await make_trainer(TrainerKind.TRAINER)
    await DayRate.create(trainer=trainer, valid_from=date(1900, 1, 1), day_rate_cents=60000)
    await day_rates.set_rate(trainer, 80000, date(2026, 6, 1), actor=coordinator)
    await sign_in(client, coordinator)
    page = await client.get(f"/trainers/{trainer.id}")
    assert page.status_code == 200
    assert "1 juni 2026" in page.text and "800,00" in page.text and "Carla Coördinator" in page.text
    assert 'value="600,00"' in page.text  # the rate valid today is the one in the form


async def test_finance_sets_a_rate_on_the_rate_page(client, fixed_clock) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import csrf_token, sign_in, with_csrf

    fixed_clock.set(datetime(2026, 5, 20, 10, 0, tzinfo=AMSTERDAM))
    trainer = await make_trainer(TrainerKind.TRAINER, name="Tessa Trainer")
    await DayRate.create(trainer=trainer, valid_from=date(1900, 1, 1), day_rate_cents=60000)
    await sign_in(client, await make_user(Role.FINANCE, name="Frank Financiën"))
    url = f"/trainers/{trainer.id}/dagtarief"
    page = await client.get(url)
    assert page.status_code == 200 and "Vandaag geldt" in page.text and "600,00" in page.text

    refused = await with_csrf(client).post(
        url, data={"csrf_token": csrf_token(client), "day_rate": "700,00", "day_rate_from": "2026-03-01"}
    )
    assert refused.status_code == 400 and "huidige kwartaal" in refused.text
    saved = await client.post(
        url, data={"csrf_token": csrf_token(client), "day_rate": "700,00", "day_rate_from": "2026-07-01"}
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?melding=opgeslagen"
    assert await day_rates.rate_on(trainer.id, date(2026, 7, 1)) == 70000
    page = await client.get(saved.headers["location"])
    assert "Het dagtarief is vastgelegd." in page.text and "Frank Financiën" in page.text
    assert (await client.get(f"/trainers/{(await make_user(Role.CLERK)).id}/dagtarief")).status_code == 404
