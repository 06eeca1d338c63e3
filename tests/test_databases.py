"""The tests' own databases: emptying between tests leaves no row behind, on either database, also
in the tables behind many-to-many fields and where foreign keys forbid deleting a row that is still
referred to; on SQLite the foreign keys are checked again afterwards."""

from __future__ import annotations

from tortoise import connections

from bookings.demo import load_bookings_demo
from bookings.invitations_demo import load_invitations_demo
from feedback.demo import load_feedback_demo
from invoicing.demo import load_invoicing_demo
from reporting.demo import load_reporting_demo
from server.db import is_postgres
from server.demo import load_demo
from server.settings import Settings
from tests.databases import empty_all_tables

TABLES = {
    "postgres": "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'",
    "sqlite": "SELECT '\"' || name || '\"' AS name FROM sqlite_master"
    " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
}


async def rows_per_table(database_url: str) -> dict[str, int]:
    connection = connections.get("default")
    tables = await connection.execute_query_dict(
        TABLES["postgres" if is_postgres(database_url) else "sqlite"]
    )
    counts = {}
    for table in (row["name"] for row in tables if "tortoise_migrations" not in row["name"]):
        [row] = await connection.execute_query_dict(f"SELECT count(*) AS n FROM {table}")  # noqa: S608
        counts[table] = row["n"]
    return counts


async def test_emptying_leaves_every_table_empty(database_url: str, settings: Settings) -> None:
    assert await load_demo()
    await load_bookings_demo()
    await load_invitations_demo(settings)
    await load_feedback_demo()
    await load_invoicing_demo()
    await load_reporting_demo()
    filled = {table for table, count in (await rows_per_table(database_url)).items() if count}
    assert len(filled) > 20, filled

    await empty_all_tables(database_url)

    assert {table: count for table, count in (await rows_per_table(database_url)).items() if count} == {}
    if not is_postgres(database_url):
        [pragma] = await connections.get("default").execute_query_dict("PRAGMA foreign_keys")
        assert pragma["foreign_keys"] == 1, "foreign keys are checked again"
