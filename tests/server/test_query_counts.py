"""The number of SQL statements a page runs does not grow with the rows it shows (no N+1 queries)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from server.models import Organisation, OrganisationKind
from tests.query_counter import count_queries


async def test_the_counter_counts_each_insert_and_select() -> None:
    async with count_queries() as counter:
        for number in range(5):
            await Organisation.create(kind=OrganisationKind.PROVINCE, cbs_code=f"PV9{number:03d}", name="P")
        assert await Organisation.all().count() == 5
    assert counter.total == 6, counter.statements
    assert all("INSERT" in statement for statement in counter.statements[:5])


async def test_the_counter_counts_statements_inside_transactions_and_batches() -> None:
    with count_queries() as counter:
        async with in_transaction():
            await Organisation.create(kind=OrganisationKind.PROVINCE, cbs_code="PV9100", name="P")
            async with in_transaction():
                await Organisation.filter(cbs_code="PV9100").update(name="Q")
        codes = ["PV9201", "PV9202", "PV9203"]
        await Organisation.bulk_create(
            [Organisation(kind=OrganisationKind.PROVINCE, cbs_code=c, name="R") for c in codes]
        )
    assert counter.total == 3, counter.statements


async def test_the_counter_stops_counting_after_the_block() -> None:
    async with count_queries() as counter:
        await Organisation.all().count()
    await Organisation.all().count()
    assert counter.total == 1
