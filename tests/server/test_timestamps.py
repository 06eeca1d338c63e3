"""Created and updated timestamps follow the controlled clock, not the wall clock."""

from __future__ import annotations

from datetime import timedelta

from tortoise import Tortoise, fields

from server.clock import Clock
from server.models import Organisation
from server.timestamps import TICK, ClockDatetimeField
from tests.clocked import TEST_MOMENT
from tests.factories import make_organisation


async def test_created_and_updated_at_come_from_the_clock(fixed_clock: Clock) -> None:
    organisation = await make_organisation()
    assert organisation.created_at == organisation.updated_at == TEST_MOMENT

    fixed_clock.advance(timedelta(hours=2))
    organisation.name = "Gemeente Hernoemd"
    await organisation.save()
    assert organisation.created_at == TEST_MOMENT
    assert organisation.updated_at == TEST_MOMENT + timedelta(hours=2)

    stored = await Organisation.get(id=organisation.id)
    assert stored.created_at == TEST_MOMENT
    assert stored.updated_at == TEST_MOMENT + timedelta(hours=2)


async def test_a_creation_time_given_on_create_is_kept(fixed_clock: Clock) -> None:
    earlier = TEST_MOMENT - timedelta(days=30)
    organisation = await make_organisation(created_at=earlier)
    stored = await Organisation.get(id=organisation.id)
    assert stored.created_at == earlier and stored.updated_at == TEST_MOMENT


async def test_every_automatic_timestamp_reads_the_clock() -> None:
    wall_clock = [
        f"{model.__name__}.{name}"
        for models in Tortoise.apps.values()
        for model in models.values()
        for name, field in model._meta.fields_map.items()
        if isinstance(field, fields.DatetimeField)
        and (field.auto_now or field.auto_now_add)
        and not isinstance(field, ClockDatetimeField)
    ]
    assert not wall_clock, f"use server.timestamps.ClockDatetimeField for {wall_clock}"


async def test_every_save_moves_the_update_time_on_even_when_the_clock_stands_still() -> None:
    organisation = await make_organisation()
    for expected in (TEST_MOMENT + TICK, TEST_MOMENT + 2 * TICK):
        await organisation.save()
        assert organisation.updated_at == expected
        assert (await Organisation.get(id=organisation.id)).updated_at == expected
    assert organisation.created_at == TEST_MOMENT
