"""A FixedQuery answers as the Tortoise query it keeps, with the SQL built once per process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from tortoise.exceptions import MultipleObjectsReturned, ValidationError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server.fixed_query import FixedQuery
from server.models import Organisation, Role, User, UserSession
from server.sessions import start_session
from tests.factories import make_organisation, make_user


def by_code() -> FixedQuery[Organisation | None]:
    return FixedQuery(
        Organisation,
        lambda code: Organisation.get_or_none(cbs_code=code).select_related("province"),
        "cbs_code",
    )


async def test_one_or_none_with_a_related_row_as_the_query_gives_it() -> None:
    first, second = await make_organisation(), await make_organisation()
    query = by_code()
    for organisation in (first, second, first):
        found = await query.run(organisation.cbs_code)
        expected = await Organisation.get(cbs_code=organisation.cbs_code).select_related("province")
        assert found is not None and found.id == organisation.id and found.name == organisation.name
        assert found.province.name == expected.province.name  # read along: no query needed
    assert await query.run("GM9999") is None


async def test_rows_and_values_lists_in_the_query_order() -> None:
    coordinators = [await make_user(Role.COORDINATOR) for _ in range(3)]
    await make_user(Role.COORDINATOR, is_active=False)
    await make_user(Role.FINANCE)
    addresses = FixedQuery(
        User,
        lambda: (
            User.filter(role=Role.COORDINATOR, is_active=True).order_by("-id").values_list("email", flat=True)
        ),
    )
    assert await addresses.run() == [user.email for user in reversed(coordinators)]
    above = FixedQuery(
        User, lambda least: User.filter(id__gte=least, role=Role.COORDINATOR).order_by("id"), "id"
    )
    expected = await User.filter(id__gte=coordinators[1].id, role=Role.COORDINATOR).order_by("id")
    assert [user.id for user in await above.run(coordinators[1].id)] == [user.id for user in expected]
    assert len(expected) == 3


async def test_an_update_sets_the_values_of_the_call_and_gives_the_count() -> None:
    """Times and ids as parameters; only the rows the filter selects change."""
    user, other = await make_user(Role.COORDINATOR), await make_user(Role.COORDINATOR)
    for person in (user, user, other):
        await start_session(person, second_factor_done=True)
    touch = FixedQuery(
        UserSession,
        lambda user_id, seen: UserSession.filter(user_id=user_id).update(last_seen_at=seen),
        "user_id",
        "last_seen_at",
    )
    moment = datetime(2026, 11, 24, 21, 30, 15, tzinfo=UTC)
    assert await touch.run(user.id, moment) == 2
    assert {s.last_seen_at for s in await UserSession.filter(user=user)} == {moment}
    assert (await UserSession.get(user=other)).last_seen_at != moment
    later = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert await touch.run(other.id, later) == 1
    assert (await UserSession.get(user=other)).last_seen_at == later
    assert {s.last_seen_at for s in await UserSession.filter(user=user)} == {moment}


async def test_the_sql_is_built_once_and_each_call_gets_its_own_values() -> None:
    organisations = [await make_organisation() for _ in range(6)]
    builds = []

    def build(code: str) -> object:
        builds.append(code)
        return Organisation.get_or_none(cbs_code=code)

    query: FixedQuery[Organisation | None] = FixedQuery(Organisation, build, "cbs_code")
    found = await asyncio.gather(*(query.run(o.cbs_code) for o in organisations * 3))
    assert [o.id for o in found if o is not None] == [o.id for o in organisations * 3]
    await query.run(organisations[0].cbs_code)
    assert len(builds) == 1


async def test_a_parameter_used_twice_gets_the_value_in_both_places() -> None:
    organisation = await make_organisation()
    named = await make_organisation(name=organisation.cbs_code)
    await make_organisation()
    either = FixedQuery(
        Organisation,
        lambda text: (
            Organisation.filter(Q(cbs_code=text) | Q(name=text)).order_by("id").values_list("id", flat=True)
        ),
        "cbs_code",
    )
    assert await either.run(organisation.cbs_code) == [organisation.id, named.id]
    assert await either.run(named.cbs_code) == [named.id]


async def test_a_parameter_the_query_changes_is_refused() -> None:
    """`startswith` binds 'value%': a value put in the stand-in's place would lose the '%'."""
    await make_organisation()
    prefix = FixedQuery(Organisation, lambda text: Organisation.filter(name__startswith=text), "name")
    with pytest.raises(ValueError, match="not a bound value"):
        await prefix.run("Gemeente")


async def test_it_sees_the_writes_of_the_transaction_it_runs_in() -> None:
    query = by_code()
    province = await make_organisation()
    assert await query.run(province.cbs_code) is not None  # built outside the transaction
    with pytest.raises(RuntimeError):
        async with in_transaction():
            organisation = await make_organisation()
            found = await query.run(organisation.cbs_code)
            assert found is not None and found.id == organisation.id
            raise RuntimeError("roll back")
    assert await query.run(organisation.cbs_code) is None


async def test_values_are_checked_as_tortoise_checks_them_in_a_filter() -> None:
    with pytest.raises(ValidationError):
        await Organisation.get_or_none(cbs_code="GM12345")
    with pytest.raises(ValidationError):
        await by_code().run("GM12345")
    organisation = await make_organisation()
    await make_organisation(name=organisation.name)
    with pytest.raises(MultipleObjectsReturned):
        await FixedQuery(Organisation, lambda name: Organisation.get_or_none(name=name), "name").run(
            organisation.name
        )


async def test_a_parameter_the_query_does_not_bind_is_refused() -> None:
    await make_organisation()
    unused = FixedQuery(Organisation, lambda code: Organisation.filter(cbs_code="GM0363"), "cbs_code")
    with pytest.raises(ValueError, match="not a bound value"):
        await unused.run("GM0001")
    flag = FixedQuery(User, lambda active: User.filter(is_active=active), "is_active")
    with pytest.raises(TypeError, match="is_active"):
        await flag.run(True)
    with pytest.raises(ValueError):
        await by_code().run("GM0001", "GM0002")
