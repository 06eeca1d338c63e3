"""A FixedSelect answers as the Tortoise query it keeps, with the SQL built once per process."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import MultipleObjectsReturned, ValidationError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server.fixed_select import FixedSelect
from server.models import Organisation, Role, User, UserSession
from tests.factories import make_organisation, make_user

CODE = Organisation._meta.fields_map["cbs_code"]
NAME = Organisation._meta.fields_map["name"]
ID = User._meta.fields_map["id"]


def by_code() -> FixedSelect[Organisation | None]:
    return FixedSelect(lambda code: Organisation.get_or_none(cbs_code=code).select_related("province"), CODE)


async def test_one_or_none_with_a_related_row_as_the_query_gives_it() -> None:
    first, second = await make_organisation(), await make_organisation()
    select = by_code()
    for organisation in (first, second, first):
        found = await select.select(organisation.cbs_code)
        expected = await Organisation.get(cbs_code=organisation.cbs_code).select_related("province")
        assert found is not None and found.id == organisation.id and found.name == organisation.name
        assert found.province.name == expected.province.name  # read along: no query needed
    assert await select.select("GM9999") is None


async def test_rows_and_values_lists_in_the_query_order() -> None:
    coordinators = [await make_user(Role.COORDINATOR) for _ in range(3)]
    await make_user(Role.COORDINATOR, is_active=False)
    await make_user(Role.FINANCE)
    addresses = FixedSelect(
        lambda: (
            User.filter(role=Role.COORDINATOR, is_active=True).order_by("-id").values_list("email", flat=True)
        )
    )
    assert await addresses.select() == [user.email for user in reversed(coordinators)]
    above = FixedSelect(lambda least: User.filter(id__gte=least, role=Role.COORDINATOR).order_by("id"), ID)
    expected = await User.filter(id__gte=coordinators[1].id, role=Role.COORDINATOR).order_by("id")
    assert [user.id for user in await above.select(coordinators[1].id)] == [user.id for user in expected]
    assert len(expected) == 3


async def test_the_sql_is_built_once_and_each_call_gets_its_own_values() -> None:
    organisations = [await make_organisation() for _ in range(6)]
    builds = []

    def build(code: str) -> object:
        builds.append(code)
        return Organisation.get_or_none(cbs_code=code)

    select: FixedSelect[Organisation | None] = FixedSelect(build, CODE)
    found = await asyncio.gather(*(select.select(o.cbs_code) for o in organisations * 3))
    assert [o.id for o in found if o is not None] == [o.id for o in organisations * 3]
    await select.select(organisations[0].cbs_code)
    assert len(builds) == 1


async def test_a_parameter_used_twice_gets_the_value_in_both_places() -> None:
    organisation = await make_organisation()
    named = await make_organisation(name=organisation.cbs_code)
    await make_organisation()
    either = FixedSelect(
        lambda text: (
            Organisation.filter(Q(cbs_code=text) | Q(name=text)).order_by("id").values_list("id", flat=True)
        ),
        CODE,
    )
    assert await either.select(organisation.cbs_code) == [organisation.id, named.id]
    assert await either.select(named.cbs_code) == [named.id]


async def test_a_parameter_the_query_changes_is_refused() -> None:
    """`startswith` binds 'value%': a value put in the stand-in's place would lose the '%'."""
    await make_organisation()
    prefix = FixedSelect(lambda text: Organisation.filter(name__startswith=text), NAME)
    with pytest.raises(ValueError, match="not a bound value"):
        await prefix.select("Gemeente")


async def test_it_sees_the_writes_of_the_transaction_it_runs_in() -> None:
    select = by_code()
    province = await make_organisation()
    assert await select.select(province.cbs_code) is not None  # built outside the transaction
    with pytest.raises(RuntimeError):
        async with in_transaction():
            organisation = await make_organisation()
            found = await select.select(organisation.cbs_code)
            assert found is not None and found.id == organisation.id
            raise RuntimeError("roll back")
    assert await select.select(organisation.cbs_code) is None


async def test_values_are_checked_as_tortoise_checks_them_in_a_filter() -> None:
    with pytest.raises(ValidationError):
        await Organisation.get_or_none(cbs_code="GM12345")
    with pytest.raises(ValidationError):
        await by_code().select("GM12345")
    organisation = await make_organisation()
    await make_organisation(name=organisation.name)
    with pytest.raises(MultipleObjectsReturned):
        await FixedSelect(lambda name: Organisation.get_or_none(name=name), NAME).select(organisation.name)


async def test_a_parameter_the_query_does_not_bind_is_refused() -> None:
    await make_organisation()
    unused = FixedSelect(lambda code: Organisation.filter(cbs_code="GM0363"), CODE)
    with pytest.raises(ValueError, match="not a bound value"):
        await unused.select("GM0001")
    with pytest.raises(TypeError, match="expires_at"):
        FixedSelect(
            lambda moment: UserSession.filter(expires_at=moment), UserSession._meta.fields_map["expires_at"]
        )
    with pytest.raises(ValueError):
        await by_code().select("GM0001", "GM0002")
