"""Plain SQL reads (server/sql.py): one statement text for both databases, values as Tortoise reads them."""

from __future__ import annotations

from server import sql
from server.models import Organisation
from tests.factories import make_organisation


def test_parameters_are_numbered_as_postgresql_and_sqlite_each_expect() -> None:
    statement = 'SELECT "id" FROM "organisation" WHERE "id" = $1 OR "successor_id" = $2 OR "id" = $10'
    assert sql._for_dialect(statement, "postgres") == statement
    assert sql._for_dialect(statement, "sqlite").endswith('"id" = ?1 OR "successor_id" = ?2 OR "id" = ?10')


async def test_a_parameter_used_twice_binds_the_same_value() -> None:
    first, second = await make_organisation(), await make_organisation()
    rows = await sql.fetch(
        Organisation,
        'SELECT "id" FROM "organisation" WHERE "id" = $1 OR ("id" = $2 AND "id" <> $1) ORDER BY "id"',
        first.id,
        second.id,
    )
    assert [row["id"] for row in rows] == sorted([first.id, second.id])
